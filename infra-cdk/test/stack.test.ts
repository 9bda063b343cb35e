/**
 * Assertions on the synthesized template of the app built on the real generated manifest
 * (statemachines/generated/manifest.json): functions, state machines, IAM, schedule,
 * data stores, alarms and cdk-nag.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { Match } from 'aws-cdk-lib/assertions';
import type { Permission } from '../lib/manifest';
import { WILDCARD_ALLOWED } from '../lib/stepwise-stack';
import {
  MANIFEST,
  actionsOf,
  editedGenerated,
  fakeArtifact,
  functionId,
  resourcesOf,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  synth,
  workerEligible,
  type Statement,
} from './helpers';
import { render, substitute } from './render';
import { pascal } from '../lib/stepwise-stack';
import { placeholders } from '../lib/manifest';

const DEFAULT = synth();
const { json, template } = DEFAULT;

const [bucketId] = resourcesOfType(json, 'AWS::S3::Bucket').find(([, r]) => r.Properties.LoggingConfiguration) ?? [''];
/** The one resource of `type` whose logical id starts with `prefix`. */
const named = (type: string, prefix: string): [string, any] => {
  const found = resourcesOfType(json, type).filter(([id]) => id.startsWith(prefix));
  assert.equal(found.length, 1, `one ${type} named ${prefix}…`);
  return found[0];
};
// The export's progress table and its schedule's dead-letter queue (declared tables and
// queues of the other pipelines are tested in resources.test.ts).
const [tableId] = named('AWS::DynamoDB::Table', 'ProgressTable');
const [queueId] = named('AWS::SQS::Queue', 'DailySalesExportScheduleDeadLetterQueue');
const stateMachineId = (workflow: string): string => {
  const found = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').filter(
    ([, r]) => r.Properties.StateMachineName === `stepwise-${workflow}`,
  );
  assert.equal(found.length, 1, `one state machine named stepwise-${workflow}`);
  return found[0][0];
};

