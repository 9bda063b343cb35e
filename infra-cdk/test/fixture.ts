/**
 * A fixture manifest declaring one resource of each kind: a copy of the generated
 * directory plus a workflow (`fixture-events`) whose definition reaches a table, a queue
 * and a vector index through placeholders, holds a permission of every new resource kind
 * and is started by an EventBridge rule with a dead-letter queue. Used by
 * resources.test.ts and by scripts/test.sh (cfn-lint on its synthesized template, through
 * synth-fixture.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editedGenerated } from './helpers';

export const ASL = {
  Comment: 'fixture: one Task per kind of declared resource',
  StartAt: 'Put',
  States: {
    Put: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: { TableName: '${SalesHistoryTableName}', Item: { PK: { S: 'p' }, SK: { S: 's' } } },
      ResultPath: null,
      Next: 'Vectors',
    },
    Vectors: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:s3vectors:putVectors',
      Parameters: { VectorBucketName: '${ProductsVectorBucketName}', IndexName: '${ProductsIndexName}', Vectors: [] },
      ResultPath: null,
      Next: 'Dead letter',
    },
    'Dead letter': {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage',
      Parameters: { QueueUrl: '${DeadLettersQueueUrl}', MessageBody: 'x' },
      End: true,
    },
  },
};

export const RESOURCES = {
  tables: [
    {
      name: 'sales-history',
      partitionKey: { name: 'PK', kind: 'S' },
      sortKey: { name: 'SK', kind: 'S' },
      indexes: [{ name: 'GSI2', partitionKey: { name: 'GSI2PK', kind: 'S' }, sortKey: { name: 'GSI2SK', kind: 'S' } }],
      ttlAttribute: 'ttl',
      reason: 'per-product queries',
    },
  ],
  queues: [{ name: 'dead-letters', retentionDays: 14, reason: 'events that failed' }],
  vectorIndexes: [
    { name: 'products', dimension: 1024, distance: 'cosine', nonFilterableMetadataKeys: ['description'], reason: 'similar products' },
  ],
};

export const WORKFLOW = {
  name: 'fixture-events',
  definition: 'fixture-events.asl.json',
  type: 'EXPRESS',
  activities: [],
  exampleInput: 'example-orders.input.example.json',
  inputSchema: 'example-orders.input.schema.json',
  permissions: [
    { actions: ['dynamodb:PutItem'], resource: { kind: 'table', table: 'sales-history' }, reason: 'writes' },
    { actions: ['s3vectors:PutVectors'], resource: { kind: 'vectorIndex', index: 'products' }, reason: 'ingests' },
    { actions: ['sqs:SendMessage'], resource: { kind: 'queue', queue: 'dead-letters' }, reason: 'dead letters' },
    { actions: ['events:PutEvents'], resource: { kind: 'eventBus' }, reason: 'replays' },
    { actions: ['s3:PutObject'], resource: { kind: 'objects', area: 'thumbnails' }, reason: 'thumbnails' },
    { actions: ['s3:GetObject'], resource: { kind: 'objects', area: 'embeddings' }, reason: 'embeddings' },
  ],
  triggers: [
    {
      kind: 'eventRule',
      source: 'carousel.products',
      detailType: 'carousel.product.sold',
      input: { kind: 'template', template: { event: '<aws.events.event>', sale: '<$.detail.saleId>', table: '${SalesHistoryTableName}' } },
      retry: { maximumRetryAttempts: 8, maximumEventAgeSeconds: 3600 },
      deadLetterQueue: 'dead-letters',
      reason: 'one execution per sale',
    },
  ],
  placeholders: ['DeadLettersQueueUrl', 'ProductsIndexName', 'ProductsVectorBucketName', 'SalesHistoryTableName'],
};

export function fixture(edit: (m: any) => void = () => {}): string {
  const dir = editedGenerated(
    (m) => {
      // The fixture's declarations stand alone: keep only the real workflows that declare
      // nothing (and their activities), so the fixture's names cannot meet the real ones.
      const declares = (w: any) =>
        [...w.permissions, ...m.activities.filter((a: any) => w.activities.includes(a.name)).flatMap((a: any) => a.permissions)].some(
          (p: any) => ['table', 'queue', 'vectorIndex'].includes(p.resource.kind),
        ) || (w.placeholders ?? []).length > 0;
      m.workflows = m.workflows.filter((w: any) => !declares(w));
      const kept = new Set(m.workflows.flatMap((w: any) => w.activities));
      m.activities = m.activities.filter((a: any) => kept.has(a.name));
      m.resources = structuredClone(RESOURCES);
      m.workflows.push(structuredClone(WORKFLOW));
      edit(m);
    },
    { 'fixture-events.asl.json': JSON.stringify(ASL) },
  );
  // A jobs API document (`*.openapi.json`) whose workflow the fixture dropped goes too.
  const kept = new Set(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).workflows.map((w: any) => w.name));
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.openapi.json'))) {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    if (!kept.has(doc['x-stepwise']?.workflow)) fs.unlinkSync(path.join(dir, f));
  }
  return dir;
}

