/**
 * The deployment manifest that `stepwise generate` writes to
 * `statemachines/generated/manifest.json`: every workflow (its ASL file, type, activities,
 * the IAM permissions its own role needs, the triggers that start it) and every activity
 * (error names, memory, timeout, the IAM permissions its function needs).
 *
 * This module only reads and checks that file. It must not invent workflows, activities,
 * permissions or triggers: anything the stack deploys comes from here, and anything it cannot
 * understand fails synth with a message naming the file and the field.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The places in S3 an activity or workflow may touch. */
export const AREAS = ['staging', 'lake', 'images', 'embeddings', 'thumbnails'] as const;
export type Area = (typeof AREAS)[number];

/** What a permission applies to; `kind` is the tag. */
export type Resource =
  | { kind: 'objects'; area: Area }
  | { kind: 'listing'; area: Area }
  | { kind: 'progressTable' }
  | { kind: 'configParameter' }
  | { kind: 'foundationModel' }
  | { kind: 'ownStateMachine' }
  | { kind: 'ownMapRunExecutions' }
  | { kind: 'table'; table: string }
  | { kind: 'queue'; queue: string }
  | { kind: 'vectorIndex'; index: string }
  | { kind: 'eventBus' }
  | { kind: 'lakeTable'; dataset: string }
  | { kind: 'lakeNamespace' };

export type ResourceKind = Resource['kind'];

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'objects',
  'listing',
  'progressTable',
  'configParameter',
  'foundationModel',
  'ownStateMachine',
  'ownMapRunExecutions',
  'table',
  'queue',
  'vectorIndex',
  'eventBus',
  'lakeTable',
  'lakeNamespace',
];

/** A key attribute of a declared table: its name and DynamoDB type. */
export interface KeyAttr {
  name: string;
  kind: 'S' | 'N' | 'B';
}

/** A global secondary index of a declared table (every attribute projected). */
export interface IndexSpec {
  name: string;
  partitionKey: KeyAttr;
  sortKey?: KeyAttr;
}

/** A DynamoDB table a workflow declares (codegen/src/resources.rs). */
export interface TableSpec {
  name: string;
  partitionKey: KeyAttr;
  sortKey?: KeyAttr;
  indexes: IndexSpec[];
  ttlAttribute?: string;
  reason: string;
}

/** An SQS queue a workflow declares. */
export interface QueueSpec {
  name: string;
  retentionDays: number;
  reason: string;
}

/** An S3 Vectors index a workflow declares (in the stack's vector bucket). */
export interface VectorIndexSpec {
  name: string;
  dimension: number;
  distance: 'cosine' | 'euclidean';
  nonFilterableMetadataKeys: string[];
  reason: string;
}

/** The manifest's `resources`: every declared resource, once. */
export interface Resources {
  tables: TableSpec[];
  queues: QueueSpec[];
  vectorIndexes: VectorIndexSpec[];
}

/** What a declared resource's placeholder stands for (codegen/src/placeholder.rs). */
export type PlaceholderKind =
  | 'TableName'
  | 'TableArn'
  | 'QueueUrl'
  | 'QueueArn'
  | 'VectorBucketName'
  | 'IndexName'
  | 'IndexArn';

/** One placeholder of a declared resource: `${SalesHistoryTableName}` → table sales-history. */
export interface ResourcePlaceholder {
  kind: PlaceholderKind;
  resource: string;
}

/** `sales-history` → `SalesHistory`, as codegen's pascal_name. */
function pascalName(name: string): string {
  return name
    .split('-')
    .map((w) => (w === '' ? '' : w[0].toUpperCase() + w.slice(1)))
    .join('');
}

/** Every placeholder of the declared resources, by the name inside `${…}`. */
export function resourcePlaceholders(resources: Resources): Map<string, ResourcePlaceholder> {
  const out = new Map<string, ResourcePlaceholder>();
  const add = (resource: string, kinds: PlaceholderKind[]) => {
    for (const kind of kinds) out.set(`${pascalName(resource)}${kind}`, { kind, resource });
  };
  for (const t of resources.tables) add(t.name, ['TableName', 'TableArn']);
  for (const q of resources.queues) add(q.name, ['QueueUrl', 'QueueArn']);
  for (const v of resources.vectorIndexes) add(v.name, ['VectorBucketName', 'IndexName', 'IndexArn']);
  return out;
}