/** What a declared resource must render to in this template (written independently of lib/permissions.ts). */
function expectedResources(p: Permission, workflow?: string, context: { imagesBucket?: string } = {}): string[] {
  const prefixes = { staging: 'staging/', lake: 'lake/', images: 'images/', embeddings: 'embeddings/', thumbnails: 'thumbnails/' };
  const arnHead = (service: string) => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}`;
  const r = p.resource;
  switch (r.kind) {
    case 'objects':
      return [
        r.area === 'images' && context.imagesBucket
          ? `arn:\${AWS::Partition}:s3:::${context.imagesBucket}/images/*`
          : `\${${bucketId}.Arn}/${prefixes[r.area]}*`,
      ];
    case 'listing':
      return [r.area === 'images' && context.imagesBucket ? `arn:\${AWS::Partition}:s3:::${context.imagesBucket}` : `\${${bucketId}.Arn}`];
    case 'progressTable':
      return [`\${${tableId}.Arn}`];
    case 'configParameter':
      return [
        `${arnHead('ssm')}:parameter/stepwise/daily-sales-export/config`,
        `${arnHead('ssm')}:parameter/stepwise/group-images/config`,
      ];
    case 'foundationModel':
      return ['arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/amazon.titan-embed-image-v1'];
    case 'ownStateMachine':
      return [`${arnHead('states')}:stateMachine:stepwise-${workflow}`];
    case 'ownMapRunExecutions':
      return [`${arnHead('states')}:execution:stepwise-${workflow}/*`, `${arnHead('states')}:execution:stepwise-${workflow}:*`];
    case 'table': {
      const [id] = named('AWS::DynamoDB::Table', `Table${pascal(r.table)}`);
      return [`\${${id}.Arn}`, `\${${id}.Arn}/index/*`];
    }
    case 'queue':
      return [`\${${named('AWS::SQS::Queue', `Queue${pascal(r.queue)}`)[0]}.Arn}`];
    case 'vectorIndex':
      return [`\${${named('AWS::S3Vectors::Index', `VectorIndex${pascal(r.index)}`)[0]}.IndexArn}`];
    case 'eventBus':
      return [`${arnHead('events')}:event-bus/default`];
    case 'lakeTable':
      return [`\${${named('AWS::S3Tables::Table', `LakeTable${pascal(r.dataset)}`)[0]}.TableARN}`];
    case 'lakeNamespace':
      return [`\${${named('AWS::S3Tables::TableBucket', 'LakeTableBucket')[0]}.TableBucketARN}`];
  }
}

const key = (actions: string[], resources: string[], condition?: unknown) =>
  JSON.stringify([[...actions].sort(), [...resources].sort(), condition ?? null]);
const statementKey = (s: Statement) => key(actionsOf(s), resourcesOf(s).map(render), s.Condition);
const declaredKey = (p: Permission, workflow?: string, context = {}) =>
  key(p.actions, expectedResources(p, workflow, context));
const isWildcard = (s: Statement) => resourcesOf(s).includes('*');

describe('functions', () => {
  it('one per manifest activity, each with its handler, runtime, architecture, memory and timeout', () => {
    // Plus one status function per jobs API (tested with the jobs API).
    const activities = resourcesOfType(json, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.Handler !== 'JobStatus');
    assert.equal(activities.length, MANIFEST.activities.length);
    for (const a of MANIFEST.activities) {
      const fn = json.Resources[functionId(json, a.name)].Properties;
      assert.equal(fn.Runtime, 'provided.al2023', a.name);
      assert.deepEqual(fn.Architectures, ['x86_64'], a.name);
      assert.equal(fn.MemorySize, a.memoryMb, `${a.name} memory`);
      assert.equal(fn.Timeout, a.timeoutSeconds, `${a.name} timeout`);
      assert.deepEqual(fn.TracingConfig, { Mode: 'Active' }, a.name);
      assert.deepEqual(fn.Environment, { Variables: { RUST_LOG: 'info' } }, a.name);
      const logGroup = json.Resources[fn.LoggingConfig.LogGroup.Ref];
      assert.equal(logGroup.Type, 'AWS::Logs::LogGroup');
      assert.equal(logGroup.Properties.RetentionInDays, 30);
    }
  });

  it('all run the same artifact', () => {
    const codes = resourcesOfType(json, 'AWS::Lambda::Function').map(([, r]) => JSON.stringify(r.Properties.Code));
    assert.equal(new Set(codes).size, 1);
  });

  it('declare the architecture the artifact was built for', () => {
    const arm = synth({ artifactDir: fakeArtifact('arm64') });
    for (const [, r] of resourcesOfType(arm.json, 'AWS::Lambda::Function')) {
      assert.deepEqual(r.Properties.Architectures, ['arm64']);
    }
    // An explicit matching architecture is accepted.
    synth({ artifactDir: fakeArtifact('arm64'), architecture: 'arm64' });
  });

  it('each role has its log group, X-Ray and exactly the declared permissions', () => {
    for (const a of MANIFEST.activities) {
      const id = functionId(json, a.name);
      const fn = json.Resources[id].Properties;
      const roleId = roleIdOf(fn.Role);
      const role = json.Resources[roleId].Properties;
      assert.equal(role.ManagedPolicyArns, undefined, `${a.name}: no managed policies`);
      assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
      const statements = roleStatements(json, roleId);
      const logs = statements.filter((s) => actionsOf(s).some((x) => x.startsWith('logs:')));
      assert.deepEqual(
        logs.map(statementKey),
        [key(['logs:CreateLogStream', 'logs:PutLogEvents'], [`\${${fn.LoggingConfig.LogGroup.Ref}.Arn}`])],
        `${a.name}: logging only to its own log group`,
      );
      const xray = statements.filter(isWildcard);
      assert.deepEqual(xray.map(statementKey), [key(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*'])], a.name);
      const rest = statements.filter((s) => !logs.includes(s) && !xray.includes(s)).map(statementKey).sort();
      // Two declarations that render to one statement (e.g. s3:ListBucket on the images and
      // the staging area, both the pipeline bucket by default) are one statement: CDK
      // merges identical statements.
      const declared = [...new Set(a.permissions.map((p) => declaredKey(p)))].sort();
      assert.deepEqual(rest, declared, `${a.name}: exactly the declared permissions`);
    }
  });
});

describe('state machines', () => {
  it('one per manifest workflow, definition = the generated file with every placeholder substituted', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', MANIFEST.workflows.length);
    for (const w of MANIFEST.workflows) {
      const sm = json.Resources[stateMachineId(w.name)].Properties;
      const file = fs.readFileSync(path.join(MANIFEST.dir, w.definition), 'utf8');
      assert.equal(sm.StateMachineType, w.type, w.name);
      assert.equal(typeof sm.DefinitionString, 'string', `${w.name}: the definition is the file's text`);
      // What CloudFormation deploys: the definition with DefinitionSubstitutions applied.
      const fakeArn = (id: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${id}`;
      const values: Record<string, string> = {};
      // Deployment names (tables, queues, parameters): any value the stack gives, as long
      // as the same value lands where the file has the placeholder.
      const deploymentNames = placeholders(file).filter((p) => !w.activities.includes(p));
      for (const [name, ref] of Object.entries(sm.DefinitionSubstitutions as Record<string, any>)) {
        if (deploymentNames.includes(name)) {
          values[name] = `deployed-${name}`;
          continue;
        }
        const fnId = ref['Fn::GetAtt']?.[0];
        assert.equal(json.Resources[fnId]?.Properties.Handler, name, `${w.name}: \${${name}} is the ${name} function's ARN`);
        assert.deepEqual(ref, { 'Fn::GetAtt': [fnId, 'Arn'] });
        values[name] = fakeArn(fnId);
      }
      const deployed = substitute(sm.DefinitionString, values);
      assert.doesNotMatch(deployed, /\$\{/, `${w.name}: a placeholder is left unsubstituted`);
      const expected: Record<string, string> = {};
      for (const a of w.activities) expected[a] = fakeArn(functionId(json, a));
      for (const d of deploymentNames) expected[d] = `deployed-${d}`;
      assert.deepEqual(JSON.parse(deployed), JSON.parse(substitute(file, expected)), w.name);
      assert.deepEqual(
        Object.keys(values).sort(),
        [...w.activities, ...deploymentNames].sort(),
        `${w.name}: substitutions = its activities and the deployment names it uses`,
      );
    }
  });

  it('log ALL to a log group with retention, and trace with X-Ray', () => {
    for (const w of MANIFEST.workflows) {
      const sm = json.Resources[stateMachineId(w.name)].Properties;
      assert.equal(sm.LoggingConfiguration.Level, 'ALL');
      const logGroupId = sm.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      assert.deepEqual(json.Resources[logGroupId].Properties, {
        LogGroupName: `/aws/vendedlogs/states/stepwise-${w.name}`,
        RetentionInDays: 30,
      });
      assert.deepEqual(sm.TracingConfiguration, { Enabled: true });
    }
  });

  it('each role invokes only its own functions, plus the workflow\'s declared permissions', () => {
    for (const w of MANIFEST.workflows) {
      const smId = stateMachineId(w.name);
      const roleId = roleIdOf(json.Resources[smId].Properties.RoleArn);
      const trust = json.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement;
      assert.deepEqual(trust.map((s: any) => s.Principal), [{ Service: 'states.amazonaws.com' }]);
      const statements = roleStatements(json, roleId);
      const invoke = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
      assert.deepEqual(
        invoke.map(statementKey),
        [key(['lambda:InvokeFunction'], w.activities.map((a) => `\${${functionId(json, a)}.Arn}`))],
        `${w.name}: invokes exactly its functions`,
      );
      const rest = statements.filter((s) => !invoke.includes(s) && !isWildcard(s)).map(statementKey).sort();
      assert.deepEqual(rest, w.permissions.map((p) => declaredKey(p, w.name)).sort(), `${w.name}: declared permissions`);
    }
  });
});

describe('IAM', () => {
  it('no statement allows Resource "*" except the listed actions AWS only authorizes on "*"', () => {
    const policies: Array<[string, any]> = resourcesOfType(json, 'AWS::IAM::Policy').map(([id, p]) => [id, p.Properties.PolicyDocument]);
    for (const [id, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
      for (const inline of role.Properties.Policies ?? []) policies.push([`${id} inline`, inline.PolicyDocument]);
    }
    assert.ok(policies.length > 0);
    let wildcards = 0;
    for (const [id, document] of policies) {
      for (const s of document.Statement as Statement[]) {
        assert.equal(s.Effect, 'Allow');
        for (const action of actionsOf(s)) assert.doesNotMatch(action, /\*/, `${id}: wildcard action ${action}`);
        if (!isWildcard(s)) continue;
        wildcards++;
        for (const action of actionsOf(s)) {
          assert.ok(action in WILDCARD_ALLOWED, `${id}: ${action} on Resource "*" is not in the allow-list`);
        }
      }
    }
    assert.ok(wildcards > 0, 'the X-Ray statements are found (the check reads the right thing)');
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    for (const [id, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
      assert.equal(role.Properties.ManagedPolicyArns, undefined, `${id} has a managed policy`);
    }
  });

  it('a customer-managed config key adds kms:Decrypt via SSM next to every config read, and only then', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const withKey = synth({ configKeyArn: keyArn });
    const readers = MANIFEST.activities.filter((a) => a.permissions.some((p) => p.resource.kind === 'configParameter'));
    assert.ok(readers.length > 0, 'some activity reads the config');
    for (const a of MANIFEST.activities) {
      const roleId = roleIdOf(withKey.json.Resources[functionId(withKey.json, a.name)].Properties.Role);
      const kms = roleStatements(withKey.json, roleId).filter((s) => actionsOf(s).some((x) => x.startsWith('kms:')));
      if (readers.includes(a)) {
        assert.deepEqual(
          kms,
          [
            {
              Action: 'kms:Decrypt',
              Effect: 'Allow',
              Resource: keyArn,
              Condition: {
                StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
              },
            },
          ],
          a.name,
        );
      } else {
        assert.deepEqual(kms, [], `${a.name} does not read the config`);
      }
    }
    for (const [, p] of resourcesOfType(json, 'AWS::IAM::Policy')) {
      assert.ok(!JSON.stringify(p).includes('kms:'), 'no KMS grant with the default aws/ssm key');
    }
  });

  it('images in another bucket, a Bedrock region and other prefixes reach the ARNs', () => {
    const other = synth({ imagesBucket: 'product-photos', bedrockRegion: 'us-east-1', stagingPrefix: 'tmp/x/' });
    const embed = MANIFEST.activities.find((a) => a.permissions.some((p) => p.resource.kind === 'objects' && p.resource.area === 'images'));
    assert.ok(embed, 'an activity reads images');
    const statements = roleStatements(other.json, roleIdOf(other.json.Resources[functionId(other.json, embed.name)].Properties.Role));
    const rendered = statements.flatMap((s) => resourcesOf(s).map(render));
    assert.ok(rendered.includes('arn:${AWS::Partition}:s3:::product-photos/images/*'), rendered.join('\n'));
    if (embed.permissions.some((p) => p.resource.kind === 'foundationModel')) {
      assert.ok(rendered.includes('arn:${AWS::Partition}:bedrock:us-east-1::foundation-model/amazon.titan-embed-image-v1'));
    }
    const all = JSON.stringify(other.json);
    assert.ok(!all.includes('/staging/*'), 'the staging prefix comes from the context');
    assert.ok(all.includes('/tmp/x/*'));
  });
});

