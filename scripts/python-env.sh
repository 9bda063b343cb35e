#!/usr/bin/env bash
# Creates (or updates) the project's Python virtualenv in .venv with the pinned tools of
# scripts/requirements.txt: moto server (local AWS services) and cargo-lambda (the Lambda
# Runtime API emulator). Idempotent: does nothing when the requirements are unchanged.
# Prints the venv's bin directory on stdout.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
req="$root/scripts/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating $venv" >&2
  python3 -m venv "$venv" >&2
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "python-env: installing $(grep -cv '^#' "$req") pinned packages" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin"
