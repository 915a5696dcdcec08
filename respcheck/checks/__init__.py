"""Built-in checks, one module per area. Importing this package registers them all.

``registry`` is the one registry (``@check``); ``common`` the helpers several checks share; the
streams' checks are ``stream_framing``, ``stream_order``, ``stream_items`` / ``stream_assembly``
(one walk) and ``stream``; ``policy`` which checks a run judges and at what severity.

May import: exchange, findings, jsonpointer, jsontypes, redact, schemas (and profiles for types).
Checks are pure: no network, files, processes or live side (tests/test_layers.py).
"""

from respcheck.checks import (  # noqa: F401  (imported for their registrations)
    behaviour,
    errors,
    expectations,
    request,
    response,
    schema,
    stream,
    stream_framing,
    stream_order,
    transport,
    usage,
)
from respcheck.checks.registry import Check, CheckContext, Violation, all_checks, check, get_check

__all__ = ["Check", "CheckContext", "Violation", "all_checks", "check", "get_check"]