describe('schedules (the manifest\'s schedule triggers)', () => {
  const triggers = MANIFEST.workflows.flatMap((w) => w.triggers.filter((t) => t.kind === 'schedule').map((t) => ({ workflow: w, trigger: t })));
  const [scheduleId, schedule] = named('AWS::Scheduler::Schedule', 'DailySalesExportSchedule');
  const target = schedule.Properties.Target;
  const daily = MANIFEST.workflows.find((w) => w.name === 'daily-sales-export');

  it('one per schedule trigger; daily-sales-export\'s under the logical id deployed stacks already have', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', triggers.length);
    assert.equal(triggers[0].workflow.name, 'daily-sales-export');
    // Derived from the workflow's name; unchanged from when the stack named the workflow
    // itself, so deploying this does not replace the schedule.
    assert.equal(scheduleId, 'DailySalesExportSchedule0746A155');
  });

  it('fires at 03:00 UTC with no flexible window, and says why', () => {
    assert.equal(schedule.Properties.ScheduleExpression, 'cron(0 3 * * ? *)');
    assert.equal(schedule.Properties.ScheduleExpressionTimezone, 'UTC');
    assert.deepEqual(schedule.Properties.FlexibleTimeWindow, { Mode: 'OFF' });
    assert.equal(schedule.Properties.State, 'ENABLED');
    assert.equal(schedule.Properties.Description, `Starts daily-sales-export: ${triggers[0].trigger.reason}`);
  });

  it('targets the daily-sales-export state machine with retries and the dead-letter queue', () => {
    assert.deepEqual(target.Arn, { Ref: stateMachineId('daily-sales-export') });
    assert.deepEqual(target.DeadLetterConfig, { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    assert.deepEqual(target.RetryPolicy, { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 5 });
  });

  it('its role can start only that state machine (and write to the DLQ)', () => {
    const roleId = roleIdOf(target.RoleArn);
    const trust = json.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement;
    assert.deepEqual(trust, [
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
      },
    ]);
    assert.deepEqual(roleStatements(json, roleId).map(statementKey).sort(), [
      key(['sqs:SendMessage'], [`\${${queueId}.Arn}`]),
      key(['states:StartExecution'], [`\${${stateMachineId('daily-sales-export')}}`]),
    ].sort());
  });

  it('its input is the manifest\'s template with this stack\'s table and parameter, and validates against the input schema', () => {
    assert.ok(daily);
    const schema = JSON.parse(fs.readFileSync(path.join(MANIFEST.dir, daily.inputSchema), 'utf8'));
    const text = render(target.Input).replace('${' + tableId + '}', 'Stepwise-ProgressTable-ABC');
    const input = JSON.parse(text);
    assert.deepEqual(input, {
      config_parameter: '/stepwise/daily-sales-export/config',
      progress_table: 'Stepwise-ProgressTable-ABC',
      scheduled_time: '<aws.scheduler.scheduled-time>',
    });
    assert.deepEqual(
      input,
      JSON.parse(
        substitute(JSON.stringify(triggers[0].trigger.input), {
          ConfigParameterName: '/stepwise/daily-sales-export/config',
          ProgressTableName: 'Stepwise-ProgressTable-ABC',
        }),
      ),
    );
    const validate = new Ajv({ strict: false }).compile(schema);
    assert.ok(validate(input), JSON.stringify(validate.errors));
    // As delivered: Scheduler replaces the placeholder with the RFC 3339 time.
    assert.ok(validate({ ...input, scheduled_time: '2026-11-24T03:00:00Z' }), JSON.stringify(validate.errors));
    // The check can fail: the schema rejects an unknown field.
    assert.ok(!validate({ ...input, scheduledTime: 'x' }));
  });

  it('a configParameterName context reaches the input', () => {
    const other = synth({ configParameterName: '/other/config' });
    const [, s] = resourcesOfType(other.json, 'AWS::Scheduler::Schedule')[0];
    assert.match(render(s.Properties.Target.Input), /"config_parameter":"\/other\/config"/);
  });

  it('can be deployed disabled', () => {
    const off = synth({ scheduleEnabled: 'false' });
    off.template.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED' });
  });

  it('a schedule trigger on another workflow creates that schedule, with its own role and no DLQ unless asked', () => {
    const dir = editedGenerated((m) => {
      const orders = m.workflows.find((w: any) => w.name === 'example-orders');
      orders.triggers.push({
        kind: 'schedule',
        expression: 'cron(30 6 ? * MON-FRI *)',
        timezone: 'Europe/Berlin',
        input: { order: { table: '${ProgressTableName}', at: 'at <aws.scheduler.scheduled-time>' } },
        deadLetterQueue: false,
        reason: 'weekday mornings in Berlin',
      });
    });
    const other = synth({ generatedDir: dir });
    const schedules = resourcesOfType(other.json, 'AWS::Scheduler::Schedule');
    assert.deepEqual(
      schedules.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort(),
      [...triggers.map((t) => `${pascal(t.workflow.name)}Schedule`), 'ExampleOrdersSchedule'].sort(),
    );
    const [, orders] = schedules.find(([id]) => id.startsWith('ExampleOrdersSchedule')) ?? [];
    const p = orders.Properties;
    assert.equal(p.ScheduleExpression, 'cron(30 6 ? * MON-FRI *)');
    assert.equal(p.ScheduleExpressionTimezone, 'Europe/Berlin');
    assert.equal(p.Description, 'Starts example-orders: weekday mornings in Berlin');
    const ordersMachine = resourcesOfType(other.json, 'AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties.StateMachineName === 'stepwise-example-orders',
    )?.[0];
    assert.deepEqual(p.Target.Arn, { Ref: ordersMachine });
    assert.equal(p.Target.DeadLetterConfig, undefined);
    const [otherTable] = resourcesOfType(other.json, 'AWS::DynamoDB::Table')[0];
    assert.deepEqual(JSON.parse(render(p.Target.Input)), {
      order: { table: '${' + otherTable + '}', at: 'at <aws.scheduler.scheduled-time>' },
    });
    const roleId = roleIdOf(p.Target.RoleArn);
    assert.notEqual(roleId, roleIdOf(target.RoleArn), 'a role per schedule');
    assert.deepEqual(roleStatements(other.json, roleId).map(statementKey), [key(['states:StartExecution'], [`\${${ordersMachine}}`])]);
    assert.deepEqual(
      resourcesOfType(other.json, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('ExampleOrdersSchedule')),
      [],
      'the copied schedule asked for no DLQ',
    );
  });
});

