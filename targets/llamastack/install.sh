#!/usr/bin/env bash
# Install Llama Stack (pinned; ~830 MB, ~2 min) into targets/llamastack/.venv. It needs Python >= 3.12
# (a pyenv 3.12 or python3.12 on PATH; LLAMASTACK_PYTHON overrides) and tiktoken's cl100k_base file,
# which cannot be downloaded offline but ships inside LiteLLM's wheel (taken from it, nothing else).
# Heavy: not part of the default test command (RESPCHECK_HEAVY_TARGETS=1 or the nightly matrix).
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/llamastack"
# llama-stack's own pins, plus what its Responses provider's SQLite vector store and file tools import
# at start-up (found one ModuleNotFoundError at a time; `llama stack list-deps` lists 30 more, unused).
pins="llama-stack==0.7.3 mcp<2 chardet==7.7.0 sqlite-vec==0.1.9 pypdf==7.1.1"
tokenizer_wheel="litellm==1.106.2"
installed llamastack "$pins $tokenizer_wheel" && { echo "llamastack: already installed ($pins)"; exit 0; }
python="${LLAMASTACK_PYTHON:-}"
for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python "$HOME"/.pyenv/versions/3.13*/bin/python; do
  [ -n "$python" ] && break
  if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
    python="$candidate"
  fi
done
[ -n "$python" ] || { echo "llamastack: needs Python >= 3.12 (set LLAMASTACK_PYTHON)" >&2; exit 1; }
"$python" -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check $pins 2> >(grep -v "^WARNING: Location" >&2)
download="$(mktemp -d)"
"$here/.venv/bin/pip" download -q --disable-pip-version-check --no-deps "$tokenizer_wheel" -d "$download" \
  2> >(grep -v "^WARNING: Location" >&2)
mkdir -p "$here/tiktoken"  # TIKTOKEN_CACHE_DIR: tiktoken names its cached files by the URL's sha1
"$here/.venv/bin/python" -m zipfile -e "$download"/litellm-*.whl "$download/x"
cp "$download/x/litellm/litellm_core_utils/tokenizers/9b5ad71b2ce5302211f9c61530b329a4922fc6a4" "$here/tiktoken/"
rm -rf "$download"
mark_installed llamastack "$pins $tokenizer_wheel"
echo "llamastack: installed ($pins) with Python $("$here/.venv/bin/python" -V)"
