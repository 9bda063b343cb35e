/**
 * Turns the manifest's declared permissions into IAM statements: one statement per
 * declared permission (plus a kms:Decrypt statement next to a config-parameter read when
 * the SecureString uses a customer-managed key). The actions are exactly the declared
 * ones; the resources are the concrete ARNs of this stack's bucket prefixes, table,
 * parameter, model and state machine — never `*`.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Area, Permission, Resource } from './manifest';
import { ManifestError } from './manifest';

/** The concrete names and ARNs the resource kinds resolve to (tokens allowed). */
export interface ResourceScope {
  partition: string;
  region: string;
  account: string;
  /** ARN of the pipeline bucket (staging and lake). */
  bucketArn: string;
  /** ARN of the bucket images are read from. */
  imagesBucketArn: string;
  prefixes: Record<Area, string>;
  progressTableArn: string;
  /**
   * The deployment's configuration parameters (daily-sales-export's, group-images'). A
   * `configParameter` grant covers all of them: the manifest's resource kind does not say
   * which pipeline's parameter an activity reads.
   */
  configParameterNames: string[];
  configKeyArn?: string;
  bedrockRegion: string;
  bedrockModelId: string;
  /** The workflow's state machine name; undefined for an activity's function. */
  stateMachineName?: string;
  /** ARNs of the declared tables, queues and vector indexes, by logical name. */
  tableArns: Record<string, string>;
  queueArns: Record<string, string>;
  vectorIndexArns: Record<string, string>;
  /** ARN of the lake's S3 table bucket (when `lake-tables.json` was generated). */
  lakeTableBucketArn?: string;
  /** ARNs of the lake's Iceberg tables, by table name. */
  lakeTableArns: Record<string, string>;
}

/**
 * S3 Tables actions authorized on a table (IAM's `Table` resource type): reading and
 * committing its metadata, and its data through the S3 API of its warehouse location.
 */
const LAKE_TABLE_ACTIONS = /^s3tables:(GetTable|GetTableMetadataLocation|UpdateTableMetadataLocation|GetTableData|PutTableData|GetTableMaintenanceConfiguration|GetTableMaintenanceJobStatus|GetTableEncryption|GetTableStorageClass|GetTableRecordExpirationConfiguration)$/;

/**
 * S3 Tables actions authorized on the table bucket (IAM's `TableBucket` resource type)
 * that a writer of the lake may need: finding the bucket, namespace and tables, and
 * creating the namespace or a table when missing.
 */
const LAKE_NAMESPACE_ACTIONS = /^s3tables:(GetTableBucket|GetNamespace|ListNamespaces|ListTables|CreateNamespace|CreateTable|GetTableBucketMaintenanceConfiguration|GetTableBucketEncryption)$/;

/** The account's default event bus. */
export function defaultEventBusArn(scope: ResourceScope): string {
  return `arn:${scope.partition}:events:${scope.region}:${scope.account}:event-bus/default`;
}

/** The ARNs of the configuration parameters (names with and without a leading slash). */
export function parameterArns(scope: ResourceScope): string[] {
  return scope.configParameterNames.map((n) => {
    const name = n.startsWith('/') ? n : `/${n}`;
    return `arn:${scope.partition}:ssm:${scope.region}:${scope.account}:parameter${name}`;
  });
}

export function stateMachineArn(scope: ResourceScope, name: string): string {
  return `arn:${scope.partition}:states:${scope.region}:${scope.account}:stateMachine:${name}`;
}

/**
 * Execution ARNs of a state machine's distributed Map runs. AWS's "IAM policies for using
 * Distributed Map states" page grants DescribeExecution (and StopExecution) on the
 * machine's executions: the current page writes `execution:NAME:*` (the parent
 * executions), earlier versions `execution:NAME/*` (the Map Run's child executions,
 * `execution:NAME/LABEL:ID`). Both are this machine's executions only, so both are granted.
 */
export function mapRunExecutionArns(scope: ResourceScope, name: string): string[] {
  const base = `arn:${scope.partition}:states:${scope.region}:${scope.account}:execution:${name}`;
  return [`${base}/*`, `${base}:*`];
}

function areaBucketArn(scope: ResourceScope, area: Area): string {
  return area === 'images' ? scope.imagesBucketArn : scope.bucketArn;
}

