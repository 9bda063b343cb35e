#!/usr/bin/env bash
# The project's main command (`make demo`): the local demo of daily-sales-export.
# Installs what it needs inside the clone (a Python venv with moto server), builds, then
# runs the demo: moto server and the local Bedrock endpoint on free loopback ports, a
# seeded SQLite SmartGo database, product photos in S3 (one corrupt), the generated state
# machine under sfn-local with the real activities, a summary, and the artifacts in
# target/demo/. Everything it starts stops when it ends.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# No incremental compilation caches: a run from a clean clone gains nothing from them and
# they took over 3 GB next to the ~100 test binaries (CI ran out of disk). Both commands
# set this, so `make demo` and `make test` share their builds.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*" >&2; }

step "Python tools (moto server) in .venv"
scripts/python-env.sh >/dev/null

step "building (cargo build)"
# The workspace's bins with the feature set `make test` builds them with, so the two commands
# share one build (a `-p` selection resolves other features and rebuilds dependencies).
cargo build --locked --workspace --bins

step "generated state machines are current"
target/debug/stepwise generate --check

target/debug/demo
target/debug/demo-group-images
target/debug/demo-product-sold-sync

step "jobs API: POST a group-images job with a token, poll it, print the groups"
target/debug/demo-jobs-api

step "vector-ingest: the demo's partitions into S3 Vectors, then nearest neighbours"
target/debug/demo-vector-ingest
