"""The judge's findings, pinned: making the checks faster must not change a single finding.

Judged here: every recording and fault case in tests/fixtures (per file, as ``respcheck replay``
does: each exchange, then the file as one sequence) under every profile, and a few thousand
faulty exchanges made from the real streams and bodies by fixed mutations (an event dropped,
repeated, moved or altered; a body field removed or of the wrong type; a stream resumed mid-way).
``tests/fixtures/judged_golden.json`` holds the count of findings per profile, check id and
severity, and a digest of every finding (id, severity, location, message, evidence, count).

A change that means to change findings (a new check, a reworded message) rewrites the file:

    python -m tests.test_judge_golden --write

and the diff of the counts shows what changed; a change that does not mean to must leave it alone.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from respcheck.checks.registry import CheckContext, all_checks, status_class
from respcheck.exchange import Exchange
from respcheck.findings import Finding
from respcheck.judge import judge_recording
from respcheck.profiles import PROFILES
from respcheck.replay.jsonl import exchange_from_record
from respcheck.replay.load import LoadError, load_file
from tests import recorded

FIXTURES = recorded.REPO / "tests" / "fixtures"
GOLDEN = FIXTURES / "judged_golden.json"
SOURCES = ("recordings", "cases", "har")


# -- faulty exchanges: fixed mutations of the real ones --------------------------------------------

_DROP = object()
# How deep into a body the leaf mutations go (a Response's usage details and output items' content
# parts are within reach); an event's own fields, and the terminal event's Response, go less deep.
_DEPTH = 4


def _replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    """``node`` with the value at ``path`` replaced (``_DROP``: removed), copying only along the path."""
    head, rest = path[0], path[1:]
    copied: Any = dict(node) if isinstance(node, dict) else list(node)
    if rest:
        copied[head] = _replaced(node[head], rest, value)
    elif value is _DROP:
        del copied[head]
    else:
        copied[head] = value
    return copied


def _altered(value: Any) -> Any:
    """A value of the same JSON type that differs, or one of another type for the rest."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 if value % 2 else -1
    if isinstance(value, float):
        return value * 2 + 1
    if isinstance(value, str):
        return value + "x" if len(value) % 2 else value[1:]
    if isinstance(value, list):
        return value[1:] + value[:1] if len(value) > 1 else []
    return 7 if isinstance(value, dict) else "x"


def _leaves(node: Any, path: tuple[Any, ...] = (), depth: int = _DEPTH) -> Iterator[tuple[Any, ...]]:
    """Paths to what a mutation touches: every key of an object, the first element of an array."""
    children = (
        list(node.items()) if isinstance(node, dict) else list(enumerate(node[:1])) if isinstance(node, list)
        else []
    )
    for key, child in children:
        yield (*path, key)
        if depth > 1:
            yield from _leaves(child, (*path, key), depth - 1)


def _mutations_at(record: dict[str, Any], root: tuple[Any, ...], depth: int = _DEPTH
                  ) -> Iterator[tuple[str, dict[str, Any]]]:
    node: Any = record
    for key in root:
        node = node[key]
    for path in _leaves(node, depth=depth):
        where = "/".join(str(p) for p in (*root, *path))
        if isinstance(path[-1], str):
            yield f"drop {where}", _replaced(record, (*root, *path), _DROP)
        value: Any = node
        for key in path:
            value = value[key]
        yield f"alter {where}", _replaced(record, (*root, *path), _altered(value))


