import { CfnParameter, Lazy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TracedFunction } from '../../../../../lib/function';
import {
  HIGH_CARDINALITY_RESOURCE,
  highCardinalityResource,
  NON_NODE_RUNTIME,
  nonNodeRuntime,
  SAMPLING_OVER_BUDGET,
  samplingOverBudget,
  SECRET_IN_ENVIRONMENT,
  secretInEnvironment,
} from '../../../../../lib/policy';
import { secretReason } from '../../../../../lib/policy/rules/lambda/secret-in-environment';
import { TracingSettings } from '../../../../../lib/settings';
import { fixture, newStack, plainFunction } from '../../../../helpers/stack';
import { COMPLIANT, evaluate, nonCompliant, NOT_APPLICABLE, resourceOf } from '../evaluate';

function rawFunction(
  stack: Stack,
  id: string,
  props: Partial<lambda.CfnFunctionProps> = {},
): lambda.CfnFunction {
  return new lambda.CfnFunction(stack, id, {
    runtime: 'nodejs22.x',
    handler: 'index.handler',
    role: 'arn:aws:iam::123456789012:role/raw',
    code: { zipFile: 'exports.handler = async () => undefined;' },
    ...props,
  });
}

describe(`${NON_NODE_RUNTIME} (warning)`, () => {
  test('the id and level', () => {
    expect(nonNodeRuntime.id).toBe('CST-NonNodeRuntime');
    expect(nonNodeRuntime.level).toBe('warning');
  });

  test('a Python function, a container image, an OS-only L1 function: non-compliant', () => {
    const { stack } = newStack();
    const python = plainFunction(stack, 'Python', {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'index.handler',
    });
    const image = new lambda.DockerImageFunction(stack, 'Image', {
      code: lambda.DockerImageCode.fromEcr(ecr.Repository.fromRepositoryName(stack, 'Repo', 'payments')),
    });
    const provided = rawFunction(stack, 'Provided', { runtime: 'provided.al2023' });
    const untraced = 'this library traces Node.js functions only, so its invocations are not traced';
    expect(evaluate(nonNodeRuntime, python)).toEqual(
      nonCompliant(`function TestStack/Python runs python3.12: ${untraced}`),
    );
    expect(evaluate(nonNodeRuntime, image)).toEqual(
      nonCompliant(`function TestStack/Image is a container image: ${untraced}`),
    );
    expect(evaluate(nonNodeRuntime, provided)).toEqual(
      nonCompliant(`function TestStack/Provided runs provided.al2023: ${untraced}`),
    );
  });

  test('Node.js functions (L2, the latest runtime, L1): compliant', () => {
    const { stack } = newStack();
    expect(evaluate(nonNodeRuntime, plainFunction(stack, 'Node'))).toEqual(COMPLIANT);
    expect(
      evaluate(nonNodeRuntime, plainFunction(stack, 'Latest', { runtime: lambda.Runtime.NODEJS_LATEST })),
    ).toEqual(COMPLIANT);
    expect(evaluate(nonNodeRuntime, rawFunction(stack, 'Raw'))).toEqual(COMPLIANT);
  });

  test("not applicable: other constructs, an L2's own CfnFunction, CDK's custom-resource functions, a token runtime", () => {
    const { stack } = newStack();
    const python = plainFunction(stack, 'Python', { runtime: lambda.Runtime.PYTHON_3_12 });
    const singleton = new lambda.SingletonFunction(stack, 'Singleton', {
      uuid: 'a1b2c3d4-e5f6-47a8-b9c0-d1e2f3a4b5c6',
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'index.handler',
      code: lambda.Code.fromInline('def handler(event, context): pass'),
    });
    const inner = stack.node.children.find(
      (c) => c instanceof lambda.Function && c.node.id.startsWith('SingletonLambda'),
    );
    const runtime = new CfnParameter(stack, 'Runtime').valueAsString;
    expect(evaluate(nonNodeRuntime, new sqs.Queue(stack, 'Queue'))).toEqual(NOT_APPLICABLE);
    expect(evaluate(nonNodeRuntime, resourceOf(python))).toEqual(NOT_APPLICABLE);
    expect(singleton).toBeDefined();
    expect(evaluate(nonNodeRuntime, inner!)).toEqual(NOT_APPLICABLE);
    expect(evaluate(nonNodeRuntime, rawFunction(stack, 'Unknown', { runtime }))).toEqual(NOT_APPLICABLE);
  });
});

