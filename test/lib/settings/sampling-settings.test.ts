import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AlwaysKeep,
  SamplingMode,
  TracedFunction,
  TracedQueue,
  TracingCollector,
  TracingExporter,
  TracingSettings,
} from '../../../lib';
import { fixture, newStack, plainFunction } from '../../helpers/stack';

function envOf(fn: lambda.Function): Record<string, unknown> {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const resolved = Stack.of(fn).resolve(cfn.environment) as { variables: Record<string, unknown> };
  return resolved.variables;
}

function traced(
  scope: Stack,
  id: string,
  props: Partial<ConstructorParameters<typeof TracedFunction>[2]> = {},
) {
  return new TracedFunction(scope, id, { entry: fixture('hello.ts'), ...props });
}

function paymentsApi(stack: Stack, fn: lambda.IFunction): void {
  const api = new apigwv2.HttpApi(stack, 'Api');
  api.addRoutes({
    path: '/payments',
    methods: [apigwv2.HttpMethod.POST],
    integration: new integrations.HttpLambdaIntegration('Authorize', fn),
  });
}

describe('sampling settings become environment variables', () => {
  test('head sampling (default): the parent-based ratio sampler and its ratio', () => {
    const { stack } = newStack();
    const fn = traced(stack, 'Fn', { samplingRatio: 0.01 });
    const env = envOf(fn);
    expect(env).toMatchObject({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
      TRACING_KEEP_ERRORS: 'true',
    });
    expect(env).not.toHaveProperty('TRACING_SAMPLING_PRIORITY');
    expect(env).not.toHaveProperty('TRACING_ALWAYS_KEEP');
    expect(env).not.toHaveProperty('TRACING_LOG_CORRELATION');
  });

  test('collector sampling: the function keeps all and marks priority; the collector samples the ratio', () => {
    const { stack } = newStack();
    const fn = traced(stack, 'Fn', { samplingRatio: 0.01, samplingMode: SamplingMode.COLLECTOR });
    const env = envOf(fn);
    expect(env).toMatchObject({
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      TRACING_SAMPLING_PRIORITY: 'true',
    });
    expect(env).not.toHaveProperty('OTEL_TRACES_SAMPLER_ARG');
    const config = fn.collectorConfig!.config as {
      processors: Record<string, unknown>;
      service: { pipelines: { traces: { processors: string[] } } };
    };
    expect(config.processors.probabilistic_sampler).toEqual({ sampling_percentage: 1 });
    expect(config.service.pipelines.traces.processors[0]).toBe('probabilistic_sampler');
  });

  test('head sampling renders no probabilistic_sampler', () => {
    const { stack } = newStack();
    const fn = traced(stack, 'Fn', { samplingRatio: 0.5 });
    expect(fn.collectorConfig!.config.processors).not.toHaveProperty('probabilistic_sampler');
  });

  test('logCorrelation: false is passed on; true is the default and not written', () => {
    const { stack } = newStack();
    expect(envOf(traced(stack, 'Off', { logCorrelation: false }))).toMatchObject({
      TRACING_LOG_CORRELATION: 'false',
    });
    expect(envOf(traced(stack, 'On', { logCorrelation: true }))).not.toHaveProperty(
      'TRACING_LOG_CORRELATION',
    );
  });

  test('settings of the app apply, and the function overrides them', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { samplingRatio: 0.01, keepErrors: true });
    expect(envOf(traced(stack, 'FromApp'))).toMatchObject({ OTEL_TRACES_SAMPLER_ARG: '0.01' });
    expect(envOf(traced(stack, 'Own', { samplingRatio: 1 }))).toMatchObject({ OTEL_TRACES_SAMPLER_ARG: '1' });
  });
});