def _stream_mutations(record: dict[str, Any], types: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The first event of each of ``types`` dropped, repeated, moved back and altered (each field of
    it); the terminal Response's fields dropped and altered; the stream resumed mid-way, garbled,
    its content type changed."""
    events = record["response"]["events"]
    for kind, index in _first_of_each_type(events).items():
        if kind not in types:
            continue
        yield f"drop {kind}", _replaced(record, ("response", "events", index), _DROP)
        repeated = [*events[:index + 1], *events[index:]]
        yield f"repeat {kind}", _replaced(record, ("response", "events"), repeated)
        if index > 0:
            swapped = [*events[:index - 1], events[index], events[index - 1], *events[index + 1:]]
            yield f"swap {kind}", _replaced(record, ("response", "events"), swapped)
        yield from _mutations_at(record, ("response", "events", index, "data"), depth=1)
    terminal = len(events) - 1
    last = events[terminal].get("data")
    if isinstance(last, dict) and isinstance(last.get("response"), dict):
        yield from _mutations_at(record, ("response", "events", terminal, "data", "response"), depth=1)
    resumed = _replaced(record, ("response", "events"), events[4:])
    yield "resume at 4", _replaced(resumed, ("request", "query"), {"starting_after": "3"})
    half = len(events) // 2
    garbled = [*events[:half], {"event": "message", "data": "not json"}, *events[half:], {"data": "[DONE]"}]
    yield "garbled", _replaced(record, ("response", "events"), garbled)
    yield "as text/plain", _replaced(record, ("response", "content_type"), "text/plain")


def _body_mutations(record: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each field of the body dropped and altered (to _DEPTH), the request's fields too, the status
    and content type changed."""
    if isinstance(record["response"].get("body"), dict):
        yield from _mutations_at(record, ("response", "body"))
    if isinstance(record["request"].get("body"), dict):
        yield from _mutations_at(record, ("request", "body"), depth=2)
    yield "status 500", _replaced(record, ("response", "status"), 500)
    yield "as text/plain", _replaced(record, ("response", "content_type"), "text/plain")


def _first_of_each_type(events: list[dict[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, event in enumerate(events):
        data = event.get("data")
        kind = data.get("type") if isinstance(data, dict) else None
        if isinstance(kind, str) and kind not in found:
            found[kind] = index
    return found


def _features(record: dict[str, Any]) -> set[str]:
    """What a record shows: endpoint, status, event types, output item types, request fields."""
    response, request = record["response"], record["request"]
    found = {f"{record['endpoint']} {response.get('status')}"}
    found |= {f"request {k}" for k in request.get("body") or {}}
    events = response.get("events")
    if events is not None:
        return found | {f"event {kind}" for kind in _first_of_each_type(events)}
    body = response.get("body")
    output = body.get("output") if isinstance(body, dict) else None
    return found | {f"item {i.get('type')}" for i in output or [] if isinstance(i, dict)}


def mutated_records() -> list[dict[str, Any]]:
    """The faulty records: mutations of the recordings that together show every endpoint, status,
    event type, output item type and request field of the fixtures (each recording chosen when it
    shows something the ones before did not; a stream's events mutated for the types it shows
    first), ids made unique."""
    out: list[dict[str, Any]] = []
    covered: set[str] = set()
    for record in recorded.records():
        features = _features(record)
        new = features - covered
        if not new:
            continue
        covered |= features
        if record["response"].get("events") is not None:
            types = {f.removeprefix("event ") for f in new if f.startswith("event ")}
            mutations = _stream_mutations(record, types)
        else:
            mutations = _body_mutations(record)
        for name, mutated in mutations:
            out.append({**mutated, "id": f"{record['id']}~{name}"})
    return out


# -- the judged corpus --------------------------------------------------------------------------------


def _fixture_files() -> list[Path]:
    return sorted(p for source in SOURCES for p in (FIXTURES / source).rglob("*")
                  if p.suffix in (".jsonl", ".yaml", ".har"))


def _loaded(path: Path) -> list[Exchange]:
    return [e for e in load_file(path) if not isinstance(e, LoadError)]


def judged_findings() -> Iterator[tuple[str, Finding]]:
    """(profile, finding) for every finding over the corpus, in a fixed order."""
    files = [(str(p.relative_to(FIXTURES)), p) for p in _fixture_files()]
    for profile in PROFILES:
        for _, path in files:
            for findings in judge_recording(_loaded(path), profile).values():
                for finding in findings:
                    yield profile, finding
    mutated = mutated_records()
    for profile in ("openai", "openresponses"):  # openresponses differs from openai on streams only
        for record in mutated:
            if profile != "openai" and record["response"].get("events") is None:
                continue
            # each alone: a mutated copy is no step of its original's scenario
            for findings in judge_recording([exchange_from_record(record)], profile).values():
                for finding in findings:
                    yield profile, finding


def summary() -> dict[str, Any]:
    """Counts per profile, check id and severity, and a digest of every finding in order."""
    counts: Counter[str] = Counter()
    digest = hashlib.sha256()
    for profile, finding in judged_findings():
        counts[f"{profile} {finding.check_id} {finding.severity.value}"] += 1
        # a VCR or HAR exchange is named by its file's path: the same wherever the checkout is
        line = json.dumps([profile, finding.to_dict()], sort_keys=True).replace(str(FIXTURES), "<fixtures>")
        digest.update(line.encode())
        digest.update(b"\n")
    return {"counts": dict(sorted(counts.items())), "total": sum(counts.values()),
            "digest": digest.hexdigest()}


def test_the_findings_over_the_fixtures_and_their_mutations_are_the_pinned_ones() -> None:
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = summary()
    assert now["counts"] == pinned["counts"]  # the readable part first: which check changed
    assert now["digest"] == pinned["digest"], "same counts, other findings (a location or message changed)"


def test_the_mutations_make_many_checks_fire() -> None:
    # The pin is only as strong as the faults it covers: most of the registered per-exchange checks fire.
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))["counts"]
    fired = {key.split()[1] for key in pinned}
    assert len(fired) >= 60, sorted(fired)


def test_a_check_declared_for_some_statuses_finds_nothing_in_the_others() -> None:
    # The judge does not call such a check on the other exchanges: the declaration must be true.
    ctx = CheckContext(profile=PROFILES["openai"])
    declared = [c for c in all_checks() if c.scope == "exchange" and c.statuses != "any"]
    assert declared
    judged = 0
    for record in [*recorded.records(), *mutated_records()]:
        ex = exchange_from_record(record)
        for c in declared:
            if c.statuses != status_class(ex.status) and c.applies_to(ex.endpoint, ex.events is not None):
                assert c.func is not None
                assert list(c.func(ex, ctx)) == [], (c.id, record["id"])
                judged += 1
    assert judged > 1000


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.test_judge_golden --write")
    GOLDEN.write_text(json.dumps(summary(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
