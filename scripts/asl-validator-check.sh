#!/usr/bin/env bash
# Cross-check Stepwise's ASL validator against npm asl-validator (pinned in scripts/node).
#
# Usage: scripts/asl-validator-check.sh STEPWISE_BIN
#
#  1. Installs scripts/node's dependencies (npm ci) when node_modules is missing
#     or older than package-lock.json.
#  2. Every statemachines/generated/*.asl.json must pass asl-validator.
#  3. Every document in codegen/tests/asl/invalid/, codegen/tests/asl/valid/ and
#     ../shared/asl-corpus/ that asl-validator rejects must also be rejected by
#     `STEPWISE_BIN validate FILE` (exit 1), unless the file's name is listed in
#     scripts/asl-validator-known.tsv (a case where asl-validator is wrong).
#
# Prints one line per failure and a final line
#   asl-validator check: N passed, M failed
# and exits 1 when M > 0 (2 on a usage error).
#
# asl-validator runs in one node process (scripts/node/check.mjs) for all files.
# Note: the asl-validator 4.0.0 CLI ignores --no-arn-check (see check.mjs);
# check.mjs calls the library with the options the CLI really uses, which is
# also the setting that accepts "${Placeholder}" Resource values.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 STEPWISE_BIN" >&2
  exit 2
fi
STEPWISE_BIN=$1
case "$STEPWISE_BIN" in
  /*) ;;
  */*) STEPWISE_BIN="$PWD/$STEPWISE_BIN" ;;
esac
if ! command -v "$STEPWISE_BIN" >/dev/null 2>&1; then
  echo "$0: $STEPWISE_BIN is not an executable" >&2
  exit 2
fi

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel)
NODE_DIR="$ROOT/scripts/node"
KNOWN_TSV="$ROOT/scripts/asl-validator-known.tsv"
SHARED_CORPUS="$ROOT/../shared/asl-corpus"

passed=0
failed=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}
rel() {
  printf '%s' "${1#"$ROOT"/}"
}

# --- 1. node dependencies -----------------------------------------------------
if [ ! -d "$NODE_DIR/node_modules" ] ||
   [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
  echo "asl-validator check: installing scripts/node dependencies (npm ci)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

shopt -s nullglob

# --- 2. generated definitions must pass asl-validator --------------------------
generated=("$ROOT"/statemachines/generated/*.asl.json)
if [ "${#generated[@]}" -eq 0 ]; then
  echo "note: no statemachines/generated/*.asl.json yet; skipping the generated-definitions check"
else
  out=$(node "$NODE_DIR/check.mjs" "${generated[@]}")
  while IFS=$'\t' read -r file verdict error; do
    [ -n "$file" ] || continue
    if [ "$verdict" = valid ]; then
      passed=$((passed + 1))
    else
      fail "$(rel "$file"): generated definition rejected by asl-validator: $error"
    fi
  done <<<"$out"
fi

# --- 3. what asl-validator rejects, stepwise must reject too ---------------------
declare -A known=()
if [ -f "$KNOWN_TSV" ]; then
  while IFS=$'\t' read -r name _reason || [ -n "$name" ]; do
    if [ -z "$name" ] || [ "$name" = file ] || [[ $name == \#* ]]; then
      continue
    fi
    known["$name"]=1
  done <"$KNOWN_TSV"
fi

corpus=("$ROOT"/codegen/tests/asl/invalid/*.json "$ROOT"/codegen/tests/asl/valid/*.json)
if [ -d "$SHARED_CORPUS" ]; then
  corpus+=("$SHARED_CORPUS"/*.json)
else
  echo "note: $(rel "$SHARED_CORPUS") not found; skipping the real-world corpus"
fi

if [ "${#corpus[@]}" -gt 0 ]; then
  out=$(node "$NODE_DIR/check.mjs" "${corpus[@]}")
  while IFS=$'\t' read -r file verdict error; do
    [ -n "$file" ] || continue
    name=$(basename "$file")
    if [ "$verdict" = valid ]; then
      if [ -n "${known[$name]:-}" ]; then
        echo "note: $name is listed in $(rel "$KNOWN_TSV") but asl-validator accepts it"
      fi
      passed=$((passed + 1))
      continue
    fi
    if [ -n "${known[$name]:-}" ]; then
      # asl-validator is wrong about this one; stepwise may accept it.
      passed=$((passed + 1))
      continue
    fi
    rc=0
    "$STEPWISE_BIN" validate "$file" </dev/null >/dev/null 2>&1 || rc=$?
    if [ "$rc" -eq 1 ]; then
      passed=$((passed + 1))
    else
      fail "$(rel "$file"): asl-validator rejects it ($error) but '$(basename "$STEPWISE_BIN") validate' exited $rc, expected 1"
    fi
  done <<<"$out"
fi

echo "asl-validator check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
