/**
 * The jobs APIs: one API Gateway REST API per `*.openapi.json` that `stepwise generate`
 * wrote next to the manifest. Its `x-stepwise` block names the workflow the POST starts
 * and the declared table the GET reads, so nothing here names a workflow.
 *
 * - POST <path>: a direct Step Functions StartExecution integration. The execution name
 *   (the job id) is the Idempotency-Key header when given (a retry with the same body
 *   returns the same execution: StartExecution is idempotent on name and input), else
 *   `$context.requestId`. The execution input is built by the integration from the
 *   validated body's `images` and `threshold` and the tenant of the authorizer's claims,
 *   never from the body or a header.
 * - GET <path>/{jobId}: the status function (the artifact's `JobStatus` handler, a proxy
 *   integration): the job record keyed by the tenant of the claims (another tenant's job
 *   is not found, like a missing one), else the execution (ACCEPTED before the workflow
 *   writes the record), and once SUCCEEDED the groups, failed images and a presigned
 *   result URL; the same code as the local server's GET.
 * - Request validation from the generated component schemas (models), an authorizer,
 *   stage throttling, access logs in JSON, execution logs and X-Ray. The authorizer is a
 *   Cognito user pool's (a pool created here by default, or yours), or — for any other
 *   OpenID Connect issuer (`jobsApiJwtIssuer`, `jobsApiJwtAudience`) — a Lambda token
 *   authorizer running the artifact's `JwtAuthorizer` handler
 *   (stepwise_jobs_api::authorizer): it verifies the token with the issuer's published
 *   keys and hands the integrations the tenant as `$context.authorizer.tenant`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ManifestError } from './manifest';
import { SettingsError } from './settings';

/** One generated OpenAPI document and what its `x-stepwise` block says. */
export interface ApiSpec {
  file: string;
  document: any;
  workflow: string;
  jobsTable: string;
  tenantClaim: string;
  jobIdPattern: string;
  idempotencyHeader: string;
  /** The collection path, e.g. `/group-images`. */
  collection: string;
}

/** Every `*.openapi.json` of the generated directory, checked. */
export function loadApis(dir: string): ApiSpec[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.openapi.json'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      let document: any;
      try {
        document = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        throw new ManifestError(`${file} is not valid JSON: ${(e as Error).message}`);
      }
      const x = document?.['x-stepwise'];
      for (const key of ['workflow', 'jobsTable', 'tenantClaim', 'jobIdPattern', 'idempotencyHeader']) {
        if (typeof x?.[key] !== 'string' || x[key] === '') {
          throw new ManifestError(`${file}: x-stepwise.${key} is missing: run \`stepwise generate\``);
        }
      }
      const collections = Object.keys(document.paths ?? {}).filter((p) => document.paths[p].post);
      if (collections.length !== 1) {
        throw new ManifestError(`${file}: expected one path with a POST, found ${collections.length}`);
      }
      const collection = collections[0];
      if (!document.paths[`${collection}/{jobId}`]?.get) {
        throw new ManifestError(`${file}: no GET ${collection}/{jobId}`);
      }
      return {
        file,
        document,
        workflow: x.workflow,
        jobsTable: x.jobsTable,
        tenantClaim: x.tenantClaim,
        jobIdPattern: x.jobIdPattern,
        idempotencyHeader: x.idempotencyHeader,
        collection,
      };
    });
}

/** An OpenID Connect issuer whose tokens a Lambda authorizer verifies. */
export interface JwtIssuer {
  /** The tokens' `iss`, an https URL; its discovery document names the keys. */
  issuer: string;
  /** The tokens' `aud`. */
  audience: string;
  /** The issuer's JWKS URL, when it has no discovery document. */
  jwksUrl?: string;
}

/** The API context parameters (listed with every other key in settings.ts CONTEXT_KEYS). */
export interface ApiSettings {
  /** An existing Cognito user pool (its issuer); undefined: the stack creates one. */
  userPoolArn?: string;
  /** Another issuer: a Lambda authorizer instead of the Cognito one. */
  jwt?: JwtIssuer;
  /** Rate (requests/s) and burst of the stage's throttling. */
  rateLimit: number;
  burstLimit: number;
}

