#!/usr/bin/env bash
# Install Hugging Face transformers' `transformers serve` (pinned; ~1.2 GB, ~2.5 min) with the CPU
# build of torch into targets/transformers/.venv, then build its tiny model (build_model.py: a seeded
# random Llama and a locally trained tokenizer, written to targets/transformers/hub as the hub-cache
# model respcheck/tiny-llama; nothing downloaded). Heavy: not part of the default test command.
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/transformers"
# torch 2.13.0 is the CPU build (a wheel for Python 3.11 ships on this kind of machine; a bare `torch`
# would fetch a multi-GB CUDA build).
pins="torch==2.13.0 transformers[serving]==5.23.0"
installed transformers "$pins" && { echo "transformers: already installed ($pins)"; exit 0; }
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check $pins 2> >(grep -v "^WARNING: Location" >&2)
rm -rf "$here/hub"
HF_HUB_OFFLINE=1 "$here/.venv/bin/python" "$here/build_model.py" "$here/hub" >/dev/null 2>&1 \
  || { echo "transformers: building the tiny model failed" >&2; exit 1; }
mark_installed transformers "$pins"
echo "transformers: installed ($pins) and built respcheck/tiny-llama"
