#!/usr/bin/env bash
# The infra-cdk tests, offline and without AWS credentials (run by the project's
# scripts/test.sh as its last step):
#
#  1. npm ci: exactly the pinned packages of package-lock.json.
#  2. tsc --noEmit: the app and the tests type-check.
#  3. The Lambda artifact: infra-cdk/scripts/build-functions.sh (cargo lambda build
#     --release), unless target/lambda/bootstrap/bootstrap is newer than every source it
#     is built from (activities/, contract/, Cargo.toml, Cargo.lock). A fresh clone builds
#     it (10-15 minutes on two cores); later runs reuse it.
#     `--artifact-dir DIR` tests a `bootstrap` built some other way instead (the project's
#     scripts/test.sh passes the workspace's debug build, staged in target/lambda-test/
#     so that a deploy, which reads target/lambda/bootstrap, never picks it up): the tests
#     only need a working bootstrap, and fat LTO costs CI ~14 minutes. Deploys build with
#     build-functions.sh (release).
#  4. node's test runner on test/*.test.ts: template assertions on the real generated
#     manifest, cdk-nag, failure modes, and `cdk synth` through the real CLI with the
#     real artifact.
#  5. cfn-lint (pinned in scripts/requirements.txt, in .venv) on the template the CLI
#     synthesizes, on the template of the fixture manifest (test/fixture.ts) and on
#     the template with every Standard workflow's activity served by workers and the
#     lake's analytics integration on (test/synth-workers.ts):
#     CloudFormation's resource specs, property values and the Step Functions
#     definitions. W3005 (a DependsOn that a GetAtt already implies, which
#     CDK emits for every role policy) is the one check skipped.
set -euo pipefail
infra=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$(cd "$infra/.." && pwd)

artifact_dir=""
case "${1:-}" in
  "") ;;
  --artifact-dir)
    if [ "$#" -ne 2 ] || [ ! -x "$2/bootstrap" ]; then
      echo "usage: $0 [--artifact-dir DIR] (DIR holds an executable named bootstrap and nothing else the stack should upload)" >&2
      exit 2
    fi
    artifact_dir=$(cd "$2" && pwd)
    ;;
  *)
    echo "usage: $0 [--artifact-dir DIR]" >&2
    exit 2
    ;;
esac
cd "$infra"

step() { printf '\n==> infra-cdk: %s\n' "$*"; }

# No credentials, no account or region, nothing phoning home.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(AWS_|CDK_DEFAULT_)' || true)
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "type check (tsc --noEmit)"
node_modules/.bin/tsc --noEmit -p .

step "Lambda artifact (cargo lambda)"
synth_context=()
if [ -n "$artifact_dir" ]; then
  echo "testing the bootstrap in $artifact_dir (not built here; deploys use scripts/build-functions.sh)"
  # Read by test/cli.test.ts; the linted synth below gets the same directory.
  export STEPWISE_TEST_ARTIFACT_DIR="$artifact_dir"
  synth_context=(-c "artifactDir=$artifact_dir")
else
  artifact="$root/target/lambda/bootstrap/bootstrap"
  newer=""
  if [ -x "$artifact" ]; then
    newer=$(find "$root/activities" "$root/contract" "$root/Cargo.toml" "$root/Cargo.lock" -newer "$artifact" -type f -print -quit)
  fi
  if [ -x "$artifact" ] && [ -z "$newer" ]; then
    echo "target/lambda/bootstrap/bootstrap is newer than its sources: not rebuilt"
  else
    [ -n "$newer" ] && echo "rebuilding: $newer is newer than target/lambda/bootstrap/bootstrap"
    scripts/build-functions.sh
  fi
fi

step "tests (node --test)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/*.test.ts

step "CloudFormation linter (cfn-lint) on the synthesized template"
venv_bin=$("$root/scripts/python-env.sh")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node_modules/.bin/cdk synth --no-notices -q -o "$out" "${synth_context[@]}" >/dev/null
"$venv_bin/cfn-lint" --ignore-checks W3005 -- "$out"/*.template.json
echo "cfn-lint: no findings"

step "cfn-lint on the fixture manifest's template (declared resources, event rules)"
node --import tsx test/synth-fixture.ts "$out/fixture" >/dev/null
"$venv_bin/cfn-lint" --ignore-checks W3005 -- "$out"/fixture/*.template.json
echo "cfn-lint (fixture): no findings"

step "cfn-lint on the template with activities as workers (activityWorkers)"
node --import tsx test/synth-workers.ts "$out/workers" >/dev/null
"$venv_bin/cfn-lint" --ignore-checks W3005 -- "$out"/workers/*.template.json
echo "cfn-lint (workers): no findings"
