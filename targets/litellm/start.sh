#!/usr/bin/env bash
# Start respcheck's reference server (the upstream) on ${UPSTREAM_PORT:-18311} and the LiteLLM proxy
# on 127.0.0.1:${PORT:-18303} in front of it; all stop with stop.sh. Needs the repo's .venv (respcheck).
# FAULT=name[,name] puts targets/fault_relay.py with those faults between LiteLLM and the upstream.
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/litellm"
port="${PORT:-18303}" upstream_port="${UPSTREAM_PORT:-18311}"
respcheck="${RESPCHECK_BIN:-$TARGETS_ROOT/../.venv/bin/respcheck}"
# A stand-in for a real model: 0.5 s to the first byte of a create, tokens 10 ms apart. Then a relay
# that passes events on spreads them over tens of ms, and one that holds the answer sends it all at
# once after >= 0.5 s: what stream.buffered judges (unpaced, every relay looks like a burst).
launch litellm-upstream "$respcheck" serve --host 127.0.0.1 --port "$upstream_port" \
  --latency "${UPSTREAM_TOKEN_LATENCY:-0.01}" --latency-ttfb "${UPSTREAM_TTFB:-0.5}"
wait_ready litellm-upstream "http://127.0.0.1:$upstream_port/v1/responses/x" 30
behind="http://127.0.0.1:$upstream_port/v1"
if [ -n "${FAULT:-}" ]; then  # a relay fault between LiteLLM and its (faithful) upstream
  fault_port="${FAULT_PORT:-18312}"
  launch litellm-fault "$(dirname "$respcheck")/python" "$TARGETS_ROOT/fault_relay.py" "$fault_port" "$behind" "$FAULT"
  wait_ready litellm-fault "http://127.0.0.1:$fault_port/v1/responses/x" 30
  behind="http://127.0.0.1:$fault_port/v1"
fi
dir="$(scratch_of litellm)"
sed "s|UPSTREAM|$behind|g" "$here/config.template.yaml" > "$dir/config.yaml"
# offline: no telemetry, no model-cost map download, no prisma database
export LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False DISABLE_SCHEMA_UPDATE=True
launch litellm "$here/.venv/bin/litellm" --config "$dir/config.yaml" --host 127.0.0.1 --port "$port"
wait_ready litellm "http://127.0.0.1:$port/health/liveliness" 120 \
  || { stop_target litellm-fault; stop_target litellm-upstream; exit 1; }
announce litellm RESPCHECK_LITELLM_URL "http://127.0.0.1:$port/v1"
announce litellm-upstream RESPCHECK_UPSTREAM_URL "http://127.0.0.1:$upstream_port/v1"
echo "litellm: the master key is sk-respcheck-litellm (export RESPCHECK_LITELLM_KEY=sk-respcheck-litellm)"
