"""The nightly matrix: several runs (one per target) on one page.

Targets are columns; rows are the verdict, each area (passed / failed / unsupported), each check
id that fired anywhere, and what changed since each target's previous run (from the history).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record, redact_text
from respcheck.reports.history import HISTORY_FILE, changes_since
from respcheck.reports.style import VERDICT_LABEL, esc, filter_box, page, plural, when
from respcheck.reports.summary import SUMMARY_FILE


class MatrixError(ValueError):
    """A report folder that cannot be read (the message names it and says what is missing)."""


@dataclass(frozen=True)
class Column:
    label: str
    report_dir: Path
    summary: dict[str, Any]
    changes: dict[str, Any] | None


def read_summary(report_dir: Path) -> dict[str, Any]:
    path = report_dir / SUMMARY_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MatrixError(f"{report_dir}: no {SUMMARY_FILE} (not a respcheck report folder?)") from None
    except (OSError, ValueError) as exc:
        raise MatrixError(f"{path}: unreadable ({exc})") from None
    if not isinstance(summary, dict):
        raise MatrixError(f"{path}: not a respcheck summary")
    return redact_record(summary)


def _columns(report_dirs: list[Path], history: Path | None) -> list[Column]:
    summaries = [(Path(d), read_summary(Path(d))) for d in report_dirs]
    names = [str((s.get("target") or {}).get("name") or d.name) for d, s in summaries]
    columns = []
    for (directory, summary), name in zip(summaries, names, strict=True):
        # Two runs of one target side by side: tell them apart by folder.
        label = name if names.count(name) == 1 else f"{name} ({directory.name})"
        if history is not None:
            changes = changes_since(history, summary).to_dict() if history.is_file() else None
        else:
            changes = summary.get("changes")
        columns.append(Column(label, directory, summary, changes))
    return columns


def area_cell(counts: dict[str, int] | None) -> str:
    if not counts:
        return '<td class="empty">—</td>'
    passed, failed = int(counts.get("passed", 0)), int(counts.get("failed", 0))
    unsupported = int(counts.get("unsupported", 0))
    total = sum(int(v) for v in counts.values())
    if failed:
        tone = "failed"
    elif passed:
        tone = "passed"
    else:
        tone = "unsupported"
    bits = [f"{passed}/{total} passed"]
    if failed:
        bits.append(f"{failed} failed")
    if unsupported:
        bits.append(f"{unsupported} unsupported")
    return f'<td class="{tone}" data-failed="{failed}">{esc(" · ".join(bits))}</td>'


def check_cell(counts: dict[str, int] | None) -> str:
    counts = counts or {}
    bits = [f"{int(counts[s])} {s}" for s in ("error", "warning", "info") if counts.get(s)]
    if not bits:
        return '<td class="empty">·</td>'
    tone = "failed" if counts.get("error") else "warned"
    return f'<td class="{tone}">{esc(" · ".join(bits))}</td>'


def _cause(summary: dict[str, Any], check_id: str) -> dict[str, Any] | None:
    return next((r for r in summary.get("root_causes") or [] if r.get("check_id") == check_id), None)


def root_cause_cell(cause: dict[str, Any] | None) -> str:
    """``1 distinct problem in 94 tests, 120 exchanges`` (known: the baseline accepts it)."""
    if not cause:
        return '<td class="empty">·</td>'
    text = (f"{plural(int(cause.get('distinct') or 0), 'distinct problem')} in "
            f"{plural(int(cause.get('tests') or 0), 'test')}, {plural(int(cause.get('exchanges') or 0), 'exchange')}")
    first = (cause.get("messages") or [{}])[0].get("message") or ""
    tone = "warned" if cause.get("known") else "failed"
    known = " · known (baseline)" if cause.get("known") else ""
    return f'<td class="{tone}" title="{esc(first)}">{esc(text + known)}</td>'


def _ids(ids: list[str], tone: str, label: str) -> str:
    if not ids:
        return ""
    items = "".join(f"<li class=\"mono\">{esc(i)}</li>" for i in ids)
    return f'<div class="{tone}">{len(ids)} {esc(label)}</div><ul>{items}</ul>'


def changes_cell(changes: dict[str, Any] | None) -> str:
    if not changes or not changes.get("previous"):
        return '<td class="empty">no earlier run</td>'
    parts = [
        _ids(changes.get("newly_failing") or [], "bad", "newly failing"),
        _ids(changes.get("fixed") or [], "ok", "fixed"),
        _ids(changes.get("new_checks") or [], "bad", "new check ids firing"),
        _ids(changes.get("cleared_checks") or [], "ok", "check ids cleared"),
    ]
    since = f'<div class="meta">since {esc(when(changes["previous"].get("run_at")))}</div>'
    body = "".join(parts) or "<div>no change</div>"
    return f"<td>{since}{body}</td>"


def _link(column: Column, out: Path) -> str:
    index = column.report_dir / "index.html"
    href = os.path.relpath(index.resolve(), out.resolve().parent)
    return f'<a href="{esc(href)}">{esc(column.label)}</a>'


def render_matrix(columns: list[Column], out: Path) -> str:
    heads = "".join(f'<th scope="col">{_link(c, out)}</th>' for c in columns)
    width = len(columns) + 1

    def section(title: str) -> str:
        return (f'<tr class="section"><th colspan="{width}">'
                f'<h3 style="margin:8px 0 0">{esc(title)}</h3></th></tr>')

    verdicts = "".join(
        f'<td class="{"passed" if c.summary.get("verdict") == "pass" else "failed"}">'
        f'<strong>{esc(VERDICT_LABEL.get(str(c.summary.get("verdict")), c.summary.get("verdict")))}</strong>'
        f'<div class="meta">{esc(when(c.summary.get("started_at")))}</div></td>'
        for c in columns
    )
    rows = [f'<tr><th scope="row">verdict</th>{verdicts}</tr>']
    rows.append(section("Changes since the previous run"))
    changes = "".join(changes_cell(c.changes) for c in columns)
    rows.append(f'<tr><th scope="row">changes</th>{changes}</tr>')
    rows.append(section("Areas"))
    areas = sorted({a for c in columns for a in (c.summary.get("areas") or {})})
    for area in areas:
        cells = "".join(area_cell((c.summary.get("areas") or {}).get(area)) for c in columns)
        rows.append(f'<tr class="area"><th scope="row">{esc(area)}</th>{cells}</tr>')
    causes = sorted({str(r["check_id"]) for c in columns for r in c.summary.get("root_causes") or []})
    rows.append(section(f"Root causes of failures ({len(causes)})"))
    for check_id in causes:
        cells = "".join(root_cause_cell(_cause(c.summary, check_id)) for c in columns)
        rows.append(f'<tr class="check cause"><th scope="row" class="mono">{esc(check_id)}</th>{cells}</tr>')
    checks = sorted({k for c in columns for k in (c.summary.get("checks") or {})})
    rows.append(section(f"Check ids that fired ({len(checks)})"))
    for check_id in checks:
        cells = "".join(check_cell((c.summary.get("checks") or {}).get(check_id)) for c in columns)
        rows.append(f'<tr class="check"><th scope="row" class="mono">{esc(check_id)}</th>{cells}</tr>')
    if not checks:
        rows.append(f'<tr><td colspan="{width}" class="ok">No check fired on any target.</td></tr>')

    failing = sum(1 for c in columns if c.summary.get("verdict") != "pass")
    verdict = "pass" if not failing else "fail"
    banner = (
        f'<header class="banner {verdict}"><div class="inner"><h1 id="verdict">'
        f"{len(columns) - failing} of {len(columns)} targets pass</h1>"
        f'<div class="facts">respcheck nightly matrix</div></div></header>'
    )
    body = (
        '<section id="matrix"><h2>Targets</h2>'
        + filter_box("#matrix tr.check, #matrix tr.area", "filter rows (area or check id)")
        + f'<table class="matrix nightly"><thead><tr><th></th>{heads}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></section>'
    )
    return page("respcheck nightly matrix", banner, body)


def build_matrix(report_dirs: list[Path], out: Path, history: Path | None = None) -> Path:
    """Write the matrix page of ``report_dirs`` to ``out``.

    Changes come from ``history`` (each target's run before the one shown) when given, else
    from the ``changes`` each run stored in its summary.json. Raises MatrixError naming a folder
    that is not a report.
    """
    if not report_dirs:
        raise MatrixError("no report folder given")
    columns = _columns([Path(d) for d in report_dirs], history)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(redact_text(render_matrix(columns, out)), encoding="utf-8")
    return out


def default_history(report_dirs: list[Path]) -> Path | None:
    """The history beside the first report folder, if there is one."""
    candidate = Path(report_dirs[0]).resolve().parent / HISTORY_FILE
    return candidate if candidate.is_file() else None
