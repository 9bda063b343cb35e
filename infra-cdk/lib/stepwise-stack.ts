/**
 * The Stepwise stack: one Lambda function per manifest activity (all running the single
 * `bootstrap` artifact), one state machine per manifest workflow (its generated ASL with
 * every `${Activity}` placeholder substituted by that function's ARN), the pipeline
 * bucket and progress table, one EventBridge Scheduler schedule per schedule trigger
 * (each with its own role and, when asked for, dead-letter queue), and the alarms.
 *
 * Workflows, activities, memory, timeouts, IAM permissions, triggers and the declared
 * resources (tables, queues, S3 Vectors indexes) come from the manifest; nothing here
 * names a workflow, an activity or a pipeline's resource. Placeholders of declared
 * resources (`${SalesHistoryTableName}`, `${DeadLettersQueueUrl}`, …) are substituted in
 * definitions and trigger inputs with the created resources' names, URLs and ARNs. A trigger's input template
 * names the deployment's resources as `${Name}` placeholders (DEPLOYMENT_NAMES), which
 * this stack substitutes from its settings.
 *
 * An activity named in the `activityWorkers` context gets no function: a Step Functions
 * Activity takes its place in the definitions (its ARN substituted for `${Activity}`),
 * served by `stepwise worker` under a managed policy with the same declared permissions
 * (lib/workers.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, StackProps, TimeZone, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Artifact } from './artifact';
import type {
  ActivitySpec,
  Area,
  DeploymentName,
  EventRuleTrigger,
  KeyAttr,
  Manifest,
  Permission,
  Resource,
  ScheduleTrigger,
  WorkflowSpec,
} from './manifest';
import { DEPLOYMENT_NAMES, ManifestError, fillTemplate, placeholders, resourcePlaceholders } from './manifest';
import type { ResourceScope } from './permissions';
import type { Lake } from './lake-tables';
import { createLake } from './lake-tables';
import { mapRunExecutionArns, statementsFor } from './permissions';
import type { Settings } from './settings';
import { activityName, workerActivities, workerStatements } from './workers';
import { JobsApi, apiId, loadApis, readApiSettings } from './jobs-api';

/** A schedule the stack created for a workflow's schedule trigger. */
export interface StackSchedule {
  /** Its construct id: `${Workflow}Schedule` (`DailySalesExportSchedule`), numbered from the second. */
  id: string;
  workflow: string;
  schedule: scheduler.Schedule;
  role: iam.Role;
  deadLetterQueue?: sqs.Queue;
}

export interface StepwiseStackProps extends StackProps {
  manifest: Manifest;
  settings: Settings;
  artifact: Artifact;
}

/** Actions AWS only authorizes on `Resource: "*"`, with why they appear in this stack. */
export const WILDCARD_ALLOWED: Record<string, string> = {
  'xray:PutTraceSegments': 'X-Ray tracing (functions and state machines): X-Ray has no resource-level permissions',
  'xray:PutTelemetryRecords': 'X-Ray tracing: no resource-level permissions',
  'xray:GetSamplingRules': 'X-Ray tracing of state machines: no resource-level permissions',
  'xray:GetSamplingTargets': 'X-Ray tracing of state machines: no resource-level permissions',
  'logs:CreateLogDelivery': 'Step Functions logging to CloudWatch Logs: the log-delivery APIs take no resource',
  'logs:GetLogDelivery': 'Step Functions logging: the log-delivery APIs take no resource',
  'logs:UpdateLogDelivery': 'Step Functions logging: the log-delivery APIs take no resource',
  'logs:DeleteLogDelivery': 'Step Functions logging: the log-delivery APIs take no resource',
  'logs:ListLogDeliveries': 'Step Functions logging: the log-delivery APIs take no resource',
  'logs:PutResourcePolicy': 'Step Functions logging: the log group resource policy is account-wide',
  'logs:DescribeResourcePolicies': 'Step Functions logging: the log group resource policy is account-wide',
  'logs:DescribeLogGroups': 'Step Functions logging: DescribeLogGroups has no resource-level permissions',
  'states:SendTaskSuccess': 'Activity workers (activityWorkers): the Service Authorization Reference lists no resource type for SendTask*; the task token names the task',
  'states:SendTaskFailure': 'Activity workers (activityWorkers): no resource type for SendTask*',
  'states:SendTaskHeartbeat': 'Activity workers (activityWorkers): no resource type for SendTask*',
};

/** What the stack made for an activity served by `stepwise worker` (the `activityWorkers` context). */
export interface StackWorker {
  /** The Step Functions Activity whose ARN replaces `${Name}` in the definitions. */
  activity: sfn.Activity;
  /** The activity's declared permissions plus polling and answering its tasks. */
  policy: iam.ManagedPolicy;
  /** An ECS task role carrying `policy` (attach `policy` to your own role elsewhere). */
  role: iam.Role;
}

