"""The deterministic "model": the same conversation always gets the same reply.

It has a few honest skills that conformance scenarios need, tried in this order:
1. after a ``function_call_output`` it reports what the tool returned;
2. it calls the function the prompt or ``tool_choice`` asks for (by name, or by asking for what
   the tool's name or description says it provides), with arguments valid against the function's
   ``parameters`` and drawn from the prompt;
3. it answers in JSON valid against a ``json_schema`` text format (or ``json_object``);
4. small arithmetic ("What is 2 + 3 * 4?");
5. recall of facts stated earlier ("My name is Ada" ... "What is my name?"), so a
   ``previous_response_id`` chain can be proven rather than assumed;
6. otherwise a plain acknowledgement that quotes the prompt.

Reasoning models also produce a reasoning summary and hidden reasoning tokens.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from dataclasses import dataclass, field
from typing import Any

from respcheck.server import tokens


@dataclass(frozen=True)
class ModelSpec:
    name: str
    reasoning: bool = False
    context_window: int = 128_000
    max_output_tokens: int = 16_384


DEFAULT_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("gpt-4o-mini"),
    ModelSpec("gpt-4o"),
    ModelSpec("gpt-4.1", context_window=1_047_576, max_output_tokens=32_768),
    ModelSpec("gpt-4.1-mini", context_window=1_047_576, max_output_tokens=32_768),
    ModelSpec("gpt-4.1-nano", context_window=1_047_576, max_output_tokens=32_768),
    ModelSpec("gpt-5.1", reasoning=True, context_window=400_000, max_output_tokens=128_000),
    ModelSpec("gpt-5-mini", reasoning=True, context_window=400_000, max_output_tokens=128_000),
    ModelSpec("o4-mini", reasoning=True, context_window=200_000, max_output_tokens=100_000),
    ModelSpec("o3-mini", reasoning=True, context_window=200_000, max_output_tokens=100_000),
)


@dataclass
class FunctionCallPlan:
    name: str
    arguments: str  # JSON text


@dataclass
class Reply:
    """What the model decided to say, before any ``max_output_tokens`` cut."""

    summary: list[str] | None = None  # reasoning summary parts; None: no reasoning item
    reasoning_tokens: int = 0
    text: str | None = None
    calls: list[FunctionCallPlan] = field(default_factory=list)


@dataclass
class Turn:
    """The conversation as the model reads it."""

    instructions: str | None
    items: list[dict[str, Any]]  # normalised input items, oldest first
    tools: list[dict[str, Any]]
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = True
    text_format: dict[str, Any] = field(default_factory=lambda: {"type": "text"})
    reasoning_summary: str | None = None  # "auto" | "concise" | "detailed" | None
    reasoning_effort: str | None = None


def reply(turn: Turn, spec: ModelSpec) -> Reply:
    result = Reply()
    if spec.reasoning:
        thought = _hidden_reasoning(turn)
        result.reasoning_tokens = tokens.count(thought)
        if turn.reasoning_summary:
            result.summary = [_summary_text(turn)]
        else:
            result.summary = []
    calls = _function_calls(turn)
    if calls:
        result.calls = calls
        return result
    result.text = _answer_text(turn)
    return result


# ---------------------------------------------------------------- reading the conversation


def text_of(item: dict[str, Any]) -> str:
    """The text of a message item (all its text parts joined)."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def _user_texts(turn: Turn) -> list[str]:
    return [text_of(i) for i in turn.items if i.get("type") == "message" and i.get("role") == "user"]


def _last_user_text(turn: Turn) -> str:
    texts = _user_texts(turn)
    return texts[-1] if texts else ""


def _last_item(turn: Turn) -> dict[str, Any] | None:
    return turn.items[-1] if turn.items else None


# ---------------------------------------------------------------- reasoning


def _hidden_reasoning(turn: Turn) -> str:
    effort = turn.reasoning_effort or "medium"
    repeat = {"none": 0, "minimal": 1, "low": 1, "medium": 2, "high": 4, "xhigh": 6}.get(effort, 2)
    prompt = _last_user_text(turn)
    return (" Let me think about the request: " + prompt) * repeat


def _summary_text(turn: Turn) -> str:
    prompt = _last_user_text(turn).strip() or "the request"
    if len(prompt) > 80:
        prompt = prompt[:77] + "..."
    return f"**Working out the answer**\n\nThe user asked: {prompt} I will answer it directly and briefly."


