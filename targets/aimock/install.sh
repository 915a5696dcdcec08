#!/usr/bin/env bash
# Install CopilotKit's aimock (pinned) into targets/aimock/node_modules.
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/aimock"
pins="@copilotkit/aimock@1.43.0"
installed aimock "$pins" && { echo "aimock: already installed ($pins)"; exit 0; }
command -v npm >/dev/null || { echo "aimock: needs node and npm (apt-get install nodejs npm)" >&2; exit 1; }
(cd "$here" && npm install --silent --no-audit --no-fund --no-save --prefix "$here" "$pins")
mark_installed aimock "$pins"
echo "aimock: installed ($pins)"
