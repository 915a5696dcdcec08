"""A run of the suites, above the checks: the target as data, typed events, and the Session.

Owns:

- ``target.py``: the ``Target`` resolved once, as plain data (JSON) for pytest-xdist workers, and
  the run's *identity* (name, shown base URL, key variable...) every report names;
- ``events.py``: the typed events a run emits (run started, test started, exchange judged, test
  finished, budget state, run finished), each convertible to and from plain data so they cross
  the xdist boundary;
- ``tally.py``: the verdict folded from those events (outcomes, checks, spend, exit code);
- ``session.py``: the ``Session`` that receives events and hands each to every output handler
  (``respcheck.reports``), and decides the exit code;
- ``live.py``: the per-process side of a run: the client, the budget share, the recorder that
  spills exchanges to disk, the judge.

May import: the core (exchange, findings, judge, profiles, checks, redact, replay), the live side
(config, budget, client, server). Nothing below this package imports it (tests/test_layers.py);
``respcheck.reports`` (the handlers), ``plugin``, ``run`` and ``cli`` sit above it.
"""
