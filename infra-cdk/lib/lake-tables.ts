/**
 * The lake as Amazon S3 Tables: the table bucket, the namespace and one Iceberg table per
 * dataset, exactly as `lake-tables.json` (generated from `lake-tables/src/deployment.rs`)
 * declares them — CloudFormation's `AWS::S3Tables::*` resources through aws-cdk-lib's L1
 * constructs (`aws_s3tables.CfnTableBucket`/`CfnNamespace`/`CfnTable`; the L2 is an
 * alpha module, not a dependency here). Each table gets its schema with the declared
 * field ids (`IcebergSchemaV2`, which takes the list type of the embedding), its
 * partition spec with the declared partition field ids and its properties (the name
 * mapping), so `LakeTables::ensure_table` in Rust finds it as declared.
 *
 * With the `lakeAnalyticsIntegration` context, also the account-level integration with
 * the AWS analytics services: the `s3tablescatalog` Glue catalog federated to S3 Tables
 * and its Lake Formation registration (see infra-cdk/README.md, "Lake tables").
 *
 * This module names no dataset: the tables come from the generated file.
 */
import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import * as s3tables from 'aws-cdk-lib/aws-s3tables';
import type { LakeSpec } from './manifest';
import { ManifestError, isTableBucketName } from './manifest';

/** The Glue catalog name the S3 Tables integration uses (Athena: `"s3tablescatalog/<bucket>"`). */
export const S3_TABLES_CATALOG = 's3tablescatalog';

/** What the stack created for the lake. */
export interface Lake {
  spec: LakeSpec;
  bucket: s3tables.CfnTableBucket;
  /** The table bucket's name (not a token: it is in the Athena catalog path). */
  bucketName: string;
  namespace: s3tables.CfnNamespace;
  /** Each table by its name. */
  tables: Map<string, s3tables.CfnTable>;
  /** The Lake Formation data-access role, with `lakeAnalyticsIntegration`. */
  integrationRole?: iam.Role;
}

