"""Schema profiles: which contract an exchange is held to.

- ``openai``: OpenAI's OpenAPI description (the default);
- ``openresponses``: the Open Responses specification (stricter on streams: ``[DONE]``
  required, ``event:`` names required);
- ``doc:<relay>``: what a relay publishes in its own docs (``specs/docs``). Doc pages
  say nothing about streams or lifecycle endpoints, so for whatever a doc schema does not
  define, the profile falls back to ``openai``.
"""

from __future__ import annotations

from dataclasses import dataclass

from respcheck.schemas.registry import SchemaValidator, load_validator


@dataclass(frozen=True)
class Profile:
    name: str
    schema_dir: str
    usage_style: str = "responses"  # "responses": input_tokens/output_tokens; "chat": prompt_tokens/...
    done_marker: str = "optional"  # "optional" (info when present) or "required"
    event_names: str = "optional"  # "optional": an SSE event: line may be absent; "required"
    fallback: str | None = None

    def validator(self, name: str) -> SchemaValidator | None:
        """The schema ``name`` (e.g. ``response``, ``events/response.created``) in this profile."""
        found = load_validator(self.schema_dir, name)
        if found is None and self.fallback is not None:
            return get_profile(self.fallback).validator(name)
        return found


PROFILES: dict[str, Profile] = {
    "openai": Profile("openai", "openai"),
    "openresponses": Profile(
        "openresponses", "openresponses", done_marker="required", event_names="required"
    ),
    "doc:mixroute": Profile("doc:mixroute", "docs/mixroute", fallback="openai"),
    "doc:newapi": Profile("doc:newapi", "docs/newapi", usage_style="chat", fallback="openai"),
    "doc:12ai": Profile("doc:12ai", "docs/12ai", fallback="openai"),
}


class UnknownProfile(ValueError):
    pass


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfile(
            f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}"
        ) from None
