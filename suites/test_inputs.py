"""Multimodal and file inputs."""

from __future__ import annotations

import base64

import pytest

from respcheck.scenario import final, output_text

pytestmark = pytest.mark.area("inputs")

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
def test_image_by_data_url(client, models, conforms):
    body = {"model": models.vision, "input": _image_input(f"data:image/png;base64,{PIXEL_PNG}")}
    response = final(conforms(client.create(body)))
    assert response["status"] == "completed" and output_text(response).strip()


@pytest.mark.image_input
def test_image_by_url(client, models, conforms):
    response = final(conforms(client.create({"model": models.vision, "input": _image_input(IMAGE_URL)})))
    assert response["status"] == "completed" and output_text(response).strip()


@pytest.mark.file_input
def test_file_by_data(client, models, conforms):
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
    response = final(conforms(client.create(body)))
    assert response["status"] == "completed" and output_text(response).strip()


@pytest.mark.input_tokens
def test_input_tokens_counts(client, models, conforms):
    short = conforms(client.input_tokens({"model": models.text, "input": "Hi."}))
    long = conforms(client.input_tokens({"model": models.text, "input": "Hi. " * 50}))
    assert short.status == 200 and long.status == 200
    assert 0 < short.body["input_tokens"] < long.body["input_tokens"]


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
def test_input_tokens_grow_with_context(client, models, conforms, extra):
    base = conforms(client.input_tokens({"model": models.text, "input": "Hi there."}))
    more = conforms(client.input_tokens({"model": models.text, "input": "Hi there.", **extra}))
    assert base.status == 200 and more.status == 200
    assert more.body["input_tokens"] >= base.body["input_tokens"]


@pytest.mark.compact
def test_compact_returns_a_compaction(client, models, conforms):
    body = {
        "model": models.text,
        "input": [
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Nice to meet you, Ada."},
            {"role": "user", "content": "Please remember that."},
        ],
    }
    ex = conforms(client.compact(body))
    assert ex.status == 200
    assert ex.body.get("object") == "response.compaction"
    assert isinstance(ex.body.get("output"), list) and ex.body["output"]