/** One IAM grant, declared next to the activity (or workflow) that needs it. */
export interface Permission {
  actions: string[];
  resource: Resource;
  reason: string;
}

export interface ActivitySpec {
  name: string;
  errors: string[];
  memoryMb: number;
  timeoutSeconds: number;
  permissions: Permission[];
}

/**
 * The deployment's names an input template may hold as `${Name}` placeholders; the stack
 * substitutes each (codegen/src/trigger.rs: DeploymentName).
 */
export const DEPLOYMENT_NAMES = [
  'ConfigParameterName',
  'ProgressTableName',
  'GroupImagesConfigParameterName',
  'LakeBucketName',
  'LakeTableBucketArn',
  'LakeNamespaceName',
] as const;
export type DeploymentName = (typeof DEPLOYMENT_NAMES)[number];

/** The values EventBridge Scheduler fills in when a schedule fires (its context attributes). */
export const SCHEDULER_ATTRIBUTES = [
  '<aws.scheduler.scheduled-time>',
  '<aws.scheduler.execution-id>',
  '<aws.scheduler.attempt-number>',
  '<aws.scheduler.schedule-arn>',
] as const;

/** An EventBridge Scheduler schedule that starts the workflow. */
export interface ScheduleTrigger {
  kind: 'schedule';
  /** `cron(minutes hours day-of-month month day-of-week year)`, checked by the generator. */
  expression: string;
  /** IANA time zone the expression is read in. */
  timezone: string;
  /** The execution input, with `${Name}` placeholders for the deployment's names. */
  input: Record<string, unknown>;
  /** Whether start requests Scheduler gives up on go to a dead-letter queue. */
  deadLetterQueue: boolean;
  reason: string;
}

/** An EventBridge rule on the default bus starting the workflow for matching events. */
export interface EventRuleTrigger {
  kind: 'eventRule';
  source: string;
  detailType: string;
  /** The whole event, or an input-transformer template (`<$.detail.x>`, `${Name}`). */
  input: { kind: 'wholeEvent' } | { kind: 'template'; template: Record<string, unknown> };
  retry: { maximumRetryAttempts: number; maximumEventAgeSeconds: number };
  /** A declared queue receiving the events whose StartExecution failed after the retries. */
  deadLetterQueue: string | null;
  reason: string;
}

/** What starts a workflow's executions; `kind` is the tag. */
export type Trigger = ScheduleTrigger | EventRuleTrigger;
export type TriggerKind = Trigger['kind'];
export const TRIGGER_KINDS: readonly TriggerKind[] = ['schedule', 'eventRule'];

/** The longest trigger reason (a schedule's description holds "Starts <workflow>: <reason>"). */
export const REASON_MAX = 400;

export type WorkflowType = 'STANDARD' | 'EXPRESS';

export interface WorkflowSpec {
  name: string;
  /** File name of the ASL definition, next to manifest.json. */
  definition: string;
  type: WorkflowType;
  activities: string[];
  exampleInput: string;
  inputSchema: string;
  permissions: Permission[];
  triggers: Trigger[];
}

export interface Manifest {
  /** The directory holding manifest.json and the files it names. */
  dir: string;
  workflows: WorkflowSpec[];
  activities: ActivitySpec[];
  resources: Resources;
  /** The lake's Iceberg tables (`lake-tables.json` next to manifest.json), when generated. */
  lake?: LakeSpec;
}

/** The file `stepwise generate` writes next to manifest.json describing the lake's tables. */
export const LAKE_FILE = 'lake-tables.json';

/**
 * One Iceberg schema field, as the Iceberg spec writes it (and CloudFormation's
 * `IcebergSchemaV2` takes it): `type` is a primitive's name or a nested type's object
 * (`{"type": "list", "element-id", "element", "element-required"}`).
 */
export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: string | Record<string, unknown>;
}

/** A partition field bound to the schema. */
export interface IcebergPartitionField {
  sourceId: number;
  fieldId: number;
  name: string;
  transform: string;
}

/** One table of the lake (`lake-tables/src/deployment.rs`). */
export interface LakeTableSpec {
  name: string;
  formatVersion: number;
  schemaId: number;
  fields: IcebergField[];
  specId: number;
  partitionFields: IcebergPartitionField[];
  properties: Record<string, string>;
  snapshotManagement: { minSnapshotsToKeep: number; maxSnapshotAgeHours: number; reason: string };
  compaction: { enabled: boolean; targetFileSizeMb: number; reason: string };
}

