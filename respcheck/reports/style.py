"""What the report pages share: the escaping helper, the inline stylesheet, the page frame.

Everything shown comes from the target's answers and is hostile input: every value goes
through ``esc`` (and the known secrets are scrubbed) before it reaches the page.
"""

from __future__ import annotations

import hashlib
import html
import time
from typing import Any

from respcheck import __version__
from respcheck.redact import redact_text


def esc(value: Any) -> str:
    """Text for HTML (element content or a quoted attribute), scrubbed of every known secret."""
    return html.escape(redact_text("" if value is None else str(value)), quote=True)


def when(epoch: float | None) -> str:
    if not epoch:
        return "?"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


VERDICT_LABEL = {
    "pass": "PASS", "fail": "FAIL", "error": "COULD NOT RUN", "budget_exhausted": "BUDGET EXHAUSTED",
    "interrupted": "INTERRUPTED",
}

CSS = """
:root { --bg:#fafafa; --fg:#1d2330; --muted:#5d6675; --card:#fff; --line:#e3e6eb;
  --pass:#1a7f37; --pass-bg:#e6f4ea; --fail:#c62828; --fail-bg:#fdecea; --warn:#9a6700;
  --warn-bg:#fff8e1; --info:#0b5cad; --info-bg:#e8f1fb; --na:#6b7280; --na-bg:#f0f1f3;
  --code:#f3f4f6; }
@media (prefers-color-scheme: dark) { :root { --bg:#14171c; --fg:#e5e8ee; --muted:#9aa3b2;
  --card:#1c2027; --line:#2c323c; --pass:#56d364; --pass-bg:#12351d; --fail:#ff7b72;
  --fail-bg:#42181a; --warn:#e3b341; --warn-bg:#3a2d0b; --info:#79c0ff; --info-bg:#10283f;
  --na:#9aa3b2; --na-bg:#262b33; --code:#232833; } }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
main { max-width:1180px; margin:0 auto; padding:0 20px 48px; }
h1 { margin:0; font-size:30px; letter-spacing:.04em; }
h2 { margin:32px 0 10px; font-size:20px; border-bottom:1px solid var(--line); padding-bottom:4px; }
h3 { margin:0 0 6px; font-size:15px; word-break:break-all; }
a { color:var(--info); }
code, pre, .mono { font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
pre { background:var(--code); padding:10px 12px; border-radius:6px; overflow-x:auto;
  white-space:pre-wrap; word-break:break-word; margin:6px 0; }
.banner { padding:22px 20px; color:#fff; }
.banner .inner { max-width:1180px; margin:0 auto; display:flex; gap:24px; align-items:baseline;
  flex-wrap:wrap; }
.banner.pass { background:#1a7f37; } .banner.fail { background:#c62828; }
.banner.error, .banner.interrupted { background:#6b7280; } .banner.budget_exhausted { background:#9a6700; }
.banner .facts { opacity:.95; }
nav { max-width:1180px; margin:10px auto 0; padding:0 20px; color:var(--muted); font-size:14px; }
nav a { margin-right:14px; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { text-align:left; padding:5px 9px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:13px; color:var(--muted); font-weight:600; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px;
  margin:10px 0; }
.card.failure { border-left:4px solid var(--fail); }
.card.warning { border-left:4px solid var(--warn); }
.meta { color:var(--muted); font-size:13px; }
.reason { margin:4px 0 8px; font-weight:500; }
.sev { display:inline-block; padding:0 7px; border-radius:9px; font-size:12px; font-weight:600; }
.sev.error { color:var(--fail); background:var(--fail-bg); }
.sev.warning { color:var(--warn); background:var(--warn-bg); }
.sev.info { color:var(--info); background:var(--info-bg); }
td.passed { background:var(--pass-bg); color:var(--pass); }
td.failed { background:var(--fail-bg); color:var(--fail); font-weight:600; }
td.warned { background:var(--warn-bg); color:var(--warn); }
td.unsupported, td.empty { background:var(--na-bg); color:var(--na); }
.chips { display:flex; flex-wrap:wrap; gap:6px; margin:8px 0; }
.chip { padding:2px 10px; border-radius:12px; font-size:13px; border:1px solid var(--line); }
.chip.claimed { background:var(--pass-bg); color:var(--pass); border-color:transparent; }
.chip.unclaimed { background:var(--na-bg); color:var(--na); text-decoration:line-through; }
.bar { height:10px; background:var(--info); border-radius:3px; min-width:2px; }
.ok { color:var(--pass); } .bad { color:var(--fail); }
.filter { margin:6px 0 4px; padding:6px 10px; width:min(420px,100%); border:1px solid var(--line);
  border-radius:6px; background:var(--card); color:var(--fg); }
details > summary { cursor:pointer; color:var(--muted); font-size:13px; }
table.nightly { table-layout:fixed; }
table.nightly th:first-child { width:240px; }
table.nightly td { word-break:break-word; }
td .meta { font-weight:400; }
footer { color:var(--muted); font-size:13px; margin-top:36px; }
"""

# Optional: narrows long lists as you type. The page reads the same without it.
FILTER_JS = """
document.querySelectorAll('input.filter').forEach(function (box) {
  box.addEventListener('input', function () {
    var q = box.value.toLowerCase();
    document.querySelectorAll(box.dataset.target).forEach(function (el) {
      el.style.display = el.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
    });
  });
});
"""


def page(title: str, banner: str, body: str) -> str:
    """A whole self-contained page: inline CSS, no external asset, a little optional JS."""
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{banner}\n"
        f"<main>\n{body}\n<footer>Written by respcheck {esc(__version__)}.</footer>\n</main>\n"
        f"<script>{FILTER_JS}</script>\n</body>\n</html>\n"
    )


def filter_box(target_selector: str, placeholder: str) -> str:
    return (f'<input class="filter" type="search" data-target="{esc(target_selector)}" '
            f'placeholder="{esc(placeholder)}" aria-label="{esc(placeholder)}">')


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def test_anchor(nodeid: str) -> str:
    """A stable HTML id for a test's card (node ids hold characters ids cannot)."""
    return "t-" + hashlib.md5(nodeid.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
