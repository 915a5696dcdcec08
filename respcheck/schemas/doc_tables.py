"""The doc profiles' source: the request and response tables the relays publish, as data.

Each ``Row`` is one row of a table in ``specs/docs/<relay>-responses.txt``, kept with
its literal text (``line``) so the build can check the row still says that, and so
provenance can quote it. ``documents()`` turns the rows into JSON Schemas:

- a field is required only when its row says so (是 / ``required``); where a table has no
  "required" column, nothing is;
- ``enum`` only where the doc lists the allowed values (可选值 ..., "disabled 或 auto"); an
  open list ("completed、in_progress、failed 等", "etc.") or an example (示例 / 通常为) is not
  an enum;
- undocumented fields are allowed (no ``additionalProperties: false``): a doc page that is
  silent about a field does not forbid it.

Where a page has no table (MixRoute's response), the rows come from its documented
response example ("回應格式"): the fields and their JSON types, nothing required.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object")


@dataclass(frozen=True)
class Row:
    field: str  # dotted path; "[]" marks array items, e.g. "output[].content[].text"
    type: str  # as documented: "string", "string | array", "oneOf(string, array"
    line: str  # the row's text in the doc (verified by the build, quoted in provenance)
    required: bool = False
    enum: tuple[str, ...] = ()
    nullable: bool = False  # the doc says the value may be empty (可能为空)


@dataclass(frozen=True)
class DocTable:
    relay: str  # docs/<relay>/
    schema: str  # response, create_request...
    file: str  # the doc page under specs/docs
    table: str  # which table (its heading), for provenance
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()  # decisions worth knowing when reading the schema


def _cells(field: str, kind: str, required: bool, line: str, **extra: Any) -> Row:
    return Row(field, kind, line, required, **extra)


# The pages document finished responses only; a stream's response.created / in_progress
# (and a queued background response) carry "usage": null until the response finishes, as
# OpenAI's own do. That is not a deviation from the page, so usage may be null.
USAGE_NULL_NOTE = (
    "usage may be null: the page documents finished responses; unfinished ones (stream "
    "events, background) carry usage: null until they finish, as OpenAI's do"
)

MIXROUTE_REQUEST = DocTable(
    "mixroute",
    "create_request",
    "mixroute-responses.txt",
    "請求參數",
    (
        _cells("model", "string", True, "model\nstring\nrequired"),
        _cells("input", "array", True, "input\narray\nrequired"),
        _cells("max_output_tokens", "integer", False, "max_output_tokens\ninteger"),
        _cells("stream", "boolean", False, "stream\nboolean"),
        _cells("reasoning", "object", False, "reasoning\nobject"),
        _cells("tools", "array", False, "tools\narray"),
        _cells("previous_response_id", "string", False, "previous_response_id\nstring"),
    ),
    notes=("input is documented as an array only (its examples never send a string)",),
)

MIXROUTE_RESPONSE = DocTable(
    "mixroute",
    "response",
    "mixroute-responses.txt",
    "回應格式 (response example; no table)",
    (
        _cells("id", "string", False, '"id": "resp_xxx",'),
        _cells("object", "string", False, '"object": "response",'),
        _cells("created_at", "integer", False, '"created_at": 1709123456,'),
        _cells("model", "string", False, '"model": "gpt-5.2",'),
        _cells("status", "string", False, '"status": "completed",'),
        _cells("output", "array", False, '"output": ['),
        _cells("output[].type", "string", False, '"type": "message",'),
        _cells("output[].role", "string", False, '"role": "assistant",'),
        _cells("output[].content", "array", False, '"content": ['),
        _cells("output[].content[].type", "string", False, '"type": "output_text",'),
        _cells("output[].content[].text", "string", False, '"text": "人工智慧(Artificial Intelligence'),
        _cells("usage", "object", False, '"usage": {', nullable=True),
        _cells("usage.input_tokens", "integer", False, '"input_tokens": 25,'),
        _cells("usage.output_tokens", "integer", False, '"output_tokens": 150,'),
        _cells("usage.total_tokens", "integer", False, '"total_tokens": 175'),
    ),
    notes=(
        USAGE_NULL_NOTE,
        "the page has no response table: fields and JSON types come from its 回應格式 "
        "example; an example does not say what is required, so nothing is",
    ),
)

NEWAPI_REQUEST = DocTable(
    "newapi",
    "create_request",
    "newapi-responses.txt",
    "请求体 / application/json",
    (
        _cells("model", "string", True, "| model | string | 是 | |"),
        _cells(
            "input",
            "oneOf(string, array",
            False,
            "| input | oneOf(string, array | 否 | 输入内容,可以是字符串或消息数组 |",
        ),
        _cells("instructions", "string", False, "| instructions | string | 否 | |"),
        _cells("max_output_tokens", "integer", False, "| max_output_tokens | integer | 否 | |"),
        _cells("temperature", "number", False, "| temperature | number | 否 | |"),
        _cells("top_p", "number", False, "| top_p | number | 否 | |"),
        _cells("stream", "boolean", False, "| stream | boolean | 否 | |"),
        _cells("tools", "array", False, "| tools | array | 否 | |"),
        _cells(
            "tool_choice",
            "oneOf(string, object)",
            False,
            "| tool_choice | oneOf(string, object) | 否 | |",
        ),
        _cells("reasoning", "object", False, "| reasoning | object | 否 | |"),
        _cells(
            "reasoning.effort",
            "string",
            False,
            "| reasoning.effort | string | 否 | 可选值: low, medium, high |",
            enum=("low", "medium", "high"),
        ),
        _cells("reasoning.summary", "string", False, "| reasoning.summary | string | 否 | |"),
        _cells("previous_response_id", "string", False, "| previous_response_id | string | 否 | |"),
        _cells(
            "truncation",
            "string",
            False,
            "| truncation | string | 否 | 可选值: auto, disabled |",
            enum=("auto", "disabled"),
        ),
    ),
)

NEWAPI_RESPONSE = DocTable(
    "newapi",
    "response",
    "newapi-responses.txt",
    "响应 / HTTP 200 / application/json",
    (
        _cells("id", "string", False, "| id | string | 否 | |"),
        _cells("object", "string", False, "| object | string | 否 | 示例: response |"),
        _cells("created_at", "integer", False, "| created_at | integer | 否 | |"),
        _cells(
            "status",
            "string",
            False,
            "| status | string | 否 | 可选值: completed, failed, in_progress, incomplete |",
            enum=("completed", "failed", "in_progress", "incomplete"),
        ),
        _cells("model", "string", False, "| model | string | 否 | |"),
        _cells("output", "array", False, "| output | array | 否 | |"),
        _cells("output[].type", "string", False, "| output[].type | string | 否 | |"),
        _cells("output[].id", "string", False, "| output[].id | string | 否 | |"),
        _cells("output[].status", "string", False, "| output[].status | string | 否 | |"),
        _cells("output[].role", "string", False, "| output[].role | string | 否 | |"),
        _cells("output[].content", "array", False, "| output[].content | array | 否 | |"),
        _cells(
            "output[].content[].type",
            "string",
            False,
            "| output[].content[].type | string | 否 | |",
        ),
        _cells(
            "output[].content[].text",
            "string",
            False,
            "| output[].content[].text | string | 否 | |",
        ),
        _cells("usage", "object", False, "| usage | object | 否 | |", nullable=True),
        _cells(
            "usage.prompt_tokens",
            "integer",
            False,
            "| usage.prompt_tokens | integer | 否 | 提示词 Token 数 |",
        ),
        _cells(
            "usage.completion_tokens",
            "integer",
            False,
            "| usage.completion_tokens | integer | 否 | 补全 Token 数 |",
        ),
        _cells(
            "usage.total_tokens",
            "integer",
            False,
            "| usage.total_tokens | integer | 否 | 总 Token 数 |",
        ),
        _cells(
            "usage.prompt_tokens_details",
            "object",
            False,
            "| usage.prompt_tokens_details | object | 否 | |",
        ),
        _cells(
            "usage.prompt_tokens_details.cached_tokens",
            "integer",
            False,
            "| usage.prompt_tokens_details.cached_tokens | integer | 否 | |",
        ),
        _cells(
            "usage.prompt_tokens_details.text_tokens",
            "integer",
            False,
            "| usage.prompt_tokens_details.text_tokens | integer | 否 | |",
        ),
        _cells(
            "usage.prompt_tokens_details.audio_tokens",
            "integer",
            False,
            "| usage.prompt_tokens_details.audio_tokens | integer | 否 | |",
        ),
        _cells(
            "usage.prompt_tokens_details.image_tokens",
            "integer",
            False,
            "| usage.prompt_tokens_details.image_tokens | integer | 否 | |",
        ),
        _cells(
            "usage.completion_tokens_details",
            "object",
            False,
            "| usage.completion_tokens_details | object | 否 | |",
        ),
        _cells(
            "usage.completion_tokens_details.text_tokens",
            "integer",
            False,
            "| usage.completion_tokens_details.text_tokens | integer | 否 | |",
        ),
        _cells(
            "usage.completion_tokens_details.audio_tokens",
            "integer",
            False,
            "| usage.completion_tokens_details.audio_tokens | integer | 否 | |",
        ),
        _cells(
            "usage.completion_tokens_details.reasoning_tokens",
            "integer",
            False,
            "| usage.completion_tokens_details.reasoning_tokens | integer | 否 |",
        ),
    ),
    notes=(
        USAGE_NULL_NOTE,
        "usage is Chat-style (prompt_tokens / completion_tokens / *_tokens_details), "
        "unlike OpenAI's input_tokens / output_tokens; the profile's usage_style is 'chat'",
        "output[].content is an array in the table but a string in the page's example; "
        "the table is the contract",
    ),
)

TWELVEAI_REQUEST = DocTable(
    "12ai",
    "create_request",
    "12ai-responses.txt",
    "创建响应 / 请求体",
    (
        _cells("model", "string", True, "model | string | 是 | 模型名称,例如 gpt-5.1 |"),
        _cells(
            "input",
            "string | array",
            True,
            "input | string | array | 是 | 用户输入;简单场景可以直接传字符串 |",
        ),
        _cells("instructions", "string", False, "instructions | string | 否 | 系统或开发者指令 |"),
        _cells("stream", "boolean", False, "stream | boolean | 否 | 是否流式返回 |"),
        _cells("background", "boolean", False, "background | boolean | 否 | 是否后台运行响应 |"),
        _cells(
            "previous_response_id",
            "string",
            False,
            "previous_response_id | string | 否 | 上一轮响应 ID,用于延续上下文 |",
        ),
        _cells("tools", "array", False, "tools | array | 否 | 工具定义 |"),
        _cells(
            "tool_choice",
            "string | object",
            False,
            "tool_choice | string | object | 否 | 工具调用策略 |",
        ),
        _cells("text", "object", False, "text | object | 否 | 文本输出配置,可用于结构化输出 |"),
        _cells("reasoning", "object", False, "reasoning | object | 否 | 推理模型配置 |"),
        _cells("temperature", "number", False, "temperature | number | 否 | 随机性 |"),
        _cells("top_p", "number", False, "top_p | number | 否 | 核采样参数 |"),
        _cells(
            "max_output_tokens",
            "integer",
            False,
            "max_output_tokens | integer | 否 | 最大输出 token 数 |",
        ),
        _cells("store", "boolean", False, "store | boolean | 否 | 是否存储响应以便后续查询 |"),
        _cells(
            "truncation",
            "string",
            False,
            "truncation | string | 否 | 截断策略,disabled 或 auto |",
            enum=("disabled", "auto"),
        ),
    ),
)

TWELVEAI_RESPONSE = DocTable(
    "12ai",
    "response",
    "12ai-responses.txt",
    "响应结构",
    (
        _cells("id", "string", False, "id | string | 响应 ID,用于查询、取消或删除 |"),
        _cells("object", "string", False, "object | string | 对象类型,通常为 response |"),
        _cells("status", "string", False, "status | string | completed、in_progress、failed 等 |"),
        _cells("model", "string", False, "model | string | 实际调用的模型 |"),
        _cells("output", "array", False, "output | array | 输出内容数组 |"),
        _cells(
            "previous_response_id",
            "string",
            False,
            "previous_response_id | string | 上一轮响应 ID,可能为空 |",
            nullable=True,
        ),
        _cells(
            "instructions",
            "string",
            False,
            "instructions | string | 本次响应使用的指令,可能为空 |",
            nullable=True,
        ),
        _cells("tools", "array", False, "tools | array | 本次请求可用工具 |"),
        _cells(
            "tool_choice",
            "string | object",
            False,
            "tool_choice | string | object | 工具选择策略 |",
        ),
        _cells("text", "object", False, "text | object | 文本输出配置 |"),
        _cells("truncation", "string", False, "truncation | string | 截断策略 |"),
        _cells("usage", "object", False, "usage | object | token 用量统计 |", nullable=True),
    ),
    notes=(
        USAGE_NULL_NOTE,
        "the response table has no 'required' column: nothing is required",
        "status lists 'completed、in_progress、failed 等' (an open list): not an enum",
        "the same structure is what retrieve and cancel return (接口概览); DELETE's body is "
        "not documented, so no 'deleted' schema: the profile falls back to openai's",
    ),
)

TABLES: tuple[DocTable, ...] = (
    MIXROUTE_REQUEST,
    MIXROUTE_RESPONSE,
    NEWAPI_REQUEST,
    NEWAPI_RESPONSE,
    TWELVEAI_REQUEST,
    TWELVEAI_RESPONSE,
)


def json_types(documented: str) -> list[str]:
    """``"string | array"`` / ``"oneOf(string, array"`` -> ``["string", "array"]``."""
    text = documented.replace("oneOf(", "").replace(")", "").replace(",", "|")
    found = [t.strip() for t in text.split("|") if t.strip()]
    unknown = [t for t in found if t not in JSON_TYPES]
    if unknown or not found:
        raise ValueError(f"cannot read documented type {documented!r}")
    return found


def row_schema(row: Row) -> dict[str, Any]:
    types = json_types(row.type) + (["null"] if row.nullable else [])
    schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
    if row.enum:
        schema["enum"] = [*row.enum, *([None] if row.nullable else [])]
    return schema


def schema_from_rows(rows: tuple[Row, ...]) -> dict[str, Any]:
    """One object schema holding every row at its (dotted, ``[]``-marked) path."""
    root: dict[str, Any] = {"type": "object"}
    for row in rows:
        *parents, leaf = row.field.split(".")
        node = root
        for segment in parents:
            node = _child(node, segment)
        name = leaf.removesuffix("[]")
        existing = node.setdefault("properties", {}).setdefault(name, {})
        existing.update(row_schema(row))
        if row.required:
            node.setdefault("required", []).append(name)
    return root


def _child(node: dict[str, Any], segment: str) -> dict[str, Any]:
    """The object schema ``segment`` leads to (``name[]``: the items of array ``name``)."""
    name = segment.removesuffix("[]")
    prop = node.setdefault("properties", {}).setdefault(name, {})
    if segment.endswith("[]"):
        prop.setdefault("type", "array")
        return prop.setdefault("items", {"type": "object"})
    prop.setdefault("type", "object")
    return prop


def documents() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """``(relay, schema name, schema, provenance)`` for every doc table."""
    for table in TABLES:
        origin: dict[str, Any] = {
            "source": "doc",
            "file": table.file,
            "table": table.table,
            "rows": [{"field": r.field, "row": r.line} for r in table.rows],
        }
        if table.notes:
            origin["notes"] = list(table.notes)
        yield table.relay, table.schema, copy.deepcopy(schema_from_rows(table.rows)), origin


def verify(docs_dir: Path) -> list[str]:
    """Rows whose text is no longer in their doc page (empty when the data matches the docs)."""
    problems = []
    for table in TABLES:
        path = Path(docs_dir) / table.file
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        text = path.read_text(encoding="utf-8")
        problems.extend(
            f"{table.file}: row for {row.field!r} not found: {row.line!r}"
            for row in table.rows
            if row.line not in text
        )
    return problems
