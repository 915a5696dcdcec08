"""Built-in checks, one module per area. Importing this package registers them all."""

from respcheck.checks import (  # noqa: F401  (imported for their registrations)
    behaviour,
    errors,
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
