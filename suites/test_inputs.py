"""Multimodal and file inputs."""

from __future__ import annotations

import base64

import pytest

from respcheck.scenario import ANSWERED, completed

pytestmark = pytest.mark.area("inputs")

GROWS = "input_tokens.grows"

# A 1x1 PNG, so an image input costs almost nothing.
PIXEL_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2"
        "2135b10000000049454e44ae426082"
    )
).decode()
IMAGE_URL = "https://upload.wikimedia.org/wikipedia/commons/4/47/PNG_transparency_demonstration_1.png"


def _image_input(url: str) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Describe this image in five words."},
                {"type": "input_image", "image_url": url, "detail": "low"},
            ],
        }
    ]


@pytest.mark.image_input
def test_image_by_data_url(client, models, conforms, expect):
    body = {"model": models.vision, "input": _image_input(f"data:image/png;base64,{PIXEL_PNG}")}
    completed(expect, conforms(client.create(body)))


@pytest.mark.image_input
def test_image_by_url(client, models, conforms, expect):
    completed(expect, conforms(client.create({"model": models.vision, "input": _image_input(IMAGE_URL)})))


@pytest.mark.file_input
def test_file_by_data(client, models, conforms, expect):
    text = base64.b64encode(b"The secret word is marmalade.").decode()
    body = {
        "model": models.vision,
        "input": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_file",
                        "filename": "note.txt",
                        "file_data": f"data:text/plain;base64,{text}",
                    },
                    {"type": "input_text", "text": "What is the secret word in the file?"},
                ],
            }
        ],
    }
    completed(expect, conforms(client.create(body)))


@pytest.mark.input_tokens
def _counted(expect, ex):
    """The count an input_tokens answer gives (the scenario ends without one)."""
    count = ex.body.get("input_tokens") if isinstance(ex.body, dict) else None
    expect(ANSWERED, ex.status == 200 and isinstance(count, int),
           f"input_tokens answered {ex.status} with no count", ex, "/response/body/input_tokens", stop=True)
    return count


@pytest.mark.scenario("input_tokens_count")
def test_input_tokens_counts(client, models, conforms, expect):
    short = conforms(client.input_tokens({"model": models.text, "input": "Hi."}))
    long = conforms(client.input_tokens({"model": models.text, "input": "Hi. " * 50}))
    few, many = _counted(expect, short), _counted(expect, long)
    expect(GROWS, 0 < few < many, f"'Hi.' counts {few} input tokens, 'Hi. ' * 50 counts {many}", long,
           "/response/body/input_tokens")


@pytest.mark.input_tokens
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"instructions": "Answer in French."}, id="instructions"),
        pytest.param({"input": [{"role": "user", "content": "Hi there."}]}, id="message-items"),
        pytest.param(
            {
                "tools": [
                    {"type": "function", "name": "noop", "parameters": {"type": "object", "properties": {}}}
                ]
            },
            id="tools",
        ),
    ],
)
def test_input_tokens_grow_with_context(client, models, conforms, expect, extra):
    base = conforms(client.input_tokens({"model": models.text, "input": "Hi there."}))
    more = conforms(client.input_tokens({"model": models.text, "input": "Hi there.", **extra}))
    less, most = _counted(expect, base), _counted(expect, more)
    expect(GROWS, most >= less, f"adding {sorted(extra)} made the count fall from {less} to {most}", more,
           "/response/body/input_tokens")


@pytest.mark.compact
def test_compact_returns_a_compaction(client, models, conforms, expect):
    body = {
        "model": models.text,
        "input": [
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Nice to meet you, Ada."},
            {"role": "user", "content": "Please remember that."},
        ],
    }
    ex = conforms(client.compact(body))  # compact.result judges the compaction's shape
    expect(ANSWERED, ex.status == 200, f"compact answered {ex.status}", ex, "/response/status")
