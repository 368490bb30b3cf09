import * as path from 'path';
import { AspectPriority, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  TracedFunction,
  TracedFunctionProps,
  TracingCollector,
  TracingExporter,
  TracingPolicy,
} from '../../../lib';
import { FIXTURES, fixture, newStack } from '../../helpers/stack';

// The Datadog Lambda extension next to the collector (lib/wiring/neighbour-extensions.ts): its
// OTLP receiver starts only when DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_{HTTP,GRPC}_ENDPOINT is set
// (layer version 78 excepted) and binds 127.0.0.1 on the port those name.

const HTTP = 'DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT';
const GRPC = 'DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT';
const TRACES = 'DD_OTLP_CONFIG_TRACES_ENABLED';
const DATADOG = 'arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Extension:90';
/** What Datadog's docs and its own integration tests set to receive OTLP. */
const DATADOG_OTLP = { [HTTP]: 'localhost:4318', [GRPC]: 'localhost:4317' };

function layer(scope: Stack, id: string, arn: string): lambda.ILayerVersion {
  return lambda.LayerVersion.fromLayerVersionArn(scope, id, arn);
}

function traced(stack: Stack, environment: Record<string, string>, props: Partial<TracedFunctionProps> = {}) {
  return new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts'), environment, ...props });
}

