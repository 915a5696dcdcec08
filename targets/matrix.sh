#!/usr/bin/env bash
# The matrix: every target tagged `real` in targets.yaml, installed, started, run by
# `respcheck run --tag real` (all suites, RESPCHECK_MATRIX_PARALLEL targets at once, default 3; it
# writes one report per target and the matrix page), stopped; then COMPATIBILITY.md from those runs.
#   targets/matrix.sh [OUT_DIR]      (default reports/matrix-<time>)
# Heavy targets (tag heavy: Llama Stack, transformers, LiteLLM) are included only with RESPCHECK_HEAVY_TARGETS=1. A target's
# folder is its name up to the first '-' (litellm-bridge and litellm-passthrough share targets/litellm,
# started once). Needs the repo's .venv (bash scripts/test or pip install -e . makes it).
source "$(dirname "$0")/lib.sh"
repo="$(cd "$TARGETS_ROOT/.." && pwd)"
py="$repo/.venv/bin/python"
out="$(realpath -m "${1:-$repo/reports/matrix-$(date +%Y%m%d-%H%M%S)}")"
mkdir -p "$out"
heavy="${RESPCHECK_HEAVY_TARGETS:-0}"
names="$("$py" -c "
from respcheck.config import load_targets
for n, t in load_targets('$repo/targets.yaml').targets.items():
    if 'real' in t.tags and ('heavy' not in t.tags or '$heavy' == '1'):
        print(n)
")"
export RESPCHECK_LITELLM_KEY="${RESPCHECK_LITELLM_KEY:-sk-respcheck-litellm}"  # the key start.sh sets
export RESPCHECK_UPSTREAM_URL="${RESPCHECK_UPSTREAM_URL:-http://127.0.0.1:18311/v1}"
started=""
trap 'for f in $started; do bash "$TARGETS_ROOT/$f/stop.sh" || true; done' EXIT
for name in $names; do  # install and start every target first: then they are run side by side
  folder="${name%%-*}"
  if [[ " $started " != *" $folder "* ]]; then
    bash "$TARGETS_ROOT/$folder/install.sh"
    bash "$TARGETS_ROOT/$folder/start.sh"
    started="$started $folder"
  fi
done
tags=(--tag real)
[ "$heavy" = "1" ] || tags+=(--tag light)
# Each target's run mostly waits on its server: RESPCHECK_MATRIX_PARALLEL of them at once.
"$repo/.venv/bin/respcheck" run "${tags[@]}" --targets-file "$repo/targets.yaml" --report-dir "$out" \
  --parallel-targets "${RESPCHECK_MATRIX_PARALLEL:-3}" || true
reports=()
for name in $names; do [ -f "$out/$name/summary.json" ] && reports+=("$out/$name"); done
"$py" "$TARGETS_ROOT/compatibility.py" "$out/COMPATIBILITY.md" "${reports[@]}"
echo "matrix: $out/matrix.html, $out/COMPATIBILITY.md"
