/**
 * The real CLI: `cdk synth` of the app with the real artifact (target/lambda/bootstrap,
 * built by infra-cdk/scripts/build-functions.sh, or the directory in
 * STEPWISE_TEST_ARTIFACT_DIR — `scripts/test.sh --artifact-dir`), no AWS credentials and
 * no network.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../lib/settings';
import { MANIFEST, tempDir } from './helpers';

const INFRA = path.join(REPO_ROOT, 'infra-cdk');
const CDK = path.join(INFRA, 'node_modules', '.bin', 'cdk');
/** The directory under test: a `bootstrap` built elsewhere, or the default artifact's. */
const ARTIFACT_DIR = process.env.STEPWISE_TEST_ARTIFACT_DIR || path.join(REPO_ROOT, 'target', 'lambda', 'bootstrap');
const ARTIFACT = path.join(ARTIFACT_DIR, 'bootstrap');
/** Context naming that directory when it is not the app's default. */
const ARTIFACT_CONTEXT = process.env.STEPWISE_TEST_ARTIFACT_DIR ? ['-c', `artifactDir=${ARTIFACT_DIR}`] : [];

/** The environment without AWS credentials or settings, with every proxy pointing at a closed port. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_DEFAULT_)/.test(k) && !/_proxy$/i.test(k)) env[k] = v;
  }
  const home = tempDir('home'); // no ~/.aws, no ~/.cdk cache
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

function cdkSynth(args: string[]) {
  const out = tempDir('cdk-out');
  const run = spawnSync(CDK, ['synth', '--no-notices', '--no-version-reporting', '-o', out, '-q', ...args], {
    cwd: INFRA,
    env: offlineEnv(),
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { ...run, out };
}

describe('cdk synth (the real CLI, offline, no credentials)', () => {
  it('synthesizes the stack with the real artifact and its real architecture', () => {
    assert.ok(
      fs.existsSync(ARTIFACT),
      `${ARTIFACT} is missing: build it with infra-cdk/scripts/build-functions.sh (infra-cdk/scripts/test.sh does)`,
    );
    const run = cdkSynth(ARTIFACT_CONTEXT);
    assert.equal(run.status, 0, `cdk synth failed:\n${run.stdout}\n${run.stderr}`);
    const template = JSON.parse(fs.readFileSync(path.join(run.out, 'Stepwise.template.json'), 'utf8'));
    const machine = fs.readFileSync(ARTIFACT).readUInt16LE(18);
    const arch = machine === 183 ? 'arm64' : machine === 62 ? 'x86_64' : `ELF machine ${machine}`;
    const functions = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::Lambda::Function');
    // One per activity, plus the jobs APIs' status functions (the same artifact).
    const statusFunctions = functions.filter((f) => f.Properties.Handler === 'JobStatus');
    assert.ok(statusFunctions.length >= 1, 'the jobs API status function');
    assert.equal(functions.length - statusFunctions.length, MANIFEST.activities.length);
    for (const f of functions) assert.deepEqual(f.Properties.Architectures, [arch]);
    // The asset staged for deployment is the real executable.
    const assets = JSON.parse(fs.readFileSync(path.join(run.out, 'Stepwise.assets.json'), 'utf8'));
    const staged = Object.values(assets.files as Record<string, any>)
      .map((a) => path.join(run.out, a.source.path, 'bootstrap'))
      .filter((p) => fs.existsSync(p));
    assert.equal(staged.length, 1, 'one staged function asset');
    assert.ok(fs.readFileSync(staged[0]).equals(fs.readFileSync(ARTIFACT)), 'the staged bootstrap is the built one');
  });

  it('the built bootstrap serves every manifest activity as a handler, and rejects others', () => {
    // Outside Lambda, bootstrap checks _HANDLER first, then stops at the missing Runtime API.
    const start = (handler: string) => {
      const run = spawnSync(ARTIFACT, [], {
        env: { PATH: '/usr/bin:/bin', _HANDLER: handler },
        encoding: 'utf8',
        timeout: 30_000,
      });
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    };
    for (const a of MANIFEST.activities) {
      const run = start(a.name);
      assert.equal(run.status, 1, run.output);
      assert.match(run.output, /AWS_LAMBDA_RUNTIME_API is not set/, `${a.name}: ${run.output}`);
      assert.doesNotMatch(run.output, /is not an activity/, `${a.name}: ${run.output}`);
    }
    // The jobs API's status function: the handler is known, its configuration checked first.
    const status = start('JobStatus');
    assert.equal(status.status, 1, status.output);
    assert.match(status.output, /JOBS_TABLE/, status.output);
    assert.doesNotMatch(status.output, /is not an activity/, status.output);
    // The Lambda authorizer (another OIDC issuer): known, its issuer checked first.
    const authorizer = start('JwtAuthorizer');
    assert.equal(authorizer.status, 1, authorizer.output);
    assert.match(authorizer.output, /JWT_ISSUER/, authorizer.output);
    assert.doesNotMatch(authorizer.output, /is not an activity/, authorizer.output);
    const unknown = start('NoSuchActivity');
    assert.match(unknown.output, /handler "NoSuchActivity" is not an activity/, unknown.output);
  });

  it('fails with exit 1 and one line naming the build command when the artifact is missing', () => {
    const run = cdkSynth(['-c', `artifactDir=${tempDir('no-artifact')}`]);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /stepwise infra: the Lambda artifact .*bootstrap does not exist: build it with `infra-cdk\/scripts\/build-functions\.sh`/);
  });
});