/** The synth error of a stack, or '' when it synthesizes. */
function synthError(stack: Stack): string {
  try {
    Template.fromStack(stack);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('a TracedFunction with the Datadog extension layer', () => {
  test('whose OTLP receiver binds 4318 and 4317 is a synth error naming the function, the ports and each fix', () => {
    const { stack } = newStack({ env: true });
    const fn = traced(stack, DATADOG_OTLP);
    fn.addLayers(layer(stack, 'Datadog', DATADOG)); // added after construction, as users do

    const error = synthError(stack);
    expect(error).toContain(
      `TestStack/Fn carries the Datadog Lambda extension (layer ${DATADOG}) and the tracing collector, and both bind ` +
        "127.0.0.1:4318 (Datadog's OTLP HTTP receiver: DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT=localhost:4318; " +
        "the collector's OTLP/HTTP receiver) and 127.0.0.1:4317 (Datadog's OTLP gRPC receiver: " +
        "DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT=localhost:4317; the collector's OTLP/gRPC receiver).",
    );
    expect(error).toContain('the function fails at init (Extension.InitError: address already in use)');
    expect(error).toContain(
      "(1) move Datadog's OTLP receiver to other ports than 4317 and 4318: " +
        'DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT=localhost:14318, ' +
        'DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT=localhost:14317',
    );
    expect(error).toContain(
      "(2) turn Datadog's OTLP receiver off: remove DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT and " +
        'DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT (it starts its receiver only when one is set), or set ' +
        'DD_OTLP_CONFIG_TRACES_ENABLED=false',
    );
    expect(error).toContain(
      '(3) leave the function untraced: a TracedFunction is always traced, so build it as a plain lambda.Function ' +
        "instead (under a TracingPolicy, opted out with TracingPolicy.optOut(fn, 'why it stays untraced'))",
    );
    expect(error).toContain(
      '(4) remove one of the two: the Datadog extension layer, or the collector (collector: TracingCollector.none()',
    );
  });

  test.each([
    ['x86_64', 'arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension:65'],
    ['arm64', 'arn:aws:lambda:ap-southeast-2:464622532012:layer:Datadog-Extension-ARM:99'],
    ['x86_64 FIPS', 'arn:aws:lambda:eu-central-1:464622532012:layer:Datadog-Extension-FIPS:88'],
    ['arm64 FIPS', 'arn:aws:lambda:us-west-2:464622532012:layer:Datadog-Extension-ARM-FIPS:80'],
    ['GovCloud', 'arn:aws-us-gov:lambda:us-gov-west-1:002406178527:layer:Datadog-Extension-ARM:91'],
  ])('is found by its layer ARN: %s, any region and version', (_name, arn) => {
    const { stack } = newStack({ env: true });
    traced(stack, { [HTTP]: 'localhost:4318' }).addLayers(layer(stack, 'Datadog', arn));
    expect(synthError(stack)).toContain(`(layer ${arn})`);
  });

  test('with Datadog variables but no OTLP endpoint variable: nothing binds, no error', () => {
    // The issue said the extension binds 4318 by default; since layer version 79 it starts its
    // receiver only when an endpoint variable is set (bottlecap/src/otlp/mod.rs).
    const { stack } = newStack({ env: true });
    const fn = traced(stack, {
      DD_SITE: 'datadoghq.eu',
      DD_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:x',
      DD_TRACE_ENABLED: 'true',
    });
    fn.addLayers(layer(stack, 'Datadog', DATADOG));
    expect(synthError(stack)).toBe('');
  });

  test('layer version 78 binds 4318 with no variable: an error naming the upgrade', () => {
    const { stack } = newStack({ env: true });
    const arn = 'arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Extension:78';
    traced(stack, {}).addLayers(layer(stack, 'Datadog', arn));
    const error = synthError(stack);
    expect(error).toContain(
      "127.0.0.1:4318 (Datadog's OTLP HTTP receiver: layer version 78 starts it there unasked; the collector's OTLP/HTTP receiver)",
    );
    expect(error).toContain(
      "(2) turn Datadog's OTLP receiver off: upgrade the layer (from version 79 it starts its receiver only when " +
        'asked), or set DD_OTLP_CONFIG_TRACES_ENABLED=false',
    );
    expect(error).not.toContain('127.0.0.1:4317');
  });

  test.each([
    ['other ports', { [HTTP]: 'localhost:14318', [GRPC]: 'localhost:14317' }],
    ['the receiver turned off', { ...DATADOG_OTLP, [TRACES]: 'false' }],
    ['the receiver turned off with 0', { ...DATADOG_OTLP, [TRACES]: '0' }],
    ['layer version 78 turned off', { [TRACES]: 'False' }],
  ])('with %s: no error', (_name, environment) => {
    const { stack } = newStack({ env: true });
    const arn = 'arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Extension:78';
    traced(stack, environment).addLayers(layer(stack, 'Datadog', arn));
    expect(synthError(stack)).toBe('');
  });

  test.each([
    ['0.0.0.0:4318', 4318, 'HTTP'],
    ['http://localhost:4318', 4318, 'HTTP'],
    ['[::1]:4318', 4318, 'HTTP'],
    ['localhost', 4318, 'HTTP'],
    ['localhost:4317', 4317, 'gRPC'],
  ])('%s in the HTTP variable binds 127.0.0.1:%d, the collector’s %s port', (value, port, collector) => {
    const { stack } = newStack({ env: true });
    traced(stack, { [HTTP]: value }).addLayers(layer(stack, 'Datadog', DATADOG));
    expect(synthError(stack)).toContain(
      `127.0.0.1:${port} (Datadog's OTLP HTTP receiver: ${HTTP}=${value}; the collector's OTLP/${collector} receiver)`,
    );
  });

  test('the variables set after construction, and spelled DATADOG_…, count; DD_… wins', () => {
    const { stack } = newStack({ env: true });
    const fn = traced(stack, {});
    fn.addLayers(layer(stack, 'Datadog', DATADOG));
    fn.addEnvironment('DATADOG_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT', 'localhost:4317');
    fn.addEnvironment('DATADOG_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT', 'localhost:4318');
    fn.addEnvironment(HTTP, 'localhost:14318');
    const error = synthError(stack);
    expect(error).toContain('DATADOG_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT=localhost:4317');
    expect(error).not.toContain('4318 (');
  });

  test('a layer ARN known only at deploy time: cannot be known, no error', () => {
    const { stack } = newStack({ env: true });
    const arn = ssm.StringParameter.valueForStringParameter(stack, '/datadog/extension-layer-arn');
    const name = ssm.StringParameter.valueForStringParameter(stack, '/datadog/extension-layer-name');
    traced(stack, DATADOG_OTLP).addLayers(
      layer(stack, 'Datadog', arn),
      layer(stack, 'Named', `arn:aws:lambda:eu-west-1:464622532012:layer:${name}:90`),
    );
    expect(synthError(stack)).toBe('');
  });

  test('a layer ARN whose region is a deploy-time value still names Datadog and its layer: an error', () => {
    const { stack } = newStack(); // environment-agnostic: the region is a token
    const fn = traced(stack, DATADOG_OTLP);
    fn.addLayers(
      layer(stack, 'Datadog', `arn:aws:lambda:${stack.region}:464622532012:layer:Datadog-Extension:90`),
    );
    expect(synthError(stack)).toContain(
      '(layer arn:aws:lambda:<deploy-time>:464622532012:layer:Datadog-Extension:90)',
    );
  });

  test('an endpoint variable known only at deploy time: cannot be known, no error', () => {
    const { stack } = newStack({ env: true });
    const endpoint = ssm.StringParameter.valueForStringParameter(stack, '/datadog/otlp-endpoint');
    traced(stack, { [HTTP]: endpoint }).addLayers(layer(stack, 'Datadog', DATADOG));
    expect(synthError(stack)).toBe('');
  });

  test('another Datadog layer (the Node.js library) or another account: no error', () => {
    const { stack } = newStack({ env: true });
    traced(stack, DATADOG_OTLP).addLayers(
      layer(stack, 'Library', 'arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Node22-x:120'),
      layer(stack, 'Copy', 'arn:aws:lambda:eu-west-1:123456789012:layer:Datadog-Extension:90'),
    );
    expect(synthError(stack)).toBe('');
  });

  test('without the collector (TracingCollector.none()): nothing to conflict with', () => {
    const { stack } = newStack({ env: true });
    traced(stack, DATADOG_OTLP, {
      collector: TracingCollector.none(),
      exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }),
    }).addLayers(layer(stack, 'Datadog', DATADOG));
    expect(synthError(stack)).toBe('');
  });
});

describe('a function a TracingPolicy traces, with the Datadog extension layer', () => {
  function plainFunction(stack: Stack, id: string): lambda.Function {
    return new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      code: lambda.Code.fromAsset(path.join(FIXTURES, 'assets', 'cjs')),
      handler: 'index.handler',
      environment: DATADOG_OTLP,
      layers: [layer(stack, `${id}Datadog`, DATADOG)],
    });
  }

  test('is the same synth error, with TracingPolicy.optOut as the way to leave it untraced', () => {
    const { app, stack } = newStack({ env: true });
    Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    plainFunction(stack, 'Legacy');
    const error = synthError(stack);
    expect(error).toContain('TestStack/Legacy carries the Datadog Lambda extension');
    expect(error).toContain('127.0.0.1:4318');
    expect(error).toContain('127.0.0.1:4317');
    expect(error).toContain(
      "(3) leave the function untraced: TracingPolicy.optOut(fn, 'why it stays untraced')",
    );
  });

  test('opted out: untraced, no collector, no error', () => {
    const { app, stack } = newStack({ env: true });
    Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    TracingPolicy.optOut(plainFunction(stack, 'Vendor'), 'traced by Datadog');
    expect(synthError(stack)).toBe('');
  });
});
