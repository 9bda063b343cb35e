/**
 * The jobs API's mapping templates executed, not only matched: the synthesized POST
 * request template and its integration response templates rendered with a Velocity
 * engine and API Gateway's variables (test/vtl.ts), for both authorizers. These
 * templates are where the tenant enters the execution in AWS, so they are checked the
 * way StartExecution would read them: the rendered request must be JSON whose `input`
 * is JSON with the claims' tenant, whatever the body, the header or the tenant contain.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourcesOfType, synth } from './helpers';
import { escapeJavaScript, renderTemplate, resolveTemplate, type VtlRequest } from './vtl';

const MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-group-images';

function templates(json: any) {
  const methods = resourcesOfType(json, 'AWS::ApiGateway::Method').filter(([id]) => id.startsWith('ApiGroupImages'));
  const post = methods.find(([, r]) => r.Properties.HttpMethod === 'POST')![1].Properties.Integration;
  const [machineId] = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').find(
    ([, r]) => r.Properties.StateMachineName === 'stepwise-group-images',
  )!;
  const response = (status: string) => post.IntegrationResponses.find((r: any) => r.StatusCode === status).ResponseTemplates['application/json'];
  return {
    request: resolveTemplate(post.RequestTemplates['application/json'], { [machineId]: MACHINE_ARN }),
    accepted: resolveTemplate(response('202'), {}),
    failed: resolveTemplate(response('400'), {}),
  };
}

const COGNITO = templates(synth().json);
const LAMBDA = templates(synth({ jobsApiJwtIssuer: 'https://login.example.com/', jobsApiJwtAudience: 'jobs-api' }).json);

/** The StartExecution request the POST template renders, parsed as the service would. */
function startExecution(template: string, request: VtlRequest) {
  const { text } = renderTemplate(template, request);
  let body: any;
  try {
    body = JSON.parse(text);
  } catch (e) {
    assert.fail(`the StartExecution request is not JSON (${(e as Error).message}):\n${text}`);
  }
  assert.equal(body.stateMachineArn, MACHINE_ARN);
  let input: any;
  try {
    input = JSON.parse(body.input);
  } catch (e) {
    assert.fail(`the execution input is not JSON (${(e as Error).message}): ${body.input}`);
  }
  return { name: body.name as string, input };
}

const images = [{ id: 'a', uri: 's3://photos/a.jpg' }, { uri: 'https://example.com/b.png' }];
const cognito = (tenant: string | undefined): Record<string, unknown> => ({ claims: tenant === undefined ? { sub: 'u-1' } : { sub: 'u-1', 'custom:tenant': tenant } });
const lambda = (tenant: string): Record<string, unknown> => ({ principalId: 'u-1', tenant });

describe('escapeJavaScript (API Gateway, Apache Commons Lang)', () => {
  it('escapes quotes, backslash, slash, control and non-ASCII characters', () => {
    assert.equal(escapeJavaScript(`a"b'c\\d/e\nf\tg`), `a\\"b\\'c\\\\d\\/e\\nf\\tg`);
    assert.equal(escapeJavaScript('é\u0001'), '\\u00E9\\u0001');
  });
});

describe('POST request template (StartExecution)', () => {
  for (const [name, t, auth] of [
    ['Cognito', COGNITO, cognito],
    ['Lambda authorizer', LAMBDA, lambda],
  ] as const) {
    it(`${name}: the execution is named after the request and carries the authorizer's tenant`, () => {
      const { name: execution, input } = startExecution(t.request, {
        body: { images, threshold: 0.8 },
        requestId: 'req-1',
        authorizer: auth('acme'),
      });
      assert.equal(execution, 'req-1');
      assert.deepEqual(input, { tenant_id: 'acme', job_id: 'req-1', images, threshold: 0.8 });
    });

    it(`${name}: an Idempotency-Key names the job; no threshold, no threshold field`, () => {
      const { name: execution, input } = startExecution(t.request, {
        body: { images },
        headers: { 'Idempotency-Key': 'retry-7' },
        authorizer: auth('acme'),
      });
      assert.equal(execution, 'retry-7');
      assert.deepEqual(input, { tenant_id: 'acme', job_id: 'retry-7', images });
    });

    it(`${name}: quotes in the tenant, the key or a URI stay data, never fields`, () => {
      const hostile = [{ uri: 's3://b/x", "tenant_id": "victim' }, { uri: "https://e.com/it's\\'\\\\'.png" }, { uri: 'https://e.com/\\"}é' }];
      const { name: execution, input } = startExecution(t.request, {
        body: { images: hostile },
        headers: { 'Idempotency-Key': 'k"1' },
        authorizer: auth(`ac"me\\x'`),
      });
      assert.equal(input.tenant_id, `ac"me\\x'`);
      assert.deepEqual(input.images, hostile);
      assert.equal(execution, 'k"1');
      assert.deepEqual(Object.keys(input).sort(), ['images', 'job_id', 'tenant_id']);
    });

    it(`${name}: a tenant in the body or a header counts for nothing`, () => {
      const { input } = startExecution(t.request, {
        body: { images, tenant_id: 'victim' },
        headers: { 'X-Tenant-ID': 'victim', 'custom:tenant': 'victim' },
        authorizer: auth('acme'),
      });
      assert.equal(input.tenant_id, 'acme');
    });
  }

  it('Cognito: a token without the tenant claim gets an execution name StartExecution refuses', () => {
    const { name } = startExecution(COGNITO.request, { body: { images }, authorizer: cognito(undefined) });
    assert.equal(name, 'no tenant claim');
    // Step Functions names: 1-80 of letters, digits, - and _; a space is refused (InvalidName).
    assert.doesNotMatch(name, /^[A-Za-z0-9_-]{1,80}$/);
  });
});

describe('POST response templates', () => {
  it('202: the job id is the execution name, with the status URL', () => {
    const { text, status } = renderTemplate(COGNITO.accepted, {
      body: { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:stepwise-group-images:job-42', startDate: 1.7e9 },
    });
    assert.equal(status, undefined);
    assert.deepEqual(JSON.parse(text), { jobId: 'job-42', status: 'ACCEPTED', statusUrl: '/group-images/job-42' });
  });

  it('4xx: the service error becomes the API error, with the right status', () => {
    const failed = (body: unknown) => {
      const { text, status } = renderTemplate(COGNITO.failed, { body });
      return { body: JSON.parse(text), status };
    };
    const exists = failed({ __type: 'com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists', message: 'Execution Already Exists: x' });
    assert.equal(exists.status, 409);
    assert.equal(exists.body.error, 'Conflict');
    const noTenant = failed({ __type: 'com.amazonaws.swf.service.v2.model#InvalidName', message: "Invalid Name: 'no tenant claim'" });
    assert.equal(noTenant.status, 401);
    assert.equal(noTenant.body.error, 'Unauthorized');
    assert.match(noTenant.body.message, /custom:tenant/);
    const badKey = failed({ __type: 'com.amazonaws.swf.service.v2.model#InvalidName', message: "Invalid Name: 'a b'" });
    assert.equal(badKey.status, undefined, 'the integration response status (400)');
    assert.equal(badKey.body.error, 'InvalidRequest');
    assert.match(badKey.body.message, /Idempotency-Key/);
    const other = failed({ __type: 'com.amazonaws.swf.service.v2.model#InvalidExecutionInput', message: `Invalid "input" at 'images'` });
    assert.equal(other.body.error, 'InvalidRequest');
    assert.equal(other.body.message, `Invalid "input" at 'images'`);
  });
});
