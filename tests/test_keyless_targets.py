"""Targets that take no key (api_key_env: null, e.g. the real servers of targets/): respcheck's two
false alarms on them, fixed: the 401 tests demanded a refusal such a server never promises, and the
curl repro carried 'Authorization: Bearer $None'."""

from __future__ import annotations

import pytest

from respcheck.config import Target
from respcheck.exchange import Exchange, Request
from respcheck.plugin import repro
from suites.test_errors import _skip_unless_keyed

KEYLESS = Target(name="keyless", base_url="http://127.0.0.1:1/v1", api_key_env=None)
KEYED = Target(name="keyed", base_url="http://127.0.0.1:1/v1", api_key_env="RELAY_KEY")


def test_the_401_tests_are_unsupported_on_a_keyless_target() -> None:
    with pytest.raises(pytest.skip.Exception, match=r"^unsupported \(target keyless takes no key"):
        _skip_unless_keyed(KEYLESS)
    _skip_unless_keyed(KEYED)  # a keyed target is held to them


def test_a_keyless_targets_repro_sends_no_authorization() -> None:
    exchange = Exchange(id="x", request=Request("POST", "/v1/responses", body={"input": "hi"}), status=200)
    assert "Authorization" not in repro(exchange, KEYLESS) and "$None" not in repro(exchange, KEYLESS)
    assert '"Authorization: Bearer $RELAY_KEY"' in repro(exchange, KEYED)