/** PascalCase of a snake_case or kebab-case name (`smartgo_sales` → `SmartgoSales`). */
function pascal(name: string): string {
  return name
    .split(/[-_]/)
    .filter((p) => p !== '')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

/** Creates the table bucket, namespace and tables of `spec` in `stack`. */
export function createLake(
  stack: Stack,
  spec: LakeSpec,
  options: { bucketName: string; analyticsIntegration: boolean },
): Lake {
  if (!isTableBucketName(options.bucketName)) {
    throw new ManifestError(
      `the lake's table bucket name "${options.bucketName}" is not an S3 table bucket name (3-63 of a-z, 0-9 and -): set -c lakeTableBucketName=...`,
    );
  }
  const removal = spec.unreferencedFileRemoval;
  const bucket = new s3tables.CfnTableBucket(stack, 'LakeTableBucket', {
    tableBucketName: options.bucketName,
    // Deletes files no snapshot references: a failed run's data files, a lost commit's
    // manifests and metadata (lake-tables/README.md); nothing in Stepwise deletes them.
    unreferencedFileRemoval: {
      status: 'Enabled',
      unreferencedDays: removal.unreferencedDays,
      noncurrentDays: removal.noncurrentDays,
    },
    encryptionConfiguration: { sseAlgorithm: 'AES256' },
  });
  bucket.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const namespace = new s3tables.CfnNamespace(stack, 'LakeNamespace', {
    tableBucketArn: bucket.attrTableBucketArn,
    namespace: spec.namespace,
  });
  namespace.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const tables = new Map<string, s3tables.CfnTable>();
  for (const t of spec.tables) {
    const table = new s3tables.CfnTable(stack, `LakeTable${pascal(t.name)}`, {
      tableBucketArn: bucket.attrTableBucketArn,
      namespace: spec.namespace,
      tableName: t.name,
      openTableFormat: 'ICEBERG',
      icebergMetadata: {
        icebergSchemaV2: {
          schemaV2FieldType: 'struct',
          schemaId: t.schemaId,
          schemaV2FieldList: t.fields.map((f) => ({ id: f.id, name: f.name, required: f.required, type: f.type })),
        },
        icebergPartitionSpec: {
          specId: t.specId,
          fields: t.partitionFields.map((f) => ({
            sourceId: f.sourceId,
            fieldId: f.fieldId,
            name: f.name,
            transform: f.transform,
          })),
        },
        // The format version the Rust side creates tables with (a reserved property:
        // Iceberg reads it at creation), then the declared properties.
        tableProperties: { 'format-version': String(t.formatVersion), ...t.properties },
      },
      snapshotManagement: {
        status: 'enabled',
        minSnapshotsToKeep: t.snapshotManagement.minSnapshotsToKeep,
        maxSnapshotAgeHours: t.snapshotManagement.maxSnapshotAgeHours,
      },
      compaction: {
        status: t.compaction.enabled ? 'enabled' : 'disabled',
        targetFileSizeMb: t.compaction.targetFileSizeMb,
      },
    });
    // The namespace must exist before a table is created in it (the table names it by
    // value, so CloudFormation would not infer the order).
    table.addResourceDependency(namespace);
    // The table holds the data: a stack deletion leaves it (and its bucket) in place.
    table.applyRemovalPolicy(RemovalPolicy.RETAIN);
    tables.set(t.name, table);
  }
  const lake: Lake = { spec, bucket, bucketName: options.bucketName, namespace, tables };
  if (options.analyticsIntegration) lake.integrationRole = analyticsIntegration(stack, lake);
  return lake;
}

/**
 * The integration of S3 Tables with the AWS analytics services, as the console's
 * "Enable integration" sets it up: a role Lake Formation assumes to read the tables, the
 * Lake Formation registration of the account's table buckets with federation, and the
 * `s3tablescatalog` Glue catalog federated to them. One per account and region: behind
 * the `lakeAnalyticsIntegration` context.
 */
function analyticsIntegration(stack: Stack, lake: Lake): iam.Role {
  const buckets = `arn:${Aws.PARTITION}:s3tables:${Aws.REGION}:${Aws.ACCOUNT_ID}:bucket/*`;
  const role = new iam.Role(stack, 'LakeFormationS3TablesRole', {
    description: 'Lake Formation reads the lake tables (S3 Tables) for Athena through the s3tablescatalog Glue catalog',
    assumedBy: new iam.ServicePrincipal('lakeformation.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  });
  role.assumeRolePolicy?.addStatements(
    new iam.PolicyStatement({
      actions: ['sts:SetSourceIdentity', 'sts:SetContext'],
      principals: [new iam.ServicePrincipal('lakeformation.amazonaws.com')],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  const tableArns = [...lake.tables.values()].map((t) => t.attrTableArn);
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3tables:GetTableBucket', 's3tables:GetNamespace', 's3tables:ListNamespaces', 's3tables:ListTables'],
      resources: [lake.bucket.attrTableBucketArn],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3tables:GetTable', 's3tables:GetTableMetadataLocation', 's3tables:GetTableData'],
      resources: tableArns,
    }),
  );
  const registration = new lakeformation.CfnResource(stack, 'LakeFormationS3Tables', {
    resourceArn: buckets,
    roleArn: role.roleArn,
    useServiceLinkedRole: false,
    withFederation: true,
  });
  const catalog = new glue.CfnCatalog(stack, 'S3TablesCatalog', {
    name: S3_TABLES_CATALOG,
    description: 'S3 Tables federated into the Glue Data Catalog (Athena: "s3tablescatalog/<table bucket>")',
    federatedCatalog: { identifier: buckets, connectionName: 'aws:s3tables' },
    createDatabaseDefaultPermissions: [],
    createTableDefaultPermissions: [],
    allowFullTableExternalDataAccess: 'True',
  });
  catalog.addResourceDependency(registration);
  return role;
}
