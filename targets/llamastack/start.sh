#!/usr/bin/env bash
# Start respcheck's reference server (the upstream, for chat completions) on ${UPSTREAM_PORT:-18313}
# and Llama Stack on 127.0.0.1:${PORT:-18304} in front of it, state (SQLite) in the scratch folder;
# both stop with stop.sh. Needs the repo's .venv (respcheck).
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/llamastack"
port="${PORT:-18304}" upstream_port="${UPSTREAM_PORT:-18313}"
respcheck="${RESPCHECK_BIN:-$TARGETS_ROOT/../.venv/bin/respcheck}"
# A stand-in for a real model: 0.5 s to the first byte of a create, tokens 10 ms apart. Then a relay
# that passes events on spreads them over tens of ms, and one that holds the answer sends it all at
# once after >= 0.5 s: what stream.buffered judges (unpaced, every relay looks like a burst).
launch llamastack-upstream "$respcheck" serve --host 127.0.0.1 --port "$upstream_port" \
  --latency "${UPSTREAM_TOKEN_LATENCY:-0.01}" --latency-ttfb "${UPSTREAM_TTFB:-0.5}"
wait_ready llamastack-upstream "http://127.0.0.1:$upstream_port/v1/responses/x" 30
dir="$(scratch_of llamastack)"
rm -rf "$dir/state" && mkdir -p "$dir/state"  # each start begins with empty storage
sed "s|UPSTREAM|http://127.0.0.1:$upstream_port/v1|; s|STATE|$dir/state|g" "$here/config.template.yaml" \
  > "$dir/config.yaml"
export TIKTOKEN_CACHE_DIR="$here/tiktoken" LLAMA_STACK_TELEMETRY_DISABLED=1
(cd "$dir" && launch llamastack "$here/.venv/bin/llama" stack run "$dir/config.yaml" --port "$port")
wait_ready llamastack "http://127.0.0.1:$port/v1/models" 120 || { stop_target llamastack-upstream; exit 1; }
announce llamastack RESPCHECK_LLAMASTACK_URL "http://127.0.0.1:$port/v1"