describe('bad sampling settings are synth errors that name the prop', () => {
  test.each([-0.1, 1.5, Number.NaN])('samplingRatio %p', (ratio) => {
    const { stack } = newStack();
    expect(() => traced(stack, 'Fn', { samplingRatio: ratio })).toThrow(
      /TracedFunction TestStack\/Fn has invalid props:[\s\S]*samplingRatio must be between 0 and 1/,
    );
  });

  test('samplingMode COLLECTOR without the collector', () => {
    const { stack } = newStack();
    expect(() =>
      traced(stack, 'Fn', {
        samplingMode: SamplingMode.COLLECTOR,
        collector: TracingCollector.none(),
        exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }),
      }),
    ).toThrow(/samplingMode COLLECTOR needs the collector: use TracingCollector.lambdaLayer\(\)/);
  });

  test('an unknown samplingMode', () => {
    const { stack } = newStack();
    expect(() => traced(stack, 'Fn', { samplingMode: 'edge' as SamplingMode })).toThrow(
      /samplingMode must be SamplingMode.HEAD, SamplingMode.COLLECTOR or SamplingMode.TAIL \(got 'edge'\)/,
    );
  });

  test.each([-1, 2])('maxSamplingRatio %p', (max) => {
    const app = new App();
    expect(() => TracingSettings.set(app, { maxSamplingRatio: max })).toThrow(
      /TracingSettings.set\('<app>'\) has invalid options:[\s\S]*maxSamplingRatio must be between 0 and 1/,
    );
  });

  test.each([Duration.seconds(30), Duration.days(15)])('deadLetterRetentionPeriod %s', (period) => {
    const app = new App();
    expect(() => TracingSettings.set(app, { deadLetterRetentionPeriod: period })).toThrow(
      /deadLetterRetentionPeriod must be from 60 seconds to 14 days/,
    );
  });
});

describe('the sampling budget', () => {
  test('a function above the app budget is an error naming the function and the budget', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { maxSamplingRatio: 0.1 });
    expect(() => traced(stack, 'Authorize', { samplingRatio: 0.5 })).toThrow(
      'TracedFunction TestStack/Authorize has invalid props:\n  - samplingRatio 0.5 is above the sampling budget ' +
        "maxSamplingRatio 0.1 set by TracingSettings on '<app>': lower samplingRatio or raise the budget",
    );
  });

  test('settings ratios count too: the default ratio 1 is over a budget', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { maxSamplingRatio: 0.05 });
    expect(() => traced(stack, 'Fn')).toThrow(/samplingRatio 1 is above the sampling budget/);
  });

  test('within the budget is fine', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { maxSamplingRatio: 0.1, samplingRatio: 0.01 });
    expect(() => traced(stack, 'Fn')).not.toThrow();
    expect(() => traced(stack, 'AtBudget', { samplingRatio: 0.1 })).not.toThrow();
  });

  test('a nearer scope can lower the budget but not raise it', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { maxSamplingRatio: 0.1 });
    TracingSettings.set(stack, { maxSamplingRatio: 0.5 });
    expect(TracingSettings.budget(stack)).toEqual({ maxSamplingRatio: 0.1, setBy: '<app>' });
    expect(() => traced(stack, 'Fn', { samplingRatio: 0.2 })).toThrow(/set by TracingSettings on '<app>'/);

    const other = new App();
    const lowered = new Stack(other, 'Lowered');
    TracingSettings.set(other, { maxSamplingRatio: 0.5 });
    TracingSettings.set(lowered, { maxSamplingRatio: 0.01 });
    expect(TracingSettings.budget(lowered)).toEqual({ maxSamplingRatio: 0.01, setBy: 'Lowered' });
  });
});

