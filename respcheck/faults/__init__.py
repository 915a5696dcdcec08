"""Fault injection: the reference server made to break the way real relays break.

``catalogue/`` lists every fault and benign variation, one module per layer (stream, body,
behaviour, transport, benign), into the one registry ``registry.py``; ``layer.py`` applies them in front
of the honest app (``wire.py`` delivers what they change; ``edits.py`` and ``hostile.py`` are
their building blocks, ``model.py`` the ``Fault`` and its hooks); ``selftest.py`` measures how
many of them respcheck catches, running the real suites with each switched on (``harness.py``).

May import: the server (the layer wraps its app), exchange and sse; only
``selftest.py`` (and ``harness.py``, which runs the suites under pytest for it) sit above the
session and may import it, the plugin's wiring and the reports.
"""