# ---------------------------------------------------------------- function calls


def _function_tools(turn: Turn) -> list[dict[str, Any]]:
    return [t for t in turn.tools if t.get("type") == "function" and isinstance(t.get("name"), str)]


def _allowed_tools(turn: Turn) -> list[dict[str, Any]]:
    tools = _function_tools(turn)
    choice = turn.tool_choice
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        names = {t.get("name") for t in choice.get("tools", []) if isinstance(t, dict)}
        tools = [t for t in tools if t["name"] in names]
    return tools


def _choice_mode(turn: Turn) -> str:
    choice = turn.tool_choice
    if isinstance(choice, str):
        return choice
    if isinstance(choice, dict):
        if choice.get("type") == "function":
            return "named"
        if choice.get("type") == "allowed_tools":
            return choice.get("mode", "auto")
    return "auto"


def _function_calls(turn: Turn) -> list[FunctionCallPlan]:
    mode = _choice_mode(turn)
    last = _last_item(turn)
    if mode == "none" or last is None:
        return []
    after_tool_output = last.get("type") == "function_call_output"
    prompt = _last_user_text(turn)
    if mode == "named":
        wanted = [t for t in _function_tools(turn) if t["name"] == turn.tool_choice.get("name")]
    else:
        candidates = _allowed_tools(turn)
        wanted = [] if after_tool_output else [t for t in candidates if _asks_for(prompt, t)]
        if mode == "required" and not wanted and candidates:
            wanted = candidates[:1]
    if not turn.parallel_tool_calls:
        wanted = wanted[:1]
    return [FunctionCallPlan(t["name"], _arguments_for(t, prompt)) for t in wanted]


def _mentions(prompt: str, name: str) -> bool:
    lowered = prompt.lower()
    return name.lower() in lowered or name.replace("_", " ").lower() in lowered


# Words that say how a tool works or what it takes, not what it provides: "get", "current", "city".
_NOT_PROVIDED = """a an and the of for in on at to by with from or as is are be it its this that any given
    get gets set sets fetch fetches return returns retrieve retrieves look lookup looks find finds
    search searches call calls use uses query queries provide provides give gives list lists
    current currently latest now today specified specific named particular some
    tool function api data info information value values result results"""


def _words(text: str) -> set[str]:
    """Lower-case words, a plural or possessive ``s`` taken off (weather's, cities -> weather, citie)."""
    return {re.sub(r"(?<=[a-z]{3})s$", "", w) for w in re.findall(r"[a-z]+", text.lower())}


def _provides(tool: dict[str, Any]) -> set[str]:
    """What a tool provides, in words: its name's and description's, less how it works and what it takes."""
    described = " ".join([tool["name"].replace("_", " "), str(tool.get("description") or "")])
    schema = tool.get("parameters")
    takes = set(schema.get("properties") or {}) if isinstance(schema, dict) else set()
    return _words(described) - _words(_NOT_PROVIDED) - _words(" ".join(takes))


def _asks_for(prompt: str, tool: dict[str, Any]) -> bool:
    """The prompt names the tool, or asks for something its name or description says it provides
    ("What's the weather like in San Francisco?" and a get_weather tool)."""
    return _mentions(prompt, tool["name"]) or bool(_provides(tool) & _words(prompt))


def _arguments_for(tool: dict[str, Any], prompt: str) -> str:
    schema = tool.get("parameters") or {"type": "object", "properties": {}}
    value = instance_for(schema, _Hints(prompt), strict=bool(tool.get("strict")))
    if not isinstance(value, dict):
        value = {}
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Hints:
    """Values taken from the prompt to fill arguments: capitalised words and numbers."""

    def __init__(self, prompt: str) -> None:
        self.prompt = prompt
        places = re.findall(
            r"\b(?:in|for|of|at|about|to|from|called|named)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)", prompt
        )
        self.words = places or re.findall(r"\b([A-Z][a-z][\w-]*)", prompt)[1:] or ["example"]
        self.numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", prompt)]

    def word(self) -> str:
        return self.words[0]

    def number(self) -> float | None:
        return self.numbers[0] if self.numbers else None


