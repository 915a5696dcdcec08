#!/usr/bin/env bash
# Install the LiteLLM proxy (pinned; ~740 MB, ~45-90 s) into targets/litellm/.venv. Heavy: not part of
# the default test command (RESPCHECK_HEAVY_TARGETS=1 or the nightly matrix installs it).
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/litellm"
pins="litellm[proxy]==1.106.2"
installed litellm "$pins" && { echo "litellm: already installed ($pins)"; exit 0; }
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check "$pins" 2> >(grep -v "^WARNING: Location" >&2)
mark_installed litellm "$pins"
echo "litellm: installed ($pins)"
