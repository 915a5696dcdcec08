#!/usr/bin/env bash
# Start aimock on 127.0.0.1:${PORT:-18302}, serving the fixtures in targets/aimock/fixtures/.
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/aimock"
port="${PORT:-18302}"
launch aimock node "$here/node_modules/@copilotkit/aimock/dist/cli.js" --host 127.0.0.1 --port "$port" \
  --fixtures "$here/fixtures" --log-level warn
wait_ready aimock "http://127.0.0.1:$port/health" 30
announce aimock RESPCHECK_AIMOCK_URL "http://127.0.0.1:$port/v1"
