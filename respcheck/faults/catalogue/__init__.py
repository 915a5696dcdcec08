"""The fault catalogue: every fault and every benign variation, one entry each, by layer.

A fault imitates something a real relay does wrong and names the check (or the suite test)
that must catch it; a benign variation is something a relay may legitimately do, which
must produce no error finding. ``respcheck serve --fault NAME`` switches one on;
``respcheck selftest`` runs each against its scenarios and prints the mutation score.

- ``stream.py``: the event stream (grammar, sequence numbers, SSE framing, assembly);
- ``body.py``: JSON bodies (the Response object, usage);
- ``behaviour.py``: what a request does (dropped fields, lifecycle calls, errors, across calls);
- ``transport.py``: hostile transport (hangs, drips, resets, huge or invalid bodies, 429/503);
- ``benign.py``: legal variations that must stay silent.

Adding a fault is one ``contract(...)`` / ``transport(...)`` / ``benign(...)`` call in the module
of its layer (plus, where no check catches it yet, one check): a name, the relay behaviour it
models, the check id that must fire, the scenarios to run (names declared on suite tests, see
``respcheck.faults.registry``), and the hooks that break the traffic (see ``model.py``;
``edits.py`` and ``hostile.py`` hold the building blocks). The registry is
``respcheck.faults.registry.CATALOGUE``; importing this package fills it, in this order.

Decisions:
- ``event:`` lines: the openai profile treats a missing line as legal (clients dispatch on
  ``data.type``; info), the openresponses profile requires it (error); so
  ``event_lines_missing`` is a fault judged under openresponses.
- A trailing ``data: [DONE]`` is benign under openai (info: openai-python stops reading there);
  the faults that move or drop it are judged under openresponses, which requires it (the
  reference then sends it: it speaks the wire form of the profile it is judged by).
- Vendor-prefixed events are benign when they carry the stream's sequence numbers in line;
  an unnumbered one is reported by ``stream.sequence_number.present``.
- ``stream_buffered`` is caught at warning severity (``stream.buffered`` is a timing
  heuristic, live traffic only); the 429 / 503 faults are transient: the client must absorb
  them by retrying (verdict "absorbed"), so they declare no check.
"""


from respcheck.faults.catalogue import (  # noqa: F401, I001  (registered in this order: the catalogue's)
    stream,
    body,
    behaviour,
    transport,
    benign,
)
from respcheck.faults.registry import CATALOGUE, by_kind

__all__ = ["CATALOGUE", "by_kind"]
