import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyHandler, APIGatewayProxyHandlerV2, LambdaFunctionURLEvent, LambdaFunctionURLHandler } from 'aws-lambda';
import { createLambdaHandler, type LambdaHttpResult } from '../../runtime/adapters/lambda.js';
import { captureLogs, conformance, exampleReceivers, githubIssue, PATHS, runsOnce, slackMention, useExampleSecrets, type Answer, type Delivery, type Send } from './support.js';

/**
 * The Lambda handler is invoked directly, as the Lambda runtime does, with events in the shapes AWS
 * documents (typed against @types/aws-lambda so a missing field does not compile):
 * - REST API, payload v1 (developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format):
 *   headers as the client sent them (any case), every value in multiValueHeaders, body base64 when the
 *   API's binary media types match the Content-Type;
 * - HTTP API, payload v2 (http-api-develop-integrations-lambda.html): lower-case headers, repeats joined
 *   by commas, rawPath/rawQueryString, requestContext.http;
 * - function URLs (lambda/latest/dg/urls-invocation.html#urls-payloads): the v2 shape with routeKey and
 *   stage `$default` and a `<url-id>.lambda-url.<region>.on.aws` domain.
 */

const logs = captureLogs();
useExampleSecrets();
const example = await import('../../docs/examples/lambda.js');
const handlers = { [PATHS.github]: example.githubHandler, [PATHS.stripe]: example.stripeHandler, [PATHS.slack]: example.slackHandler };

// Typed as the handler types users write; a mismatch fails the typecheck.
const v1Handler: APIGatewayProxyHandler = example.githubHandler;
const v2Handler: APIGatewayProxyHandlerV2 = example.githubHandler;
const urlHandler: LambdaFunctionURLHandler = example.githubHandler;
void [v1Handler, v2Handler, urlHandler];

const titleCase = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
const REQUEST_ID = 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';
const TIME_EPOCH = 1_764_388_800_000;

/** REST API (v1); `headers` adds or replaces headers (as the client spelled them) with all their values. */
function restV1(path: string, delivery: Delivery, base64: boolean, headers: Record<string, string[]> = {}): APIGatewayProxyEvent {
  const sent: Record<string, string[]> = {
    Host: ['abc123xyz.execute-api.us-east-1.amazonaws.com'],
    'User-Agent': ['GitHub-Hookshot/7a3b2c1'],
    'X-Amzn-Trace-Id': ['Root=1-5e66d96f-7491f09xmpl79d18acf3d050'],
    'X-Forwarded-For': ['140.82.115.99'],
    'X-Forwarded-Port': ['443'],
    'X-Forwarded-Proto': ['https'],
    ...Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [titleCase(name), [value]])),
    ...headers,
  };
  return {
    resource: path,
    path,
    httpMethod: delivery.method,
    headers: Object.fromEntries(Object.entries(sent).map(([name, values]) => [name, values.at(-1)])),
    multiValueHeaders: sent,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123xyz',
      authorizer: undefined,
      domainName: 'abc123xyz.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123xyz',
      extendedRequestId: 'BQGojGkOoAMFrXw=',
      httpMethod: delivery.method,
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: '140.82.115.99', user: null,
        userAgent: 'GitHub-Hookshot/7a3b2c1', userArn: null,
      },
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: REQUEST_ID,
      requestTime: '29/Nov/2025:04:00:00 +0000',
      requestTimeEpoch: TIME_EPOCH,
      resourceId: 'a1b2c3',
      resourcePath: path,
      stage: 'prod',
    },
    body: base64 ? delivery.body.toString('base64') : delivery.body.toString('utf8'),
    isBase64Encoded: base64,
  };
}

