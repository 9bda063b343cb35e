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
export const AREAS = ['staging', 'lake', 'images'] as const;
export type Area = (typeof AREAS)[number];

/** What a permission applies to; `kind` is the tag. */
export type Resource =
  | { kind: 'objects'; area: Area }
  | { kind: 'listing'; area: Area }
  | { kind: 'progressTable' }
  | { kind: 'configParameter' }
  | { kind: 'foundationModel' }
  | { kind: 'ownStateMachine' }
  | { kind: 'ownMapRunExecutions' };

export type ResourceKind = Resource['kind'];

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'objects',
  'listing',
  'progressTable',
  'configParameter',
  'foundationModel',
  'ownStateMachine',
  'ownMapRunExecutions',
];

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
export const DEPLOYMENT_NAMES = ['ConfigParameterName', 'ProgressTableName'] as const;
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

/** What starts a workflow's executions; `kind` is the tag. */
export type Trigger = ScheduleTrigger;
export type TriggerKind = Trigger['kind'];
export const TRIGGER_KINDS: readonly TriggerKind[] = ['schedule'];

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

/** Checks a parsed manifest (exported for tests). `where` names the source in messages. */
export function parseManifest(raw: unknown, dir: string, where: string): Manifest {
  const root = obj(raw, where);
  const activities = arr(root.activities, `${where}: activities`).map((a, i) =>
    parseActivity(a, `${where}: activities[${i}]`),
  );
  const names = new Set<string>();
  for (const a of activities) {
    if (names.has(a.name)) throw new ManifestError(`${where}: activity "${a.name}" is listed twice`);
    names.add(a.name);
  }
  const workflows = arr(root.workflows, `${where}: workflows`).map((w, i) =>
    parseWorkflow(w, `${where}: workflows[${i}]`),
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
  return { dir, workflows, activities };
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

function parseWorkflow(raw: unknown, where: string): WorkflowSpec {
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
    triggers: arr(o.triggers, `${at}.triggers`).map((t, i) => parseTrigger(t, `${at}.triggers[${i}]`)),
  };
}

function parseTrigger(raw: unknown, where: string): Trigger {
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
      checkTemplate(input, `${where}.input`);
      if (typeof o.deadLetterQueue !== 'boolean') {
        throw new ManifestError(`${where}.deadLetterQueue: expected true or false, found ${describe(o.deadLetterQueue)}`);
      }
      const reason = str(o.reason, `${where}.reason`);
      if (reason.trim() === '') throw new ManifestError(`${where}.reason is empty: say why the workflow runs on it`);
      if (reason.length > REASON_MAX) throw new ManifestError(`${where}.reason is longer than ${REASON_MAX} characters`);
      return { kind, expression, timezone, input, deadLetterQueue: o.deadLetterQueue, reason };
    }
    default:
      throw new ManifestError(
        `${where}.kind: unknown trigger kind "${kind}" (known: ${TRIGGER_KINDS.join(', ')}); ` +
          'teach infra-cdk/lib/stepwise-stack.ts to create it',
      );
  }
}

/** Every `${Name}` in the template's strings is a deployment name and every `<aws.…>` a Scheduler attribute. */
function checkTemplate(v: unknown, where: string): void {
  if (typeof v === 'string') {
    for (const name of placeholders(v)) {
      if (!(DEPLOYMENT_NAMES as readonly string[]).includes(name)) {
        throw new ManifestError(
          `${where}: unknown placeholder "\${${name}}" (the stack substitutes: ${DEPLOYMENT_NAMES.map((n) => '${' + n + '}').join(', ')})`,
        );
      }
    }
    for (const m of v.matchAll(/<aws\.[^>]*>?/g)) {
      if (!(SCHEDULER_ATTRIBUTES as readonly string[]).includes(m[0])) {
        throw new ManifestError(
          `${where}: "${m[0]}" is not a Scheduler context attribute (known: ${SCHEDULER_ATTRIBUTES.join(', ')})`,
        );
      }
    }
  } else if (Array.isArray(v)) {
    v.forEach((item, i) => checkTemplate(item, `${where}[${i}]`));
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, item] of Object.entries(v)) {
      if (k.includes('${') || k.includes('<aws.')) {
        throw new ManifestError(`${where}: key "${k}": placeholders belong in string values only`);
      }
      checkTemplate(item, `${where}.${k}`);
    }
  }
}

/**
 * The template with every `${Name}` replaced by `values[Name]` (which may be CDK tokens:
 * they stay tokens inside the string). The template was checked by parseManifest.
 */
export function fillTemplate(template: unknown, values: Record<DeploymentName, string>): unknown {
  if (typeof template === 'string') {
    return template.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      const value = values[name as DeploymentName];
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
