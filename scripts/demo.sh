#!/usr/bin/env bash
# The project's main command (`make demo`): build the CLI, regenerate the workflows and
# show the example workflow — its activities, its diagram and its validation.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "building the stepwise CLI"
cargo build --locked -p stepwise-cli
sw=target/debug/stepwise

step "activities (name, then the error names Retry/Catch can match)"
"$sw" activities

step "generating statemachines/generated/"
"$sw" generate

step "validating the generated definitions"
"$sw" validate statemachines/generated/*.asl.json

step "the example workflow (Mermaid; paste into https://mermaid.live to draw it)"
"$sw" graph example-orders