/** The table bucket, its namespace and tables. */
export interface LakeSpec {
  /** The bucket's logical name; the stack names it `<namePrefix><tableBucket>` unless told. */
  tableBucket: string;
  unreferencedFileRemoval: { unreferencedDays: number; noncurrentDays: number; reason: string };
  namespace: string;
  tables: LakeTableSpec[];
}

/** A manifest that cannot be deployed; the message names the file and the field. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

// IAM action syntax: service prefix, colon, action name (wildcards allowed only as a suffix
// of the action name, e.g. `s3:GetObject*`; a bare `*` is rejected).
const ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+\*?$/;
// Lambda function memory and timeout limits.
const MEMORY_MIN = 128;
const MEMORY_MAX = 10240;
const TIMEOUT_MAX = 900;

/** Reads and checks `<dir>/manifest.json` and that every file it names exists. */
export function loadManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file)) {
    throw new ManifestError(
      `${file} does not exist: run \`stepwise generate\` (cargo run -p stepwise-cli -- generate) first`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ManifestError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseManifest(raw, dir, file);
}

/** Reads and checks `<dir>/lake-tables.json`; undefined when there is none. */
export function loadLake(dir: string): LakeSpec | undefined {
  const file = path.join(dir, LAKE_FILE);
  if (!fs.existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ManifestError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseLake(raw, file);
}

// S3 Tables' names: table buckets 3-63 of a-z 0-9 -, namespaces and tables of a-z 0-9 _.
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const NAMESPACE_NAME = /^[a-z0-9][a-z0-9_]{1,61}[a-z0-9]$/;
const TABLE_NAME = /^[a-z0-9][a-z0-9_]{0,253}[a-z0-9]?$/;

/** Checks a parsed `lake-tables.json` (exported for tests). */
export function parseLake(raw: unknown, where: string): LakeSpec {
  const root = obj(raw, where);
  const tableBucket = str(root.tableBucket, `${where}: tableBucket`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(tableBucket)) {
    throw new ManifestError(`${where}: tableBucket "${tableBucket}" is not a table bucket name (a-z, 0-9, -)`);
  }
  const namespace = str(root.namespace, `${where}: namespace`);
  if (!NAMESPACE_NAME.test(namespace)) {
    throw new ManifestError(`${where}: namespace "${namespace}" is not an S3 Tables namespace (3-63 of a-z, 0-9, _)`);
  }
  const removal = obj(root.unreferencedFileRemoval, `${where}: unreferencedFileRemoval`);
  const days = (v: unknown, at: string) => {
    const n = int(v, at);
    if (n < 1) throw new ManifestError(`${at}: ${n} days; S3 Tables needs at least 1`);
    return n;
  };
  const unreferencedFileRemoval = {
    unreferencedDays: days(removal.unreferencedDays, `${where}: unreferencedFileRemoval.unreferencedDays`),
    noncurrentDays: days(removal.noncurrentDays, `${where}: unreferencedFileRemoval.noncurrentDays`),
    reason: str(removal.reason, `${where}: unreferencedFileRemoval.reason`),
  };
  const tables = arr(root.tables, `${where}: tables`).map((t, i): LakeTableSpec => {
    const at = `${where}: tables[${i}]`;
    const o = obj(t, at);
    const name = str(o.name, `${at}.name`);
    if (!TABLE_NAME.test(name)) throw new ManifestError(`${at}.name: "${name}" is not an S3 Tables table name`);
    const schema = obj(o.schema, `${at}.schema`);
    if (schema.type !== 'struct') throw new ManifestError(`${at}.schema.type: expected "struct"`);
    const fields = arr(schema.fields, `${at}.schema.fields`).map((f, j): IcebergField => {
      const fa = `${at}.schema.fields[${j}]`;
      const fo = obj(f, fa);
      if (typeof fo.required !== 'boolean') throw new ManifestError(`${fa}.required: expected a boolean`);
      const type = fo.type;
      if (typeof type !== 'string' && (typeof type !== 'object' || type === null || Array.isArray(type))) {
        throw new ManifestError(`${fa}.type: expected a type name or a nested type object`);
      }
      return { id: int(fo.id, `${fa}.id`), name: str(fo.name, `${fa}.name`), required: fo.required, type: type as IcebergField['type'] };
    });
    if (fields.length === 0) throw new ManifestError(`${at}.schema.fields is empty`);
    const spec = obj(o.partitionSpec, `${at}.partitionSpec`);
    const ids = new Set(fields.map((f) => f.id));
    const partitionFields = arr(spec.fields, `${at}.partitionSpec.fields`).map((f, j): IcebergPartitionField => {
      const fa = `${at}.partitionSpec.fields[${j}]`;
      const fo = obj(f, fa);
      const sourceId = int(fo['source-id'], `${fa}.source-id`);
      if (!ids.has(sourceId)) throw new ManifestError(`${fa}.source-id: ${sourceId} is no field of the schema`);
      return {
        sourceId,
        fieldId: int(fo['field-id'], `${fa}.field-id`),
        name: str(fo.name, `${fa}.name`),
        transform: str(fo.transform, `${fa}.transform`),
      };
    });
    const properties: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(o.properties, `${at}.properties`))) {
      properties[k] = str(v, `${at}.properties.${k}`);
    }
    const snap = obj(o.snapshotManagement, `${at}.snapshotManagement`);
    const compaction = obj(o.compaction, `${at}.compaction`);
    if (typeof compaction.enabled !== 'boolean') throw new ManifestError(`${at}.compaction.enabled: expected a boolean`);
    const size = int(compaction.targetFileSizeMb, `${at}.compaction.targetFileSizeMb`);
    if (size < 64 || size > 512) {
      throw new ManifestError(`${at}.compaction.targetFileSizeMb: ${size} is outside S3 Tables' 64 to 512`);
    }
    return {
      name,
      formatVersion: int(o.formatVersion, `${at}.formatVersion`),
      schemaId: int(schema['schema-id'], `${at}.schema.schema-id`),
      fields,
      specId: int(spec['spec-id'], `${at}.partitionSpec.spec-id`),
      partitionFields,
      properties,
      snapshotManagement: {
        minSnapshotsToKeep: days(snap.minSnapshotsToKeep, `${at}.snapshotManagement.minSnapshotsToKeep`),
        maxSnapshotAgeHours: days(snap.maxSnapshotAgeHours, `${at}.snapshotManagement.maxSnapshotAgeHours`),
        reason: str(snap.reason, `${at}.snapshotManagement.reason`),
      },
      compaction: { enabled: compaction.enabled, targetFileSizeMb: size, reason: str(compaction.reason, `${at}.compaction.reason`) },
    };
  });
  const seen = new Set<string>();
  for (const t of tables) {
    if (seen.has(t.name)) throw new ManifestError(`${where}: lake table "${t.name}" is listed twice`);
    seen.add(t.name);
  }
  return { tableBucket, unreferencedFileRemoval, namespace, tables };
}