describe('event rules (the manifest\'s eventRule triggers)', () => {
  it('one rule per trigger on the default bus: its pattern, the whole event as input, retries and the declared DLQ', () => {
    const rules = MANIFEST.workflows.flatMap((w) => w.triggers.filter((t) => t.kind === 'eventRule').map((t) => ({ w, t })));
    assert.ok(rules.length > 0, 'product-sold-sync is started by a rule');
    template.resourceCountIs('AWS::Events::Rule', rules.length);
    for (const { w, t } of rules) {
      if (t.kind !== 'eventRule') continue;
      const [queueId] = named('AWS::SQS::Queue', `Queue${pascal(t.deadLetterQueue ?? '')}`);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: [t.source], 'detail-type': [t.detailType] },
        Targets: [
          Match.objectLike({
            Arn: { Ref: stateMachineId(w.name) },
            RetryPolicy: { MaximumRetryAttempts: t.retry.maximumRetryAttempts, MaximumEventAgeInSeconds: t.retry.maximumEventAgeSeconds },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
            // The whole event: no input and no transformer on the target.
            ...(t.input.kind === 'wholeEvent' ? { Input: Match.absent(), InputTransformer: Match.absent() } : {}),
          }),
        ],
      });
    }
  });
});

describe('data', () => {
  it('the pipeline bucket: SSE, no public access, TLS only, access logs, staging expiry, retained', () => {
    const bucket = json.Resources[bucketId];
    assert.equal(bucket.DeletionPolicy, 'Retain');
    assert.deepEqual(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration, [
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const logBucketRef = bucket.Properties.LoggingConfiguration.DestinationBucketName.Ref;
    assert.equal(json.Resources[logBucketRef].Type, 'AWS::S3::Bucket');
    assert.deepEqual(bucket.Properties.LifecycleConfiguration.Rules, [
      { ExpirationInDays: 7, Id: 'expire-staging', Prefix: 'staging/', Status: 'Enabled' },
      { ExpirationInDays: 30, Id: 'expire-thumbnails', Prefix: 'thumbnails/', Status: 'Enabled' },
      { AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Id: 'abort-incomplete-uploads', Status: 'Enabled' },
    ]);
    for (const id of [bucketId, logBucketRef]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('the progress table: (tenant_id, export_date), on demand, TTL expires_at, PITR, retained', () => {
    const table = json.Resources[tableId];
    assert.equal(table.DeletionPolicy, 'Retain');
    assert.deepEqual(table.Properties.KeySchema, [
      { AttributeName: 'tenant_id', KeyType: 'HASH' },
      { AttributeName: 'export_date', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(table.Properties.AttributeDefinitions, [
      { AttributeName: 'tenant_id', AttributeType: 'S' },
      { AttributeName: 'export_date', AttributeType: 'S' },
    ]);
    assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: 'expires_at', Enabled: true });
    assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
  });

  it('the dead-letter queue: encrypted, TLS only', () => {
    assert.equal(json.Resources[queueId].Properties.SqsManagedSseEnabled, true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('outputs what the SSM config and the console need', () => {
    const outputs = json.Outputs;
    assert.deepEqual(outputs.BucketName.Value, { Ref: bucketId });
    assert.deepEqual(outputs.ProgressTableName.Value, { Ref: tableId });
    assert.equal(outputs.ConfigParameterName.Value, '/stepwise/daily-sales-export/config');
    assert.equal(outputs.StagingPrefix.Value, 'staging/');
    assert.equal(outputs.LakePrefix.Value, 'lake/');
    assert.deepEqual(outputs.StateMachineArnDailySalesExport.Value, { Ref: stateMachineId('daily-sales-export') });
    assert.deepEqual(outputs.DailySalesExportScheduleDeadLetterQueueUrl.Value, { Ref: queueId });
    for (const w of MANIFEST.workflows) {
      const found = Object.values(outputs as Record<string, any>).filter((o) => o.Value?.Ref === stateMachineId(w.name));
      assert.equal(found.length, 1, `an output for ${w.name}`);
    }
  });
});

describe('alarms', () => {
  const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
  const find = (namespace: string, metric: string, dimension: string, value: unknown) =>
    alarms.filter(
      (a) =>
        a.Namespace === namespace &&
        a.MetricName === metric &&
        JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: dimension, Value: value }]),
    );

  it('per state machine: executions failed and timed out', () => {
    for (const w of MANIFEST.workflows) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
        const found = find('AWS/States', metric, 'StateMachineArn', { Ref: stateMachineId(w.name) });
        assert.equal(found.length, 1, `${w.name} ${metric}`);
        assert.equal(found[0].Threshold, 1);
        assert.equal(found[0].ComparisonOperator, 'GreaterThanOrEqualToThreshold');
      }
    }
  });

  it('per function: errors and throttles', () => {
    for (const a of MANIFEST.activities) {
      for (const [metric, threshold] of [['Errors', 5], ['Throttles', 1]] as const) {
        const found = find('AWS/Lambda', metric, 'FunctionName', { Ref: functionId(json, a.name) });
        assert.equal(found.length, 1, `${a.name} ${metric}`);
        assert.equal(found[0].Threshold, threshold);
      }
    }
  });

  it('per jobs API: its status function\'s errors (any) and throttles', () => {
    const statusFunctions = resourcesOfType(json, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Handler === 'JobStatus');
    assert.ok(statusFunctions.length >= 1, 'a status function');
    for (const [id] of statusFunctions) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = find('AWS/Lambda', metric, 'FunctionName', { Ref: id });
        assert.equal(found.length, 1, `${id} ${metric}`);
        assert.equal(found[0].Threshold, 1);
      }
    }
  });

  it('each schedule\'s dead-letter queue is not empty', () => {
    const found = find('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', { 'Fn::GetAtt': [queueId, 'QueueName'] });
    assert.equal(found.length, 1);
    assert.equal(found[0].Threshold, 1);
    assert.equal(found[0].Statistic, 'Maximum');
  });

  it('no actions without a topic', () => {
    const queues = MANIFEST.workflows.flatMap((w) => w.triggers).filter((t) => t.kind === 'schedule' && t.deadLetterQueue).length;
    // Declared queues that collect dead letters (a workflow sends to them), and declared
    // tables' throttles: counted from the template, checked in resources.test.ts.
    const declared = alarms.filter(
      (a) =>
        a.Namespace !== 'AWS/States' &&
        a.Namespace !== 'AWS/Lambda' &&
        !String(a.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] ?? '').includes('ScheduleDeadLetterQueue'),
    );
    // Per state machine: failed, timed out, throttled; per function (the activities' and
    // each jobs API's status function): errors, throttles.
    const apis = resourcesOfType(json, 'AWS::ApiGateway::RestApi').length;
    assert.equal(alarms.length, MANIFEST.workflows.length * 3 + (MANIFEST.activities.length + apis) * 2 + queues + declared.length);
    for (const a of alarms) assert.equal(a.AlarmActions, undefined);
  });

  it('alarmEmail: an encrypted topic with the subscription, on every alarm', () => {
    const withEmail = synth({ alarmEmail: 'ops@example.com' });
    const [topicId, topic] = resourcesOfType(withEmail.json, 'AWS::SNS::Topic')[0];
    assert.ok(topic.Properties.KmsMasterKeyId, 'the topic is encrypted');
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    withEmail.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    const all = resourcesOfType(withEmail.json, 'AWS::CloudWatch::Alarm');
    assert.equal(all.length, alarms.length);
    for (const [id, a] of all) assert.deepEqual(a.Properties.AlarmActions, [{ Ref: topicId }], id);
  });

  it('alarmTopicArn: your topic on every alarm', () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:ops';
    const withTopic = synth({ alarmTopicArn: arn });
    withTopic.template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const [id, a] of resourcesOfType(withTopic.json, 'AWS::CloudWatch::Alarm')) {
      assert.deepEqual(a.Properties.AlarmActions, [arn], id);
    }
  });
});

