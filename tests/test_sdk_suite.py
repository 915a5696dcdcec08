"""suites/test_sdk.py: an exception the openai SDK raises becomes a finding carrying the SDK's message."""

from __future__ import annotations

import json
from pathlib import Path

from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.layer import FaultLayer
from respcheck.server.run import start_server
from tests.test_run import respcheck

KEY = "sk-sdk-suite-test"


def test_an_sdk_exception_is_a_finding_with_the_sdks_message(tmp_path: Path) -> None:
    # a relay that writes a Python dict's repr as SSE data: the SDK's stream cannot decode it
    wrap = lambda app: FaultLayer(app, [CATALOGUE["data_not_json"]])  # noqa: E731
    with start_server(api_key=KEY, app_wrapper=wrap) as server:
        done = respcheck(
            "run", "--base-url", server.base_url, "--api-key-env", "SDK_SUITE_KEY", "--suite", "sdk",
            "--report-dir", str(tmp_path / "r"), cwd=tmp_path, env={"SDK_SUITE_KEY": KEY},
        )
    assert done.returncode == 1, done.stdout + done.stderr
    findings = [json.loads(line) for line in (tmp_path / "r" / "findings.ndjson").read_text().splitlines()]
    sdk = [f for f in findings if f["check_id"].startswith("sdk.")]
    assert [f["check_id"] for f in sdk] == ["sdk.stream"]
    assert sdk[0]["message"].startswith("JSONDecodeError: ") and sdk[0]["area"] == "sdk"
