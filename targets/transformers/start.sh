#!/usr/bin/env bash
# Start `transformers serve` on 127.0.0.1:${PORT:-18305}, pinned to the tiny model install.sh built
# (offline: the hub cache is targets/transformers/hub).
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/transformers"
port="${PORT:-18305}"
export HF_HUB_CACHE="$here/hub" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
launch transformers "$here/.venv/bin/transformers" serve respcheck/tiny-llama --host 127.0.0.1 \
  --port "$port" --device cpu
wait_ready transformers "http://127.0.0.1:$port/health" 120
announce transformers RESPCHECK_TRANSFORMERS_URL "http://127.0.0.1:$port/v1"