describe('always-keep rules', () => {
  test('a route rule is written for the runtime and matches a route of the app', () => {
    const { stack } = newStack();
    const fn = traced(stack, 'Authorize', { alwaysKeep: [AlwaysKeep.route('POST /payments')] });
    paymentsApi(stack, fn);
    expect(envOf(fn)).toMatchObject({ TRACING_ALWAYS_KEEP: 'route:POST /payments' });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a route rule without method matches any method; rules of settings and function add up', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { alwaysKeep: [AlwaysKeep.route('/payments')] });
    const fn = traced(stack, 'Authorize', { alwaysKeep: [AlwaysKeep.route('$default')] });
    paymentsApi(stack, fn);
    new apigwv2.HttpApi(stack, 'Fallback', {
      defaultIntegration: new integrations.HttpLambdaIntegration('Fallback', fn),
    });
    expect(envOf(fn)).toMatchObject({ TRACING_ALWAYS_KEEP: 'route:/payments;route:$default' });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a route rule that matches no route of the app is a synth error listing the routes', () => {
    const { stack } = newStack();
    const fn = traced(stack, 'Authorize', { alwaysKeep: [AlwaysKeep.route('POST /payment')] });
    paymentsApi(stack, fn);
    expect(() => Template.fromStack(stack)).toThrow(
      "TracedFunction TestStack/Authorize alwaysKeep rule 0: route 'POST /payment' matches no API Gateway route " +
        'of the app (routes: POST /payments): fix the route or remove the rule',
    );
  });

  test('a settings route rule that matches nothing names the settings and the index', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { alwaysKeep: [AlwaysKeep.route('GET /health')] });
    traced(stack, 'Fn');
    expect(() => app.synth()).toThrow(
      "TracingSettings('<app>') alwaysKeep[0]: route 'GET /health' matches no API Gateway route of the app (routes: none)",
    );
  });

  test('a route rule cannot be checked when the app has function URLs: accepted', () => {
    const { stack } = newStack();
    const fn = traced(stack, 'Fn', { alwaysKeep: [AlwaysKeep.route('POST /anything')] });
    fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test.each([
    ['PUSH /payments', /alwaysKeep\[0\]: route 'PUSH \/payments' has an unknown method 'PUSH'/],
    ['payments', /alwaysKeep\[0\]: route 'payments' must have a path that starts with '\/'/],
    ['', /alwaysKeep\[0\]: route must look like 'POST \/payments' or '\/payments' \(got ''\)/],
    ['POST /a /b', /route must look like/],
  ])('a malformed route %p is an error naming the prop', (route, message) => {
    const { stack, app } = newStack();
    expect(() => traced(stack, 'Fn', { alwaysKeep: [AlwaysKeep.route(route)] })).toThrow(message);
    expect(() => TracingSettings.set(app, { alwaysKeep: [AlwaysKeep.route(route)] })).toThrow(message);
  });

  test('something else than a rule is an error', () => {
    const { stack } = newStack();
    expect(() => traced(stack, 'Fn', { alwaysKeep: ['POST /payments' as unknown as AlwaysKeep] })).toThrow(
      'alwaysKeep[0] must be AlwaysKeep.route(...) or AlwaysKeep.queue(...)',
    );
  });

  test('addConsumer(fn, { alwaysKeep: true }) keeps the traces of that queue in that consumer', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const reconcile = traced(stack, 'Reconcile');
    const audit = traced(stack, 'Audit');
    queue.addConsumer(reconcile, { alwaysKeep: true });
    queue.addConsumer(audit);
    const queueId = stack.getLogicalId(queue.queue.node.defaultChild as sqs.CfnQueue);
    expect(envOf(reconcile).TRACING_ALWAYS_KEEP).toEqual({
      'Fn::Join': ['', ['queue:', { 'Fn::GetAtt': [queueId, 'Arn'] }]],
    });
    expect(envOf(audit)).not.toHaveProperty('TRACING_ALWAYS_KEEP');
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a settings queue rule is written only into the functions that consume the queue', () => {
    const { stack } = newStack();
    // Settings must exist before the functions; a queue rule needs the queue: create it first.
    const queue = new TracedQueue(stack, 'Reconciliation');
    TracingSettings.set(stack, { alwaysKeep: [AlwaysKeep.queue(queue.queue)] });
    const reconcile = traced(stack, 'Reconcile');
    const authorize = traced(stack, 'Authorize');
    queue.addConsumer(reconcile);
    expect(JSON.stringify(envOf(reconcile).TRACING_ALWAYS_KEEP)).toContain('queue:');
    expect(envOf(authorize)).not.toHaveProperty('TRACING_ALWAYS_KEEP');
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a queue rule whose queue no function consumes is a synth error', () => {
    const { stack } = newStack();
    const queue = new sqs.Queue(stack, 'Lonely');
    traced(stack, 'Fn', { alwaysKeep: [AlwaysKeep.queue(queue)] });
    expect(() => Template.fromStack(stack)).toThrow(
      'TracedFunction TestStack/Fn alwaysKeep rule 0: queue TestStack/Lonely is not consumed by TestStack/Fn: ' +
        'wire it with queue.addConsumer(fn), or remove the rule',
    );
  });

  test('alwaysKeep on an untraced consumer is an error', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Queue');
    const plain = plainFunction(stack, 'Plain');
    expect(() => queue.addConsumer(plain, { alwaysKeep: true, untraced: { reason: 'legacy' } })).toThrow(
      'alwaysKeep needs a TracedFunction consumer (TestStack/Plain is not one)',
    );
  });
});

