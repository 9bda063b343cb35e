/**
 * The app as a whole: cdk-nag finds nothing unacknowledged, bad inputs fail synth with a
 * message naming what to fix, and the manifest parser rejects what it cannot deploy.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../lib/app';
import { ArtifactError } from '../lib/artifact';
import { ManifestError, parseManifest, placeholders } from '../lib/manifest';
import { SettingsError, readSettings } from '../lib/settings';
import { pascal } from '../lib/stepwise-stack';
import { GENERATED_DIR, MANIFEST, editedGenerated, fakeArtifact, synth, tempDir, workerEligible } from './helpers';

const X86 = fakeArtifact('x86_64');

describe('cdk-nag AwsSolutions', () => {
  it('synth passes the checks with zero unacknowledged findings and no error or warning annotations', () => {
    const everyActivityAsWorker = {
      activityWorkers: workerEligible().join(','),
      configKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc-123',
      imagesBucket: 'photos',
    };
    for (const context of [
      {},
      { alarmEmail: 'ops@example.com', configKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc-123', imagesBucket: 'photos' },
      everyActivityAsWorker,
      { lakeAnalyticsIntegration: 'true' },
      { jobsApiJwtIssuer: 'https://login.example.com/', jobsApiJwtAudience: 'jobs-api' },
    ]) {
      const { app, stack } = buildApp({ artifactDir: X86, ...context }, tempDir('nag'));
      const assembly = app.synth(); // cdk-nag 3 is a validation plugin: a finding throws here
      const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
      assert.deepEqual(report.pluginReports, [], JSON.stringify(report, null, 1));
      assert.deepEqual(Annotations.fromStack(stack).findError('*', Match.anyValue()), []);
      assert.deepEqual(Annotations.fromStack(stack).findWarning('*', Match.anyValue()), []);
    }
  });

  it('is active: a non-compliant resource fails synth naming the rule', () => {
    const { app, stack } = buildApp({ artifactDir: X86 }, tempDir('nag-bad'));
    new s3.Bucket(stack, 'Careless');
    assert.throws(() => app.synth(), /Validation failed/);
  });

  it('every acknowledgment carries a reason', () => {
    const { stack } = buildApp({ artifactDir: X86 }, tempDir('nag-ack'));
    let count = 0;
    for (const c of stack.node.findAll()) {
      for (const entry of c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')) {
        // { "<rule id>": "<reason>" } (cdk-nag matches the id with or without "Annotation::")
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          count++;
          assert.match(id, /^Annotation::AwsSolutions-[A-Z]+\d+(\[.+\])?$/, `${c.node.path}: ${id}`);
          assert.ok(typeof reason === 'string' && reason.length > 40, `${c.node.path}: ${id}: ${reason}`);
        }
      }
    }
    assert.ok(count > 0, 'acknowledgments are found (the check reads the right metadata)');
  });
});

describe('the artifact', () => {
  it('missing: synth fails naming the build command', () => {
    assert.throws(
      () => buildApp({ artifactDir: tempDir('empty') }),
      (e: Error) => e instanceof ArtifactError && /infra-cdk\/scripts\/build-functions\.sh/.test(e.message),
    );
  });

  it('an arm64 context with an x86_64 artifact fails synth, and the reverse', () => {
    assert.throws(
      () => buildApp({ artifactDir: X86, architecture: 'arm64' }),
      (e: Error) => e instanceof ArtifactError && /"architecture" is arm64 but .* is an x86_64 executable/.test(e.message),
    );
    assert.throws(
      () => buildApp({ artifactDir: fakeArtifact('arm64'), architecture: 'x86_64' }),
      (e: Error) => e instanceof ArtifactError && /is an arm64 executable/.test(e.message),
    );
  });

  it('not an ELF executable: synth fails', () => {
    const dir = tempDir('script');
    fs.writeFileSync(path.join(dir, 'bootstrap'), '#!/bin/sh\necho hi\n');
    assert.throws(() => buildApp({ artifactDir: dir }), (e: Error) => e instanceof ArtifactError && /not an ELF/.test(e.message));
  });
});

describe('the manifest', () => {
  it('an unknown resource kind or area fails synth naming the activity', () => {
    const kind = editedGenerated((m) => {
      m.activities[0].permissions.push({ actions: ['s3:GetObject'], resource: { kind: 'everything' }, reason: 'r' });
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: kind }),
      (e: Error) =>
        e instanceof ManifestError && e.message.includes(`("${MANIFEST.activities[0].name}")`) && /unknown resource kind "everything"/.test(e.message),
    );
    const area = editedGenerated((m) => {
      m.workflows[0].permissions.push({ actions: ['s3:GetObject'], resource: { kind: 'objects', area: 'attic' }, reason: 'r' });
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: area }),
      (e: Error) => e instanceof ManifestError && /unknown area "attic" \(known: staging, lake, images, embeddings, thumbnails\)/.test(e.message),
    );
  });

  it('missing fields from an older generator fail with a hint', () => {
    const old = editedGenerated((m) => {
      delete m.activities[0].memoryMb;
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: old }),
      (e: Error) => e instanceof ManifestError && /memoryMb: expected an integer, found nothing.*older `stepwise generate`/.test(e.message),
    );
  });

  it('a placeholder no activity substitutes fails synth', () => {
    const w = MANIFEST.workflows[0];
    const text = fs.readFileSync(path.join(GENERATED_DIR, w.definition), 'utf8').replace(
      '${' + w.activities[0] + '}',
      '${Nobody}',
    );
    const dir = editedGenerated(() => {}, { [w.definition]: text });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }),
      (e: Error) => e instanceof ManifestError && /placeholder\(s\) \$\{Nobody\} are not activities/.test(e.message),
    );
  });

  it('a workflow naming an activity the manifest lacks fails', () => {
    assert.throws(
      () =>
        parseManifest(
          { workflows: [{ ...MANIFEST.workflows[0], activities: ['Ghost'] }], activities: [], resources: MANIFEST.resources },
          GENERATED_DIR,
          'test',
        ),
      /uses activity "Ghost", which is not in "activities"/,
    );
  });

  it('mismatched actions and resource kinds fail (a listing grants only s3:ListBucket*)', () => {
    const dir = editedGenerated((m) => {
      m.activities[0].permissions.push({ actions: ['s3:GetObject'], resource: { kind: 'listing', area: 'lake' }, reason: 'r' });
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }),
      (e: Error) => e instanceof ManifestError && /s3:GetObject cannot apply to a bucket listing/.test(e.message),
    );
  });

  it('ownStateMachine in an activity fails (it has no state machine)', () => {
    const dir = editedGenerated((m) => {
      m.activities[0].permissions.push({ actions: ['states:StartExecution'], resource: { kind: 'ownStateMachine' }, reason: 'r' });
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }),
      (e: Error) => e instanceof ManifestError && /only meaningful in a workflow's permissions/.test(e.message),
    );
  });

  it('a new workflow and activity deploy with no code change', () => {
    const w = MANIFEST.workflows.find((x) => x.name === 'example-orders');
    assert.ok(w);
    const dir = editedGenerated((m) => {
      const copy = { ...m.workflows.find((x: any) => x.name === 'example-orders'), name: 'example-orders-copy' };
      m.workflows.push(copy);
    });
    const { json } = synth({ generatedDir: dir });
    const names = Object.values(json.Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map((r) => r.Properties.StateMachineName)
      .sort();
    assert.deepEqual(names, [...MANIFEST.workflows.map((w) => `stepwise-${w.name}`), 'stepwise-example-orders-copy'].sort());
  });

  it('an unknown trigger kind fails synth naming the workflow and the known kinds', () => {
    const dir = editedGenerated((m) => {
      m.workflows[0].triggers.push({ kind: 'carrierPigeon', reason: 'r' });
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }),
      (e: Error) =>
        e instanceof ManifestError &&
        e.message.includes(`("${MANIFEST.workflows[0].name}").triggers[1].kind: unknown trigger kind "carrierPigeon" (known: schedule, eventRule)`),
    );
  });

  it('a placeholder the stack does not substitute, or an unknown Scheduler attribute, fails synth naming the field', () => {
    const schedule = (input: unknown) =>
      editedGenerated((m) => {
        m.workflows[0].triggers[0].input = input;
      });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: schedule({ table: '${ProgressTable}' }) }),
      (e: Error) =>
        e instanceof ManifestError &&
        /triggers\[0\]\.input\.table: unknown placeholder "\$\{ProgressTable\}" \(the stack substitutes: \$\{ConfigParameterName\}, \$\{ProgressTableName\}, \$\{GroupImagesConfigParameterName\}, \$\{LakeBucketName\}/.test(e.message),
    );
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: schedule({ at: ['<aws.scheduler.when>'] }) }),
      (e: Error) => e instanceof ManifestError && /input\.at\[0\]: "<aws\.scheduler\.when>" is not a Scheduler context attribute/.test(e.message),
    );
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: schedule('${ProgressTableName}') }),
      (e: Error) => e instanceof ManifestError && /triggers\[0\]\.input: expected an object/.test(e.message),
    );
  });

  it('a schedule without a six-field cron expression fails synth', () => {
    const dir = editedGenerated((m) => {
      m.workflows[0].triggers[0].expression = 'cron(0 3 * * ?)';
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }),
      (e: Error) => e instanceof ManifestError && /expression: "cron\(0 3 \* \* \?\)" is not cron\(minutes hours/.test(e.message),
    );
  });

  it('a manifest from before triggers existed fails with a hint', () => {
    const dir = editedGenerated((m) => {
      delete m.workflows[0].triggers;
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }),
      (e: Error) => e instanceof ManifestError && /triggers: expected an array, found nothing.*older `stepwise generate`/.test(e.message),
    );
  });

  it('the stack\'s code names no workflow: everything it starts comes from the manifest', () => {
    const code = fs
      .readFileSync(path.join(__dirname, '..', 'lib', 'stepwise-stack.ts'), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    for (const w of MANIFEST.workflows) {
      assert.ok(!code.includes(w.name), `lib/stepwise-stack.ts names "${w.name}"`);
      assert.ok(!code.includes(pascal(w.name)), `lib/stepwise-stack.ts names "${pascal(w.name)}"`);
    }
  });

  it('placeholders() lists each ${Name} once', () => {
    assert.deepEqual(placeholders('{"a":"${A}","b":"${B}","c":"${A}","d":"States.Format(\'{}\', $.x)"}'), ['A', 'B']);
  });
});

describe('activityWorkers', () => {
  it('an unknown activity name fails synth naming it and listing the activities', () => {
    const known = MANIFEST.activities.map((a) => a.name);
    assert.throws(
      () => buildApp({ artifactDir: X86, activityWorkers: `${known[0]},IngestVector` }),
      (e: Error) =>
        e instanceof SettingsError &&
        e.message === `context "activityWorkers": "IngestVector" is not an activity of manifest.json (its activities: ${[...known].sort().join(', ')})`,
    );
    assert.throws(
      () => buildApp({ artifactDir: X86, activityWorkers: ['Nope', 'Neither'] }),
      (e: Error) => e instanceof SettingsError && /"Nope", "Neither" are not activities of manifest\.json/.test(e.message),
    );
  });

  it('an activity of an Express workflow fails synth: Express workflows cannot run Activities', () => {
    const express = MANIFEST.workflows.find((w) => w.type === 'EXPRESS' && w.activities.length > 0);
    assert.ok(express, 'the manifest has an Express workflow with an activity');
    const name = express.activities[0];
    assert.ok(!workerEligible().includes(name));
    assert.throws(
      () => buildApp({ artifactDir: X86, activityWorkers: name }),
      (e: Error) =>
        e instanceof SettingsError &&
        e.message.startsWith(`context "activityWorkers": "${name}" runs in the EXPRESS workflow "${express.name}", and Express workflows cannot run Step Functions Activities`),
    );
  });

  it('reads "A, B" (-c) and ["A", "B"] (cdk.json) alike; rejects other values', () => {
    const read = (v: unknown) => readSettings((k) => (k === 'activityWorkers' ? v : undefined)).activityWorkers;
    assert.deepEqual(read(undefined), []);
    assert.deepEqual(read(''), []);
    assert.deepEqual(read(' A, B,,A '), ['A', 'B']);
    assert.deepEqual(read(['A', ' B']), ['A', 'B']);
    assert.throws(() => read(3), (e: Error) => e instanceof SettingsError && /"activityWorkers": expected names separated by commas/.test(e.message));
    assert.throws(() => read(['A', 1]), (e: Error) => e instanceof SettingsError && /"activityWorkers": expected a list of names, found 1/.test(e.message));
  });
});

describe('settings', () => {
  const read = (context: Record<string, unknown>) => readSettings((k) => context[k]);

  it('defaults', () => {
    const s = read({});
    assert.equal(s.architecture, undefined);
    assert.equal(s.configParameterName, '/stepwise/daily-sales-export/config');
    assert.equal(s.stagingPrefix, 'staging/');
    assert.equal(s.lakePrefix, 'lake/');
    assert.equal(s.imagesPrefix, 'images/');
    assert.equal(s.imagesBucket, undefined);
    assert.equal(s.bedrockModelId, 'amazon.titan-embed-image-v1');
    assert.equal(s.logRetention, 30);
    assert.ok(s.artifactDir.endsWith(path.join('target', 'lambda', 'bootstrap')));
    assert.ok(s.generatedDir.endsWith(path.join('statemachines', 'generated')));
  });

  it('bad values fail naming the parameter', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ architecture: 'arm' }, /"architecture": "arm" is neither arm64 nor x86_64/],
      [{ stagingPrefix: 'staging' }, /"stagingPrefix": "staging" is not a key prefix/],
      [{ lakePrefix: '/lake/' }, /"lakePrefix"/],
      [{ logRetentionDays: '31' }, /"logRetentionDays": 31 is not a CloudWatch Logs retention/],
      [{ alarmEmail: 'a@b.co', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:t' }, /both set/],
      [{ configKeyArn: 'alias/aws/ssm' }, /"configKeyArn"/],
      [{ scheduleEnabled: 'yes' }, /"scheduleEnabled"/],
      [{ bedrockRegion: 'mars' }, /"bedrockRegion"/],
    ];
    for (const [context, message] of cases) {
      assert.throws(() => read(context), (e: Error) => e instanceof SettingsError && message.test(e.message), JSON.stringify(context));
    }
  });
});
