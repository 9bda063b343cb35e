#!/usr/bin/env bash
# The project's test command (`make test`): every check, as CI runs it.
# Installs what it needs inside the clone: a Python venv in .venv (moto server, boto3, the AWS CLI,
# cargo-lambda, pyarrow), npm packages under scripts/node, and Debian's PostgreSQL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# No incremental compilation caches: a run from a clean clone gains nothing from them and
# they took over 3 GB next to the ~100 test binaries (CI ran out of disk). Both commands
# set this, so `make demo` and `make test` share their builds.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }

step "Python tools (moto server, cargo-lambda) in .venv"
scripts/python-env.sh >/dev/null

step "PostgreSQL server programs (Debian package)"
scripts/postgres-env.sh >/dev/null

step "formatting (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (cargo test)"
cargo test --workspace --locked --no-fail-fast

step "generated files are current (stepwise generate --check)"
# The workspace's bins with the feature set `cargo test --workspace` resolved (the tests
# crate enables aws-credential-types' hardcoded-credentials): fresh after the tests, where
# `-p stepwise-cli` alone would rebuild the AWS SDK tree with another feature set.
cargo build --locked --workspace --bins
target/debug/stepwise generate --check

step "stepwise serve: the stepfunctions-local style suite (boto3, AWS CLI)"
scripts/serve-python-test.sh target/debug/stepwise

step "cross-check with npm asl-validator"
scripts/asl-validator-check.sh target/debug/stepwise

step "infra-cdk: synth offline, template assertions, cdk-nag"
# The CDK tests need a working bootstrap, not the deployable one: they get the workspace's
# debug build (built above with the bins), staged in a directory of its own so that a
# deploy, which reads target/lambda/bootstrap (infra-cdk/scripts/build-functions.sh,
# release, fat LTO: ~14 minutes here), never uploads it.
rm -rf target/lambda-test
mkdir -p target/lambda-test/bootstrap
cp target/debug/bootstrap target/lambda-test/bootstrap/bootstrap
infra-cdk/scripts/test.sh --artifact-dir target/lambda-test/bootstrap