/** Whether `name` is a valid S3 table bucket name (3-63 of a-z, 0-9, -). */
export function isTableBucketName(name: string): boolean {
  return BUCKET_NAME.test(name);
}

/** Checks a parsed manifest (exported for tests). `where` names the source in messages. */
export function parseManifest(raw: unknown, dir: string, where: string): Manifest {
  const root = obj(raw, where);
  const resources = parseResources(root.resources, `${where}: resources`);
  const lake = loadLake(dir);
  const known = new Set<string>([...DEPLOYMENT_NAMES, ...resourcePlaceholders(resources).keys()]);
  const activities = arr(root.activities, `${where}: activities`).map((a, i) =>
    parseActivity(a, `${where}: activities[${i}]`),
  );
  const names = new Set<string>();
  for (const a of activities) {
    if (names.has(a.name)) throw new ManifestError(`${where}: activity "${a.name}" is listed twice`);
    names.add(a.name);
  }
  const workflows = arr(root.workflows, `${where}: workflows`).map((w, i) =>
    parseWorkflow(w, `${where}: workflows[${i}]`, known, resources),
  );
  const workflowNames = new Set<string>();
  for (const w of workflows) {
    if (workflowNames.has(w.name)) throw new ManifestError(`${where}: workflow "${w.name}" is listed twice`);
    workflowNames.add(w.name);
    for (const a of w.activities) {
      if (!names.has(a)) {
        throw new ManifestError(
          `${where}: workflow "${w.name}" uses activity "${a}", which is not in "activities" (known: ${[...names].join(', ')})`,
        );
      }
    }
    for (const f of [w.definition, w.exampleInput, w.inputSchema]) {
      if (!fs.existsSync(path.join(dir, f))) {
        throw new ManifestError(`${where}: workflow "${w.name}" names ${f}, which is not in ${dir}`);
      }
    }
  }
  if (workflows.length === 0) throw new ManifestError(`${where}: "workflows" is empty: nothing to deploy`);
  const declared = (p: Permission, at: string) => {
    const r = p.resource;
    const missing =
      (r.kind === 'table' && !resources.tables.some((t) => t.name === r.table)) ||
      (r.kind === 'queue' && !resources.queues.some((q) => q.name === r.queue)) ||
      (r.kind === 'vectorIndex' && !resources.vectorIndexes.some((v) => v.name === r.index));
    if (missing) {
      throw new ManifestError(`${at}: ${JSON.stringify(r)} is not in "resources": nothing would create it`);
    }
    if ((r.kind === 'lakeTable' || r.kind === 'lakeNamespace') && lake === undefined) {
      throw new ManifestError(`${at}: ${JSON.stringify(r)} needs ${path.join(dir, LAKE_FILE)}, which does not exist: run \`stepwise generate\``);
    }
    if (r.kind === 'lakeTable' && !lake?.tables.some((t) => t.name === r.dataset)) {
      throw new ManifestError(
        `${at}: ${JSON.stringify(r)} names no table of ${LAKE_FILE} (tables: ${lake?.tables.map((t) => t.name).join(', ')})`,
      );
    }
  };
  for (const a of activities) a.permissions.forEach((p, i) => declared(p, `${where}: activity "${a.name}" permissions[${i}]`));
  for (const w of workflows) w.permissions.forEach((p, i) => declared(p, `${where}: workflow "${w.name}" permissions[${i}]`));
  return { dir, workflows, activities, resources, lake };
}