describe('activity workers (activityWorkers)', () => {
  // An activity with declared permissions whose workflow also runs other activities as
  // functions, so the state machine mixes an Activity and functions.
  const worker = MANIFEST.activities.find(
    (a) =>
      workerEligible().includes(a.name) &&
      a.permissions.some((p) => p.resource.kind === 'objects') &&
      MANIFEST.workflows.some((w) => w.activities.includes(a.name) && w.activities.length > 1),
  );
  assert.ok(worker, 'the manifest has an activity with object permissions sharing its workflow');
  const W = synth({ activityWorkers: worker.name });
  const users = MANIFEST.workflows.filter((w) => w.activities.includes(worker.name));
  const wNamed = (type: string, prefix: string): [string, any] => {
    const found = resourcesOfType(W.json, type).filter(([id]) => id.startsWith(prefix));
    assert.equal(found.length, 1, `one ${type} named ${prefix}…`);
    return found[0];
  };
  const [activityId, activity] = wNamed('AWS::StepFunctions::Activity', `${pascal(worker.name)}Activity`);
  const [policyId, policy] = wNamed('AWS::IAM::ManagedPolicy', `${pascal(worker.name)}WorkerPolicy`);
  const [roleId, role] = wNamed('AWS::IAM::Role', `${pascal(worker.name)}WorkerRole`);
  const machineId = (workflow: string) =>
    resourcesOfType(W.json, 'AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties.StateMachineName === `stepwise-${workflow}`)?.[0] ?? '';

  it('the default deploys no Activity and no worker policy', () => {
    template.resourceCountIs('AWS::StepFunctions::Activity', 0);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    assert.deepEqual(Object.keys(json.Outputs).filter((k) => /^(ActivityArn|WorkerPolicyArn|WorkerRoleArn)/.test(k)), []);
  });

  it('creates one Activity named <stack>-<activity> and no function for it; the other functions stay', () => {
    W.template.resourceCountIs('AWS::StepFunctions::Activity', 1);
    assert.deepEqual(activity.Properties, { Name: `Stepwise-${worker.name}` });
    const handlers = resourcesOfType(W.json, 'AWS::Lambda::Function').map(([, r]) => r.Properties.Handler).filter((h) => h !== 'JobStatus').sort();
    assert.deepEqual(handlers, MANIFEST.activities.map((a) => a.name).filter((n) => n !== worker.name).sort());
  });

  it('every definition using it has the Activity\'s ARN where ${Activity} was, the functions\' ARNs elsewhere', () => {
    assert.ok(users.length > 0);
    for (const w of MANIFEST.workflows) {
      const sm = W.json.Resources[machineId(w.name)].Properties;
      const subs = sm.DefinitionSubstitutions as Record<string, any>;
      assert.equal(sm.DefinitionString, fs.readFileSync(path.join(MANIFEST.dir, w.definition), 'utf8'), `${w.name}: ASL unchanged`);
      for (const a of w.activities) {
        if (a === worker.name) assert.deepEqual(subs[a], { Ref: activityId }, `${w.name}: \${${a}} is the Activity`);
        else assert.deepEqual(subs[a], { 'Fn::GetAtt': [functionId(W.json, a), 'Arn'] }, `${w.name}: \${${a}} is its function`);
      }
      const values: Record<string, string> = Object.fromEntries(Object.keys(subs).map((k) => [k, `arn-of-${k}`]));
      const deployed = JSON.parse(substitute(sm.DefinitionString, values));
      const resources: string[] = JSON.stringify(deployed).match(/"Resource":"arn-of-[A-Za-z]+"/g) ?? [];
      if (w.activities.includes(worker.name)) {
        assert.ok(resources.includes(`"Resource":"arn-of-${worker.name}"`), `${w.name}: a Task runs the Activity`);
      }
    }
  });

  it('state machines using it invoke only their remaining functions and get nothing for the Activity', () => {
    for (const w of users) {
      const smRole = roleIdOf(W.json.Resources[machineId(w.name)].Properties.RoleArn);
      const statements = roleStatements(W.json, smRole);
      const invoke = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
      assert.deepEqual(
        invoke.map(statementKey),
        [key(['lambda:InvokeFunction'], w.activities.filter((a) => a !== worker.name).map((a) => `\${${functionId(W.json, a)}.Arn}`))],
        w.name,
      );
      assert.ok(!JSON.stringify(statements).includes(activityId), `${w.name}: no grant names the Activity`);
      const rest = statements.filter((s) => !invoke.includes(s) && !isWildcard(s)).map(statementKey).sort();
      assert.deepEqual(rest, w.permissions.map((p) => declaredKey(p, w.name)).sort(), `${w.name}: declared permissions only`);
    }
  });

  it('the worker policy: exactly the declared permissions, GetActivityTask on the Activity, SendTask* on "*"', () => {
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    for (const s of statements) assert.equal(s.Effect, 'Allow');
    assert.deepEqual(
      statements.map(statementKey).sort(),
      [
        ...new Set([
          ...worker.permissions.map((p) => declaredKey(p)),
          key(['states:GetActivityTask'], [`\${${activityId}}`]),
          key(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], ['*']),
        ]),
      ].sort(),
    );
    for (const s of statements.filter(isWildcard)) {
      for (const action of actionsOf(s)) assert.ok(action in WILDCARD_ALLOWED, `${action} on "*" is not in the allow-list`);
    }
    // The function role would have had the same declared statements.
    const functionRole = roleIdOf(json.Resources[functionId(json, worker.name)].Properties.Role);
    const declaredOnFunction = roleStatements(json, functionRole)
      .filter((s) => !isWildcard(s) && !actionsOf(s).some((a) => a.startsWith('logs:')))
      .map(statementKey)
      .sort();
    assert.deepEqual(
      statements.filter((s) => !actionsOf(s).some((a) => a.startsWith('states:'))).map(statementKey).sort(),
      declaredOnFunction,
    );
  });

  it('an ECS task role carries the policy and nothing else', () => {
    assert.deepEqual(role.Properties.ManagedPolicyArns, [{ Ref: policyId }]);
    assert.equal(role.Properties.Policies, undefined);
    assert.deepEqual(roleStatements(W.json, roleId), []);
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement.map((s: any) => [s.Action, s.Principal]), [
      ['sts:AssumeRole', { Service: 'ecs-tasks.amazonaws.com' }],
    ]);
    const condition = role.Properties.AssumeRolePolicyDocument.Statement[0].Condition;
    assert.deepEqual(condition.StringEquals, { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    assert.equal(render(condition.ArnLike['aws:SourceArn']), 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*');
  });

  it('outputs the Activity ARN, the policy ARN and the role ARN', () => {
    const o = W.json.Outputs;
    assert.deepEqual(o[`ActivityArn${pascal(worker.name)}`].Value, { Ref: activityId });
    assert.match(o[`ActivityArn${pascal(worker.name)}`].Description, new RegExp(`stepwise worker --activity ${worker.name}=`));
    assert.deepEqual(o[`WorkerPolicyArn${pascal(worker.name)}`].Value, { Ref: policyId });
    assert.deepEqual(o[`WorkerRoleArn${pascal(worker.name)}`].Value, { 'Fn::GetAtt': [roleId, 'Arn'] });
  });

  it('alarms: no function alarms for it; the Activity\'s failed, timed out and heartbeat timed out', () => {
    const alarms = resourcesOfType(W.json, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    // The other activities' functions and each jobs API's status function: errors, throttles.
    const lambda = alarms.filter((a) => a.Namespace === 'AWS/Lambda');
    const apis = resourcesOfType(W.json, 'AWS::ApiGateway::RestApi').length;
    assert.equal(lambda.length, (MANIFEST.activities.length - 1 + apis) * 2);
    const onActivity = alarms.filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'ActivityArn', Value: { Ref: activityId } }]));
    assert.deepEqual(
      onActivity.map((a) => [a.Namespace, a.MetricName, a.Threshold]).sort(),
      [
        ['AWS/States', 'ActivitiesFailed', 5],
        ['AWS/States', 'ActivitiesHeartbeatTimedOut', 1],
        ['AWS/States', 'ActivitiesTimedOut', 1],
      ],
    );
    const defaultAlarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').length;
    assert.equal(alarms.length, defaultAlarms - 2 + 3);
  });

  it('several at once, as a cdk.json list: each its own Activity, policy and role', () => {
    const two = workerEligible().slice(0, 2);
    const both = synth({ activityWorkers: two });
    both.template.resourceCountIs('AWS::StepFunctions::Activity', 2);
    both.template.resourceCountIs('AWS::IAM::ManagedPolicy', 2);
    const activityFunctions = resourcesOfType(both.json, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.Handler !== 'JobStatus');
    assert.equal(activityFunctions.length, MANIFEST.activities.length - 2);
    for (const name of two) assert.ok(both.json.Outputs[`ActivityArn${pascal(name)}`], name);
  });
});