/** The statements granting `permission`; `where` names its place in the manifest. */
export function statementsFor(permission: Permission, scope: ResourceScope, where: string): iam.PolicyStatement[] {
  const { actions } = permission;
  const r: Resource = permission.resource;
  const statement = (resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
    new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions: [...actions], resources, conditions });
  const only = (allowed: RegExp, what: string) => {
    const bad = actions.filter((a) => !allowed.test(a));
    if (bad.length > 0) {
      throw new ManifestError(`${where}: ${bad.join(', ')} cannot apply to ${what} (resource kind "${r.kind}")`);
    }
  };
  switch (r.kind) {
    case 'objects':
      only(/^s3:(?!ListBucket|ListAllMyBuckets|CreateBucket|DeleteBucket|PutBucket|GetBucket)/, 'S3 objects');
      return [statement([`${areaBucketArn(scope, r.area)}/${scope.prefixes[r.area]}*`])];
    case 'listing':
      only(/^s3:ListBucket/, 'a bucket listing');
      // No s3:prefix condition: what the grant is for is S3 answering NoSuchKey (404)
      // rather than AccessDenied (403) for a GetObject of a missing key, and S3 makes
      // that check without a list prefix in the request, so a prefix condition would
      // not match. Listing reveals key names only, never object contents.
      return [statement([areaBucketArn(scope, r.area)])];
    case 'progressTable':
      only(/^dynamodb:/, 'a DynamoDB table');
      return [statement([scope.progressTableArn])];
    case 'configParameter': {
      only(/^ssm:/, 'an SSM parameter');
      const out = [statement(parameterArns(scope))];
      if (scope.configKeyArn !== undefined && actions.some((a) => /^ssm:GetParameter/.test(a))) {
        // A SecureString under a customer-managed key: reading it decrypts through SSM.
        // (With the default aws/ssm key, SSM decrypts on the caller's behalf: no grant.)
        out.push(
          new iam.PolicyStatement({
            effect: iam.Effect.ALLOW,
            actions: ['kms:Decrypt'],
            resources: [scope.configKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `ssm.${scope.region}.amazonaws.com` } },
          }),
        );
      }
      return out;
    }
    case 'foundationModel':
      only(/^bedrock:/, 'a Bedrock foundation model');
      return [
        statement([`arn:${scope.partition}:bedrock:${scope.bedrockRegion}::foundation-model/${scope.bedrockModelId}`]),
      ];
    case 'ownStateMachine':
      if (scope.stateMachineName === undefined) {
        throw new ManifestError(`${where}: resource kind "ownStateMachine" is only meaningful in a workflow's permissions`);
      }
      only(/^states:/, 'a state machine');
      return [statement([stateMachineArn(scope, scope.stateMachineName)])];
    case 'ownMapRunExecutions':
      if (scope.stateMachineName === undefined) {
        throw new ManifestError(`${where}: resource kind "ownMapRunExecutions" is only meaningful in a workflow's permissions`);
      }
      only(/^states:/, 'state machine executions');
      return [statement(mapRunExecutionArns(scope, scope.stateMachineName))];
    case 'table': {
      only(/^dynamodb:/, 'a DynamoDB table');
      const arn = declared(scope.tableArns, r.table, 'table', where);
      // The table and its global secondary indexes (Query on an index needs the index ARN).
      return [statement([arn, `${arn}/index/*`])];
    }
    case 'queue':
      only(/^sqs:/, 'an SQS queue');
      return [statement([declared(scope.queueArns, r.queue, 'queue', where)])];
    case 'vectorIndex':
      only(/^s3vectors:/, 'an S3 Vectors index');
      return [statement([declared(scope.vectorIndexArns, r.index, 'vector index', where)])];
    case 'eventBus':
      only(/^events:/, 'an event bus');
      return [statement([defaultEventBusArn(scope)])];
    case 'lakeTable':
      only(LAKE_TABLE_ACTIONS, 'an S3 Tables table');
      return [statement([declared(scope.lakeTableArns, r.dataset, 'lake table', where)])];
    case 'lakeNamespace':
      only(LAKE_NAMESPACE_ACTIONS, 'the S3 table bucket and namespace');
      if (scope.lakeTableBucketArn === undefined) {
        throw new ManifestError(`${where}: resource kind "lakeNamespace" but the stack has no table bucket (no lake-tables.json)`);
      }
      return [statement([scope.lakeTableBucketArn])];
    default: {
      // The manifest parser rejects unknown kinds; this keeps the switch exhaustive.
      const never: never = r;
      throw new ManifestError(`${where}: unknown resource ${JSON.stringify(never)}`);
    }
  }
}

/** The ARN of the declared resource `name` (the manifest parser checked it is declared). */
function declared(arns: Record<string, string>, name: string, kind: string, where: string): string {
  const arn = arns[name];
  if (arn === undefined) throw new ManifestError(`${where}: ${kind} "${name}" is not in the manifest's "resources"`);
  return arn;
}