const LOGICAL_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function parseResources(raw: unknown, where: string): Resources {
  const o = obj(raw, where);
  const name = (v: unknown, at: string): string => {
    const n = str(v, at);
    if (!LOGICAL_NAME.test(n) || n.length > 40) throw new ManifestError(`${at}: "${n}" is not a kebab-case name`);
    return n;
  };
  const key = (v: unknown, at: string): KeyAttr => {
    const k = obj(v, at);
    const kind = str(k.kind, `${at}.kind`);
    if (kind !== 'S' && kind !== 'N' && kind !== 'B') throw new ManifestError(`${at}.kind: "${kind}" is not S, N or B`);
    return { name: str(k.name, `${at}.name`), kind };
  };
  const optionalKey = (v: unknown, at: string): KeyAttr | undefined => (v === null || v === undefined ? undefined : key(v, at));
  const unique = (names: string[], what: string) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw new ManifestError(`${where}: ${what} "${n}" is listed twice`);
      seen.add(n);
    }
  };
  const tables = arr(o.tables, `${where}.tables`).map((t, i): TableSpec => {
    const at = `${where}.tables[${i}]`;
    const x = obj(t, at);
    return {
      name: name(x.name, `${at}.name`),
      partitionKey: key(x.partitionKey, `${at}.partitionKey`),
      sortKey: optionalKey(x.sortKey, `${at}.sortKey`),
      indexes: arr(x.indexes, `${at}.indexes`).map((g, j) => {
        const gx = obj(g, `${at}.indexes[${j}]`);
        return {
          name: str(gx.name, `${at}.indexes[${j}].name`),
          partitionKey: key(gx.partitionKey, `${at}.indexes[${j}].partitionKey`),
          sortKey: optionalKey(gx.sortKey, `${at}.indexes[${j}].sortKey`),
        };
      }),
      ttlAttribute: x.ttlAttribute === null || x.ttlAttribute === undefined ? undefined : str(x.ttlAttribute, `${at}.ttlAttribute`),
      reason: str(x.reason, `${at}.reason`),
    };
  });
  const queues = arr(o.queues, `${where}.queues`).map((q, i): QueueSpec => {
    const at = `${where}.queues[${i}]`;
    const x = obj(q, at);
    const retentionDays = int(x.retentionDays, `${at}.retentionDays`);
    if (retentionDays < 1 || retentionDays > 14) throw new ManifestError(`${at}.retentionDays: ${retentionDays} is outside SQS's 1..14 days`);
    return { name: name(x.name, `${at}.name`), retentionDays, reason: str(x.reason, `${at}.reason`) };
  });
  const vectorIndexes = arr(o.vectorIndexes, `${where}.vectorIndexes`).map((v, i): VectorIndexSpec => {
    const at = `${where}.vectorIndexes[${i}]`;
    const x = obj(v, at);
    const dimension = int(x.dimension, `${at}.dimension`);
    if (dimension < 1 || dimension > 4096) throw new ManifestError(`${at}.dimension: ${dimension} is outside S3 Vectors' 1..4096`);
    const distance = str(x.distance, `${at}.distance`);
    if (distance !== 'cosine' && distance !== 'euclidean') throw new ManifestError(`${at}.distance: "${distance}" is neither cosine nor euclidean`);
    return {
      name: name(x.name, `${at}.name`),
      dimension,
      distance,
      nonFilterableMetadataKeys: arr(x.nonFilterableMetadataKeys, `${at}.nonFilterableMetadataKeys`).map((k, j) =>
        str(k, `${at}.nonFilterableMetadataKeys[${j}]`),
      ),
      reason: str(x.reason, `${at}.reason`),
    };
  });
  unique(tables.map((t) => t.name), 'table');
  unique(queues.map((q) => q.name), 'queue');
  unique(vectorIndexes.map((v) => v.name), 'vector index');
  return { tables, queues, vectorIndexes };
}