describe('retention settings', () => {
  test('the dead-letter retention of the settings applies to the queues under it; a queue prop wins', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { deadLetterRetentionPeriod: Duration.days(7) });
    const fromSettings = new TracedQueue(stack, 'FromSettings');
    const own = new TracedQueue(stack, 'Own', { deadLetterRetentionPeriod: Duration.days(10) });
    const template = Template.fromStack(stack);
    const retention = (q: TracedQueue) =>
      template.toJSON().Resources[stack.getLogicalId(q.deadLetterQueue.node.defaultChild as sqs.CfnQueue)]
        .Properties.MessageRetentionPeriod;
    expect(retention(fromSettings)).toBe(7 * 24 * 3600);
    expect(retention(own)).toBe(10 * 24 * 3600);
  });

  test('the function log group gets the retention of the settings', () => {
    const { app, stack } = newStack();
    TracingSettings.set(app, { logRetention: logs.RetentionDays.TWO_WEEKS });
    traced(stack, 'Fn');
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  test('a log group without retention in the library reach is a warning; a function without its own log group too', () => {
    const { stack } = newStack();
    traced(stack, 'Traced');
    new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
    new logs.LogGroup(stack, 'Kept', { retention: logs.RetentionDays.ONE_WEEK });
    plainFunction(stack, 'Plain');
    plainFunction(stack, 'WithGroup', {
      logGroup: new logs.LogGroup(stack, 'PlainLogs', { retention: logs.RetentionDays.ONE_WEEK }),
    });
    const annotations = Annotations.fromStack(stack);
    const warnings = annotations.findWarning('*', Match.anyValue());
    const texts = warnings.map((w) => `${w.id} ${String(w.entry.data)}`);
    expect(texts).toEqual([
      expect.stringMatching(
        /^\/TestStack\/Forever log group TestStack\/Forever has no retention: its logs are kept \(and billed\) forever/,
      ),
      expect.stringMatching(
        /^\/TestStack\/Plain function TestStack\/Plain writes to the log group Lambda creates for it/,
      ),
    ]);
  });

  test('an INFINITE retention of a traced function is reported once, on the function', () => {
    const { stack } = newStack();
    traced(stack, 'Fn', { logRetention: logs.RetentionDays.INFINITE });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => w.id)).toEqual(['/TestStack/Fn']);
  });

  test('a stack without any construct of the library is out of reach', () => {
    const app = new App();
    const other = new Stack(app, 'Other');
    plainFunction(other, 'Plain');
    const { stack } = { stack: new Stack(app, 'Traced', {}) };
    new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts') });
    expect(Annotations.fromStack(other).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