/** HTTP API (v2), or a function URL when `functionUrl`. */
function httpV2(path: string, delivery: Delivery, base64: boolean, functionUrl = false): APIGatewayProxyEventV2 | LambdaFunctionURLEvent {
  const domain = functionUrl ? 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.lambda-url.us-west-2.on.aws' : 'r3pmxmplak.execute-api.us-east-2.amazonaws.com';
  const http = { method: delivery.method, path, protocol: 'HTTP/1.1', sourceIp: '140.82.115.99', userAgent: 'GitHub-Hookshot/7a3b2c1' };
  return {
    version: '2.0',
    routeKey: functionUrl ? '$default' : `${delivery.method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: domain,
      'user-agent': 'GitHub-Hookshot/7a3b2c1',
      'x-amzn-trace-id': 'Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e',
      'x-forwarded-for': '140.82.115.99',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value])),
    },
    requestContext: {
      accountId: functionUrl ? 'anonymous' : '123456789012',
      apiId: domain.split('.')[0]!,
      domainName: domain,
      domainPrefix: domain.split('.')[0]!,
      http,
      requestId: REQUEST_ID,
      routeKey: functionUrl ? '$default' : `${delivery.method} ${path}`,
      stage: '$default',
      time: '29/Nov/2025:04:00:00 +0000',
      timeEpoch: TIME_EPOCH,
    },
    body: base64 ? delivery.body.toString('base64') : delivery.body.toString('utf8'),
    isBase64Encoded: base64,
  };
}

const answerOf = (result: LambdaHttpResult): Answer => ({ status: result.statusCode, contentType: result.headers['content-type'], text: result.body });

const VARIANTS: Array<[string, (path: string, delivery: Delivery) => APIGatewayProxyEvent | APIGatewayProxyEventV2]> = [
  ['REST API (v1)', (path, delivery) => restV1(path, delivery, false)],
  ['REST API (v1), isBase64Encoded', (path, delivery) => restV1(path, delivery, true)],
  ['HTTP API (v2)', (path, delivery) => httpV2(path, delivery, false)],
  ['HTTP API (v2), isBase64Encoded', (path, delivery) => httpV2(path, delivery, true)],
  ['function URL', (path, delivery) => httpV2(path, delivery, false, true)],
  ['function URL, isBase64Encoded', (path, delivery) => httpV2(path, delivery, true, true)],
];

for (const [name, eventOf] of VARIANTS) {
  const send: Send = async (path, delivery) => answerOf(await handlers[path as keyof typeof handlers]!(eventOf(path, delivery)));
  conformance(`Lambda, ${name}, docs/examples/lambda.ts`, send, logs);
}

describe('Lambda specifics', () => {
  const { github, slack } = exampleReceivers();
  const githubHandler = createLambdaHandler(github);

  it('answers in the proxy result shape', async () => {
    const result = await githubHandler(httpV2(PATHS.github, await githubIssue('hookgen'), false));
    expect(result).toEqual({ statusCode: 200, headers: {}, body: '', isBase64Encoded: false });
  });

  it('a base64 body with non-ASCII text is decoded to its exact bytes (bolt-js#971 decoded it as ascii)', async () => {
    const delivery = slackMention('déjà vu: naïve café, 🚀 ünïcödé');
    const result = await createLambdaHandler(slack)(restV1(PATHS.slack, delivery, true));
    expect(result.statusCode, result.body).toBe(200);
    runsOnce(logs, delivery.line);
  });

  it('header names in any case (REST APIs pass them as sent)', async () => {
    const delivery = await githubIssue('octokit');
    const event = restV1(PATHS.github, delivery, false);
    const shuffled = (name: string) => [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('');
    event.multiValueHeaders = Object.fromEntries(Object.entries(event.multiValueHeaders).map(([name, values]) => [shuffled(name), values]));
    event.headers = Object.fromEntries(Object.entries(event.headers).map(([name, value]) => [shuffled(name), value]));
    expect((await githubHandler(event)).statusCode).toBe(200);
    runsOnce(logs, delivery.line);
  });

  it('a signature header sent twice (multiValueHeaders) is refused as ambiguous, even though `headers` shows one', async () => {
    const delivery = await githubIssue('hookgen');
    const forged = 'sha256=' + '0'.repeat(64);
    const event = restV1(PATHS.github, delivery, false, { 'X-Hub-Signature-256': [delivery.headers['x-hub-signature-256']!, forged] });
    const result = await githubHandler(event);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'duplicate_header' });
    expect(logs).not.toContain(delivery.line);
  });

  it('a v1 event without multiValueHeaders (the console\'s test events) is read from `headers`', async () => {
    const delivery = await githubIssue('hookgen');
    const event = { ...restV1(PATHS.github, delivery, false), multiValueHeaders: null };
    expect((await githubHandler(event)).statusCode).toBe(200);
    runsOnce(logs, delivery.line);
  });

  it('a parsed body (a non-proxy integration with a mapping template) is 500 body_not_raw, naming the fix', async () => {
    const delivery = await githubIssue('hookgen');
    const event = { ...restV1(PATHS.github, delivery, false), body: JSON.parse(delivery.body.toString('utf8')) as unknown };
    const result = await githubHandler(event);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'body_not_raw', message: expect.stringContaining('proxy integration') });
  });

  it('a GET is the receiver\'s 405', async () => {
    const delivery = { ...(await githubIssue('hookgen')), method: 'GET' };
    const result = await githubHandler(httpV2(PATHS.github, delivery, false, true));
    expect(result.statusCode).toBe(405);
  });
});