describe('jobs API (generated *.openapi.json)', () => {
  const GENERATED = path.join(__dirname, '..', '..', 'statemachines', 'generated');
  const openapiFiles = fs.readdirSync(GENERATED).filter((f) => f.endsWith('.openapi.json'));
  const docs = openapiFiles.map((f) => JSON.parse(fs.readFileSync(path.join(GENERATED, f), 'utf8')));
  const withoutNullable = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'nullable' ? undefined : x)));
  const methods = resourcesOfType(json, 'AWS::ApiGateway::Method');
  const method = (verb: string) => {
    const found = methods.filter(([id, r]) => id.startsWith('ApiGroupImages') && r.Properties.HttpMethod === verb);
    assert.equal(found.length, 1, `one ${verb}`);
    return found[0][1].Properties;
  };
  const template = (m: any) => m.Integration.RequestTemplates['application/json'];
  const text = (v: unknown) => JSON.stringify(v);

  it('one REST API per generated document, its models equal to the document schemas', () => {
    assert.ok(openapiFiles.length >= 1, 'stepwise generate wrote a jobs API document');
    assert.equal(resourcesOfType(json, 'AWS::ApiGateway::RestApi').length, openapiFiles.length);
    const models = resourcesOfType(json, 'AWS::ApiGateway::Model');
    for (const doc of docs) {
      for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
        const found = models.filter(([, r]) => r.Properties.Name === name);
        assert.equal(found.length, 1, `model ${name}`);
        const { $schema, ...rest } = found[0][1].Properties.Schema;
        assert.equal($schema, 'http://json-schema.org/draft-04/schema#');
        assert.deepEqual(rest, withoutNullable(schema), `model ${name} matches the OpenAPI document`);
      }
    }
  });

  it('POST starts the workflow directly, naming the execution and taking the tenant from the claims only', () => {
    const post = method('POST');
    assert.equal(post.AuthorizationType, 'COGNITO_USER_POOLS');
    assert.ok(post.AuthorizerId, 'an authorizer');
    assert.ok(post.RequestValidatorId, 'a validator');
    assert.ok(post.RequestModels['application/json'].Ref.startsWith('ApiGroupImagesModelJobRequest'));
    assert.equal(post.Integration.Type, 'AWS');
    assert.match(text(post.Integration.Uri), /states:action\/StartExecution/);
    const vtl = text(template(post));
    assert.match(vtl, /#set\(\$tenant = \\"\$!context\.authorizer\.claims\['custom:tenant'\]\\"\)/);
    assert.match(vtl, /\$context\.requestId/);
    assert.match(vtl, /header\.get\('Idempotency-Key'\)/);
    assert.match(vtl, /\\"name\\": \\"\$util\.escapeJavaScript\(\$job\)\.replaceAll/);
    // The body gives only images and threshold; no tenant from it or a header.
    assert.doesNotMatch(vtl, /\$input\.json\('\$'\)/);
    assert.doesNotMatch(vtl, /input\.path\('\$\.tenant/);
    assert.doesNotMatch(vtl, /header\.get\('[^I]/);
    const [[machine]] = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').filter(
      ([, r]) => r.Properties.StateMachineName === `stepwise-${docs[0]['x-stepwise'].workflow}`,
    );
    assert.match(vtl, new RegExp(machine));
  });

  it('GET is the status function: a proxy integration of the artifact\'s JobStatus handler, told the table, bucket, workflow and claim', () => {
    const get = method('GET');
    assert.equal(get.AuthorizationType, 'COGNITO_USER_POOLS');
    assert.ok(get.AuthorizerId, 'an authorizer');
    assert.equal(get.Integration.Type, 'AWS_PROXY');
    const [fnId, fn] = named('AWS::Lambda::Function', 'ApiGroupImagesStatusFunction');
    assert.match(text(get.Integration.Uri), new RegExp(fnId));
    assert.equal(fn.Properties.Handler, 'JobStatus');
    assert.equal(fn.Properties.Runtime, 'provided.al2023');
    const env = fn.Properties.Environment.Variables;
    assert.match(text(env.JOBS_TABLE), /TableJobs/);
    assert.match(text(env.RESULTS_BUCKET), /PipelineBucket/);
    assert.match(text(env.STATE_MACHINE_ARN), /GroupImages/);
    assert.equal(env.TENANT_CLAIM, 'custom:tenant');
    assert.equal(env.PRESIGN_SECONDS, '900');
    // The same artifact as the activities' functions.
    const activity = resourcesOfType(json, 'AWS::Lambda::Function').find(([, r]) => r.Properties.Handler === 'ClusterImages');
    assert.ok(activity, 'the ClusterImages function');
    assert.deepEqual(fn.Properties.Code, activity[1].Properties.Code);
    assert.deepEqual(get.RequestParameters, { 'method.request.path.jobId': true });
    // API Gateway may invoke it, for this API's GET only.
    const permissions = resourcesOfType(json, 'AWS::Lambda::Permission').filter(([, r]) => text(r.Properties.FunctionName).includes(fnId));
    assert.ok(permissions.length >= 1);
    for (const [, p] of permissions) assert.equal(p.Properties.Principal, 'apigateway.amazonaws.com');
  });

  it('the status function may read the job records, the workflow\'s executions and the results under the staging prefix, nothing else', () => {
    const [, fn] = named('AWS::Lambda::Function', 'ApiGroupImagesStatusFunction');
    const statements = roleStatements(json, roleIdOf(fn.Properties.Role));
    const actions = statements.flatMap(actionsOf).sort();
    assert.deepEqual(actions, [
      'dynamodb:GetItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      'states:DescribeExecution',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const resourceOf = (action: string) => text(statements.filter((st) => actionsOf(st).includes(action)).map((st) => st.Resource));
    assert.match(resourceOf('dynamodb:GetItem'), /TableJobs/);
    assert.doesNotMatch(resourceOf('dynamodb:GetItem'), /index/);
    assert.match(resourceOf('s3:GetObject'), /PipelineBucket.*\/staging\/\*/);
    assert.match(resourceOf('states:DescribeExecution'), /:execution:/);
    assert.match(resourceOf('states:DescribeExecution'), /GroupImages/);
  });

  it('the roles of the integrations may do one thing each', () => {
    const statements = roleStatements(json, roleIdOf(method('POST').Integration.Credentials));
    assert.deepEqual(statements.flatMap(actionsOf), ['states:StartExecution'], 'POST');
  });

  it('validates bodies and parameters, throttles and logs access', () => {
    const [, validator] = resourcesOfType(json, 'AWS::ApiGateway::RequestValidator')[0];
    assert.equal(validator.Properties.ValidateRequestBody, true);
    assert.equal(validator.Properties.ValidateRequestParameters, true);
    const [, stage] = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0];
    assert.ok(stage.Properties.AccessLogSetting.DestinationArn, 'access logs');
    assert.equal(stage.Properties.TracingEnabled, true);
    const settings = stage.Properties.MethodSettings[0];
    assert.equal(settings.ThrottlingRateLimit, 50);
    assert.equal(settings.ThrottlingBurstLimit, 100);
    const tuned = synth({ jobsApiRateLimit: 7, jobsApiBurstLimit: 9 });
    const [, tunedStage] = resourcesOfType(tuned.json, 'AWS::ApiGateway::Stage')[0];
    assert.equal(tunedStage.Properties.MethodSettings[0].ThrottlingRateLimit, 7);
    assert.equal(tunedStage.Properties.MethodSettings[0].ThrottlingBurstLimit, 9);
  });

  it('a Cognito user pool with an immutable tenant attribute by default, or the one given', () => {
    const [poolId, pool] = named('AWS::Cognito::UserPool', 'ApiGroupImagesUserPool');
    const tenant = pool.Properties.Schema.find((a: any) => a.Name === 'tenant');
    assert.equal(tenant.Mutable, false);
    const [, authorizer] = resourcesOfType(json, 'AWS::ApiGateway::Authorizer')[0];
    assert.equal(authorizer.Properties.Type, 'COGNITO_USER_POOLS');
    assert.match(text(authorizer.Properties.ProviderARNs), new RegExp(poolId));
    const arn = 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc';
    const theirs = synth({ jobsApiUserPoolArn: arn });
    assert.equal(resourcesOfType(theirs.json, 'AWS::Cognito::UserPool').length, 0);
    const [, their] = resourcesOfType(theirs.json, 'AWS::ApiGateway::Authorizer')[0];
    assert.deepEqual(their.Properties.ProviderARNs, [arn]);
    assert.throws(() => synth({ jobsApiUserPoolArn: 'not-an-arn' }), /jobsApiUserPoolArn/);
  });

  it('another OIDC issuer: a Lambda token authorizer from the artifact, the tenant from its context', () => {
    const issuer = 'https://login.example.com/tenant-x/';
    const other = synth({ jobsApiJwtIssuer: issuer, jobsApiJwtAudience: 'jobs-api' });
    assert.equal(resourcesOfType(other.json, 'AWS::Cognito::UserPool').length, 0, 'no user pool');
    const authorizers = resourcesOfType(other.json, 'AWS::ApiGateway::Authorizer');
    assert.equal(authorizers.length, 1);
    const authorizer = authorizers[0][1].Properties;
    assert.equal(authorizer.Type, 'TOKEN');
    assert.equal(authorizer.IdentitySource, 'method.request.header.Authorization');
    assert.equal(authorizer.AuthorizerResultTtlInSeconds, 300);
    const fns = resourcesOfType(other.json, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.Handler === 'JwtAuthorizer');
    assert.equal(fns.length, 1, 'one authorizer function');
    const [fnId, fn] = fns[0];
    assert.match(text(authorizer.AuthorizerUri), new RegExp(fnId));
    assert.equal(fn.Properties.Runtime, 'provided.al2023');
    const env = fn.Properties.Environment.Variables;
    assert.equal(env.JWT_ISSUER, issuer);
    assert.equal(env.JWT_AUDIENCE, 'jobs-api');
    assert.equal(env.TENANT_CLAIM, 'custom:tenant');
    assert.equal(env.JWKS_URL, undefined, 'discovered from the issuer');
    // The same artifact as the activities; a role that may only write its logs (and traces).
    const activity = resourcesOfType(other.json, 'AWS::Lambda::Function').find(([, r]) => r.Properties.Handler === 'ClusterImages');
    assert.deepEqual(fn.Properties.Code, activity![1].Properties.Code);
    const actions = roleStatements(other.json, roleIdOf(fn.Properties.Role)).flatMap(actionsOf).sort();
    assert.deepEqual(actions, ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    // Both methods behind it; the POST's template reads the tenant from its context only.
    const methods = resourcesOfType(other.json, 'AWS::ApiGateway::Method').filter(([id]) => id.startsWith('ApiGroupImages'));
    const post = methods.find(([, r]) => r.Properties.HttpMethod === 'POST')![1].Properties;
    const get = methods.find(([, r]) => r.Properties.HttpMethod === 'GET')![1].Properties;
    for (const m of [post, get]) {
      assert.equal(m.AuthorizationType, 'CUSTOM');
      assert.deepEqual(m.AuthorizerId, { Ref: authorizers[0][0] });
    }
    const vtl = text(template(post));
    assert.match(vtl, /#set\(\$tenant = \\"\$!context\.authorizer\.tenant\\"\)/);
    assert.doesNotMatch(vtl, /claims/);
    // The status function finds the tenant under the authorizer's context key.
    const status = resourcesOfType(other.json, 'AWS::Lambda::Function').find(([, r]) => r.Properties.Handler === 'JobStatus')!;
    assert.equal(status[1].Properties.Environment.Variables.TENANT_CLAIM, 'tenant');
    // Its faults (cannot read the keys), not refused tokens, raise an alarm.
    const [, filter] = resourcesOfType(other.json, 'AWS::Logs::MetricFilter')[0];
    assert.equal(filter.Properties.FilterPattern, '"cannot decide"');
    const metric = filter.Properties.MetricTransformations[0];
    const alarms = resourcesOfType(other.json, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    assert.equal(alarms.filter((a) => a.MetricName === metric.MetricName && a.Namespace === metric.MetricNamespace).length, 1);
    // A named key set is passed on.
    const named = synth({ jobsApiJwtIssuer: issuer, jobsApiJwtAudience: 'a', jobsApiJwksUrl: 'https://login.example.com/keys' });
    const namedFn = resourcesOfType(named.json, 'AWS::Lambda::Function').find(([, r]) => r.Properties.Handler === 'JwtAuthorizer')!;
    assert.equal(namedFn[1].Properties.Environment.Variables.JWKS_URL, 'https://login.example.com/keys');
  });

  it('refuses an issuer setting that cannot work, naming the parameter', () => {
    assert.throws(() => synth({ jobsApiJwtIssuer: 'http://login.example.com', jobsApiJwtAudience: 'a' }), /jobsApiJwtIssuer.*https/);
    assert.throws(() => synth({ jobsApiJwtIssuer: 'not a url', jobsApiJwtAudience: 'a' }), /jobsApiJwtIssuer.*not a URL/);
    assert.throws(() => synth({ jobsApiJwtIssuer: 'https://login.example.com' }), /jobsApiJwtAudience.*required/);
    assert.throws(() => synth({ jobsApiJwtAudience: 'a' }), /jobsApiJwtAudience.*needs "jobsApiJwtIssuer"/);
    assert.throws(
      () =>
        synth({
          jobsApiJwtIssuer: 'https://login.example.com',
          jobsApiJwtAudience: 'a',
          jobsApiUserPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc',
        }),
      /exclude each other/,
    );
  });
});
