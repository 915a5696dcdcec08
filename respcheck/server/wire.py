"""The wire form the reference server speaks: the one the run's profile(s) judge it by.

A profile list is served when every profile in it accepts what the server sends:

- ``openresponses`` requires ``data: [DONE]`` after a Responses stream's terminal event
  (OpenAI sends none; the ``openai`` profile only reports one as info), so the marker is sent
  when any listed profile requires it;
- every event always carries its ``event:`` line (both contracts name events that way);
- ``doc:newapi`` publishes Chat-style usage names (``prompt_tokens`` / ``completion_tokens``)
  while the streams it falls back to (OpenAI's) require ``input_tokens`` / ``output_tokens``: when
  every listed profile uses Chat names, usage carries both sets; with ``openai`` in the list the
  Chat names would be an error there, so OpenAI's names alone are sent (the doc profile warns);
- a capability whose states a profile's Response schema can not express (``background`` needs
  ``queued`` and ``cancelled``; New API's status table lists neither) can not be served
  faithfully: ``unserved`` names it with the reason, and the run reports its scenarios as
  unsupported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from respcheck.profiles import Profile, get_profile

# The statuses a capability's scenarios show a client (what the profile's Response must allow).
CAPABILITY_STATUSES: dict[str, tuple[str, ...]] = {"background": ("queued", "cancelled")}


@dataclass(frozen=True)
class WireForm:
    profiles: tuple[str, ...] = ("openai",)
    done_marker: bool = False
    chat_usage_names: bool = False
    unserved: dict[str, str] = field(default_factory=dict, hash=False)

    def usage(self, usage: dict[str, Any] | None) -> dict[str, Any] | None:
        """A Response's ``usage`` in this wire form."""
        return with_chat_usage_names(usage) if self.chat_usage_names else usage


def wire_form(profiles: str | Iterable[str] = "openai") -> WireForm:
    """The wire form for a profile (``"openresponses"``) or a list (``"doc:newapi,openai"``)."""
    names = tuple(p.strip() for p in (profiles.split(",") if isinstance(profiles, str) else profiles))
    chosen = [get_profile(n) for n in names if n]  # an unknown name raises UnknownProfile
    if not chosen:
        chosen = [get_profile("openai")]
    unserved: dict[str, str] = {}
    for profile in chosen:
        for capability, reason in _unserved_by(profile).items():
            unserved.setdefault(capability, reason)
    return WireForm(
        profiles=tuple(p.name for p in chosen),
        done_marker=any(p.done_marker == "required" for p in chosen),
        chat_usage_names=all(p.usage_style == "chat" for p in chosen),
        unserved=unserved,
    )


def _unserved_by(profile: Profile) -> dict[str, str]:
    allowed = _status_values(profile)
    found = {}
    for capability, statuses in CAPABILITY_STATUSES.items():
        missing = [s for s in statuses if allowed is not None and s not in allowed]
        if missing:
            found[capability] = (
                f"unsupported under {profile.name}: the reference can not serve {capability} faithfully "
                f"(the profile's Response status allows no {', '.join(repr(s) for s in missing)})"
            )
    return found


def _status_values(profile: Profile) -> set[str] | None:
    """The status values the profile's own Response schema lists (None: it does not restrict them)."""
    validator = profile.validator("response")
    status: Any = ((validator.schema if validator else {}).get("properties") or {}).get("status")
    if not isinstance(status, dict) or not isinstance(status.get("enum"), list):
        return None
    return set(status["enum"])


def with_chat_usage_names(usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """OpenAI's usage plus the Chat Completions names of the same counts (New API's documented form)."""
    if not usage:
        return usage
    return {
        **usage,
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "prompt_tokens_details": {"cached_tokens": usage["input_tokens_details"]["cached_tokens"]},
        "completion_tokens_details": {
            "reasoning_tokens": usage["output_tokens_details"]["reasoning_tokens"]
        },
    }