def instance_for(schema: Any, hints: _Hints, strict: bool = True, depth: int = 0) -> Any:
    """A value valid against (the common subset of) JSON Schema, filled from the prompt."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return instance_for(schema[key][0], hints, strict, depth + 1)
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                merged.update(part)
        return instance_for(merged, hints, strict, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        required = schema.get("required") or []
        names = list(props) if strict else [n for n in props if n in required] or list(props)[:1]
        return {n: instance_for(props[n], hints, strict, depth + 1) for n in names if isinstance(n, str)}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [instance_for(schema.get("items") or {}, hints, strict, depth + 1) for _ in range(count)]
    if kind == "integer":
        return _bounded(int(hints.number() or 1), schema)
    if kind == "number":
        number = hints.number()
        return _bounded(number if number is not None else 1.0, schema)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string_for(schema, hints)


def _bounded(value: float, schema: dict[str, Any]) -> Any:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema else 0)
    if high is not None and value >= high:
        value = high - (1 if "exclusiveMaximum" in schema else 0)
    return int(value) if schema.get("type") == "integer" or isinstance(value, int) else value


def _string_for(schema: dict[str, Any], hints: _Hints) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2025-01-01"
    if fmt == "date-time":
        return "2025-01-01T00:00:00Z"
    if fmt == "email":
        return "user@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com"
    if fmt == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    value = hints.word()
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and len(value) < min_len:
        value = value + "x" * (min_len - len(value))
    max_len = schema.get("maxLength")
    if isinstance(max_len, int) and len(value) > max_len:
        value = value[:max_len]
    return value


# ---------------------------------------------------------------- text answers


def _answer_text(turn: Turn) -> str:
    plain = _plain_answer(turn)
    fmt = turn.text_format or {}
    if fmt.get("type") == "json_schema":
        hints = _Hints(_last_user_text(turn))
        value = instance_for(fmt.get("schema") or {}, hints, strict=True)
        value = _fill_answer_strings(value, fmt.get("schema"), plain)
        return json.dumps(value, ensure_ascii=False)
    if fmt.get("type") == "json_object":
        return json.dumps({"answer": plain}, ensure_ascii=False)
    return plain


def _fill_answer_strings(value: Any, schema: Any, answer: str) -> Any:
    """Put the plain answer into an ``answer``-like field whose schema allows any string."""
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return value
    props = schema.get("properties") or {}
    for key in ("answer", "response", "result", "text", "message", "summary"):
        if isinstance(value.get(key), str) and _free_string(props.get(key)):
            value[key] = answer
            break
    return value


def _free_string(schema: Any) -> bool:
    if not isinstance(schema, dict) or schema.get("type") != "string":
        return False
    constrained = ("enum", "const", "pattern", "format", "maxLength", "minLength")
    return not any(k in schema for k in constrained)


def _plain_answer(turn: Turn) -> str:
    last = _last_item(turn)
    if last is not None and last.get("type") == "function_call_output":
        return _tool_result_answer(turn)
    prompt = _last_user_text(turn)
    for skill in (_arithmetic, _recall, _compose):
        found = skill(prompt, turn)
        if found:
            return found
    quoted = " ".join(prompt.split())
    return f"You said: {quoted}" if quoted else "Hello! How can I help you today?"


_COMPOSE = re.compile(r"^\W*(?:please\s+)?(write|tell|describe|explain|compose|draft|give)\b", re.IGNORECASE)
_TOPIC_MARKERS = (r"\b(?:about|on)\s+", r"\bof\s+")
_SENTENCES = (
    "{Topic} has a long and interesting history.",
    "People have studied {topic} for generations, and each one added something new.",
    "The first thing to notice about {topic} is how much it changes with its surroundings.",
    "Many stories about {topic} begin with a small detail that turns out to matter.",
    "Looking closely at {topic} reveals patterns that are easy to miss at first.",
    "Some questions about {topic} are still open, which keeps the subject lively.",
    "Anyone curious about {topic} can start with a simple observation and follow it.",
    "In the end, {topic} rewards patience more than speed.",
)


def _compose(prompt: str, turn: Turn) -> str | None:
    """Requests to write or explain get prose whose length follows the request."""
    if not _COMPOSE.search(prompt):
        return None
    topic = _topic(prompt)
    topic = re.sub(r"\s+(?:in|with|using)\s+(?:about\s+)?\d+.*$", "", topic)[:60] or "the subject"
    words = _requested_words(prompt)
    sentences: list[str] = []
    while sum(len(x.split()) for x in sentences) < words:
        template = _SENTENCES[len(sentences) % len(_SENTENCES)]
        sentences.append(template.format(topic=topic, Topic=topic[:1].upper() + topic[1:]))
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    return "\n\n".join(paragraphs)


def _topic(prompt: str) -> str:
    """What to write about: the words after the last "about"/"on" (else "of")."""
    sentence = re.split(r"[.!?\n]", prompt.strip(), maxsplit=1)[0]
    for marker in _TOPIC_MARKERS:
        parts = re.split(marker, sentence, flags=re.IGNORECASE)
        if len(parts) > 1 and parts[-1].strip():
            return re.sub(r"^the\s+", "", parts[-1].strip().rstrip(",;:"), flags=re.IGNORECASE)
    return "the subject"


def _requested_words(prompt: str) -> int:
    lowered = prompt.lower()
    explicit = re.search(r"(\d+)\s+words", lowered)
    if explicit:
        return min(int(explicit.group(1)), 2000)
    if "five hundred words" in lowered:
        return 500
    if any(w in lowered for w in ("long", "detailed", "essay", "in depth", "thorough")):
        return 300
    if any(w in lowered for w in ("story", "poem", "paragraph", "article")):
        return 120
    return 40


def _tool_result_answer(turn: Turn) -> str:
    outputs: list[str] = []
    names = {i.get("call_id"): i.get("name") for i in turn.items if i.get("type") == "function_call"}
    for item in reversed(turn.items):
        if item.get("type") != "function_call_output":
            break
        output = item.get("output")
        if not isinstance(output, str):
            output = json.dumps(output, ensure_ascii=False)
        name = names.get(item.get("call_id")) or "the tool"
        outputs.append(f"{name} returned: {output}")
    return "Here is what I found. " + "; ".join(reversed(outputs)) + "."


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_WORD_OPS = {"plus": "+", "minus": "-", "times": "*", "multiplied by": "*", "divided by": "/", "x": "*"}
_EXPRESSION = re.compile(r"[-(]*\d[\d\s.+\-*/%()^]*\d\)*|\d+")


def _arithmetic(prompt: str, turn: Turn) -> str | None:
    text = prompt.lower()
    for word, symbol in _WORD_OPS.items():
        text = re.sub(rf"(?<=\d)\s*\b{word}\b\s*(?=[\d(-])", f" {symbol} ", text)
    candidates = [m.group(0).strip() for m in _EXPRESSION.finditer(text)]
    candidates = [c for c in candidates if any(op in c for op in "+-*/%^")]
    if not candidates:
        return None
    expression = max(candidates, key=len)
    value = _evaluate(expression.replace("^", "**"))
    if value is None:
        return None
    return f"{' '.join(expression.split())} = {_format_number(value)}."


def _evaluate(expression: str) -> float | None:
    try:
        tree = ast.parse(expression, mode="eval")
        return _eval_node(tree.body)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
        return None


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval_node(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval_node(node.left), _eval_node(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](left, right)
    raise ValueError("not arithmetic")


def _format_number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


_FACT = re.compile(r"\bmy ([a-z][a-z ]{0,40}?) (is|are|was) (?:(called|named) )?([^.!?\n]+)", re.IGNORECASE)
_QUESTION = re.compile(
    r"\b(?:what|who|where|which)(?:'s| is| are| was) my ([a-z][a-z ]{0,40}?)(?: (?:called|named))?\s*\?",
    re.IGNORECASE,
)
_REMEMBER = re.compile(r"\bremember (?:the (?:word|number|code|phrase) )?[\"']?([^\"'.!?\n]+)", re.IGNORECASE)


def _recall(prompt: str, turn: Turn) -> str | None:
    earlier = _user_texts(turn)[:-1]
    asked = _QUESTION.search(prompt)
    if asked:
        attribute = asked.group(1).strip().lower()
        for text in reversed(earlier):
            for found in reversed(list(_FACT.finditer(text))):
                if found.group(1).strip().lower() == attribute:
                    verb, naming, value = found.group(2), found.group(3), found.group(4).strip()
                    if re.search(r"\bone word\b", prompt, re.IGNORECASE):
                        return f"{value}."
                    return f"Your {attribute} {verb.lower()} {naming.lower() + ' ' if naming else ''}{value}."
        return f"I don't know your {attribute} yet."
    if re.search(r"\bwhat did i ask you to remember\b", prompt, re.IGNORECASE):
        for text in reversed(earlier):
            asked = _REMEMBER.search(text)
            if asked:
                return f"You asked me to remember {asked.group(1).strip()}."
        return "You have not asked me to remember anything yet."
    return None