describe(`${SAMPLING_OVER_BUDGET} (error)`, () => {
  test('the id and level', () => {
    expect(samplingOverBudget.id).toBe('CST-SamplingOverBudget');
    expect(samplingOverBudget.level).toBe('error');
  });

  test('OTEL_TRACES_SAMPLER_ARG above the budget of the settings: non-compliant, naming the budget and its scope', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { maxSamplingRatio: 0.05 });
    const greedy = plainFunction(stack, 'Greedy', { environment: { OTEL_TRACES_SAMPLER_ARG: '0.5' } });
    const raw = rawFunction(stack, 'Raw', { environment: { variables: { OTEL_TRACES_SAMPLER_ARG: '1' } } });
    expect(evaluate(samplingOverBudget, greedy)).toEqual(
      nonCompliant(
        'function TestStack/Greedy samples 0.5 of new traces (OTEL_TRACES_SAMPLER_ARG), above the sampling ' +
          "budget maxSamplingRatio 0.05 set by TracingSettings on '<app>'",
      ),
    );
    expect(evaluate(samplingOverBudget, raw)).toEqual(
      nonCompliant(/^function TestStack\/Raw samples 1 of new traces/),
    );
  });

  test('the nearest, lowest budget applies', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { maxSamplingRatio: 0.5 });
    TracingSettings.set(stack, { maxSamplingRatio: 0.1 });
    const fn = plainFunction(stack, 'Fn', { environment: { OTEL_TRACES_SAMPLER_ARG: '0.2' } });
    expect(evaluate(samplingOverBudget, fn)).toEqual(
      nonCompliant(/above the sampling budget maxSamplingRatio 0.1 set by TracingSettings on 'TestStack'$/),
    );
  });

  test('at or below the budget: compliant (a TracedFunction too)', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { maxSamplingRatio: 0.05, samplingRatio: 0.05 });
    expect(
      evaluate(
        samplingOverBudget,
        plainFunction(stack, 'Fn', { environment: { OTEL_TRACES_SAMPLER_ARG: '0.01' } }),
      ),
    ).toEqual(COMPLIANT);
    expect(
      evaluate(samplingOverBudget, new TracedFunction(stack, 'Traced', { entry: fixture('hello.ts') })),
    ).toEqual(COMPLIANT);
  });

  test('not applicable: no budget, no variable, a token, not a number, not a function', () => {
    const { app, stack } = newStack();
    const noBudget = plainFunction(stack, 'NoBudget', { environment: { OTEL_TRACES_SAMPLER_ARG: '1' } });
    expect(evaluate(samplingOverBudget, noBudget)).toEqual(NOT_APPLICABLE);
    TracingSettings.set(app, { maxSamplingRatio: 0.05 });
    const ratio = new CfnParameter(stack, 'Ratio').valueAsString;
    expect(evaluate(samplingOverBudget, plainFunction(stack, 'NoVariable'))).toEqual(NOT_APPLICABLE);
    expect(
      evaluate(
        samplingOverBudget,
        plainFunction(stack, 'Token', { environment: { OTEL_TRACES_SAMPLER_ARG: ratio } }),
      ),
    ).toEqual(NOT_APPLICABLE);
    expect(
      evaluate(
        samplingOverBudget,
        plainFunction(stack, 'Text', { environment: { OTEL_TRACES_SAMPLER_ARG: 'half' } }),
      ),
    ).toEqual(NOT_APPLICABLE);
    expect(evaluate(samplingOverBudget, stack)).toEqual(NOT_APPLICABLE);
  });
});

