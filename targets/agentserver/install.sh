#!/usr/bin/env bash
# Install Microsoft's azure-ai-agentserver-responses (pinned) into targets/agentserver/.venv.
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/agentserver"
pins="azure-ai-agentserver-responses==2.3.0"
installed agentserver "$pins" && { echo "agentserver: already installed ($pins)"; exit 0; }
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check $pins 2> >(grep -v "^WARNING: Location" >&2)
mark_installed agentserver "$pins"
echo "agentserver: installed ($pins)"