export function readApiSettings(lookup: (key: string) => unknown): ApiSettings {
  const text = (key: string): string | undefined => {
    const v = lookup(key);
    return v === undefined || v === null || String(v).trim() === '' ? undefined : String(v).trim();
  };
  const count = (key: string, fallback: number): number => {
    const s = text(key);
    if (s === undefined) return fallback;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 10000) {
      throw new SettingsError(`context "${key}": "${s}" is not a whole number from 1 to 10000`);
    }
    return n;
  };
  const userPoolArn = text('jobsApiUserPoolArn');
  if (userPoolArn !== undefined && !/^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[\w-]+$/.test(userPoolArn)) {
    throw new SettingsError(`context "jobsApiUserPoolArn": "${userPoolArn}" is not a Cognito user pool ARN`);
  }
  const url = (key: string): string | undefined => {
    const s = text(key);
    if (s === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(s);
    } catch {
      throw new SettingsError(`context "${key}": "${s}" is not a URL`);
    }
    if (parsed.protocol !== 'https:') throw new SettingsError(`context "${key}": "${s}" is not an https URL`);
    return s;
  };
  const issuer = url('jobsApiJwtIssuer');
  const audience = text('jobsApiJwtAudience');
  const jwksUrl = url('jobsApiJwksUrl');
  let jwt: JwtIssuer | undefined;
  if (issuer !== undefined) {
    if (userPoolArn !== undefined) {
      throw new SettingsError('context "jobsApiJwtIssuer" and "jobsApiUserPoolArn" exclude each other: choose one issuer');
    }
    if (audience === undefined) {
      throw new SettingsError('context "jobsApiJwtAudience" is required with "jobsApiJwtIssuer" (the tokens\' "aud")');
    }
    jwt = { issuer, audience, ...(jwksUrl === undefined ? {} : { jwksUrl }) };
  } else if (audience !== undefined || jwksUrl !== undefined) {
    throw new SettingsError(
      `context "${audience !== undefined ? 'jobsApiJwtAudience' : 'jobsApiJwksUrl'}" needs "jobsApiJwtIssuer" (without it the API uses Cognito)`,
    );
  }
  return { userPoolArn, jwt, rateLimit: count('jobsApiRateLimit', 50), burstLimit: count('jobsApiBurstLimit', 100) };
}

/** An OpenAPI 3.0 schema as an API Gateway model (JSON Schema draft 4): `nullable` dropped. */
export function modelSchema(schema: any): any {
  const convert = (s: any): any => {
    if (Array.isArray(s)) return s.map(convert);
    if (s === null || typeof s !== 'object') return s;
    const out: any = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === 'nullable') continue;
      out[k] = convert(v);
    }
    return out;
  };
  return { $schema: 'http://json-schema.org/draft-04/schema#', ...convert(schema) };
}

/**
 * VTL that writes `expr` as the inside of a JSON string. `$util.escapeJavaScript` escapes
 * `'` as `\'`, which JSON does not allow (an image URI or a tenant with an apostrophe
 * would make the StartExecution request invalid), so that one escape is undone — the
 * workaround AWS documents for Step Functions integrations.
 */
const jsonString = (expr: string) => `$util.escapeJavaScript(${expr}).replaceAll("\\\\'", "'")`;

const pascal = (name: string) => name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');

export interface JobsApiProps {
  spec: ApiSpec;
  stateMachine: sfn.StateMachine;
  table: dynamodb.Table;
  settings: ApiSettings;
  logRetention: logs.RetentionDays;
  /** The Lambda artifact the status function runs (the activities' `bootstrap`). */
  function: { code: lambda.Code; architecture: lambda.Architecture; logLevel: string };
  /** Where the workflow writes results: the status function may read objects under `prefix` only. */
  results: { bucket: s3.IBucket; prefix: string };
}

