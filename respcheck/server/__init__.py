"""The embedded reference target: a faithful Responses API server on loopback.

``start_server()`` runs it in a thread on a free port (tests, bench); ``serve_main`` is
``respcheck serve``. Layout, one concern per module:

- ``app``: Starlette routes, auth, error mapping;
- ``params``: create-request validation (OpenAI's 400s, naming the param);
- ``request_json``: a body's JSON read within bounds, and typed readers of parameters;
- ``input_items``: ``input`` (a string or items) as the item dicts the store keeps;
- ``ids``: OpenAI-looking ids;
- ``model``: the deterministic "model" (arithmetic, recall, function calls, JSON output,
  reasoning summaries);
- ``runner``: one response's life (events in order, budget, background, cancel);
- ``events``: one builder per streaming event type and the SSE framing;
- ``resource``: the Response object, output items, usage, list bodies;
- ``chat``: ``/v1/chat/completions`` from the same model;
- ``store``: SQLite (responses, input items, stream events);
- ``tokens``: o200k_base counting without a download;
- ``errors``: OpenAI-shaped errors.

May import: profiles, schemas, jsonpointer, jsontypes and its own modules; never the checks,
the client or the session (it is the target, not the judge).
"""

from typing import Any

__all__ = ["RunningServer", "serve_main", "start_server"]


def __getattr__(name: str) -> Any:
    # Lazy: importing one module (events, model...) should not pull in uvicorn.
    if name in __all__:
        from respcheck.server import run

        return getattr(run, name)
    raise AttributeError(name)