function parseActivity(raw: unknown, where: string): ActivitySpec {
  const o = obj(raw, where);
  const name = str(o.name, `${where}.name`);
  const at = `${where} ("${name}")`;
  const memoryMb = int(o.memoryMb, `${at}.memoryMb`);
  if (memoryMb < MEMORY_MIN || memoryMb > MEMORY_MAX) {
    throw new ManifestError(`${at}.memoryMb: ${memoryMb} is outside Lambda's ${MEMORY_MIN}..${MEMORY_MAX} MB`);
  }
  const timeoutSeconds = int(o.timeoutSeconds, `${at}.timeoutSeconds`);
  if (timeoutSeconds < 1 || timeoutSeconds > TIMEOUT_MAX) {
    throw new ManifestError(`${at}.timeoutSeconds: ${timeoutSeconds} is outside Lambda's 1..${TIMEOUT_MAX} s`);
  }
  return {
    name,
    errors: arr(o.errors, `${at}.errors`).map((e, i) => str(e, `${at}.errors[${i}]`)),
    memoryMb,
    timeoutSeconds,
    permissions: parsePermissions(o.permissions, `${at}.permissions`),
  };
}

function parseWorkflow(raw: unknown, where: string, known: Set<string>, resources: Resources): WorkflowSpec {
  const o = obj(raw, where);
  const name = str(o.name, `${where}.name`);
  const at = `${where} ("${name}")`;
  const type = str(o.type, `${at}.type`);
  if (type !== 'STANDARD' && type !== 'EXPRESS') {
    throw new ManifestError(`${at}.type: "${type}" is neither STANDARD nor EXPRESS`);
  }
  return {
    name,
    definition: str(o.definition, `${at}.definition`),
    type,
    activities: arr(o.activities, `${at}.activities`).map((a, i) => str(a, `${at}.activities[${i}]`)),
    exampleInput: str(o.exampleInput, `${at}.exampleInput`),
    inputSchema: str(o.inputSchema, `${at}.inputSchema`),
    permissions: parsePermissions(o.permissions, `${at}.permissions`),
    triggers: arr(o.triggers, `${at}.triggers`).map((t, i) => parseTrigger(t, `${at}.triggers[${i}]`, known, resources)),
  };
}

