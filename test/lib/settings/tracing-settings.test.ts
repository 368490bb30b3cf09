import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { TracedFunction, TracingCollector, TracingExporter, TracingSettings } from '../../../lib';
import { fixture } from '../../helpers/stack';

const SKIP_BUNDLING = { context: { 'aws:cdk:bundling-stacks': [] } };

function envOf(stack: Stack, id: string): Record<string, string> {
  const fn = stack.node.findChild(id) as TracedFunction;
  const resolved = stack.resolve((fn.node.defaultChild as unknown as { environment: unknown }).environment);
  return (resolved as { variables: Record<string, string> }).variables;
}

describe('settings precedence: library defaults < app < stage < stack < construct < function', () => {
  let stack: Stack;
  let template: Template;
  beforeAll(() => {
    const app = new App(SKIP_BUNDLING);
    TracingSettings.set(app, {
      samplingRatio: 0.1,
      keepErrors: false,
      logRetention: logs.RetentionDays.ONE_WEEK,
      serviceName: 'from-app',
    });
    const stage = new Stage(app, 'Prod');
    TracingSettings.set(stage, { flushTimeout: Duration.millis(500) });
    stack = new Stack(stage, 'Payments');
    TracingSettings.set(stack, { samplingRatio: 0.2, serviceName: undefined });
    const group = new Construct(stack, 'Group');
    TracingSettings.set(group, { samplingRatio: 0.3 });

    new TracedFunction(stack, 'InStack', { entry: fixture('hello.ts') });
    new TracedFunction(group, 'InGroup', { entry: fixture('hello.ts') });
    new TracedFunction(stack, 'OwnProps', {
      entry: fixture('hello.ts'),
      samplingRatio: 0.9,
      keepErrors: true,
      serviceName: 'own',
      logRetention: logs.RetentionDays.THREE_MONTHS,
    });
    template = Template.fromStack(stack);
  });

  test('the stack overrides the app; an undefined option does not erase the outer one', () => {
    expect(envOf(stack, 'InStack')).toMatchObject({
      OTEL_SERVICE_NAME: 'from-app',
      OTEL_TRACES_SAMPLER_ARG: '0.2',
      TRACING_KEEP_ERRORS: 'false',
      TRACING_FLUSH_TIMEOUT_MS: '500',
    });
  });

  test('a nearer construct overrides the stack', () => {
    const group = stack.node.findChild('Group');
    const fn = group.node.findChild('InGroup') as TracedFunction;
    expect(fn.tracingOptions.samplingRatio).toBe(0.3);
    expect(fn.tracingOptions.flushTimeout.toMilliseconds()).toBe(500);
  });

  test('the function props override every setting', () => {
    expect(envOf(stack, 'OwnProps')).toMatchObject({
      OTEL_SERVICE_NAME: 'own',
      OTEL_TRACES_SAMPLER_ARG: '0.9',
      TRACING_KEEP_ERRORS: 'true',
    });
  });

  test('log retention comes from the settings unless the function sets it', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test('settings add no resource to the template', () => {
    expect(Object.keys(template.toJSON().Resources).some((k) => k.includes('Settings'))).toBe(false);
  });
});

describe('TracingSettings', () => {
  test('exporter and collector come from the settings', () => {
    const app = new App(SKIP_BUNDLING);
    TracingSettings.set(app, {
      exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }),
      collector: TracingCollector.none(),
    });
    const stack = new Stack(app, 'S');
    new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts') });
    expect(envOf(stack, 'Fn').OTEL_EXPORTER_OTLP_ENDPOINT).toBe('https://otlp.example.com');
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::LayerVersion', 0);
  });

  test('an invalid setting fails every function it applies to, naming the prop', () => {
    const app = new App(SKIP_BUNDLING);
    TracingSettings.set(app, { samplingRatio: 7 });
    const stack = new Stack(app, 'S');
    expect(() => new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts') })).toThrow(
      /samplingRatio must be between 0 and 1 \(got 7\)/,
    );
  });

  test('set twice on the same scope throws', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    TracingSettings.set(stack, { samplingRatio: 0.5 });
    expect(() => TracingSettings.set(stack, { keepErrors: false })).toThrow(
      /TracingSettings.set was already called on 'S': call it once per scope/,
    );
  });

  test('set after a function was created under the scope throws', () => {
    const app = new App(SKIP_BUNDLING);
    const stack = new Stack(app, 'S');
    new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts') });
    expect(() => TracingSettings.set(app, { samplingRatio: 0.5 })).toThrow(
      /must be called before the traced functions it applies to are created \(found 'S\/Fn'\)/,
    );
  });

  test('of and resolve', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    expect(TracingSettings.of(app)).toBeUndefined();
    TracingSettings.set(app, { samplingRatio: 0.5, keepErrors: false });
    TracingSettings.set(stack, { samplingRatio: 0.25 });
    expect(TracingSettings.of(app)).toEqual({ samplingRatio: 0.5, keepErrors: false });
    expect(TracingSettings.resolve(stack)).toEqual({ samplingRatio: 0.25, keepErrors: false });
  });
});

