# Shared by every target's install/start/stop script (sourced, never run). Each target keeps its
# installed software under targets/<name>/ (.venv or node_modules, git-ignored) and its running state
# (pid file, log, data) under $RESPCHECK_TARGETS_SCRATCH/<name> (default targets/.scratch/<name>).
set -euo pipefail
TARGETS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRATCH_ROOT="${RESPCHECK_TARGETS_SCRATCH:-$TARGETS_ROOT/.scratch}"

scratch_of() { mkdir -p "$SCRATCH_ROOT/$1" && echo "$SCRATCH_ROOT/$1"; }

# installed NAME STAMP: true when NAME was installed with exactly STAMP (the pinned versions), so a
# second install is a no-op; mark_installed records it once the install succeeded.
installed() { [ -f "$TARGETS_ROOT/$1/.installed" ] && [ "$(cat "$TARGETS_ROOT/$1/.installed")" = "$2" ]; }
mark_installed() { echo "$2" > "$TARGETS_ROOT/$1/.installed"; }

# launch NAME CMD...: start CMD in its own session (so stop can end its whole process group and
# nothing else), output to the scratch log, pid to the scratch pid file. Refuses a second start.
launch() {
  local name="$1"; shift
  local dir; dir="$(scratch_of "$name")"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "$name: already running (pid $(cat "$dir/pid")); run targets/$name/stop.sh first" >&2
    return 1
  fi
  setsid "$@" >"$dir/log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
}

# wait_ready NAME URL [SECONDS]: poll URL until it answers (any HTTP status), bounded; on timeout
# print the log's tail, stop what was started, fail.
wait_ready() {
  local name="$1" url="$2" limit="${3:-60}" dir; dir="$(scratch_of "$name")"
  local deadline=$((SECONDS + limit))
  while [ $SECONDS -lt $deadline ]; do
    if curl -s -o /dev/null -m 2 "$url"; then return 0; fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "$name: exited before it was ready; its log:" >&2; tail -20 "$dir/log" >&2; rm -f "$dir/pid"; return 1
    fi
    sleep 0.2
  done
  echo "$name: not ready within ${limit}s; its log:" >&2; tail -20 "$dir/log" >&2
  stop_target "$name"; return 1
}

# stop_target NAME: end the process group launch started (TERM, then KILL after 5 s), nothing else.
stop_target() {
  local name="$1" dir; dir="$(scratch_of "$name")"
  [ -f "$dir/pid" ] || { echo "$name: not running (no pid file)"; return 0; }
  local pid; pid="$(cat "$dir/pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$dir/pid"
  echo "$name: stopped"
}

# announce NAME VAR URL: what respcheck needs to find the started target.
announce() { echo "$1: ready at $3 (export $2=$3)"; }
