"""Write COMPATIBILITY.md from one matrix run: python targets/compatibility.py OUT REPORT_DIR...

Per target (one respcheck report folder each): its description and version, the verdict per area,
then its findings grouped by check, each with one evidence line taken from the exchange it was found
in (request, status, where) — a finding whose exchange is not in the report stops the generation, so
every line printed was read from its exchange. What respcheck could not see is said per target."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from respcheck.config import load_targets

TARGETS_FILE = Path(__file__).resolve().parent.parent / "targets.yaml"

# What a run cannot show about each target: said plainly rather than left out.
NOT_SEEN = {
    "agentserver": "The handler (targets/agentserver/server.py) is ours, not a model: tools, structured "
    "output, reasoning and image input are not claimed, so their areas are unsupported, not passed. "
    "Usage is absent because TextResponse leaves it to the handler; a handler that sets it would not "
    "show usage.present. Persistence across restarts (its file store, Foundry storage) is not tested.",
    "aimock": "A fixture mock: it answers every prompt from targets/aimock/fixtures/, so conversation, "
    "storage and lifecycle are not claimed (it stores nothing: GET /v1/responses/{id} is 404). Its "
    "record/proxy modes and chaos options are not exercised.",
    "litellm-passthrough": "The upstream is respcheck's reference server, so what LiteLLM does with "
    "OpenAI's own fields (e.g. new event types) is only seen as far as the reference emits them. "
    "Not LiteLLM's own: `usage.at_limit` is the upstream's answer that fits max_output_tokens exactly, "
    "passed through unchanged (the differential suite found no difference there), and "
    "`stream.buffered` is an upstream that streams with no delay between events, so buffering cannot "
    "be told apart here. Its database-backed features (spend logs, virtual keys) are off: no database.",
    "llamastack": "Inference is respcheck's reference server behind Llama Stack's remote::vllm adapter "
    "(chat completions), so the text and tool calls are the reference's; what Llama Stack does with a "
    "real model's reasoning or images is not seen (reasoning and image input are not claimed). Cancel "
    "and background are not claimed (its cancel is partial). Only the built-in Responses provider with "
    "SQLite was run; its file search, vector stores, MCP tools and PostgreSQL storage were not.",
    "transformers": "The model is a 2-layer Llama trained in seconds (targets/transformers/build_model.py): "
    "it answers in a few memorised sentences, never calls a tool and cannot follow a schema, so only "
    "create and streaming are claimed; `transformers serve` stores nothing (no retrieve, delete, "
    "input_items or cancel). Continuous batching, quantisation and GPU paths were not exercised.",
    "litellm-bridge": "The bridge stores nothing upstream; lifecycle endpoints are not claimed. Only the "
    "chat-completions path through hosted_vllm/ was used; other providers' translations may differ. "
    "`stream.buffered` cannot be told apart from an upstream that answers at once (see pass-through).",
}


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evidence(finding: dict[str, Any], exchanges: dict[str, dict[str, Any]]) -> str:
    """One line from the finding's exchange: the request, the status, where, what."""
    exchange_id = finding.get("exchange_id")
    if exchange_id in (None, "sdk"):  # findings made outside an exchange (the SDK's exceptions)
        return f"`{finding['test']}`: {finding['message']}"
    exchange = exchanges.get(exchange_id)
    if exchange is None:
        raise SystemExit(f"{finding['check_id']}: exchange {exchange_id} is not in the report")
    request, response = exchange["request"], exchange["response"]
    kind = "stream" if exchange.get("streaming") else "json"
    path = request["path"] if len(request["path"]) < 60 else request["path"][:57] + "..."
    message = finding["message"] if len(finding["message"]) < 260 else finding["message"][:257] + "..."
    return (f"`{request['method']} {path}` → {response['status']} ({kind}), at `{finding['location']}`: "
            f"{message}")


def target_section(report: Path) -> list[str]:
    summary = json.loads((report / "summary.json").read_text())
    # the report folder is named after its target (targets/matrix.sh); a summary written by pytest-xdist
    # workers may carry "unknown" as the name
    name = summary["target"].get("name") or "unknown"
    name = report.name if name == "unknown" else name
    exchanges = {e["id"]: e for e in _lines(report / "exchanges.jsonl")}
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in _lines(report / "findings.ndjson"):
        by_check[finding["check_id"]].append(finding)
    described = load_targets(TARGETS_FILE).targets.get(name)
    out = [f"## {name}", "", f"{described.description if described else ''}  ",
           f"Verdict: **{summary['verdict']}**; exit {summary['exit_code']}; "
           f"{summary['spend']['requests']} requests.", ""]
    outcomes = ("passed", "failed", "unsupported", "budget")
    out += ["| area | " + " | ".join(outcomes) + " |", "|---|---|---|---|---|"]
    for area, counts in sorted(summary["areas"].items()):
        out.append(f"| {area} | " + " | ".join(str(counts.get(k, 0)) for k in outcomes) + " |")
    out += ["", "| check | severity | times (distinct messages) | evidence: the first, from its exchange |",
            "|---|---|---|---|"]
    for check_id, found in sorted(by_check.items()):
        severity, distinct = found[0]["severity"], len({f["message"] for f in found})
        line = evidence(found[0], exchanges).replace("|", "\\|").replace("\n", " ")
        out.append(f"| `{check_id}` | {severity} | {len(found)} ({distinct}) | {line} |")
    if not by_check:
        out.append("| (none) | | | |")
    out += ["", f"**Not seen:** {NOT_SEEN.get(name, 'nothing noted.')}", ""]
    return out


def main(out: str, reports: list[str]) -> None:
    lines = [
        "# Compatibility of real Responses servers",
        "",
        "Generated by `targets/matrix.sh` (`python targets/compatibility.py`) from one matrix run of",
        "respcheck against the real third-party servers of `targets/`, each installed from its registry",
        "at a pinned version and run offline on loopback. Every evidence line is taken from the exchange",
        "the finding was made in (the reports' `exchanges.jsonl`); a finding is a deviation from",
        "OpenAI's contract as respcheck's `openai` profile states it, warnings included.",
        "",
        "What no run here can see, for any target: behaviour with a real model behind it (the upstreams",
        "are fixtures, a repeating handler or respcheck's deterministic reference, the last paced like a",
        "model: 0.5 s to a create's first byte, tokens 10 ms apart), heavy load, restarts and",
        "persistence, and authentication schemes other than a bearer key. A check that did",
        "not fire is not proof of conformance in an area the target does not claim (its tests are",
        "reported unsupported, never passed).",
        "",
    ]
    for report in reports:
        lines += target_section(Path(report))
    Path(out).write_text("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
