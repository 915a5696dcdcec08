"""Build the tiny model `transformers serve` answers with: a seeded Llama (2 layers, 64 wide) and a
byte-level BPE tokenizer, both trained here in seconds on a handful of dialogues, with a chat
template. Nothing is downloaded; the same seed gives the same weights, so the target answers
deterministically (greedy decoding) and in milliseconds on a CPU. It is trained only so that it
ends its answers with </s>: `transformers serve` asks for at least 1,024 new tokens, which an
untrained model would always write out (tens of seconds per request). The target tests the
server's wire protocol, not a model.

    python build_model.py HUB_CACHE_DIR

It is written in the Hugging Face hub cache layout under HUB_CACHE_DIR, as the model
``respcheck/tiny-llama`` at revision ``main``, so that ``transformers serve`` (with HF_HUB_CACHE
pointing there and HF_HUB_OFFLINE=1) finds it by that stable name, whatever the clone's path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

DIALOGUES = [
    ("Say hello.", "Hello! How can I help you today?"),
    ("What is the weather like in San Francisco?", "It is sunny and mild."),
    ("List three fruits, one per line.", "Apple\nBanana\nCherry"),
    ("Explain server-sent events in one sentence.", "The server keeps the response open and sends events."),
    ("Remember the number 42.", "I will remember 42."),
    ("My favourite colour is teal.", "Teal is a fine colour."),
    ("Write a long story.", "Once upon a time there was a lighthouse keeper who lived by the sea."),
]
TRAINING_STEPS = 150
MODEL_ID = "respcheck/tiny-llama"
REVISION = "0" * 40  # the snapshot's name; refs/main points at it

SPECIAL = ["<s>", "</s>", "<unk>", "<|user|>", "<|assistant|>", "<|system|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}<|user|>{% elif m['role'] == 'assistant' %}"
    "<|assistant|>{% else %}<|system|>{% endif %}"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for part in m['content'] %}{{ part.get('text', '') }}{% endfor %}{% endif %}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build(hub_cache: Path) -> None:
    repo = hub_cache / ("models--" + MODEL_ID.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(REVISION)
    save(repo / "snapshots" / REVISION)


def save(out: Path) -> None:
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator([q + " " + a for q, a in DIALOGUES], trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="</s>",
        chat_template=CHAT_TEMPLATE,
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=tokenizer.get_vocab_size(), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048,
        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    train(model, fast)
    model.generation_config.do_sample = False  # greedy: the same prompt, the same answer
    model.save_pretrained(out)
    fast.save_pretrained(out)


def train(model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast) -> None:
    """Teach it the dialogues' shape: an answer after <|assistant|>, then </s>."""
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": q}, {"role": "assistant", "content": a}], tokenize=False
        )
        for q, a in DIALOGUES
    ]
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(TRAINING_STEPS):
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.eval()


if __name__ == "__main__":
    build(Path(sys.argv[1]))
