"""``index.html``: one static, self-contained page for a run.

Verdict banner, the target and its spend, what changed since its last run, the area matrix and
the capabilities claimed, failures first (each finding with its check id, severity, JSON pointer
and clause, plus a curl repro whose key stays in ``$ENVVAR``), then warnings, a per-check table
and the slowest tests. Readable without JavaScript; a few lines of JS only filter long lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from respcheck.redact import redact_text
from respcheck.reports.allure import ALLURE_DIR
from respcheck.reports.findings import FINDINGS_FILE
from respcheck.reports.har import HAR_FILE
from respcheck.reports.junit import JUNIT_FILE
from respcheck.reports.records import EXCHANGES_FILE, by_test, load_records
from respcheck.reports.repros import client_notes, repro_entries
from respcheck.reports.style import VERDICT_LABEL, esc, filter_box, page, plural, test_anchor, when
from respcheck.reports.summary import SUMMARY_FILE
from respcheck.session.session import FinishHandler
from respcheck.session.tally import OUTCOMES
from respcheck.session.target import key_env_of, shown_url

HTML_FILE = "index.html"
MAX_MESSAGE = 6000  # characters of a test's output shown inline (junit.xml has it all)
SLOWEST = 15


# -- small pieces ---------------------------------------------------------------------------------


def short_reason(message: str) -> str:
    """The line that says why a test failed: pytest's first ``E`` line, else the first line."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E "):
            return line[1:].strip()
    return lines[0] if lines else ""


def _sev(severity: str) -> str:
    return f'<span class="sev {esc(severity)}">{esc(severity)}</span>'