/** The jobs API of one generated OpenAPI document (see the module documentation). */
export class JobsApi extends Construct {
  readonly api: apigw.RestApi;
  /** The Cognito user pool whose tokens are accepted; undefined with another issuer. */
  readonly userPool?: cognito.IUserPool;
  /** The Lambda authorizer of another issuer; undefined with Cognito. */
  readonly authorizerFunction?: lambda.Function;
  /** The authorizer's faults per 5 minutes (it could not decide: the issuer's keys unreadable). */
  readonly authorizerFaults?: cloudwatch.IMetric;
  readonly userPoolClient?: cognito.UserPoolClient;
  readonly models: Record<string, apigw.Model> = {};
  readonly accessLogs: logs.LogGroup;
  readonly statusFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: JobsApiProps) {
    super(scope, id);
    const { spec, stateMachine, table, settings } = props;
    const stack = Stack.of(this);
    const claim = spec.tenantClaim;
    let authorizer!: apigw.IAuthorizer;
    let authorizationType!: apigw.AuthorizationType;
    // Where the integrations find the verified tenant: a Cognito authorizer's claims, or
    // the Lambda authorizer's context key (jobs-api/src/authorizer.rs, TENANT_CONTEXT_KEY).
    let quietClaim!: string;
    let statusTenantKey!: string;
    if (settings.jwt) {
      const jwt = settings.jwt;
      const authorizerLogs = new logs.LogGroup(this, 'AuthorizerLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
      const authorizerRole = new iam.Role(this, 'AuthorizerRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `The jobs API's authorizer: verifies tokens of ${jwt.issuer}; no AWS access`,
      });
      authorizerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [authorizerLogs.logGroupArn] }),
      );
      this.authorizerFunction = new lambda.Function(this, 'AuthorizerFunction', {
        description: `The jobs API's token authorizer (${jwt.issuer})`,
        runtime: lambda.Runtime.PROVIDED_AL2023,
        architecture: props.function.architecture,
        code: props.function.code,
        // bootstrap serves the authorizer for this handler (activities/lambda/src/bin/bootstrap.rs).
        handler: 'JwtAuthorizer',
        memorySize: 128,
        timeout: Duration.seconds(10),
        environment: {
          RUST_LOG: props.function.logLevel,
          JWT_ISSUER: jwt.issuer,
          JWT_AUDIENCE: jwt.audience,
          TENANT_CLAIM: claim,
          ...(jwt.jwksUrl === undefined ? {} : { JWKS_URL: jwt.jwksUrl }),
        },
        tracing: lambda.Tracing.ACTIVE,
        logGroup: authorizerLogs,
        role: authorizerRole,
      });
      // Logged by stepwise_jobs_api::authorizer::serve when it cannot decide (a 500).
      this.authorizerFaults = new logs.MetricFilter(this, 'AuthorizerFaults', {
        logGroup: authorizerLogs,
        filterPattern: logs.FilterPattern.literal('"cannot decide"'),
        metricNamespace: 'Stepwise',
        metricName: `${pascal(spec.workflow)}ApiAuthorizerFaults`,
        metricValue: '1',
      }).metric({ period: Duration.minutes(5), statistic: 'Sum' });
      authorizer = new apigw.TokenAuthorizer(this, 'Authorizer', {
        handler: this.authorizerFunction,
        identitySource: 'method.request.header.Authorization',
        // The answer allows the whole stage, so one verification serves a token's POSTs and GETs.
        resultsCacheTtl: Duration.minutes(5),
      });
      authorizationType = apigw.AuthorizationType.CUSTOM;
      quietClaim = '$!context.authorizer.tenant';
      statusTenantKey = 'tenant';
      Validations.of(authorizerRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support only Resource "*"',
      });
    } else if (settings.userPoolArn) {
      this.userPool = cognito.UserPool.fromUserPoolArn(this, 'UserPool', settings.userPoolArn);
    } else {
      const pool = new cognito.UserPool(this, 'UserPool', {
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        // The tenant: set by an administrator, never writable by the user.
        customAttributes: { tenant: new cognito.StringAttribute({ minLen: 1, maxLen: 128, mutable: false }) },
        passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { sms: false, otp: true },
        featurePlan: cognito.FeaturePlan.PLUS,
        standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.userPool = pool;
      this.userPoolClient = pool.addClient('Client', {
        authFlows: { userSrp: true },
        generateSecret: false,
        readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }).withCustomAttributes('tenant'),
        writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
        idTokenValidity: Duration.minutes(60),
      });
    }
    // Assigned in exactly one branch: the Lambda authorizer above, or Cognito here.
    if (this.userPool) {
      authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
        cognitoUserPools: [this.userPool],
        identitySource: 'method.request.header.Authorization',
      });
      authorizationType = apigw.AuthorizationType.COGNITO;
      quietClaim = `$!context.authorizer.claims['${claim}']`;
      statusTenantKey = claim;
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new apigw.RestApi(this, 'Api', {
      description: spec.document.info?.description,
      // The account's CloudWatch Logs role is ours (below): no AWS managed policy.
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: settings.rateLimit,
        throttlingBurstLimit: settings.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        tracingEnabled: true,
      },
      endpointTypes: [apigw.EndpointType.REGIONAL],
    });
    // API Gateway writes access and execution logs with the account-level role it is given.
    const logRole = new iam.Role(this, 'CloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: "API Gateway's account-level role: writes the APIs' access and execution logs",
      inlinePolicies: {
        logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: [
                'logs:CreateLogGroup',
                'logs:CreateLogStream',
                'logs:DescribeLogGroups',
                'logs:DescribeLogStreams',
                'logs:PutLogEvents',
                'logs:GetLogEvents',
                'logs:FilterLogEvents',
              ],
              resources: [`arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`],
            }),
          ],
        }),
      },
    });
    const account = new apigw.CfnAccount(this, 'Account', { cloudWatchRoleArn: logRole.roleArn });
    this.api.deploymentStage.node.addDependency(account);
    const validator = new apigw.RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    for (const [name, schema] of Object.entries<any>(spec.document.components.schemas)) {
      this.models[name] = new apigw.Model(this, `Model${name}`, {
        restApi: this.api,
        modelName: name,
        contentType: 'application/json',
        schema: modelSchema(schema),
      });
    }
    const errorModel = this.models.ApiError;
    // A refused body names the schema violation (API Gateway's validation message).
    this.api.addGatewayResponse('BadBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      templates: { 'application/json': '{"error": "InvalidRequest", "message": "$context.error.validationErrorString"}' },
    });
    this.api.addGatewayResponse('Unauthorized', {
      type: apigw.ResponseType.UNAUTHORIZED,
      templates: { 'application/json': '{"error": "Unauthorized", "message": "no valid token"}' },
    });
    this.api.addGatewayResponse('Throttled', {
      type: apigw.ResponseType.THROTTLED,
      templates: { 'application/json': '{"error": "TooManyRequests", "message": "throttled; retry shortly"}' },
    });

    // ---- POST: StartExecution ----------------------------------------------------------
    const startRole = new iam.Role(this, 'StartRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: `The jobs API's POST: starts ${spec.workflow} only`,
    });
    stateMachine.grantStartExecution(startRole);
    const header = spec.idempotencyHeader;
    const startTemplate = [
      `#set($tenant = "${quietClaim}")`,
      `#set($key = "$!input.params().header.get('${header}')")`,
      `#if($key == "")#set($job = $context.requestId)#else#set($job = $key)#end`,
      // No tenant claim: an execution name Step Functions refuses, answered 401 below.
      `#if($tenant == "")#set($job = "no tenant claim")#end`,
      `#set($threshold = "$!input.path('$.threshold')")`,
      '{',
      `  "stateMachineArn": "${stateMachine.stateMachineArn}",`,
      `  "name": "${jsonString('$job')}",`,
      `  "input": "{\\"tenant_id\\": \\"${jsonString(jsonString('$tenant'))}\\", \\"job_id\\": \\"${jsonString(jsonString('$job'))}\\", \\"images\\": ${jsonString("$input.json('$.images')")}#if($threshold != ""), \\"threshold\\": $threshold#end}"`,
      '}',
    ].join('\n');
    const accepted = [
      `#set($job = $input.path('$.executionArn').split(':')[7])`,
      `{"jobId": "$job", "status": "ACCEPTED", "statusUrl": "${spec.collection}/$job"}`,
    ].join('\n');
    const startFailed = [
      `#set($type = "$!input.path('$.__type')")`,
      `#set($message = "$!input.path('$.message')")`,
      `#if($type.contains("InvalidName") && $message.contains("no tenant claim"))#set($context.responseOverride.status = 401){"error": "Unauthorized", "message": "the token has no \\"${claim}\\" claim: no tenant"}`,
      `#elseif($type.contains("InvalidName")){"error": "InvalidRequest", "message": "the ${header} header must match ${spec.jobIdPattern.replace(/\\/g, '\\\\')}"}`,
      `#elseif($type.contains("ExecutionAlreadyExists"))#set($context.responseOverride.status = 409){"error": "Conflict", "message": "this ${header} is already used; choose another"}`,
      `#else{"error": "InvalidRequest", "message": "${jsonString("$input.path('$.message')")}"}#end`,
    ].join('\n');
    const start = new apigw.AwsIntegration({
      service: 'states',
      action: 'StartExecution',
      integrationHttpMethod: 'POST',
      options: {
        credentialsRole: startRole,
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': startTemplate },
        integrationResponses: [
          { statusCode: '202', responseTemplates: { 'application/json': accepted } },
          { statusCode: '400', selectionPattern: '4\\d{2}', responseTemplates: { 'application/json': startFailed } },
          {
            statusCode: '500',
            selectionPattern: '5\\d{2}',
            responseTemplates: { 'application/json': '{"error": "Internal", "message": "cannot start the job"}' },
          },
        ],
      },
    });
    const collection = this.api.root.resourceForPath(spec.collection);
    const errorResponse = (statusCode: string) => ({ statusCode, responseModels: { 'application/json': errorModel } });
    const postMethod = collection.addMethod('POST', start, {
      authorizer,
      authorizationType,
      requestValidator: validator,
      requestModels: { 'application/json': this.models.JobRequest },
      requestParameters: { [`method.request.header.${header}`]: false },
      operationName: spec.document.paths[spec.collection].post.operationId,
      methodResponses: [
        { statusCode: '202', responseModels: { 'application/json': this.models.Accepted } },
        errorResponse('400'),
        errorResponse('401'),
        errorResponse('409'),
        errorResponse('500'),
      ],
    });

    // ---- GET: the status function --------------------------------------------------
    // A Lambda proxy integration running the artifact's `JobStatus` handler
    // (stepwise_jobs_api::function): the record, else the execution (a job whose record
    // the workflow has not written yet is ACCEPTED), and once SUCCEEDED the groups, the
    // failed images and a presigned URL of the result, read from S3. The tenant comes
    // from the authorizer's claims in the event, never from a header.
    const statusLogs = new logs.LogGroup(this, 'StatusLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const statusRole = new iam.Role(this, 'StatusRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `The jobs API's status function: reads ${spec.jobsTable} records, ${spec.workflow} executions and results`,
    });
    statusRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [statusLogs.logGroupArn] }),
    );
    statusRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [table.tableArn] }));
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    statusRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    statusRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.results.bucket.arnForObjects(`${props.results.prefix}*`)] }),
    );
    this.statusFunction = new lambda.Function(this, 'StatusFunction', {
      description: `The jobs API's GET ${spec.collection}/{jobId}`,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: props.function.architecture,
      code: props.function.code,
      // bootstrap serves the status function for this handler (activities/lambda/src/bin/bootstrap.rs).
      handler: 'JobStatus',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: {
        RUST_LOG: props.function.logLevel,
        JOBS_TABLE: table.tableName,
        RESULTS_BUCKET: props.results.bucket.bucketName,
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        // The claim (Cognito) or the Lambda authorizer's context key carrying the tenant.
        TENANT_CLAIM: statusTenantKey,
        PRESIGN_SECONDS: '900',
      },
      tracing: lambda.Tracing.ACTIVE,
      logGroup: statusLogs,
      role: statusRole,
    });
    const read = new apigw.LambdaIntegration(this.statusFunction, { proxy: true });
    const getMethod = collection.addResource('{jobId}').addMethod('GET', read, {
      authorizer,
      authorizationType,
      requestValidator: validator,
      requestParameters: { 'method.request.path.jobId': true },
      operationName: spec.document.paths[`${spec.collection}/{jobId}`].get.operationId,
      methodResponses: [
        { statusCode: '200', responseModels: { 'application/json': this.models.JobStatus } },
        errorResponse('401'),
        errorResponse('404'),
        errorResponse('500'),
      ],
    });

    // ---- cdk-nag -----------------------------------------------------------------------
    const ack = (scope: Construct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
    if (settings.jwt) {
      for (const method of [postMethod, getMethod]) {
        ack(method, 'AwsSolutions-COG4', `the callers' issuer is not Cognito (${settings.jwt.issuer}): a Lambda token authorizer verifies its tokens against the issuer's published keys`);
      }
    }
    ack(this.api, 'AwsSolutions-APIG3', 'a regional API behind Cognito with stage throttling; attach a WAF web ACL per account policy');
    ack(
      logRole,
      // cdk-nag names the region and account as synthesized: a token, or the literal value
      // of an environment-bound stack (`cdk synth` with a region).
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:log-group:*]`,
      'API Gateway creates its execution log groups (API-Gateway-Execution-Logs_<api id>/<stage>) itself, so its account-level role writes to log groups of this account and region');
    ack(statusRole, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support only Resource "*"');
    ack(
      statusRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:execution:<${stack.getLogicalId(stateMachine.node.defaultChild as CfnElement)}.Name>:*]`,
      "DescribeExecution of the workflow's executions only (an execution is named after its job, which the caller names)",
    );
    ack(
      statusRole,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(props.results.bucket.node.defaultChild as CfnElement)}.Arn>/${props.results.prefix}*]`,
      "GetObject of the results under the workflow's work prefix only (a job's result key is per tenant and job)",
    );
  }
}

export const apiId = (spec: ApiSpec) => `Api${pascal(spec.workflow)}`;

/** How cdk-nag writes `value` in a finding: `<AWS::Region>` for the pseudo-parameter token, else the value. */
const nagName = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
