/**
 * The lake's S3 Tables resources on the real generated `lake-tables.json`: the table
 * bucket (unreferenced-file removal, retained), the namespace, each Iceberg table with
 * the generated schema (field ids, the embedding's list type), partition spec,
 * properties, snapshot expiry and compaction (retained), the grants of the writers on
 * exactly the table and bucket ARNs, the outputs, the analytics integration behind its
 * context flag, and the synth failures of bad lake permissions and names.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildApp } from '../lib/app';
import { LAKE_FILE, ManifestError, loadLake } from '../lib/manifest';
import { SettingsError } from '../lib/settings';
import {
  GENERATED_DIR,
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
  tempDir,
} from './helpers';

const LAKE = loadLake(GENERATED_DIR);
const RAW = JSON.parse(fs.readFileSync(path.join(GENERATED_DIR, LAKE_FILE), 'utf8'));
const { json } = synth();
const X86 = fakeArtifact('x86_64');

const only = (type: string): [string, any] => {
  const found = resourcesOfType(json, type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0];
};
const [bucketId, bucket] = only('AWS::S3Tables::TableBucket');
const [namespaceId, namespace] = only('AWS::S3Tables::Namespace');
const tables = resourcesOfType(json, 'AWS::S3Tables::Table');
const tableNamed = (name: string): [string, any] => {
  const found = tables.filter(([, r]) => r.Properties.TableName === name);
  assert.equal(found.length, 1, `one table ${name}`);
  return found[0];
};

describe('lake-tables.json', () => {
  it('is generated and declares both datasets', () => {
    assert.ok(LAKE !== undefined, `${LAKE_FILE} is in ${GENERATED_DIR}`);
    assert.deepEqual(
      LAKE.tables.map((t) => t.name),
      ['smartgo_sales', 'sales_history'],
    );
    assert.equal(MANIFEST.lake?.namespace, LAKE.namespace);
  });
});

describe('the table bucket and namespace', () => {
  it('a table bucket named after the prefix, removing unreferenced files, SSE-S3, retained', () => {
    const p = bucket.Properties;
    assert.equal(p.TableBucketName, 'stepwise-lake');
    assert.deepEqual(p.UnreferencedFileRemoval, {
      Status: 'Enabled',
      UnreferencedDays: RAW.unreferencedFileRemoval.unreferencedDays,
      NoncurrentDays: RAW.unreferencedFileRemoval.noncurrentDays,
    });
    assert.deepEqual(p.EncryptionConfiguration, { SSEAlgorithm: 'AES256' });
    assert.equal(bucket.DeletionPolicy, 'Retain');
    assert.equal(bucket.UpdateReplacePolicy, 'Retain');
  });

  it('the namespace in that bucket, retained', () => {
    assert.equal(namespace.Properties.Namespace, RAW.namespace);
    assert.deepEqual(namespace.Properties.TableBucketARN, { 'Fn::GetAtt': [bucketId, 'TableBucketARN'] });
    assert.equal(namespace.DeletionPolicy, 'Retain');
  });

  it('-c lakeTableBucketName names the bucket; a bad name fails synth', () => {
    const named = synth({ lakeTableBucketName: 'acme-sales-lake' });
    const [, b] = resourcesOfType(named.json, 'AWS::S3Tables::TableBucket')[0];
    assert.equal(b.Properties.TableBucketName, 'acme-sales-lake');
    assert.throws(
      () => buildApp({ artifactDir: X86, lakeTableBucketName: 'Acme_Lake' }, tempDir('lake-bad-name')),
      (e: Error) => e instanceof SettingsError && /lakeTableBucketName/.test(e.message),
    );
  });
});

describe('the Iceberg tables', () => {
  it('one per declared table, no more', () => {
    assert.equal(tables.length, RAW.tables.length);
  });

  for (const declared of RAW.tables as any[]) {
    it(`${declared.name}: the generated schema with its field ids and types, partition spec and properties`, () => {
      const [, t] = tableNamed(declared.name);
      const p = t.Properties;
      assert.equal(p.OpenTableFormat, 'ICEBERG');
      assert.equal(p.Namespace, RAW.namespace);
      assert.deepEqual(p.TableBucketARN, { 'Fn::GetAtt': [bucketId, 'TableBucketARN'] });
      const schema = p.IcebergMetadata.IcebergSchemaV2;
      assert.equal(schema.SchemaV2FieldType, 'struct');
      assert.equal(schema.SchemaId, declared.schema['schema-id']);
      assert.deepEqual(
        schema.SchemaV2FieldList,
        declared.schema.fields.map((f: any) => ({ Id: f.id, Name: f.name, Required: f.required, Type: f.type })),
      );
      // The embedding is a list of floats with its own element id, as Rust declares it.
      const embedding = schema.SchemaV2FieldList.find((f: any) => f.Name === 'embedding');
      assert.equal(embedding.Type.type, 'list');
      assert.equal(embedding.Type.element, 'float');
      assert.equal(typeof embedding.Type['element-id'], 'number');
      assert.deepEqual(p.IcebergMetadata.IcebergPartitionSpec, {
        SpecId: declared.partitionSpec['spec-id'],
        Fields: declared.partitionSpec.fields.map((f: any) => ({
          SourceId: f['source-id'],
          FieldId: f['field-id'],
          Name: f.name,
          Transform: f.transform,
        })),
      });
      assert.deepEqual(
        p.IcebergMetadata.IcebergPartitionSpec.Fields.map((f: any) => f.Transform),
        ['identity', 'month'],
      );
      assert.deepEqual(p.IcebergMetadata.TableProperties, { 'format-version': String(declared.formatVersion), ...declared.properties });
      assert.equal(p.IcebergMetadata.TableProperties['format-version'], '2');
      assert.ok('schema.name-mapping.default' in p.IcebergMetadata.TableProperties);
    });

    it(`${declared.name}: snapshot expiry and compaction as declared, created after the namespace, retained`, () => {
      const [, t] = tableNamed(declared.name);
      assert.deepEqual(t.Properties.SnapshotManagement, {
        Status: 'enabled',
        MinSnapshotsToKeep: declared.snapshotManagement.minSnapshotsToKeep,
        MaxSnapshotAgeHours: declared.snapshotManagement.maxSnapshotAgeHours,
      });
      assert.deepEqual(t.Properties.Compaction, {
        Status: declared.compaction.enabled ? 'enabled' : 'disabled',
        TargetFileSizeMB: declared.compaction.targetFileSizeMb,
      });
      assert.ok((t.DependsOn ?? []).includes(namespaceId), 'DependsOn the namespace');
      assert.equal(t.DeletionPolicy, 'Retain');
      assert.equal(t.UpdateReplacePolicy, 'Retain');
    });
  }

  it('smartgo_sales is not compacted (a re-run replaces its date by whole files); sales_history is', () => {
    assert.equal(tableNamed('smartgo_sales')[1].Properties.Compaction.Status, 'disabled');
    assert.equal(tableNamed('sales_history')[1].Properties.Compaction.Status, 'enabled');
  });
});

describe('S3 Tables grants', () => {
  const s3tablesStatements = (roleId: string) =>
    roleStatements(json, roleId).filter((s) => actionsOf(s).some((a) => a.startsWith('s3tables:')));

  it('WritePartition may read, write and commit smartgo_sales only, and get the namespace of the bucket only', () => {
    const role = roleIdOf(json.Resources[functionId(json, 'WritePartition')].Properties.Role);
    const statements = s3tablesStatements(role);
    const [salesId] = tableNamed('smartgo_sales');
    const onTable = statements.filter((s) => JSON.stringify(resourcesOf(s)) === JSON.stringify([{ 'Fn::GetAtt': [salesId, 'TableARN'] }]));
    assert.equal(onTable.length, 1, JSON.stringify(statements));
    assert.deepEqual([...actionsOf(onTable[0])].sort(), [
      's3tables:GetTable',
      's3tables:GetTableData',
      's3tables:PutTableData',
      's3tables:UpdateTableMetadataLocation',
    ]);
    const onBucket = statements.filter((s) => JSON.stringify(resourcesOf(s)) === JSON.stringify([{ 'Fn::GetAtt': [bucketId, 'TableBucketARN'] }]));
    assert.equal(onBucket.length, 1, JSON.stringify(statements));
    assert.deepEqual(actionsOf(onBucket[0]), ['s3tables:GetNamespace']);
    assert.equal(statements.length, 2);
  });

  it('the compaction\'s steps may read sales_history, stage and commit to it, and get the namespace: nothing on smartgo_sales', () => {
    const [historyId] = tableNamed('sales_history');
    const onHistory = { 'Fn::GetAtt': [historyId, 'TableARN'] };
    const onBucket = { 'Fn::GetAtt': [bucketId, 'TableBucketARN'] };
    const expected: Record<string, string[]> = {
      PlanCompaction: ['s3tables:GetNamespace', 's3tables:GetTable', 's3tables:GetTableData'],
      CompactPartition: ['s3tables:GetNamespace', 's3tables:GetTable', 's3tables:GetTableData', 's3tables:PutTableData'],
      CommitCompaction: [
        's3tables:GetNamespace',
        's3tables:GetTable',
        's3tables:GetTableData',
        's3tables:PutTableData',
        's3tables:UpdateTableMetadataLocation',
      ],
      DeleteCommitted: ['s3tables:GetNamespace', 's3tables:GetTable', 's3tables:GetTableData'],
    };
    for (const [activity, actions] of Object.entries(expected)) {
      const role = roleIdOf(json.Resources[functionId(json, activity)].Properties.Role);
      const statements = s3tablesStatements(role);
      for (const st of statements) {
        const on = JSON.stringify(resourcesOf(st));
        assert.ok(on === JSON.stringify([onHistory]) || on === JSON.stringify([onBucket]), `${activity}: ${on}`);
        if (on === JSON.stringify([onBucket])) assert.deepEqual(actionsOf(st), ['s3tables:GetNamespace'], activity);
      }
      assert.deepEqual([...new Set(statements.flatMap((st) => actionsOf(st)))].sort(), actions, activity);
    }
  });

  it('the compaction schedule passes the deployment\'s table bucket ARN and namespace as lake_tables', () => {
    const schedules = resourcesOfType(json, 'AWS::Scheduler::Schedule').filter(([, r]) =>
      String(r.Properties.Description).startsWith('Starts product-sold-sync-compaction'),
    );
    assert.equal(schedules.length, 1);
    const input = JSON.stringify(schedules[0][1].Properties.Target.Input);
    assert.ok(input.includes('lake_tables'), input);
    assert.ok(input.includes(JSON.stringify({ 'Fn::GetAtt': [bucketId, 'TableBucketARN'] })), input);
    assert.ok(input.includes(JSON.stringify(`","namespace":"${LAKE?.namespace}"}}`).slice(1, -1)), input);
  });

  it('no role gets an S3 Tables action on "*", a bucket wildcard or another stack\'s table', () => {
    for (const [roleId] of resourcesOfType(json, 'AWS::IAM::Role')) {
      for (const s of s3tablesStatements(roleId)) {
        for (const r of resourcesOf(s)) {
          const ok =
            JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [bucketId, 'TableBucketARN'] }) ||
            tables.some(([id]) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [id, 'TableARN'] }));
          assert.ok(ok, `${roleId}: ${JSON.stringify(r)}`);
        }
      }
    }
  });

  it('a lakeTable permission naming no declared table fails synth, naming the tables there are', () => {
    const dir = editedGenerated((m) => {
      const a = m.activities.find((x: any) => x.name === 'WritePartition');
      a.permissions.push({ actions: ['s3tables:GetTable'], resource: { kind: 'lakeTable', dataset: 'orders' }, reason: 'test' });
    });
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }, tempDir('lake-unknown')),
      (e: Error) => e instanceof ManifestError && /names no table of lake-tables\.json \(tables: smartgo_sales, sales_history\)/.test(e.message),
    );
  });

  it('a bucket-level action on a table, or a table action on the bucket, fails synth', () => {
    for (const [resource, action] of [
      [{ kind: 'lakeTable', dataset: 'smartgo_sales' }, 's3tables:CreateNamespace'],
      [{ kind: 'lakeNamespace' }, 's3tables:PutTableData'],
      [{ kind: 'lakeNamespace' }, 's3:GetObject'],
    ] as const) {
      const dir = editedGenerated((m) => {
        const a = m.activities.find((x: any) => x.name === 'WritePartition');
        a.permissions.push({ actions: [action], resource, reason: 'test' });
      });
      assert.throws(
        () => buildApp({ artifactDir: X86, generatedDir: dir }, tempDir('lake-action')),
        (e: Error) => e instanceof Error && new RegExp(`${action} cannot apply to`).test(e.message),
        `${action} on ${resource.kind}`,
      );
    }
  });

  it('lake permissions without lake-tables.json fail synth saying to generate it', () => {
    const dir = editedGenerated(() => {});
    fs.rmSync(path.join(dir, LAKE_FILE));
    assert.throws(
      () => buildApp({ artifactDir: X86, generatedDir: dir }, tempDir('lake-missing')),
      (e: Error) => e instanceof ManifestError && /lake-tables\.json, which does not exist: run `stepwise generate`/.test(e.message),
    );
  });
});

describe('outputs', () => {
  it('the lake tables config to paste into the SSM parameter, the bucket ARN, namespace and Athena catalog', () => {
    const outputs = json.Outputs;
    assert.deepEqual(outputs.LakeTableBucketArn.Value, { 'Fn::GetAtt': [bucketId, 'TableBucketARN'] });
    assert.equal(outputs.LakeNamespaceName.Value, RAW.namespace);
    const config = JSON.stringify(outputs.LakeTablesConfig.Value);
    assert.match(config, /table_bucket/);
    assert.match(config, new RegExp(bucketId));
    assert.match(config, /\\"namespace\\":\\"lake\\"/);
    assert.equal(outputs.LakeAthenaCatalog.Value, 's3tablescatalog/stepwise-lake');
  });
});

describe('the analytics integration (lakeAnalyticsIntegration)', () => {
  it('off by default: no Glue catalog, no Lake Formation registration', () => {
    assert.equal(resourcesOfType(json, 'AWS::Glue::Catalog').length, 0);
    assert.equal(resourcesOfType(json, 'AWS::LakeFormation::Resource').length, 0);
  });

  it('on: the s3tablescatalog federated catalog, its Lake Formation registration and a read-only role on this lake', () => {
    const on = synth({ lakeAnalyticsIntegration: 'true' }).json;
    const [, catalog] = resourcesOfType(on, 'AWS::Glue::Catalog')[0];
    assert.equal(catalog.Properties.Name, 's3tablescatalog');
    assert.equal(catalog.Properties.FederatedCatalog.ConnectionName, 'aws:s3tables');
    assert.match(JSON.stringify(catalog.Properties.FederatedCatalog.Identifier), /:s3tables:.*:bucket\/\*/);
    const [registrationId, registration] = resourcesOfType(on, 'AWS::LakeFormation::Resource')[0];
    assert.equal(registration.Properties.WithFederation, true);
    assert.equal(registration.Properties.UseServiceLinkedRole, false);
    assert.ok((resourcesOfType(on, 'AWS::Glue::Catalog')[0][1].DependsOn ?? []).includes(registrationId));
    const roleId = roleIdOf(registration.Properties.RoleArn);
    const trust = on.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement;
    assert.ok(trust.every((s: any) => s.Principal.Service === 'lakeformation.amazonaws.com'));
    const actions = roleStatements(on, roleId).flatMap(actionsOf).sort();
    assert.deepEqual(actions, [
      's3tables:GetNamespace',
      's3tables:GetTable',
      's3tables:GetTableBucket',
      's3tables:GetTableData',
      's3tables:GetTableMetadataLocation',
      's3tables:ListNamespaces',
      's3tables:ListTables',
    ]);
    assert.ok(!actions.some((a) => /Put|Update|Create|Delete/.test(a)), 'read only');
    assert.throws(
      () => buildApp({ artifactDir: X86, lakeAnalyticsIntegration: 'yes' }, tempDir('lake-flag')),
      (e: Error) => e instanceof SettingsError && /lakeAnalyticsIntegration/.test(e.message),
    );
  });
});