def findings_table(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return ""
    rows = "".join(
        "<tr>"
        f"<td>{_sev(f.get('severity', ''))}</td>"
        f"<td class=\"mono\">{esc(f.get('check_id'))}</td>"
        f"<td>{esc(f.get('message'))}</td>"
        f"<td class=\"mono\">{esc(f.get('location'))}</td>"
        f"<td>{esc(f.get('clause'))}</td>"
        f"<td>{esc(f.get('profile', ''))}</td>"
        "</tr>"
        for f in sorted(findings, key=_severity_order)
    )
    return ("<table class=\"findings\"><thead><tr><th>severity</th><th>check</th><th>message</th>"
            f"<th>JSON pointer</th><th>clause</th><th>profile</th></tr></thead><tbody>{rows}</tbody></table>")


def _severity_order(finding: dict[str, Any]) -> tuple[int, str]:
    return ({"error": 0, "warning": 1}.get(finding.get("severity", ""), 2), str(finding.get("check_id")))


def _embedded_note(target: dict[str, Any]) -> str:
    if target.get("base_url") != "embedded":
        return ""
    return ('<div class="meta">The reference server ran inside the run; start it with '
            "<code>respcheck serve</code> (127.0.0.1:8787) to replay.</div>")


# -- sections -------------------------------------------------------------------------------------


def banner(summary: dict[str, Any]) -> str:
    verdict = str(summary.get("verdict") or "error")
    totals = summary.get("totals") or {}
    total = sum(totals.values())
    counts = ", ".join(f"{totals[k]} {k}" for k in OUTCOMES if totals.get(k))
    duration = (summary.get("finished_at") or 0) - (summary.get("started_at") or 0)
    target = (summary.get("target") or {}).get("name", "?")
    return (
        f'<header class="banner {esc(verdict)}"><div class="inner">'
        f'<h1 id="verdict">{esc(VERDICT_LABEL.get(verdict, verdict.upper()))}</h1>'
        f'<div class="facts">target <strong>{esc(target)}</strong> · exit {esc(summary.get("exit_code"))}'
        f" · {total} tests: {esc(counts or 'none')} · {esc(when(summary.get('started_at')))}"
        f" · {duration:.1f} s</div></div></header>\n"
        '<nav><a href="#target">target</a><a href="#changes">changes</a><a href="#matrix">areas</a>'
        '<a href="#failures">failures</a><a href="#warnings">warnings</a><a href="#checks">checks</a>'
        '<a href="#timings">timings</a><a href="#files">files</a></nav>'
    )


def target_section(summary: dict[str, Any]) -> str:
    target = summary.get("target") or {}
    spend = summary.get("spend") or {}
    models = target.get("models") or {}
    rows = [
        ("name", esc(target.get("name"))),
        ("base URL", f'<span class="mono">{esc(shown_url(str(target.get("base_url") or "")))}</span>'),
        ("profiles", esc(", ".join(target.get("profiles") or []))),
        ("models", esc(", ".join(f"{k}: {v}" for k, v in models.items() if v))),
        ("key variable", f'<span class="mono">${esc(key_env_of(target))}</span>'),
        ("spend", esc(f"{spend.get('requests', 0)} requests, {spend.get('input_tokens', 0)} input tokens, "
                      f"{spend.get('output_tokens', 0)} output tokens (as reported by the target); "
                      f"retries: {spend.get('retries', 0)}")),
    ]
    if summary.get("budget_exhausted"):
        rows.append(("stopped early", f'<span class="bad">{esc(summary["budget_exhausted"])}</span>'))
    facts = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<section id="target"><h2>Target</h2><dl class="facts">{facts}</dl></section>'


def _id_list(ids: list[str]) -> str:
    return "<ul>" + "".join(f'<li class="mono">{esc(i)}</li>' for i in ids) + "</ul>"


def changes_section(summary: dict[str, Any]) -> str:
    changes = summary.get("changes")
    head = '<section id="changes"><h2>Changes since the last run</h2>'
    if not changes or not changes.get("previous"):
        return head + "<p class=\"meta\">No earlier run of this target in the history.</p></section>"
    prev = changes["previous"]
    parts = [f'<p class="meta">Compared with the run of {esc(when(prev.get("run_at")))} '
             f'(verdict {esc(prev.get("verdict"))}).</p>']
    labelled = [("newly_failing", "Newly failing tests", "bad"), ("fixed", "Fixed tests", "ok"),
                ("new_checks", "Check ids firing that did not before", "bad"),
                ("cleared_checks", "Check ids no longer firing", "ok")]
    for key, label, tone in labelled:
        ids = changes.get(key) or []
        if ids:
            parts.append(f'<h3 class="{tone}">{label} ({len(ids)})</h3>{_id_list(ids)}')
    if len(parts) == 1:
        parts.append("<p>Nothing changed: the same tests fail and the same checks fire.</p>")
    return head + "".join(parts) + "</section>"


def _outcome_cell(outcome: str, n: int) -> str:
    if not n:
        return '<td class="n empty">·</td>'
    tone = {"passed": "passed", "failed": "failed", "unsupported": "unsupported"}.get(outcome, "empty")
    return f'<td class="n {tone}">{n}</td>'


def matrix_section(summary: dict[str, Any]) -> str:
    from respcheck.config import CAPABILITIES

    areas = summary.get("areas") or {}
    head = "".join(f'<th class="n">{o}</th>' for o in OUTCOMES)
    rows = "".join(
        f'<tr><th scope="row">{esc(area)}</th>'
        + "".join(_outcome_cell(o, int(counts.get(o, 0))) for o in OUTCOMES)
        + "</tr>"
        for area, counts in sorted(areas.items())
    )
    claimed = set((summary.get("target") or {}).get("capabilities") or [])
    known = list(CAPABILITIES) + sorted(claimed - set(CAPABILITIES))
    chips = "".join(
        f'<span class="chip {"claimed" if c in claimed else "unclaimed"}" '
        f'title="{"claimed" if c in claimed else "not claimed: its tests are reported unsupported"}">'
        f"{esc(c)}</span>"
        for c in known
    )
    return (
        '<section id="matrix"><h2>Areas</h2>'
        f'<table class="matrix"><thead><tr><th>area</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
        f'<h3 style="margin-top:14px">Capabilities the target claims</h3><div class="chips">{chips}</div>'
        "</section>"
    )


def failure_card(test: dict[str, Any], records: list[dict[str, Any]], target: dict[str, Any]) -> str:
    message = str(test.get("message") or "")
    shown = message
    if len(message) > MAX_MESSAGE:
        shown = message[:MAX_MESSAGE] + "\n… (truncated; junit.xml has it all)"
    entries = test.get("repro") or repro_entries(test, records, target)
    repros = "".join(
        f'<div class="meta">{esc(entry.get("call"))}, exchange {esc(entry.get("exchange_id"))}</div>'
        f'<pre class="curl">{esc(entry.get("curl"))}</pre>'
        for entry in entries
    )
    return (
        f'<article class="card failure" id="{test_anchor(str(test.get("nodeid")))}">'
        f'<h3 class="mono">{esc(test.get("nodeid"))}</h3>'
        f'<div class="meta">area {esc(test.get("area"))} · {float(test.get("duration") or 0):.2f} s'
        f'{_known_note(test)}</div>'
        f'<div class="reason">{esc(short_reason(message))}</div>'
        f"{_client_notes(test.get('client_notes') or client_notes(records))}"
        f"{findings_table(test.get('findings') or [])}"
        + (f"<h3 style=\"margin-top:10px\">Repro</h3>{_embedded_note(target)}{repros}" if repros else "")
        + f"<details><summary>test output</summary><pre>{esc(shown)}</pre></details>"
        "</article>"
    )


def _client_notes(notes: list[str]) -> str:
    """What the client noted about a failed test's exchanges (``repros.client_notes``): how they went."""
    if not notes:
        return ""
    return f'<div class="meta">client notes<ul>{"".join(f"<li>{esc(n)}</li>" for n in notes)}</ul></div>'


def root_causes_section(summary: dict[str, Any]) -> str:
    """The failures grouped by check id and distinct message: what to fix, once each; every failing
    test's own card follows (one click on the example)."""
    causes = summary.get("root_causes") or []
    head = '<section id="root-causes"><h2>Root causes'
    if not causes:
        return head + '</h2><p class="ok">No test failed.</p></section>'
    failing = {t.get("nodeid") for t in summary.get("tests") or [] if t.get("outcome") in ("failed", "known")}
    distinct = sum(int(c.get("distinct") or 0) for c in causes)
    head += f" ({plural(distinct, 'distinct problem')} in {plural(len(failing), 'failing test')})</h2>"
    rows = []
    for cause in causes:
        known = ' <span class="chip">known: in the baseline</span>' if cause.get("known") else ""
        for i, shown in enumerate(cause.get("messages") or []):
            check = (f'<td class="mono" rowspan="{len(cause["messages"])}">{esc(cause["check_id"])}{known}'
                     f'<div class="meta">{esc(cause.get("clause") or "")}</div></td>'
                     f'<td class="n" rowspan="{len(cause["messages"])}">{int(cause["tests"])}</td>'
                     f'<td class="n" rowspan="{len(cause["messages"])}">{int(cause["exchanges"])}</td>'
                     if i == 0 else "")
            where = f' <span class="meta">(at {esc(shown.get("location"))})</span>' if shown.get("location") else ""
            example = esc(shown.get("example_test"))
            rows.append(f"<tr>{check}<td>{esc(shown.get('message'))}{where}</td>"
                        f'<td class="n">{int(shown.get("tests") or 0)}</td>'
                        f'<td class="mono"><a href="#{esc(test_anchor(str(shown.get("example_test"))))}">'
                        f"{example}</a></td></tr>")
    return (head + '<table><thead><tr><th>check</th><th class="n">tests</th><th class="n">exchanges</th>'
            '<th>distinct problem</th><th class="n">its tests</th><th>example (its card below)</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></section>')


def _known_note(test: dict[str, Any]) -> str:
    if test.get("outcome") != "known":
        return ""
    reasons = sorted({str(f["baseline"]) for f in test.get("findings") or [] if f.get("baseline")})
    return f' · <span class="chip">known, in the baseline: {esc("; ".join(reasons))}</span>'


def failures_section(summary: dict[str, Any], records_by_test: dict[str, list[dict[str, Any]]]) -> str:
    """Every failing test's own card (those the baseline knows last): the detail behind the root causes."""
    tests = summary.get("tests") or []
    failed = [t for t in tests if t.get("outcome") == "failed"] + [t for t in tests if t.get("outcome") == "known"]
    known = sum(1 for t in failed if t.get("outcome") == "known")
    also = f", {known} known" if known else ""
    head = f'<section id="failures"><h2>Failures ({len(failed) - known}{also})</h2>'
    if not failed:
        return head + '<p class="ok">No test failed.</p></section>'
    target = summary.get("target") or {}
    cards = "".join(failure_card(t, records_by_test.get(t.get("nodeid", ""), []), target) for t in failed)
    box = filter_box("#failures article", "filter failures (test, check id, message)")
    return head + box + cards + "</section>"


def warnings_section(summary: dict[str, Any]) -> str:
    """Findings below error severity in tests that did not fail (a failed test shows all of its own)."""
    cards = []
    for t in summary.get("tests") or []:
        if t.get("outcome") == "failed":
            continue
        notes = [f for f in t.get("findings") or [] if f.get("severity") in ("warning", "info")]
        if notes:
            cards.append(f'<article class="card warning"><h3 class="mono">{esc(t.get("nodeid"))}</h3>'
                         f"{findings_table(notes)}</article>")
    tests = "test" if len(cards) == 1 else "tests"
    head = f'<section id="warnings"><h2>Warnings and notes ({len(cards)} {tests})</h2>'
    if not cards:
        return head + '<p class="meta">No warning or info finding.</p></section>'
    return head + filter_box("#warnings article", "filter warnings") + "".join(cards) + "</section>"


def _check_summaries() -> dict[str, str]:
    try:
        from respcheck.checks import all_checks
    except ImportError:
        return {}
    return {c.id: c.summary for c in all_checks()}


def checks_section(summary: dict[str, Any]) -> str:
    checks = summary.get("checks") or {}
    head = '<section id="checks"><h2>Findings by check</h2>'
    if not checks:
        return head + '<p class="ok">No check fired.</p></section>'
    tests_per_check: dict[str, set[str]] = {}
    for t in summary.get("tests") or []:
        for f in t.get("findings") or []:
            tests_per_check.setdefault(str(f.get("check_id")), set()).add(str(t.get("nodeid")))
    about = _check_summaries()
    ordered = sorted(
        checks.items(), key=lambda kv: (-int(kv[1].get("error", 0)), -int(kv[1].get("warning", 0)), kv[0])
    )
    rows = "".join(
        f'<tr><td class="mono">{esc(cid)}</td><td>{esc(about.get(cid, ""))}</td>'
        + "".join(
            f'<td class="n {"failed" if s == "error" and n.get(s) else "warned" if n.get(s) else "empty"}">'
            f"{int(n.get(s, 0)) or '·'}</td>"
            for s in ("error", "warning", "info")
        )
        + f'<td class="n">{len(tests_per_check.get(cid, ()))}</td></tr>'
        for cid, n in ordered
    )
    return (head + filter_box("#checks tbody tr", "filter checks")
            + '<table><thead><tr><th>check</th><th>what it enforces</th><th class="n">errors</th>'
            '<th class="n">warnings</th><th class="n">info</th><th class="n">tests</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></section>")


def timings_section(summary: dict[str, Any]) -> str:
    tests = sorted(summary.get("tests") or [], key=lambda t: -float(t.get("duration") or 0))[:SLOWEST]
    head = f'<section id="timings"><h2>Slowest tests (top {len(tests)})</h2>'
    if not tests:
        return head + "<p class=\"meta\">No test ran.</p></section>"
    longest = max(float(tests[0].get("duration") or 0), 1e-9)
    rows = "".join(
        f'<tr><td class="mono">{esc(t.get("nodeid"))}</td><td>{esc(t.get("outcome"))}</td>'
        f'<td class="n">{float(t.get("duration") or 0):.3f} s</td>'
        f'<td style="width:30%"><div class="bar" '
        f'style="width:{100 * float(t.get("duration") or 0) / longest:.1f}%"></div></td></tr>'
        for t in tests
    )
    return (head + '<table><thead><tr><th>test</th><th>outcome</th><th class="n">duration</th><th></th></tr>'
            f"</thead><tbody>{rows}</tbody></table></section>")


def not_run_section(summary: dict[str, Any]) -> str:
    not_run = ("unsupported", "skipped", "budget")
    skipped = [t for t in summary.get("tests") or [] if t.get("outcome") in not_run]
    if not skipped:
        return ""
    rows = "".join(
        f'<tr><td class="mono">{esc(t.get("nodeid"))}</td><td>{esc(t.get("outcome"))}</td>'
        f"<td>{esc(t.get('message'))}</td></tr>"
        for t in skipped
    )
    return (f'<section id="not-run"><h2>Not run ({len(skipped)})</h2><details><summary>unsupported, '
            "skipped and budget-stopped tests</summary><table><thead><tr><th>test</th><th>outcome</th>"
            f"<th>reason</th></tr></thead><tbody>{rows}</tbody></table></details></section>")


def files_section(report_dir: Path | None) -> str:
    names = [SUMMARY_FILE, FINDINGS_FILE, HAR_FILE, EXCHANGES_FILE, JUNIT_FILE]
    present = [n for n in names if report_dir is None or (report_dir / n).exists()]
    links = " · ".join(f'<a href="{esc(n)}">{esc(n)}</a>' for n in present)
    return (f'<section id="files"><h2>Files</h2><p>{links}</p><p class="meta">Replay offline: '
            "<code>respcheck replay exchanges.har</code>. Allure: "
            f"<code>allure serve {ALLURE_DIR}</code>."
            "</p></section>")


# -- the page -------------------------------------------------------------------------------------


def render_index(
    summary: dict[str, Any], records: list[dict[str, Any]], report_dir: Path | None = None
) -> str:
    grouped = by_test(records)
    target = (summary.get("target") or {}).get("name", "?")
    verdict = VERDICT_LABEL.get(str(summary.get("verdict")), str(summary.get("verdict")))
    body = "\n".join([
        target_section(summary),
        changes_section(summary),
        matrix_section(summary),
        root_causes_section(summary),
        failures_section(summary, grouped),
        warnings_section(summary),
        checks_section(summary),
        timings_section(summary),
        not_run_section(summary),
        files_section(report_dir),
    ])
    return page(f"respcheck: {target} — {verdict}", banner(summary), body)


def write_index(report_dir: Path, summary: dict[str, Any], records: list[dict[str, Any]]) -> Path:
    path = report_dir / HTML_FILE
    path.write_text(redact_text(render_index(summary, records, report_dir)), encoding="utf-8")
    return path


class Html(FinishHandler):
    name = HTML_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        # only the failed tests' exchanges are shown (their repros, usually built already by
        # respcheck.reports.repros): the rest stays on disk
        failed = {str(t.get("nodeid")) for t in summary.get("tests") or []
                  if t.get("outcome") in ("failed", "known") and not t.get("repro")}
        write_index(self.report_dir, summary, load_records(self.report_dir, failed))
