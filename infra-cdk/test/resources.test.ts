/**
 * Declared resources and event rules on a fixture manifest that declares one of each kind
 * (a table with a GSI and TTL, a queue, an S3 Vectors index) and a workflow that reaches
 * them through placeholders, holds a permission of every new resource kind and is started
 * by an EventBridge rule with a dead-letter queue: what the stack creates, substitutes,
 * grants and alarms on, and that cdk-nag finds nothing unacknowledged.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';
import { WORKFLOW, fixture } from './fixture';
import {
  actionsOf,
  fakeArtifact,
  resourcesOf,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  tempDir,
} from './helpers';

const X86 = fakeArtifact('x86_64');
const built = buildApp({ artifactDir: X86, generatedDir: fixture() }, tempDir('resources'));
const json = Template.fromStack(built.stack).toJSON();
const template = Template.fromStack(built.stack);
const one = (type: string, where: (r: any, id: string) => boolean = () => true): [string, any] => {
  const found = resourcesOfType(json, type).filter(([id, r]) => where(r, id));
  assert.equal(found.length, 1, `one ${type}`);
  return found[0];
};
const [tableId, table] = one('AWS::DynamoDB::Table', (r) => r.Properties.KeySchema[0].AttributeName === 'PK');
const [queueId, queue] = one('AWS::SQS::Queue', (_, id) => id.startsWith('QueueDeadLetters'));
const [indexId, index] = one('AWS::S3Vectors::Index');
const [machineId, machine] = one('AWS::StepFunctions::StateMachine', (r) => r.Properties.StateMachineName === 'stepwise-fixture-events');

describe('declared resources', () => {
  it('creates the table on demand with its keys, GSI (all projected), TTL and point-in-time recovery', () => {
    const p = table.Properties;
    assert.deepEqual(p.KeySchema, [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(p.TimeToLiveSpecification, { AttributeName: 'ttl', Enabled: true });
    assert.equal(p.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true);
    assert.deepEqual(p.GlobalSecondaryIndexes, [
      {
        IndexName: 'GSI2',
        KeySchema: [
          { AttributeName: 'GSI2PK', KeyType: 'HASH' },
          { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    assert.equal(table.DeletionPolicy, 'Retain');
  });

  it('creates the queue with SSE and its retention, and the vector bucket and index as declared', () => {
    assert.equal(queue.Properties.SqsManagedSseEnabled, true);
    assert.equal(queue.Properties.MessageRetentionPeriod, 14 * 86400);
    const [bucketId] = one('AWS::S3Vectors::VectorBucket');
    assert.deepEqual(index.Properties, {
      VectorBucketArn: { 'Fn::GetAtt': [bucketId, 'VectorBucketArn'] },
      IndexName: 'products',
      DataType: 'float32',
      Dimension: 1024,
      DistanceMetric: 'cosine',
      MetadataConfiguration: { NonFilterableMetadataKeys: ['description'] },
    });
  });

  it("substitutes every placeholder the definition uses with the created resource", () => {
    const subs = machine.Properties.DefinitionSubstitutions;
    assert.deepEqual(subs.SalesHistoryTableName, { Ref: tableId });
    assert.deepEqual(subs.DeadLettersQueueUrl, { Ref: queueId });
    assert.deepEqual(subs.ProductsIndexName, 'products');
    assert.ok(JSON.stringify(subs.ProductsVectorBucketName).includes('VectorBucketArn'), JSON.stringify(subs));
    assert.deepEqual(Object.keys(subs).sort(), [...WORKFLOW.placeholders].sort());
  });

  it('grants each permission on exactly the declared resource', () => {
    const statements = roleStatements(json, roleIdOf(machine.Properties.RoleArn));
    const find = (action: string) => {
      const s = statements.filter((st) => actionsOf(st).includes(action));
      assert.equal(s.length, 1, `one statement with ${action}`);
      return resourcesOf(s[0]);
    };
    assert.deepEqual(find('dynamodb:PutItem'), [
      { 'Fn::GetAtt': [tableId, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']] },
    ]);
    assert.deepEqual(find('sqs:SendMessage'), [{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
    assert.deepEqual(find('s3vectors:PutVectors'), [{ 'Fn::GetAtt': [indexId, 'IndexArn'] }]);
    assert.ok(JSON.stringify(find('events:PutEvents')).includes(':event-bus/default'));
    assert.ok(JSON.stringify(find('s3:PutObject')).includes('/thumbnails/*'));
    assert.ok(JSON.stringify(find('s3:GetObject')).includes('/embeddings/*'));
  });

  it('expires thumbnails by a lifecycle rule and keeps embeddings', () => {
    const rules = resourcesOfType(json, 'AWS::S3::Bucket').flatMap(([, b]) => b.Properties.LifecycleConfiguration?.Rules ?? []);
    const thumbnails = rules.find((r: any) => r.Id === 'expire-thumbnails');
    assert.deepEqual(thumbnails && { prefix: thumbnails.Prefix, days: thumbnails.ExpirationInDays }, { prefix: 'thumbnails/', days: 30 });
    assert.ok(!rules.some((r: any) => r.Prefix === 'embeddings/'), 'no rule expires embeddings');
  });

  it('creates the event rule with its pattern, input transformer, retry policy and dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['carousel.products'], 'detail-type': ['carousel.product.sold'] },
      Targets: [
        Match.objectLike({
          Arn: { Ref: machineId },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          InputTransformer: Match.objectLike({ InputPathsMap: { 'detail-saleId': '$.detail.saleId', f1: '$' } }),
        }),
      ],
    });
  });

  it('alarms on the dead-letter queue, throttled executions and table throttles', () => {
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmDescription);
    for (const d of [
      'Stepwise: dead-letters queue not empty',
      'Stepwise: fixture-events executions throttled',
      'Stepwise: fixture-events executions failed',
      'Stepwise: sales-history table throttled',
    ]) {
      assert.ok(alarms.includes(d), `${d} in ${alarms.join(' | ')}`);
    }
  });

  it('passes cdk-nag with only reasoned acknowledgements', () => {
    const { app } = buildApp({ artifactDir: X86, generatedDir: fixture() }, tempDir('resources-nag'));
    app.synth(); // cdk-nag 3 is a validation plugin: an unacknowledged finding throws here
  });

  it('refuses a permission or dead-letter queue naming an undeclared resource', () => {
    assert.throws(
      () =>
        buildApp(
          { artifactDir: X86, generatedDir: fixture((m) => (m.workflows.at(-1).permissions[0].resource.table = 'nope')) },
          tempDir('resources-bad'),
        ),
      /permissions\[0\]: \{"kind":"table","table":"nope"\} is not in "resources"/,
    );
    assert.throws(
      () =>
        buildApp(
          { artifactDir: X86, generatedDir: fixture((m) => (m.workflows.at(-1).triggers[0].deadLetterQueue = 'nope')) },
          tempDir('resources-bad-dlq'),
        ),
      /deadLetterQueue: "nope" is not a queue in "resources"/,
    );
  });
});
