#!/usr/bin/env bash
# Builds the one Lambda artifact every activity's function runs: the `bootstrap` binary of
# the `activities` crate, with cargo lambda (PyPI cargo-lambda + ziglang, installed into
# .venv by scripts/python-env.sh), into target/lambda/bootstrap/bootstrap.
#
# Usage: infra-cdk/scripts/build-functions.sh [--arm64 | --x86_64]
#
#   (no flag)  arm64 when the aarch64-unknown-linux-gnu Rust target is installed, else
#              x86_64 — and it says so. The CDK app reads the architecture from the
#              binary's ELF header, so the functions are declared with the architecture
#              that was really built.
#   --arm64    arm64 or fail.
#   --x86_64   x86_64.
#
# The compiler defaults to cargo lambda's zig linker; CARGO_LAMBDA_COMPILER=cargo uses
# plain cargo (needs a C toolchain for the target). A release build of the crate takes
# about 10-15 minutes on two cores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

say() { printf 'build-functions: %s\n' "$*" >&2; }

wanted=default
case "${1:-}" in
  "") ;;
  --arm64) wanted=arm64 ;;
  --x86_64 | --x86-64) wanted=x86_64 ;;
  *)
    echo "usage: $0 [--arm64 | --x86_64]" >&2
    exit 2
    ;;
esac
if [ "$#" -gt 1 ]; then
  echo "usage: $0 [--arm64 | --x86_64]" >&2
  exit 2
fi

target_installed() {
  [ -d "$(rustc --print sysroot)/lib/rustlib/$1/lib" ]
}

arch=$wanted
if [ "$wanted" = default ]; then
  if target_installed aarch64-unknown-linux-gnu; then
    arch=arm64
  else
    say "the aarch64-unknown-linux-gnu Rust target is not installed (rustup target add aarch64-unknown-linux-gnu): building for x86_64 instead of arm64; the stack will deploy x86_64 functions"
    arch=x86_64
  fi
fi
case "$arch" in
  arm64) triple=aarch64-unknown-linux-gnu ;;
  x86_64) triple=x86_64-unknown-linux-gnu ;;
esac
if ! target_installed "$triple"; then
  say "the $triple Rust target is not installed: run \`rustup target add $triple\` or build for the other architecture"
  exit 1
fi

venv_bin=$(scripts/python-env.sh)
export PATH="$venv_bin:$PATH"

out="$root/target/lambda/bootstrap"
rm -f "$out/bootstrap"
say "cargo lambda build --release --target $triple -p stepwise-lambda --bin bootstrap (compiler: ${CARGO_LAMBDA_COMPILER:-zig})"
start=$(date +%s)
cargo lambda build --release --locked --target "$triple" -p stepwise-lambda --bin bootstrap --lambda-dir "$root/target/lambda"

if [ ! -x "$out/bootstrap" ]; then
  say "cargo lambda finished but $out/bootstrap is missing"
  exit 1
fi
# ELF e_machine (bytes 18-19, little-endian): 62 = x86_64, 183 = aarch64.
machine=$(od -An -tu2 -j18 -N2 "$out/bootstrap" | tr -d ' ')
case "$machine:$arch" in
  62:x86_64 | 183:arm64) ;;
  *)
    say "$out/bootstrap has ELF machine $machine, not $arch"
    exit 1
    ;;
esac
say "built $out/bootstrap for $arch ($(du -h "$out/bootstrap" | cut -f1), $(($(date +%s) - start)) s)"