export class StepwiseStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly progressTable: dynamodb.Table;
  readonly functions = new Map<string, lambda.Function>();
  /** Activities served by workers instead of functions (the `activityWorkers` context), by name. */
  readonly workers = new Map<string, StackWorker>();
  readonly stateMachines = new Map<string, sfn.StateMachine>();
  /** One per schedule trigger of any workflow in the manifest, in manifest order. */
  readonly schedules: StackSchedule[] = [];
  /** The declared tables, queues and vector indexes, by logical name. */
  readonly tables = new Map<string, dynamodb.Table>();
  readonly queues = new Map<string, sqs.Queue>();
  readonly vectorIndexes = new Map<string, s3vectors.CfnIndex>();
  /** The vector bucket holding every declared index (only when one is declared). */
  readonly vectorBucket?: s3vectors.CfnVectorBucket;
  /** One per event-rule trigger, in manifest order. */
  readonly rules: Array<{ id: string; workflow: string; rule: events.Rule; deadLetterQueue?: string }> = [];
  /** Every placeholder value: deployment names, declared resources' names and ARNs. */
  readonly substitutions: Record<string, string> = {};
  readonly alarmTopic?: sns.ITopic;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** One per generated OpenAPI document (`*.openapi.json`), in file name order. */
  readonly apis: JobsApi[] = [];
  /** The lake's S3 table bucket, namespace and Iceberg tables (from `lake-tables.json`). */
  readonly lake?: Lake;

  constructor(scope: Construct, id: string, props: StepwiseStackProps) {
    super(scope, id, props);
    const { manifest, settings, artifact } = props;

    // ---- data ------------------------------------------------------------------------
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED, // server access logs support SSE-S3 only
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(365) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // cdk-nag's S1 (access logs) does not apply to a bucket that receives access logs.

    this.bucket = new s3.Bucket(this, 'PipelineBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'pipeline-bucket/',
      lifecycleRules: [
        {
          id: 'expire-staging',
          prefix: settings.stagingPrefix,
          expiration: Duration.days(settings.stagingExpirationDays),
        },
        {
          // Thumbnails can be made again from their image; embeddings (embeddingsPrefix) are kept.
          id: 'expire-thumbnails',
          prefix: settings.thumbnailsPrefix,
          expiration: Duration.days(settings.thumbnailsExpirationDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.progressTable = new dynamodb.Table(this, 'ProgressTable', {
      // activities/daily-sales-export/src/record_progress/store.rs: key (tenant_id, export_date), TTL expires_at.
      partitionKey: { name: 'tenant_id', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'export_date', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- declared resources (manifest "resources") --------------------------------------
    for (const spec of manifest.resources.tables) {
      const attr = (k: KeyAttr): dynamodb.Attribute => ({ name: k.name, type: attributeType(k) });
      const table = new dynamodb.Table(this, `Table${pascal(spec.name)}`, {
        partitionKey: attr(spec.partitionKey),
        sortKey: spec.sortKey === undefined ? undefined : attr(spec.sortKey),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: spec.ttlAttribute,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of spec.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attr(index.partitionKey),
          sortKey: index.sortKey === undefined ? undefined : attr(index.sortKey),
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      this.tables.set(spec.name, table);
    }
    for (const spec of manifest.resources.queues) {
      const queue = new sqs.Queue(this, `Queue${pascal(spec.name)}`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(spec.retentionDays),
      });
      acknowledge(
        queue,
        'AwsSolutions-SQS3',
        `Declared queue "${spec.name}" (${spec.reason}): it holds dead letters that an operator inspects and replays; nothing consumes it automatically, so it needs no dead-letter queue of its own.`,
      );
      this.queues.set(spec.name, queue);
    }
    if (manifest.resources.vectorIndexes.length > 0) {
      // L1 constructs: aws-cdk-lib has CloudFormation's AWS::S3Vectors resources but no L2.
      this.vectorBucket = new s3vectors.CfnVectorBucket(this, 'VectorBucket', {
        encryptionConfiguration: { sseType: 'AES256' },
      });
      this.vectorBucket.applyRemovalPolicy(RemovalPolicy.RETAIN);
      for (const spec of manifest.resources.vectorIndexes) {
        const index = new s3vectors.CfnIndex(this, `VectorIndex${pascal(spec.name)}`, {
          vectorBucketArn: this.vectorBucket.attrVectorBucketArn,
          indexName: spec.name,
          dataType: 'float32',
          dimension: spec.dimension,
          distanceMetric: spec.distance,
          metadataConfiguration:
            spec.nonFilterableMetadataKeys.length > 0
              ? { nonFilterableMetadataKeys: spec.nonFilterableMetadataKeys }
              : undefined,
        });
        index.applyRemovalPolicy(RemovalPolicy.RETAIN);
        this.vectorIndexes.set(spec.name, index);
      }
    }
    const vectorBucket = this.vectorBucket;
    if (manifest.lake !== undefined) {
      this.lake = createLake(this, manifest.lake, {
        bucketName: settings.lakeTableBucketName ?? `${settings.namePrefix}${manifest.lake.tableBucket}`.toLowerCase(),
        analyticsIntegration: settings.lakeAnalyticsIntegration,
      });
    }
    const lake = this.lake;
    for (const [name, p] of resourcePlaceholders(manifest.resources)) {
      const value = (() => {
        switch (p.kind) {
          case 'TableName':
            return this.tables.get(p.resource)?.tableName;
          case 'TableArn':
            return this.tables.get(p.resource)?.tableArn;
          case 'QueueUrl':
            return this.queues.get(p.resource)?.queueUrl;
          case 'QueueArn':
            return this.queues.get(p.resource)?.queueArn;
          case 'VectorBucketName':
            return vectorBucket === undefined ? undefined : vectorBucketName(vectorBucket);
          case 'IndexName':
            return this.vectorIndexes.get(p.resource)?.indexName;
          case 'IndexArn':
            return this.vectorIndexes.get(p.resource)?.attrIndexArn;
        }
      })();
      if (value === undefined) throw new ManifestError(`placeholder "\${${name}}": ${p.resource} was not created`);
      this.substitutions[name] = value;
    }
    for (const [placeholder, parameter] of Object.entries(settings.configParameters)) {
      this.substitutions[placeholder] = parameter;
    }
    this.substitutions.LakeBucketName = this.bucket.bucketName;
    if (lake !== undefined) {
      // The compaction schedule's `lake_tables`: it commits to the deployment's tables.
      this.substitutions.LakeTableBucketArn = lake.bucket.attrTableBucketArn;
      this.substitutions.LakeNamespaceName = lake.spec.namespace;
    }
    this.substitutions.ProgressTableName = this.progressTable.tableName;

    const resourceScope = (stateMachineName?: string): ResourceScope => ({
      partition: Aws.PARTITION,
      region: Aws.REGION,
      account: Aws.ACCOUNT_ID,
      bucketArn: this.bucket.bucketArn,
      imagesBucketArn:
        settings.imagesBucket === undefined
          ? this.bucket.bucketArn
          : `arn:${Aws.PARTITION}:s3:::${settings.imagesBucket}`,
      prefixes: {
        staging: settings.stagingPrefix,
        lake: settings.lakePrefix,
        images: settings.imagesPrefix,
        embeddings: settings.embeddingsPrefix,
        thumbnails: settings.thumbnailsPrefix,
      },
      progressTableArn: this.progressTable.tableArn,
      configParameterNames: Object.values(settings.configParameters),
      configKeyArn: settings.configKeyArn,
      bedrockRegion: settings.bedrockRegion ?? Aws.REGION,
      bedrockModelId: settings.bedrockModelId,
      stateMachineName,
      tableArns: Object.fromEntries([...this.tables].map(([n, t]) => [n, t.tableArn])),
      queueArns: Object.fromEntries([...this.queues].map(([n, q]) => [n, q.queueArn])),
      vectorIndexArns: Object.fromEntries([...this.vectorIndexes].map(([n, i]) => [n, i.attrIndexArn])),
      lakeTableBucketArn: lake?.bucket.attrTableBucketArn,
      lakeTableArns: Object.fromEntries([...(lake?.tables ?? [])].map(([n, t]) => [n, t.attrTableArn])),
    });

    // ---- functions -------------------------------------------------------------------
    const code = lambda.Code.fromAsset(artifact.dir);
    const architecture = artifact.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
    const workers = new Set(workerActivities(settings.activityWorkers, manifest).map((a) => a.name));
    for (const activity of manifest.activities) {
      if (workers.has(activity.name)) {
        this.workers.set(activity.name, this.activityWorker(activity, settings, resourceScope()));
      } else {
        this.functions.set(activity.name, this.activityFunction(activity, code, architecture, settings, resourceScope()));
      }
    }

    // ---- state machines --------------------------------------------------------------
    for (const workflow of manifest.workflows) {
      this.stateMachines.set(workflow.name, this.workflowStateMachine(workflow, manifest, settings, resourceScope));
    }

    // ---- triggers (from the manifest) ---------------------------------------------------
    const deploymentNames: Record<string, string> = this.substitutions;
    for (const workflow of manifest.workflows) {
      const machine = this.stateMachines.get(workflow.name);
      if (machine === undefined) throw new ManifestError(`workflow "${workflow.name}": no state machine`);
      workflow.triggers.forEach((trigger, i) => {
        if (trigger.kind === 'eventRule') {
          const id = `${pascal(workflow.name)}Rule${i === 0 ? '' : String(i + 1)}`;
          this.rules.push({
            id,
            workflow: workflow.name,
            rule: this.ruleFor(id, workflow, trigger, machine),
            deadLetterQueue: trigger.deadLetterQueue ?? undefined,
          });
          return;
        }
        // `${Workflow}Schedule`, then `${Workflow}Schedule2`, ...: stable construct ids (and
        // so logical ids) while a workflow's earlier schedules stay where they are.
        const id = `${pascal(workflow.name)}Schedule${i === 0 ? '' : String(i + 1)}`;
        this.schedules.push(this.scheduleFor(id, workflow, trigger, machine, deploymentNames, settings));
      });
    }

    // ---- jobs APIs (the generated *.openapi.json next to the manifest) ------------------
    const apiSettings = readApiSettings((key) => this.node.tryGetContext(key));
    for (const spec of loadApis(settings.generatedDir)) {
      const machine = this.stateMachines.get(spec.workflow);
      if (machine === undefined) throw new ManifestError(`${spec.file}: x-stepwise.workflow "${spec.workflow}" is no workflow of the manifest`);
      const table = this.tables.get(spec.jobsTable);
      if (table === undefined) throw new ManifestError(`${spec.file}: x-stepwise.jobsTable "${spec.jobsTable}" is no declared table`);
      this.apis.push(
        new JobsApi(this, apiId(spec), {
          spec,
          stateMachine: machine,
          table,
          settings: apiSettings,
          logRetention: settings.logRetention,
          function: { code, architecture, logLevel: settings.logLevel },
          // group-images' work_prefix lives under the staging prefix (its config's default).
          results: { bucket: this.bucket, prefix: settings.stagingPrefix },
        }),
      );
    }

    // ---- alarms ----------------------------------------------------------------------
    this.alarmTopic = this.makeAlarmTopic(settings);
    for (const [name, machine] of this.stateMachines) {
      this.alarm(`${name} executions failed`, machine.metricFailed({ period: Duration.minutes(5) }), 1);
      this.alarm(`${name} executions timed out`, machine.metricTimedOut({ period: Duration.minutes(5) }), 1);
      this.alarm(`${name} executions throttled`, machine.metricThrottled({ period: Duration.minutes(5) }), 1);
    }
    // Dead letters: every declared queue an event rule sends failed starts to, or a
    // workflow sends messages to (its own dead letters).
    const deadLetterQueues = new Set<string>(this.rules.flatMap((r) => (r.deadLetterQueue ? [r.deadLetterQueue] : [])));
    for (const w of manifest.workflows) {
      for (const p of w.permissions) {
        if (p.resource.kind === 'queue' && p.actions.some((a) => /^sqs:SendMessage/i.test(a))) deadLetterQueues.add(p.resource.queue);
      }
    }
    for (const name of deadLetterQueues) {
      const queue = this.queues.get(name);
      if (queue === undefined) continue;
      this.alarm(
        `${name} queue not empty`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
      );
    }
    for (const [name, table] of this.tables) {
      this.alarm(
        `${name} table throttled`,
        table.metricThrottledRequestsForOperations({
          operations: [
            dynamodb.Operation.GET_ITEM,
            dynamodb.Operation.PUT_ITEM,
            dynamodb.Operation.UPDATE_ITEM,
            dynamodb.Operation.DELETE_ITEM,
            dynamodb.Operation.QUERY,
          ],
          period: Duration.minutes(5),
        }),
        1,
      );
    }
    for (const { id, deadLetterQueue } of this.schedules) {
      if (deadLetterQueue === undefined) continue;
      this.alarm(
        `${id} dead-letter queue not empty`,
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
      );
    }
    for (const [name, fn] of this.functions) {
      this.alarm(
        `${name} function errors`,
        fn.metricErrors({ period: Duration.minutes(5) }),
        settings.functionErrorsThreshold,
      );
      this.alarm(`${name} function throttles`, fn.metricThrottles({ period: Duration.minutes(5) }), 1);
    }
    for (const api of this.apis) {
      // The jobs API's GET: errors are its own faults (a missing job is a 404 answer, not an error).
      const fn = api.statusFunction;
      this.alarm(`${api.node.id} status function errors`, fn.metricErrors({ period: Duration.minutes(5) }), 1);
      this.alarm(`${api.node.id} status function throttles`, fn.metricThrottles({ period: Duration.minutes(5) }), 1);
      // The Lambda authorizer (another issuer): a refused token fails its invocation (that
      // is how API Gateway answers 401), so its Errors metric counts bad tokens. The alarm
      // is on its own faults (the issuer's keys unreachable: every request answered 500).
      if (api.authorizerFaults) {
        this.alarm(`${api.node.id} authorizer faults`, api.authorizerFaults, 1);
        this.alarm(`${api.node.id} authorizer throttles`, api.authorizerFunction!.metricThrottles({ period: Duration.minutes(5) }), 1);
      }
    }
    for (const [name, { activity }] of this.workers) {
      // Like a function's Errors: activities fail on purpose (e.g. Throttled, retried).
      this.alarm(`${name} activity failed`, activity.metricFailed({ period: Duration.minutes(5) }), settings.functionErrorsThreshold);
      this.alarm(`${name} activity timed out`, activity.metricTimedOut({ period: Duration.minutes(5) }), 1);
      this.alarm(`${name} activity heartbeat timed out`, activity.metricHeartbeatTimedOut({ period: Duration.minutes(5) }), 1);
    }

    // ---- outputs ---------------------------------------------------------------------
    new CfnOutput(this, 'BucketName', {
      value: this.bucket.bucketName,
      description: 'The pipeline bucket: "bucket" in the SSM config',
    });
    new CfnOutput(this, 'StagingPrefix', { value: settings.stagingPrefix, description: '"staging_prefix" in the SSM config' });
    new CfnOutput(this, 'LakePrefix', { value: settings.lakePrefix, description: '"lake_prefix" in the SSM config' });
    new CfnOutput(this, 'ProgressTableName', {
      value: this.progressTable.tableName,
      description: '"progress_table" in the SSM config and in the execution input',
    });
    new CfnOutput(this, 'ConfigParameterName', {
      value: settings.configParameterName,
      description: 'Create this SSM SecureString (the pipeline config) before the first run',
    });
    for (const { id, workflow, deadLetterQueue } of this.schedules) {
      if (deadLetterQueue === undefined) continue;
      new CfnOutput(this, `${id}DeadLetterQueueUrl`, {
        value: deadLetterQueue.queueUrl,
        description: `Start requests of ${workflow}'s schedule that EventBridge Scheduler gave up on`,
      });
    }
    for (const [name, machine] of this.stateMachines) {
      new CfnOutput(this, `StateMachineArn${pascal(name)}`, {
        value: machine.stateMachineArn,
        description: `The ${name} state machine`,
      });
    }
    for (const [name, { activity, policy, role }] of this.workers) {
      const spec = manifest.activities.find((a) => a.name === name);
      new CfnOutput(this, `ActivityArn${pascal(name)}`, {
        value: activity.activityArn,
        description:
          `The ${name} Activity: run \`stepwise worker --activity ${name}=<this ARN>\`` +
          (spec === undefined ? '' : ` (declared for Lambda: ${spec.memoryMb} MB, ${spec.timeoutSeconds} s)`),
      });
      new CfnOutput(this, `WorkerPolicyArn${pascal(name)}`, {
        value: policy.managedPolicyArn,
        description: `What a worker of ${name} needs: attach it to the role the worker runs as`,
      });
      new CfnOutput(this, `WorkerRoleArn${pascal(name)}`, {
        value: role.roleArn,
        description: `An ECS task role for a worker of ${name} (carries WorkerPolicyArn${pascal(name)})`,
      });
    }
    if (lake !== undefined) {
      new CfnOutput(this, 'LakeTableBucketArn', {
        value: lake.bucket.attrTableBucketArn,
        description: 'The lake\'s S3 table bucket: "lake_tables.table_bucket" in the SSM config',
      });
      new CfnOutput(this, 'LakeNamespaceName', {
        value: lake.spec.namespace,
        description: 'The namespace of the lake\'s tables: "lake_tables.namespace" in the SSM config',
      });
      new CfnOutput(this, 'LakeTablesConfig', {
        value: Stack.of(this).toJsonString({ table_bucket: lake.bucket.attrTableBucketArn, namespace: lake.spec.namespace }),
        description: 'Paste as "lake_tables" into the SSM config: WritePartition then commits to the Iceberg tables',
      });
      new CfnOutput(this, 'LakeAthenaCatalog', {
        value: `s3tablescatalog/${lake.bucketName}`,
        description: `Athena: SELECT ... FROM "s3tablescatalog/${lake.bucketName}"."${lake.spec.namespace}"."<table>" (after the Lake Formation step, infra-cdk/README.md)`,
      });
    }
    if (this.alarmTopic !== undefined) new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }

  /**
   * One EventBridge Scheduler schedule starting `machine`, with its own role (which may
   * start only that state machine) and, when the trigger asks for one, its dead-letter
   * queue. The input is the trigger's template with the deployment's names filled in.
   */
  private scheduleFor(
    id: string,
    workflow: WorkflowSpec,
    trigger: ScheduleTrigger,
    machine: sfn.StateMachine,
    names: Record<DeploymentName, string>,
    settings: Settings,
  ): StackSchedule {
    let deadLetterQueue: sqs.Queue | undefined;
    if (trigger.deadLetterQueue) {
      deadLetterQueue = new sqs.Queue(this, `${id}DeadLetterQueue`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(
        deadLetterQueue,
        'AwsSolutions-SQS3',
        "This queue is a schedule's dead-letter queue: it receives the start requests EventBridge Scheduler gave up on; nothing consumes it automatically, so it needs no dead-letter queue of its own.",
      );
    }
    const role = new iam.Role(this, `${id}Role`, {
      description: `EventBridge Scheduler: may start only the ${workflow.name} state machine`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    const schedule = new scheduler.Schedule(this, id, {
      description: `Starts ${workflow.name}: ${trigger.reason}`,
      schedule: scheduler.ScheduleExpression.expression(trigger.expression, TimeZone.of(trigger.timezone)),
      timeWindow: scheduler.TimeWindow.off(),
      enabled: settings.scheduleEnabled,
      target: new targets.StepFunctionsStartExecution(machine, {
        role,
        input: scheduler.ScheduleTargetInput.fromObject(fillTemplate(trigger.input, names)),
        deadLetterQueue,
        retryAttempts: 5,
        maxEventAge: Duration.hours(2),
      }),
    });
    return { id, workflow: workflow.name, schedule, role, deadLetterQueue };
  }

  /**
   * An EventBridge rule on the default bus for the trigger's source and detail-type,
   * targeting `machine` with the trigger's input, retry policy and dead-letter queue
   * (the target's role may start only that state machine).
   */
  private ruleFor(id: string, workflow: WorkflowSpec, trigger: EventRuleTrigger, machine: sfn.StateMachine): events.Rule {
    const deadLetterQueue =
      trigger.deadLetterQueue === null ? undefined : this.queues.get(trigger.deadLetterQueue);
    if (trigger.deadLetterQueue !== null && deadLetterQueue === undefined) {
      throw new ManifestError(`workflow "${workflow.name}": dead-letter queue "${trigger.deadLetterQueue}" was not created`);
    }
    const input =
      trigger.input.kind === 'wholeEvent'
        ? undefined
        : events.RuleTargetInput.fromObject(eventFields(fillTemplate(trigger.input.template, this.substitutions)));
    const rule = new events.Rule(this, id, {
      description: `Starts ${workflow.name}: ${trigger.reason}`.slice(0, 512),
      eventPattern: { source: [trigger.source], detailType: [trigger.detailType] },
    });
    rule.addTarget(
      new eventTargets.SfnStateMachine(machine, {
        input,
        retryAttempts: trigger.retry.maximumRetryAttempts,
        maxEventAge: Duration.seconds(trigger.retry.maximumEventAgeSeconds),
        deadLetterQueue,
      }),
    );
    return rule;
  }

  private activityFunction(
    activity: ActivitySpec,
    code: lambda.Code,
    architecture: lambda.Architecture,
    settings: Settings,
    scope: ResourceScope,
  ): lambda.Function {
    const id = pascal(activity.name);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: settings.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, `${id}Role`, {
      description: `The ${activity.name} activity's function: its declared permissions and its own log group`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    // Basic logging, scoped to the function's own log group (instead of the managed
    // AWSLambdaBasicExecutionRole, which allows every log group in the account).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    for (const statement of declaredStatements(activity, scope)) role.addToPrincipalPolicy(statement);
    const fn = new lambda.Function(this, `${id}Function`, {
      description: `Stepwise activity ${activity.name}`,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture,
      code,
      // bootstrap reads _HANDLER (the handler) to pick the activity (activities/runtime/src/lambda.rs).
      handler: activity.name,
      memorySize: activity.memoryMb,
      timeout: Duration.seconds(activity.timeoutSeconds),
      environment: { RUST_LOG: settings.logLevel },
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
    });
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support only Resource "*" (the only "*" statement of this role).',
    );
    this.acknowledgeDeclared(role, activity, settings);
    return fn;
  }

  /**
   * The Step Functions Activity that `stepwise worker` serves in place of the activity's
   * function, with a managed policy holding exactly what its function role would be
   * granted by the manifest (the same statements) plus polling and answering this
   * Activity's tasks, and an ECS task role carrying that policy. No log group or X-Ray
   * grant: where the worker logs is its container's business.
   */
  private activityWorker(activity: ActivitySpec, settings: Settings, scope: ResourceScope): StackWorker {
    const id = pascal(activity.name);
    const stepFunctionsActivity = new sfn.Activity(this, `${id}Activity`, {
      activityName: activityName(this.stackName, activity.name),
    });
    const policy = new iam.ManagedPolicy(this, `${id}WorkerPolicy`, {
      description: `A stepwise worker of the ${activity.name} activity: its declared permissions and its Activity's tasks`,
      statements: [...declaredStatements(activity, scope), ...workerStatements(stepFunctionsActivity.activityArn)],
    });
    const role = new iam.Role(this, `${id}WorkerRole`, {
      description: `ECS task role of a stepwise worker of the ${activity.name} activity`,
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
        },
      }),
      managedPolicies: [policy],
    });
    acknowledge(
      policy,
      'AwsSolutions-IAM5[Resource::*]',
      'states:SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: the Service Authorization Reference lists no resource type for them (the task token a worker got from GetActivityTask names the task), so only "*" is grantable; GetActivityTask is granted on this Activity alone.',
    );
    this.acknowledgeDeclared(policy, activity, settings);
    return { activity: stepFunctionsActivity, policy, role };
  }

  /** Acknowledges the wildcards of an activity's declared permissions on `grantee`. */
  private acknowledgeDeclared(grantee: IConstruct, activity: ActivitySpec, settings: Settings): void {
    for (const finding of objectWildcards(activity.permissions.map((p) => p.resource), this.bucket, settings)) {
      acknowledge(
        grantee,
        `AwsSolutions-IAM5[${finding}]`,
        'Object permissions are scoped to one key prefix of one bucket (bucket ARN/prefix*), as declared next to the activity; cdk-nag reports the trailing * as a wildcard.',
      );
    }
    this.acknowledgeTableIndexes(grantee, activity.permissions);
  }

  /** Acknowledges the `table/index/*` grant of every declared table the permissions name. */
  private acknowledgeTableIndexes(role: IConstruct, permissions: Permission[]): void {
    for (const table of new Set(permissions.flatMap((p) => (p.resource.kind === 'table' ? [p.resource.table] : [])))) {
      acknowledge(
        role,
        `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.tables.get(table)?.node.defaultChild as dynamodb.CfnTable)}.Arn>/index/*]`,
        `The declared table "${table}"'s global secondary indexes (Query on an index needs table/NAME/index/INDEX); only this table's indexes.`,
      );
    }
  }

  private workflowStateMachine(
    workflow: WorkflowSpec,
    manifest: Manifest,
    settings: Settings,
    scopeFor: (name?: string) => ResourceScope,
  ): sfn.StateMachine {
    const id = pascal(workflow.name);
    const file = path.join(manifest.dir, workflow.definition);
    const asl = fs.readFileSync(file, 'utf8');
    const found = placeholders(asl);
    const declared = new Set([...workflow.activities, ...Object.keys(this.substitutions), ...DEPLOYMENT_NAMES]);
    const unknown = found.filter((p) => !declared.has(p));
    if (unknown.length > 0) {
      throw new ManifestError(
        `${file}: placeholder(s) ${unknown.map((p) => '${' + p + '}').join(', ')} are not activities of workflow "${workflow.name}" ` +
          `in manifest.json (its activities: ${workflow.activities.join(', ')}): nothing would substitute them`,
      );
    }
    const unused = workflow.activities.filter((a) => !found.includes(a));
    if (unused.length > 0) {
      throw new ManifestError(
        `manifest.json: workflow "${workflow.name}" lists activities ${unused.join(', ')} that ${file} never uses: regenerate with \`stepwise generate\``,
      );
    }
    const substitutions: Record<string, string> = {};
    for (const p of found) {
      if (this.substitutions[p] !== undefined && !workflow.activities.includes(p)) substitutions[p] = this.substitutions[p];
    }
    const functions: lambda.Function[] = [];
    for (const name of workflow.activities) {
      // An activity served by workers: its Activity's ARN is the Task's resource. Step
      // Functions needs no permission to schedule an Activity task (see workers.ts).
      const worker = this.workers.get(name);
      if (worker !== undefined) {
        substitutions[name] = worker.activity.activityArn;
        continue;
      }
      const fn = this.functions.get(name);
      if (fn === undefined) throw new ManifestError(`workflow "${workflow.name}": no function for activity "${name}"`);
      substitutions[name] = fn.functionArn;
      functions.push(fn);
    }

    const stateMachineName = `${settings.namePrefix}${workflow.name}`;
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(stateMachineName)) {
      throw new ManifestError(`state machine name "${stateMachineName}" (namePrefix + workflow name) is not a valid name`);
    }
    const role = new iam.Role(this, `${id}StateMachineRole`, {
      description: `The ${workflow.name} state machine: invoke its own functions, plus its declared permissions`,
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    // Task resources are unqualified function ARNs, so only those are granted (no ":*").
    if (functions.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: functions.map((f) => f.functionArn),
        }),
      );
    }
    const scope = scopeFor(stateMachineName);
    workflow.permissions.forEach((permission, i) => {
      for (const statement of statementsFor(permission, scope, `workflow "${workflow.name}" permissions[${i}]`)) {
        role.addToPrincipalPolicy(statement);
      }
    });
    const logGroup = new logs.LogGroup(this, `${id}StateMachineLogs`, {
      // The /aws/vendedlogs/ prefix keeps the account's log resource policy small.
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: settings.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const machine = new sfn.StateMachine(this, `${id}StateMachine`, {
      stateMachineName,
      stateMachineType: workflow.type === 'EXPRESS' ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(asl),
      definitionSubstitutions: substitutions,
      role,
      tracingEnabled: true,
      // Every event is logged; execution data (state inputs and outputs, which carry
      // sales data) stays in the execution history only.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Resource "*" only for the actions AWS authorizes on "*" alone: X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) ' +
        'and the CloudWatch Logs delivery APIs that Step Functions logging calls (see WILDCARD_ALLOWED).',
    );
    this.acknowledgeTableIndexes(role, workflow.permissions);
    for (const finding of objectWildcards(workflow.permissions.map((p) => p.resource), this.bucket, settings)) {
      acknowledge(
        role,
        `AwsSolutions-IAM5[${finding}]`,
        "Object permissions (the distributed Map's ItemReader and ResultWriter) are scoped to one key prefix of one bucket (bucket ARN/prefix*), as declared by the workflow; cdk-nag reports the trailing * as a wildcard.",
      );
    }
    if (workflow.permissions.some((p) => p.resource.kind === 'ownMapRunExecutions')) {
      for (const arn of mapRunExecutionArns(nagScope, stateMachineName)) {
        acknowledge(
          role,
          `AwsSolutions-IAM5[Resource::${arn}]`,
          "Distributed Map child executions: the IDs are made at run time, so the grant covers this state machine's own executions only (execution:NAME/* and execution:NAME:*).",
        );
      }
    }
    return machine;
  }

  private makeAlarmTopic(settings: Settings): sns.ITopic | undefined {
    if (settings.alarmTopicArn !== undefined) {
      return sns.Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn);
    }
    if (settings.alarmEmail === undefined) return undefined;
    // CloudWatch can publish to an encrypted topic only under a customer-managed key whose
    // policy lets it use the key (the AWS-managed aws/sns key does not).
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Stepwise alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Stepwise alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    return topic;
  }

  private alarm(description: string, metric: cloudwatch.IMetric, threshold: number): void {
    const alarm = new cloudwatch.Alarm(this, `Alarm${pascal(description)}`, {
      alarmDescription: `Stepwise: ${description}`,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.alarmTopic !== undefined) {
      alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
      alarm.addOkAction(new cwActions.SnsAction(this.alarmTopic));
    }
    this.alarms.push(alarm);
  }
}

/** `daily-sales-export` → `DailySalesExport` (construct ids and output names). */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

/**
 * The cdk-nag `appliesTo` strings of the prefix-scoped object ARNs (`<bucket>/<prefix>*`)
 * that `resources` grant, rendered as cdk-nag renders them.
 */
function objectWildcards(resources: Resource[], bucket: s3.Bucket, settings: Settings): string[] {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  const prefixes: Record<Area, string> = {
    staging: settings.stagingPrefix,
    lake: settings.lakePrefix,
    images: settings.imagesPrefix,
    embeddings: settings.embeddingsPrefix,
    thumbnails: settings.thumbnailsPrefix,
  };
  const out = new Set<string>();
  for (const r of resources) {
    if (r.kind !== 'objects') continue;
    const bucketPart =
      r.area === 'images' && settings.imagesBucket !== undefined
        ? `arn:<AWS::Partition>:s3:::${settings.imagesBucket}`
        : `<${logicalId}.Arn>`;
    out.add(`Resource::${bucketPart}/${prefixes[r.area]}*`);
  }
  return [...out];
}

/** The statements granting an activity's declared permissions (its function role's, or its worker's). */
function declaredStatements(activity: ActivitySpec, scope: ResourceScope): iam.PolicyStatement[] {
  return activity.permissions.flatMap((permission, i) =>
    statementsFor(permission, scope, `activity "${activity.name}" permissions[${i}]`),
  );
}

/** How cdk-nag renders the pseudo parameters in a finding id. */
const nagScope: ResourceScope = {
  partition: '<AWS::Partition>',
  region: '<AWS::Region>',
  account: '<AWS::AccountId>',
  bucketArn: '',
  imagesBucketArn: '',
  prefixes: { staging: '', lake: '', images: '', embeddings: '', thumbnails: '' },
  progressTableArn: '',
  configParameterNames: [],
  bedrockRegion: '',
  bedrockModelId: '',
  tableArns: {},
  queueArns: {},
  vectorIndexArns: {},
  lakeTableArns: {},
};

function attributeType(k: KeyAttr): dynamodb.AttributeType {
  switch (k.kind) {
    case 'S':
      return dynamodb.AttributeType.STRING;
    case 'N':
      return dynamodb.AttributeType.NUMBER;
    case 'B':
      return dynamodb.AttributeType.BINARY;
  }
}

/** The vector bucket's name, taken from its ARN (…:bucket/NAME; the L1 has no name attribute). */
function vectorBucketName(bucket: s3vectors.CfnVectorBucket): string {
  return Fn.select(1, Fn.split(':bucket/', bucket.attrVectorBucketArn));
}

/**
 * An event rule's input template with each `"<$.path>"` string turned into that field of
 * the event (EventField, which CDK renders as an input transformer); other strings stay.
 */
function eventFields(template: unknown): unknown {
  if (typeof template === 'string') {
    const m = /^<(\$\.[A-Za-z0-9_.-]+)>$/.exec(template);
    if (m !== null) return events.EventField.fromPath(m[1]);
    if (template === '<aws.events.event>') return events.EventField.fromPath('$');
    return template;
  }
  if (Array.isArray(template)) return template.map(eventFields);
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, eventFields(v)]));
  }
  return template;
}

/** Acknowledges one cdk-nag finding on `scope` (and its children) with the reason. */
function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