describe('the runtime and the log format are settings too', () => {
  const propsOf = (stack: Stack, fn: TracedFunction) =>
    Template.fromStack(stack).toJSON().Resources[
      stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)
    ].Properties as { Runtime: string; LoggingConfig?: { LogFormat?: string } };

  test('a stage sets them for its functions; a function overrides them', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stage = new Stage(app, 'Prod');
    TracingSettings.set(stage, {
      runtime: lambda.Runtime.NODEJS_22_X,
      loggingFormat: lambda.LoggingFormat.TEXT,
    });
    const stack = new Stack(stage, 'Payments');
    const fromSettings = new TracedFunction(stack, 'FromSettings', { entry: fixture('hello.ts') });
    const own = new TracedFunction(stack, 'Own', {
      entry: fixture('hello.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    expect(propsOf(stack, fromSettings)).toMatchObject({
      Runtime: 'nodejs22.x',
      LoggingConfig: { LogFormat: 'Text' },
    });
    expect(propsOf(stack, own)).toMatchObject({
      Runtime: 'nodejs24.x',
      LoggingConfig: { LogFormat: 'JSON' },
    });
  });

  test('a runtime that is not Node.js is a settings error', () => {
    expect(() => TracingSettings.set(new App(), { runtime: lambda.Runtime.PYTHON_3_13 })).toThrow(
      'runtime must be a Node.js runtime (got python3.13); use e.g. lambda.Runtime.NODEJS_24_X',
    );
  });
});

describe('the memory and the timeout are settings too', () => {
  const propsOf = (stack: Stack, fn: TracedFunction) =>
    Template.fromStack(stack).toJSON().Resources[
      stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)
    ].Properties as { MemorySize?: number; Timeout?: number };

  test('explicit by default (512 MB, 3 seconds); a stage sets them for its functions; a function overrides them', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const defaults = new TracedFunction(new Stack(app, 'Defaults'), 'Fn', { entry: fixture('hello.ts') });
    const stage = new Stage(app, 'Prod');
    TracingSettings.set(stage, { memorySize: 1024, timeout: Duration.seconds(20) });
    const stack = new Stack(stage, 'Payments');
    const fromSettings = new TracedFunction(stack, 'FromSettings', { entry: fixture('hello.ts') });
    const own = new TracedFunction(stack, 'Own', {
      entry: fixture('hello.ts'),
      memorySize: 256,
      timeout: Duration.seconds(5),
    });
    expect(propsOf(Stack.of(defaults), defaults)).toMatchObject({ MemorySize: 512, Timeout: 3 });
    expect(propsOf(stack, fromSettings)).toMatchObject({ MemorySize: 1024, Timeout: 20 });
    expect(propsOf(stack, own)).toMatchObject({ MemorySize: 256, Timeout: 5 });
  });

  test("the settings' timeout is the one flushTimeout must fit under", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    TracingSettings.set(app, { timeout: Duration.seconds(2), flushTimeout: Duration.seconds(2) });
    expect(() => new TracedFunction(new Stack(app, 'S'), 'Fn', { entry: fixture('hello.ts') })).toThrow(
      /flushTimeout \(2 seconds\) must be shorter than the function timeout \(2 seconds\)/,
    );
  });

  test.each<[string, { memorySize?: number; timeout?: Duration }, string]>([
    [
      'memory below 128 MB',
      { memorySize: 64 },
      'memorySize must be a whole number of MB from 128 to 10240, what Lambda allows (got 64)',
    ],
    [
      'memory above 10,240 MB',
      { memorySize: 10241 },
      'memorySize must be a whole number of MB from 128 to 10240, what Lambda allows (got 10241)',
    ],
    [
      'a fraction of a MB',
      { memorySize: 512.5 },
      'memorySize must be a whole number of MB from 128 to 10240, what Lambda allows (got 512.5)',
    ],
    [
      'a timeout below a second',
      { timeout: Duration.millis(500) },
      'timeout must be from 1 second to 15 minutes, what Lambda allows (got 500 millis)',
    ],
    [
      'a timeout above 15 minutes',
      { timeout: Duration.minutes(16) },
      'timeout must be from 1 second to 15 minutes, what Lambda allows (got 16 minutes)',
    ],
  ])('%s is a settings error', (_, options, message) => {
    expect(() => TracingSettings.set(new App(), options)).toThrow(message);
  });
});
