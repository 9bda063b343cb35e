/**
 * The app's context parameters (`-c key=value` or cdk.json's "context"), their defaults
 * and their checks. Everything deployment-specific that the manifest does not say comes
 * from here; a bad value fails synth with a message naming the parameter.
 */
import * as path from 'node:path';
import * as logs from 'aws-cdk-lib/aws-logs';

export type Architecture = 'arm64' | 'x86_64';

export interface Settings {
  /** Directory holding manifest.json and the generated files. */
  generatedDir: string;
  /** Directory holding the `bootstrap` executable (cargo lambda's output). */
  artifactDir: string;
  /** The architecture asked for; undefined: whatever the artifact was built for. */
  architecture?: Architecture;
  /** Prefix of the state machines' names (they need explicit names, see permissions.ts). */
  namePrefix: string;
  configParameterName: string;
  /** The SSM parameter holding group-images' configuration. */
  groupImagesConfigParameterName: string;
  /**
   * Every configuration parameter by the deployment name that substitutes it
   * (`ConfigParameterName`, `GroupImagesConfigParameterName`), so the stack handles them
   * without naming a pipeline.
   */
  configParameters: Record<string, string>;
  configKeyArn?: string;
  stagingPrefix: string;
  lakePrefix: string;
  /** The bucket product images are read from; undefined: the pipeline bucket. */
  imagesBucket?: string;
  imagesPrefix: string;
  /** Where stored embeddings live (kept: no lifecycle rule). */
  embeddingsPrefix: string;
  /** Where thumbnails live (expired after thumbnailsExpirationDays). */
  thumbnailsPrefix: string;
  thumbnailsExpirationDays: number;
  bedrockModelId: string;
  /** undefined: the stack's region. */
  bedrockRegion?: string;
  alarmEmail?: string;
  alarmTopicArn?: string;
  logRetention: logs.RetentionDays;
  /** Days before objects under stagingPrefix expire. */
  stagingExpirationDays: number;
  /** RUST_LOG of every function. */
  logLevel: string;
  /** Function errors in 5 minutes that raise a function's Errors alarm. */
  functionErrorsThreshold: number;
  /** Whether the daily schedule is enabled (deploy it disabled until the config exists). */
  scheduleEnabled: boolean;
  /**
   * Activities deployed as Step Functions Activities served by `stepwise worker` instead
   * of Lambda functions (names as in the manifest; checked against it by the stack).
   */
  activityWorkers: string[];
  /** The lake's S3 table bucket name; undefined: `<namePrefix><tableBucket of lake-tables.json>`. */
  lakeTableBucketName?: string;
  /**
   * Whether the stack also creates the account-level integration of S3 Tables with the
   * AWS analytics services (the `s3tablescatalog` Glue catalog and the Lake Formation
   * registration Athena reads the tables through). Off by default: there is one per
   * account and region, and an account that enabled it in the console already has it.
   */
  lakeAnalyticsIntegration: boolean;
}

export const DEFAULTS = {
  namePrefix: 'stepwise-',
  configParameterName: '/stepwise/daily-sales-export/config',
  groupImagesConfigParameterName: '/stepwise/group-images/config',
  stagingPrefix: 'staging/',
  lakePrefix: 'lake/',
  imagesPrefix: 'images/',
  embeddingsPrefix: 'embeddings/',
  thumbnailsPrefix: 'thumbnails/',
  thumbnailsExpirationDays: 30,
  bedrockModelId: 'amazon.titan-embed-image-v1',
  logRetentionDays: 30,
  stagingExpirationDays: 7,
  logLevel: 'info',
  functionErrorsThreshold: 5,
} as const;

/** Every context key the app reads (the README documents each). */
export const CONTEXT_KEYS = [
  'generatedDir',
  'artifactDir',
  'architecture',
  'namePrefix',
  'configParameterName',
  'groupImagesConfigParameterName',
  'configKeyArn',
  'stagingPrefix',
  'lakePrefix',
  'imagesBucket',
  'imagesPrefix',
  'embeddingsPrefix',
  'thumbnailsPrefix',
  'thumbnailsExpirationDays',
  'bedrockModelId',
  'bedrockRegion',
  'alarmEmail',
  'alarmTopicArn',
  'logRetentionDays',
  'stagingExpirationDays',
  'logLevel',
  'functionErrorsThreshold',
  'scheduleEnabled',
  'activityWorkers',
  'lakeTableBucketName',
  'lakeAnalyticsIntegration',
  // the jobs API (lib/jobs-api.ts reads these)
  'jobsApiUserPoolArn',
  'jobsApiJwtIssuer',
  'jobsApiJwtAudience',
  'jobsApiJwksUrl',
  'jobsApiRateLimit',
  'jobsApiBurstLimit',
] as const;

