"""Targets that take no key (api_key_env: null, e.g. the real servers of targets/): the 401 tests
demanded a refusal such a server never promises (a false alarm, fixed), and its curl repro must
carry no Authorization placeholder (it once said 'Bearer $None')."""

from __future__ import annotations

import pytest

from respcheck.config import Target
from respcheck.exchange import Exchange, Request
from respcheck.session.repro import curl_for_exchange
from respcheck.session.target import identity
from suites.test_errors import _skip_unless_keyed

KEYLESS = Target(name="keyless", base_url="http://127.0.0.1:1/v1", api_key_env=None)
KEYED = Target(name="keyed", base_url="http://127.0.0.1:1/v1", api_key_env="RELAY_KEY")


def test_the_401_tests_are_unsupported_on_a_keyless_target() -> None:
    with pytest.raises(pytest.skip.Exception, match=r"^unsupported \(target keyless takes no key"):
        _skip_unless_keyed(KEYLESS)
    _skip_unless_keyed(KEYED)  # a keyed target is held to them


def test_a_keyless_targets_repro_sends_no_authorization() -> None:
    sent = Exchange(id="x", request=Request("POST", "/v1/responses", body={"input": "hi"}), status=200)
    repro = curl_for_exchange(sent, identity(KEYLESS))  # the client sent no Authorization header
    assert "Authorization" not in repro and "$None" not in repro
