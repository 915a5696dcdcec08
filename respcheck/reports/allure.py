"""``allure-results/``: one Allure result per test, for ``allure generate`` / ``allure serve``.

Written from the verdict and the recorded exchanges, like every other output, so plain pytest and
``respcheck run`` write the same results:

- per test: the outcome, the message (check ids first, then the repro), labels ``epic`` = area,
  ``feature`` = check family, ``story`` = scenario, ``tag`` = each check id, ``parentSuite`` = target;
  parameters ``target`` and ``model``; a history id that includes the target (two targets' runs of
  one test are two histories);
- per exchange of a failed (or known) test a step, with the request, the response, the SSE transcript
  of a stream, its findings and its curl repro attached, and the client's notes on it (a 429 retried,
  a request sent again) as parameters (a passing test's exchanges are in ``exchanges.har``: attaching
  them would cost every passing run for nothing);
- ``environment.properties`` (target, base URL, profiles, models, respcheck version) and
  ``categories.json`` (one category per check family, matched on the message's leading check ids).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

from respcheck.redact import redact_query, redact_record, redact_text
from respcheck.reports.records import by_test, load_records
from respcheck.reports.repros import repro_commands
from respcheck.session.repro import failure_repro, with_repro
from respcheck.session.session import FinishHandler
from respcheck.session.tally import ASSERTION
from respcheck.session.target import shown_url

ALLURE_DIR = "allure-results"
_STATUS = {"passed": "passed", "failed": "failed"}  # anything else did not run (or is known): skipped


class Allure(FinishHandler):
    name = ALLURE_DIR

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        out = self.report_dir / ALLURE_DIR
        out.mkdir(parents=True, exist_ok=True)
        identity = summary.get("target") or {}
        start = int(float(summary.get("started_at") or 0.0) * 1000)
        # the exchanges of the tests worth opening (failed, or known to the baseline): reading and
        # attaching every passing test's exchanges too would cost a passing run ~0.5 s for nothing
        failing = {str(t["nodeid"]) for t in summary.get("tests") or []
                   if t.get("outcome") in ("failed", "known")}
        records = by_test(load_records(self.report_dir, failing)) if failing else {}
        for test in summary.get("tests") or []:
            own = records.get(str(test["nodeid"]), [])
            result = allure_result(test, identity, start)
            result["steps"] = exchange_steps(out, test, own, identity, start)
            result["parameters"].append({"name": "model", "value": model_of(own, identity)})
            _write(out / f"{result['uuid']}-result.json", _json(redact_record(result)))
        _write(out / "environment.properties", environment_properties(summary))
        _write(out / "categories.json", json.dumps(categories(summary), indent=1))


def _write(path: Path, text: str) -> None:
    path.write_text(redact_text(text), encoding="utf-8")


def family(check_id: str) -> str:
    """The check family: ``usage`` of ``usage.names``."""
    return check_id.split(".", 1)[0]


def error_check_ids(test: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(str(f.get("check_id")) for f in test.get("findings") or []
                              if f.get("severity") == "error"))


def scenario_of(nodeid: str) -> str:
    """The scenario a test id runs: its function, without parameters."""
    return (nodeid.rpartition("::")[2] or nodeid).split("[", 1)[0]


def allure_result(test: dict[str, Any], identity: dict[str, Any], start: int) -> dict[str, Any]:
    nodeid = str(test["nodeid"])
    target = str(identity.get("name") or "?")
    stop = start + int(float(test.get("duration") or 0.0) * 1000)
    checks = error_check_ids(test)
    all_checks = list(dict.fromkeys(str(f.get("check_id")) for f in test.get("findings") or []))
    families = list(dict.fromkeys(family(c) for c in checks)) or (
        [ASSERTION] if test.get("outcome") == "failed" else [])
    message = str(test.get("message") or "")
    head = ", ".join(checks) + ": " if checks else ""  # CI lists show the message: check ids first
    return {
        "uuid": str(uuid.uuid4()),
        "historyId": _digest(f"{target}\n{nodeid}"),
        "testCaseId": _digest(nodeid),
        "name": nodeid.partition("::")[2] or nodeid,
        "fullName": f"{target}: {nodeid}",
        "status": _STATUS.get(str(test.get("outcome")), "skipped"),
        "statusDetails": {"message": with_repro(head + message.split("\n", 1)[0], repro_commands(test)),
                          "trace": with_repro(message, repro_commands(test))},
        "start": start,
        "stop": stop,
        "labels": [
            {"name": "epic", "value": str(test.get("area") or "other")},
            *({"name": "feature", "value": f} for f in families),
            {"name": "story", "value": scenario_of(nodeid)},
            *({"name": "tag", "value": c} for c in all_checks),
            {"name": "suite", "value": str(test.get("area") or "other")},
            {"name": "parentSuite", "value": target},
            {"name": "framework", "value": "respcheck"},
        ],
        "parameters": [{"name": "target", "value": target}],
    }


def _digest(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def model_of(records: list[dict[str, Any]], identity: dict[str, Any]) -> str:
    """The model the test's requests named (the first), else the target's text model."""
    for record in records:
        body = (record.get("request") or {}).get("body")
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            return str(body["model"])
    return str((identity.get("models") or {}).get("text") or "?")


def exchange_steps(out: Path, test: dict[str, Any], records: list[dict[str, Any]], identity: dict[str, Any],
                   start: int) -> list[dict[str, Any]]:
    """One step per exchange of the test, with its request, response, transcript, findings and curl."""
    findings_of: dict[str, list[dict[str, Any]]] = {}
    for finding in test.get("findings") or []:
        findings_of.setdefault(str(finding.get("exchange_id")), []).append(finding)
    steps = []
    for i, record in enumerate(records):
        found = findings_of.get(str(record.get("id")), [])
        curls = [command for _, command in failure_repro([record.get("id")], records[: i + 1], identity)]
        request, response = record.get("request") or {}, record.get("response") or {}
        if isinstance(request.get("query"), dict):  # a key may ride in a query parameter (?api-key=)
            request = {**request, "query": redact_query(request["query"])}
        attachments = [
            _attach(out, "request", JSON, _json(request)),
            _attach(out, "response", JSON, _json({k: v for k, v in response.items() if k != "events"})),
        ]
        if response.get("events") is not None:
            attachments.append(_attach(out, "SSE transcript", TEXT, sse_transcript(response["events"])))
        if found:
            attachments.append(_attach(out, "findings", JSON, _json(found)))
        attachments.append(_attach(out, "curl", TEXT, "\n".join(curls)))
        status = response.get("status", "no answer")
        steps.append({
            "name": f"{request.get('method')} {request.get('path')} → {status}",
            "status": "failed" if any(f.get("severity") == "error" for f in found) else "passed",
            "start": start, "stop": start,
            "attachments": attachments,
            # how the exchange went, as the client noted it (a 429 retried, a request sent again on a
            # new connection): the same notes as the HTML page's "client notes" (repros.client_notes)
            "parameters": [{"name": "exchange", "value": str(record.get("id"))},
                           *({"name": "client note", "value": str(note)} for note in record.get("notes") or [])],
        })
    return steps


def sse_transcript(events: list[Any]) -> str:
    """The stream as it went over the wire (``event:`` and ``data:`` lines)."""
    lines = []
    for event in events:
        if not isinstance(event, dict):
            continue
        if event.get("event"):
            lines.append(f"event: {event['event']}")
        data = event.get("data")
        lines.append(f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines)


JSON, TEXT = "application/json", "text/plain"
_EXTENSIONS = {JSON: "json", TEXT: "txt"}


def _json(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False)


def _attach(out: Path, name: str, mime: str, text: str) -> dict[str, str]:
    source = f"{uuid.uuid4()}-attachment.{_EXTENSIONS.get(mime, 'txt')}"
    _write(out / source, text)
    return {"name": name, "source": source, "type": mime}


def environment_properties(summary: dict[str, Any]) -> str:
    identity = summary.get("target") or {}
    models = identity.get("models") or {}
    rows = {
        "target": identity.get("name"),
        "base_url": shown_url(str(identity["base_url"])) if identity.get("base_url") else None,
        "profiles": ",".join(identity.get("profiles") or []),
        "models": ",".join(f"{k}={v}" for k, v in models.items() if v),
        "respcheck": summary.get("respcheck"),
        "verdict": summary.get("verdict"),
    }
    return "".join(f"{k}={_property(v)}\n" for k, v in rows.items() if v)


def _property(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", " ")  # ':' and '=' are plain in a value


def categories(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One Allure category per check family that failed a test (the message starts with its ids)."""
    families = sorted({family(str(c["check_id"])) for c in summary.get("root_causes") or []
                       if c["check_id"] != ASSERTION})
    found = [{"name": f"{f} checks", "matchedStatuses": ["failed"],
              # [\s\S]: Allure 2 (Java, whole-message match) and Allure 3 (JavaScript) read it alike
              "messageRegex": rf"^[^:]*\b{re.escape(f)}\.[\s\S]*"} for f in families]
    found.append({"name": "scenario assertions (no check id)", "matchedStatuses": ["failed"]})
    found.append({"name": "known (in the baseline) or not run", "matchedStatuses": ["skipped"]})
    return found