function parseTrigger(raw: unknown, where: string, known: Set<string>, resources: Resources): Trigger {
  const o = obj(raw, where);
  const kind = str(o.kind, `${where}.kind`);
  switch (kind) {
    case 'schedule': {
      const expression = str(o.expression, `${where}.expression`);
      if (!/^cron\(\S+( \S+){5}\)$/.test(expression)) {
        throw new ManifestError(
          `${where}.expression: "${expression}" is not cron(minutes hours day-of-month month day-of-week year)`,
        );
      }
      const timezone = str(o.timezone, `${where}.timezone`);
      if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z][A-Za-z0-9_+-]*)*$/.test(timezone)) {
        throw new ManifestError(`${where}.timezone: "${timezone}" is not an IANA time zone name`);
      }
      const input = obj(o.input, `${where}.input`);
      checkTemplate(input, `${where}.input`, known);
      if (typeof o.deadLetterQueue !== 'boolean') {
        throw new ManifestError(`${where}.deadLetterQueue: expected true or false, found ${describe(o.deadLetterQueue)}`);
      }
      const reason = str(o.reason, `${where}.reason`);
      if (reason.trim() === '') throw new ManifestError(`${where}.reason is empty: say why the workflow runs on it`);
      if (reason.length > REASON_MAX) throw new ManifestError(`${where}.reason is longer than ${REASON_MAX} characters`);
      return { kind, expression, timezone, input, deadLetterQueue: o.deadLetterQueue, reason };
    }
    case 'eventRule': {
      const source = str(o.source, `${where}.source`);
      const detailType = str(o.detailType, `${where}.detailType`);
      const inputRaw = obj(o.input, `${where}.input`);
      const inputKind = str(inputRaw.kind, `${where}.input.kind`);
      let input: EventRuleTrigger['input'];
      if (inputKind === 'wholeEvent') input = { kind: 'wholeEvent' };
      else if (inputKind === 'template') {
        const template = obj(inputRaw.template, `${where}.input.template`);
        checkTemplate(template, `${where}.input.template`, known, true);
        input = { kind: 'template', template };
      } else throw new ManifestError(`${where}.input.kind: "${inputKind}" is neither wholeEvent nor template`);
      const retryRaw = obj(o.retry, `${where}.retry`);
      const maximumRetryAttempts = int(retryRaw.maximumRetryAttempts, `${where}.retry.maximumRetryAttempts`);
      if (maximumRetryAttempts < 0 || maximumRetryAttempts > 185) {
        throw new ManifestError(`${where}.retry.maximumRetryAttempts: ${maximumRetryAttempts} is outside EventBridge's 0..185`);
      }
      const maximumEventAgeSeconds = int(retryRaw.maximumEventAgeSeconds, `${where}.retry.maximumEventAgeSeconds`);
      if (maximumEventAgeSeconds < 60 || maximumEventAgeSeconds > 86400) {
        throw new ManifestError(`${where}.retry.maximumEventAgeSeconds: ${maximumEventAgeSeconds} is outside EventBridge's 60..86400`);
      }
      let deadLetterQueue: string | null = null;
      if (o.deadLetterQueue !== null && o.deadLetterQueue !== undefined) {
        deadLetterQueue = str(o.deadLetterQueue, `${where}.deadLetterQueue`);
        if (!resources.queues.some((q) => q.name === deadLetterQueue)) {
          throw new ManifestError(`${where}.deadLetterQueue: "${deadLetterQueue}" is not a queue in "resources"`);
        }
      }
      const reason = str(o.reason, `${where}.reason`);
      if (reason.length > REASON_MAX) throw new ManifestError(`${where}.reason is longer than ${REASON_MAX} characters`);
      return {
        kind,
        source,
        detailType,
        input,
        retry: { maximumRetryAttempts, maximumEventAgeSeconds },
        deadLetterQueue,
        reason,
      };
    }
    default:
      throw new ManifestError(
        `${where}.kind: unknown trigger kind "${kind}" (known: ${TRIGGER_KINDS.join(', ')}); ` +
          'teach infra-cdk/lib/stepwise-stack.ts to create it',
      );
  }
}

/**
 * Every `${Name}` in the template's strings is a name the stack substitutes (`known`) and
 * every `<aws.…>` a Scheduler attribute (or, for an event rule's template, anything
 * EventBridge's input transformer fills in, which codegen checked).
 */
