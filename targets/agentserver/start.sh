#!/usr/bin/env bash
# Start the agentserver target on 127.0.0.1:${PORT:-18301} (server.py: its host, its in-memory store).
source "$(dirname "$0")/../lib.sh"
here="$TARGETS_ROOT/agentserver"
port="${PORT:-18301}"
# Azure Monitor's exporter sends SDK usage "statsbeat" to westus-0.in.applicationinsights.azure.com by
# default: a target under test talks to loopback only.
export APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL=true
launch agentserver "$here/.venv/bin/python" "$here/server.py" "$port"
wait_ready agentserver "http://127.0.0.1:$port/readiness" 60
announce agentserver RESPCHECK_AGENTSERVER_URL "http://127.0.0.1:$port/v1"
