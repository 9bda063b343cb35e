#!/usr/bin/env bash
# The stepfunctions-local style suite (tests/serve/): starts `stepwise serve` on a free
# port with the suite's mock config given as stepfunctions-local is given one
# (SFN_MOCK_CONFIG), runs the boto3 + AWS CLI tests against it, stops the server.
# Usage: scripts/serve-python-test.sh [path/to/stepwise]   (default target/debug/stepwise)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$root/target/debug/stepwise}
venv_bin=$("$root/scripts/python-env.sh")
log=$(mktemp)
SFN_MOCK_CONFIG="$root/tests/serve/MockConfigFile.json" "$bin" serve --port 0 --virtual-time >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
endpoint=
for _ in $(seq 1 100); do
  endpoint=$(sed -n 's/^listening on //p' "$log")
  [ -n "$endpoint" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$endpoint" ] || { echo "stepwise serve did not start:" >&2; cat "$log" >&2; exit 1; }
cd "$root/tests/serve"
PATH="$venv_bin:$PATH" STEPWISE_ENDPOINT="$endpoint" "$venv_bin/python" -m unittest -v test_stepfunctions_local_style