function checkTemplate(v: unknown, where: string, known: Set<string>, eventRule = false): void {
  if (typeof v === 'string') {
    for (const name of placeholders(v)) {
      if (!known.has(name)) {
        throw new ManifestError(
          `${where}: unknown placeholder "\${${name}}" (the stack substitutes: ${[...known].map((n) => '${' + n + '}').join(', ')})`,
        );
      }
    }
    for (const m of eventRule ? [] : v.matchAll(/<aws\.[^>]*>?/g)) {
      if (!(SCHEDULER_ATTRIBUTES as readonly string[]).includes(m[0])) {
        throw new ManifestError(
          `${where}: "${m[0]}" is not a Scheduler context attribute (known: ${SCHEDULER_ATTRIBUTES.join(', ')})`,
        );
      }
    }
  } else if (Array.isArray(v)) {
    v.forEach((item, i) => checkTemplate(item, `${where}[${i}]`, known, eventRule));
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, item] of Object.entries(v)) {
      if (k.includes('${') || k.includes('<aws.')) {
        throw new ManifestError(`${where}: key "${k}": placeholders belong in string values only`);
      }
      checkTemplate(item, `${where}.${k}`, known, eventRule);
    }
  }
}

/**
 * The template with every `${Name}` replaced by `values[Name]` (which may be CDK tokens:
 * they stay tokens inside the string). The template was checked by parseManifest.
 */
export function fillTemplate(template: unknown, values: Record<string, string>): unknown {
  if (typeof template === 'string') {
    return template.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new ManifestError(`no value for placeholder "\${${name}}"`);
      return value;
    });
  }
  if (Array.isArray(template)) return template.map((t) => fillTemplate(t, values));
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([k, t]) => [k, fillTemplate(t, values)]));
  }
  return template;
}

function parsePermissions(raw: unknown, where: string): Permission[] {
  return arr(raw, where).map((p, i) => {
    const at = `${where}[${i}]`;
    const o = obj(p, at);
    const actions = arr(o.actions, `${at}.actions`).map((a, j) => str(a, `${at}.actions[${j}]`));
    if (actions.length === 0) throw new ManifestError(`${at}.actions is empty`);
    for (const a of actions) {
      if (!ACTION.test(a)) throw new ManifestError(`${at}.actions: "${a}" is not an IAM action (service:Action)`);
    }
    const reason = str(o.reason, `${at}.reason`);
    if (reason.trim() === '') throw new ManifestError(`${at}.reason is empty: say why the permission is needed`);
    return { actions, resource: parseResource(o.resource, `${at}.resource`), reason };
  });
}

function parseResource(raw: unknown, where: string): Resource {
  const o = obj(raw, where);
  const kind = str(o.kind, `${where}.kind`);
  switch (kind) {
    case 'objects':
    case 'listing': {
      const area = str(o.area, `${where}.area`);
      if (!(AREAS as readonly string[]).includes(area)) {
        throw new ManifestError(`${where}.area: unknown area "${area}" (known: ${AREAS.join(', ')})`);
      }
      return { kind, area: area as Area };
    }
    case 'progressTable':
    case 'configParameter':
    case 'foundationModel':
    case 'ownStateMachine':
    case 'ownMapRunExecutions':
    case 'eventBus':
      return { kind };
    case 'table':
      return { kind, table: str(o.table, `${where}.table`) };
    case 'queue':
      return { kind, queue: str(o.queue, `${where}.queue`) };
    case 'vectorIndex':
      return { kind, index: str(o.index, `${where}.index`) };
    case 'lakeTable':
      return { kind, dataset: str(o.dataset, `${where}.dataset`) };
    case 'lakeNamespace':
      return { kind };
    default:
      throw new ManifestError(
        `${where}.kind: unknown resource kind "${kind}" (known: ${RESOURCE_KINDS.join(', ')}); ` +
          'teach infra-cdk/lib/permissions.ts what it maps to',
      );
  }
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ManifestError(`${where}: expected an object, found ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) {
    throw new ManifestError(
      `${where}: expected an array, found ${describe(v)}` +
        (v === undefined ? ' (is statemachines/generated/ from an older `stepwise generate`?)' : ''),
    );
  }
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new ManifestError(`${where}: expected a non-empty string, found ${describe(v)}`);
  return v;
}

function int(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ManifestError(
      `${where}: expected an integer, found ${describe(v)}` +
        (v === undefined ? ' (is statemachines/generated/ from an older `stepwise generate`?)' : ''),
    );
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `${typeof v} ${JSON.stringify(v)?.slice(0, 60)}`;
}

/** The `${Name}` placeholders in an ASL document's text, in order of first appearance. */
export function placeholders(asl: string): string[] {
  const seen = new Set<string>();
  for (const m of asl.matchAll(/\$\{([^}]*)\}/g)) seen.add(m[1]);
  return [...seen];
}