describe(`${SECRET_IN_ENVIRONMENT} (error)`, () => {
  test('the id and level', () => {
    expect(secretInEnvironment.id).toBe('CST-SecretInEnvironment');
    expect(secretInEnvironment.level).toBe('error');
  });

  test('a secret-sounding variable with a literal value: non-compliant, naming the variable and never the value', () => {
    const { stack } = newStack();
    const fn = plainFunction(stack, 'Fn', { environment: { DB_PASSWORD: 'hunter2', STAGE: 'prod' } });
    const result = evaluate(secretInEnvironment, fn);
    expect(result).toEqual(
      nonCompliant(
        'function TestStack/Fn has environment variable DB_PASSWORD (its name) with a literal value that looks ' +
          'like a secret: anyone who can read the template or the function configuration reads it',
      ),
    );
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  test('known key shapes under any name, and credential headers of the exporter: non-compliant', () => {
    const { stack } = newStack();
    const fn = plainFunction(stack, 'Fn', {
      environment: {
        SETTINGS: 'AKIAABCDEFGHIJKLMNOP',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc123,x-team=payments',
      },
    });
    const raw = rawFunction(stack, 'Raw', {
      environment: { variables: { SESSION: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl' } },
    });
    expect(evaluate(secretInEnvironment, fn)).toEqual(
      nonCompliant(
        'function TestStack/Fn has environment variables SETTINGS (its value has the shape of an AWS access key ' +
          'id), OTEL_EXPORTER_OTLP_HEADERS (header x-api-key) with a literal value that looks like a secret: ' +
          'anyone who can read the template or the function configuration reads it',
      ),
    );
    expect(evaluate(secretInEnvironment, raw)).toEqual(
      nonCompliant(/SESSION \(its value has the shape of a JWT\)/),
    );
  });

  test('references, tokens and empty values: compliant', () => {
    const { stack } = newStack();
    const secret = new secretsmanager.Secret(stack, 'Secret');
    const fn = plainFunction(stack, 'Fn', {
      environment: {
        API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-key',
        DB_PASSWORD_PARAMETER: '/prod/db/password',
        TOKEN_ENDPOINT: 'https://auth.example.com/oauth/token',
        CLIENT_SECRET: secret.secretArn,
        SECRET_VALUE: secret.secretValue.unsafeUnwrap(),
        PASSWORD: '',
        TOKEN_CACHE: 'true',
      },
    });
    expect(evaluate(secretInEnvironment, fn)).toEqual(COMPLIANT);
    expect(evaluate(secretInEnvironment, plainFunction(stack, 'NoEnvironment'))).toEqual(COMPLIANT);
  });

  test('not applicable: other constructs, an environment that is a token', () => {
    const { stack } = newStack();
    const raw = rawFunction(stack, 'Raw', {
      environment: Lazy.uncachedAny({ produce: () => ({ variables: {} }) }),
    });
    expect(evaluate(secretInEnvironment, new sqs.Queue(stack, 'Queue'))).toEqual(NOT_APPLICABLE);
    expect(evaluate(secretInEnvironment, raw)).toEqual(NOT_APPLICABLE);
  });

  test.each([
    ['API_KEY', 'k-123', 'its name'],
    ['STRIPE_APIKEY', 'abc', 'its name'],
    ['PRIVATE_KEY', 'abc', 'its name'],
    ['AWS_CREDENTIALS', 'abc', 'its name'],
    ['SLACK', 'xoxb-1234-abcd', 'its value has the shape of a Slack token'],
    ['GITHUB', 'ghp_0123456789abcdefghijABCDEFGHIJ', 'its value has the shape of a GitHub token'],
    ['PAYMENTS', 'sk_live_0123456789abcdef', 'its value has the shape of a Stripe live key'],
    ['KEY', '-----BEGIN RSA PRIVATE KEY-----\nMIIB', 'its value has the shape of a private key'],
    [
      'DATABASE_URL',
      'postgres://app:hunter2@db.example.com/app',
      'its value has the shape of a URL with a password',
    ],
    ['API_KEY', '{{resolve:secretsmanager:api-key}}', undefined],
    ['API_KEY', '${secretsmanager:api-key}', undefined],
    ['API_KEY_NAME', 'prod/api-key', undefined],
    ['TOKEN_TTL_SECONDS', '3600', undefined],
    ['LOG_LEVEL', 'debug', undefined],
  ])('%s=%j: %s', (name, value, reason) => {
    expect(secretReason(name, value)).toBe(reason);
  });
});

describe(`${HIGH_CARDINALITY_RESOURCE} (warning)`, () => {
  test('the id and level', () => {
    expect(highCardinalityResource.id).toBe('CST-HighCardinalityResource');
    expect(highCardinalityResource.level).toBe('warning');
  });

  test('per-request keys and unique-looking values: non-compliant, naming each', () => {
    const { stack } = newStack();
    const fn = plainFunction(stack, 'Fn', {
      environment: {
        OTEL_SERVICE_NAME: 'payments-2024-05-01T10:00:00Z',
        OTEL_RESOURCE_ATTRIBUTES:
          'service.namespace=shop,faas.invocation_id=abc,user.id=42,deployment.id=123e4567-e89b-12d3-a456-426614174000,build.id=0123456789abcdef01',
      },
    });
    expect(evaluate(highCardinalityResource, fn)).toEqual(
      nonCompliant(
        'function TestStack/Fn has high-cardinality resource attributes: OTEL_SERVICE_NAME (its value looks like ' +
          'a timestamp), faas.invocation_id (a per-request attribute), user.id (a per-request attribute), ' +
          'deployment.id (its value looks like a UUID), build.id (its value looks like a 16+ digit hex id); every ' +
          'distinct value starts a new resource in the backend',
      ),
    );
  });

  test('attributes that identify the service and its deployment (a commit hash in service.version): compliant', () => {
    const { stack } = newStack();
    const fn = plainFunction(stack, 'Fn', {
      environment: {
        OTEL_SERVICE_NAME: 'payments',
        OTEL_RESOURCE_ATTRIBUTES:
          'service.namespace=shop,deployment.environment.name=prod,service.version=3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39',
      },
    });
    expect(evaluate(highCardinalityResource, fn)).toEqual(COMPLIANT);
    expect(
      evaluate(highCardinalityResource, new TracedFunction(stack, 'Traced', { entry: fixture('hello.ts') })),
    ).toEqual(COMPLIANT);
  });

  test('not applicable: no resource variables, values that are tokens, other constructs', () => {
    const { stack } = newStack();
    const attributes = new CfnParameter(stack, 'Attributes').valueAsString;
    expect(evaluate(highCardinalityResource, plainFunction(stack, 'Plain'))).toEqual(NOT_APPLICABLE);
    expect(
      evaluate(
        highCardinalityResource,
        plainFunction(stack, 'Token', { environment: { OTEL_RESOURCE_ATTRIBUTES: attributes } }),
      ),
    ).toEqual(NOT_APPLICABLE);
    expect(evaluate(highCardinalityResource, stack)).toEqual(NOT_APPLICABLE);
  });
});
