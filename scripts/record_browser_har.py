"""Re-record tests/fixtures/har/chromium-sdk-calls.har: a real Chromium HAR of SDK-like calls.

Playwright drives the system's Chromium (Debian's ``chromium``; its own browser download needs the
internet) against respcheck's reference server on loopback, with ``record_har_path``: the page opens
``GET /v1/models`` (the entry a browser HAR always has besides the API calls), then ``fetch``es what an
SDK does: create, create streamed, retrieve, input_items, delete, retrieve again (a 404). Chromium
keeps no body for some answers (the streamed one, a body read by nobody): those entries have no
``content.text``, which replay must call "not recorded", never "empty".

    .venv/bin/pip install playwright
    .venv/bin/python scripts/record_browser_har.py [--chromium /usr/bin/chromium] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from playwright.sync_api import sync_playwright

from respcheck.server.run import start_server

KEY = "sk-respcheck-har-local"  # the reference server's key for this recording (a local, fake key)
OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "har" / "chromium-sdk-calls.har"

# In the page: what an SDK sends, one call after another; a streamed answer read to its end.
CALLS = """async () => {
  const post = (path, body) => fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                            body: JSON.stringify(body)});
  const created = await (await post('/v1/responses', {model: 'gpt-4.1-mini', input: 'Say hello.',
                                                      store: true})).json();
  const streamed = await post('/v1/responses', {model: 'gpt-4.1-mini', input: 'Count to three.',
                                                stream: true});
  await streamed.text();
  // a stream the page stops reading after its first chunk: Chromium keeps no body for it
  const stopped = new AbortController();
  const cut = await fetch('/v1/responses', {method: 'POST', signal: stopped.signal,
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({model: 'gpt-4.1-mini', input: 'Count to ten in words.', stream: true})});
  await cut.body.getReader().read();
  stopped.abort();
  await (await fetch('/v1/responses/' + created.id)).json();
  await (await fetch('/v1/responses/' + created.id + '/input_items')).json();
  await fetch('/v1/responses/' + created.id, {method: 'DELETE'});  // answer left unread
  await (await fetch('/v1/responses/' + created.id)).json();
  return created.id;
}"""


def record(chromium: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    # streamed tokens paced (latency) so the page can stop reading a stream before it ends
    with start_server(api_key=KEY, latency=0.05) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(record_har_path=str(out), record_har_content="embed",
                                      extra_http_headers={"Authorization": f"Bearer {KEY}"})
        page = context.new_page()
        page.goto(f"{server.base_url}/models")
        page.evaluate(CALLS)
        context.close()  # writes the HAR
        browser.close()
    har = json.loads(out.read_text())
    for entry in har["log"]["entries"]:  # the local key is fake, but no key is committed
        for header in entry["request"]["headers"]:
            if header["name"].lower() == "authorization":
                header["value"] = "Bearer [REDACTED]"
    out.write_text(json.dumps(har, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}: {len(har['log']['entries'])} entries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium executable")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    record(args.chromium, args.out)


if __name__ == "__main__":
    main()