/** A context value that cannot be used; the message names the parameter. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** The repository root (infra-cdk/..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

type Lookup = (key: string) => unknown;

/** Reads the settings through `lookup` (e.g. `key => app.node.tryGetContext(key)`). */
export function readSettings(lookup: Lookup): Settings {
  const text = (key: string): string | undefined => {
    const v = lookup(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new SettingsError(`context "${key}": expected a string, found ${JSON.stringify(v)}`);
    }
    const s = String(v).trim();
    return s === '' ? undefined : s;
  };
  const count = (key: string, fallback: number, min: number, max: number): number => {
    const s = text(key);
    if (s === undefined) return fallback;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new SettingsError(`context "${key}": "${s}" is not a whole number from ${min} to ${max}`);
    }
    return n;
  };
  const prefix = (key: string, fallback: string): string => {
    const s = text(key) ?? fallback;
    if (!/^[A-Za-z0-9!_.'()=-]+(\/[A-Za-z0-9!_.'()=-]+)*\/$/.test(s)) {
      throw new SettingsError(
        `context "${key}": "${s}" is not a key prefix like "staging/" (letters, digits, ! _ . ' ( ) = -, separated by single /, ending in /)`,
      );
    }
    return s;
  };

  const architecture = text('architecture');
  if (architecture !== undefined && architecture !== 'arm64' && architecture !== 'x86_64') {
    throw new SettingsError(`context "architecture": "${architecture}" is neither arm64 nor x86_64`);
  }

  const parameterName = (key: 'configParameterName' | 'groupImagesConfigParameterName'): string => {
    const name = text(key) ?? DEFAULTS[key];
    if (!/^[A-Za-z0-9_.\-/]{1,2048}$/.test(name) || name.includes('//')) {
      throw new SettingsError(`context "${key}": "${name}" is not an SSM parameter name`);
    }
    return name;
  };
  const configParameterName = parameterName('configParameterName');
  const groupImagesConfigParameterName = parameterName('groupImagesConfigParameterName');

  const configKeyArn = text('configKeyArn');
  if (configKeyArn !== undefined && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(configKeyArn)) {
    throw new SettingsError(
      `context "configKeyArn": "${configKeyArn}" is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; an alias ARN cannot be used in a key policy grant)`,
    );
  }

  const imagesBucket = text('imagesBucket');
  if (imagesBucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(imagesBucket)) {
    throw new SettingsError(`context "imagesBucket": "${imagesBucket}" is not an S3 bucket name`);
  }

  const bedrockModelId = text('bedrockModelId') ?? DEFAULTS.bedrockModelId;
  if (!/^[A-Za-z0-9._:-]+$/.test(bedrockModelId)) {
    throw new SettingsError(`context "bedrockModelId": "${bedrockModelId}" is not a Bedrock model id`);
  }
  const bedrockRegion = text('bedrockRegion');
  if (bedrockRegion !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(bedrockRegion)) {
    throw new SettingsError(`context "bedrockRegion": "${bedrockRegion}" is not an AWS region`);
  }

  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new SettingsError(`context "alarmEmail": "${alarmEmail}" is not an email address`);
  }
  const alarmTopicArn = text('alarmTopicArn');
  if (alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(alarmTopicArn)) {
    throw new SettingsError(`context "alarmTopicArn": "${alarmTopicArn}" is not an SNS topic ARN`);
  }
  if (alarmEmail !== undefined && alarmTopicArn !== undefined) {
    throw new SettingsError(
      'context "alarmEmail" and "alarmTopicArn" are both set: give one (alarmEmail creates a topic; alarmTopicArn uses yours — subscribe the address to it there)',
    );
  }

  const retentionDays = count('logRetentionDays', DEFAULTS.logRetentionDays, 1, 3653);
  const retentionValues = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!retentionValues.includes(retentionDays)) {
    throw new SettingsError(
      `context "logRetentionDays": ${retentionDays} is not a CloudWatch Logs retention (one of ${retentionValues
        .filter((v) => v !== logs.RetentionDays.INFINITE)
        .sort((a, b) => a - b)
        .join(', ')})`,
    );
  }

  const namePrefix = text('namePrefix') ?? DEFAULTS.namePrefix;
  if (!/^[A-Za-z0-9_-]{0,40}$/.test(namePrefix)) {
    throw new SettingsError(`context "namePrefix": "${namePrefix}" may hold only letters, digits, _ and - (at most 40)`);
  }

  const logLevel = text('logLevel') ?? DEFAULTS.logLevel;
  if (!/^[A-Za-z0-9_:=,.-]+$/.test(logLevel)) {
    throw new SettingsError(`context "logLevel": "${logLevel}" is not a RUST_LOG filter (e.g. info, debug, activities=debug)`);
  }

  const scheduleEnabledText = text('scheduleEnabled') ?? 'true';
  if (scheduleEnabledText !== 'true' && scheduleEnabledText !== 'false') {
    throw new SettingsError(`context "scheduleEnabled": "${scheduleEnabledText}" is neither true nor false`);
  }

  const activityWorkers = nameList(lookup('activityWorkers'), 'activityWorkers');

  const lakeTableBucketName = text('lakeTableBucketName');
  if (lakeTableBucketName !== undefined && !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(lakeTableBucketName)) {
    throw new SettingsError(
      `context "lakeTableBucketName": "${lakeTableBucketName}" is not an S3 table bucket name (3-63 of a-z, 0-9 and -, starting and ending with a letter or digit)`,
    );
  }
  const integrationText = text('lakeAnalyticsIntegration') ?? 'false';
  if (integrationText !== 'true' && integrationText !== 'false') {
    throw new SettingsError(`context "lakeAnalyticsIntegration": "${integrationText}" is neither true nor false`);
  }

  const dir = (key: string, fallback: string): string => path.resolve(REPO_ROOT, 'infra-cdk', text(key) ?? fallback);

  return {
    generatedDir: dir('generatedDir', path.join(REPO_ROOT, 'statemachines', 'generated')),
    artifactDir: dir('artifactDir', path.join(REPO_ROOT, 'target', 'lambda', 'bootstrap')),
    architecture,
    namePrefix,
    configParameterName,
    groupImagesConfigParameterName,
    configParameters: {
      ConfigParameterName: configParameterName,
      GroupImagesConfigParameterName: groupImagesConfigParameterName,
    },
    configKeyArn,
    stagingPrefix: prefix('stagingPrefix', DEFAULTS.stagingPrefix),
    lakePrefix: prefix('lakePrefix', DEFAULTS.lakePrefix),
    imagesBucket,
    imagesPrefix: prefix('imagesPrefix', DEFAULTS.imagesPrefix),
    embeddingsPrefix: prefix('embeddingsPrefix', DEFAULTS.embeddingsPrefix),
    thumbnailsPrefix: prefix('thumbnailsPrefix', DEFAULTS.thumbnailsPrefix),
    thumbnailsExpirationDays: count('thumbnailsExpirationDays', DEFAULTS.thumbnailsExpirationDays, 1, 3650),
    bedrockModelId,
    bedrockRegion,
    alarmEmail,
    alarmTopicArn,
    logRetention: retentionDays as logs.RetentionDays,
    stagingExpirationDays: count('stagingExpirationDays', DEFAULTS.stagingExpirationDays, 1, 3650),
    logLevel,
    functionErrorsThreshold: count('functionErrorsThreshold', DEFAULTS.functionErrorsThreshold, 1, 100000),
    scheduleEnabled: scheduleEnabledText === 'true',
    activityWorkers,
    lakeTableBucketName,
    lakeAnalyticsIntegration: integrationText === 'true',
  };
}

/**
 * A list of names from the context: `"A,B"` (what `-c key=A,B` passes) or a JSON array of
 * strings (cdk.json); blanks around names and empty entries are dropped, duplicates kept
 * once, in order.
 */
function nameList(value: unknown, key: string): string[] {
  if (value === undefined || value === null) return [];
  let items: unknown[];
  if (typeof value === 'string') items = value.split(',');
  else if (Array.isArray(value)) items = value;
  else throw new SettingsError(`context "${key}": expected names separated by commas or a list of names, found ${JSON.stringify(value)}`);
  const names: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') {
      throw new SettingsError(`context "${key}": expected a list of names, found ${JSON.stringify(item)} in ${JSON.stringify(value)}`);
    }
    const name = item.trim();
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}
