import * as path from 'path';
import { App, AspectPriority, Aspects, Stack, Stage, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import {
  TracedFunction,
  TracedQueue,
  TracingExporter,
  TracingPolicy,
  TracingSettings,
  TransactionSearch,
} from '../../../lib';
import { FIXTURES, fixture } from '../../helpers/stack';

const ASSETS = path.join(FIXTURES, 'assets');
const SHIM = '/opt/cdk-serverless-tracing/handler.handler';

function newApp(): { app: App; stack: Stack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return { app, stack: new Stack(app, 'Legacy') };
}

function withPolicy(app: App, policy = new TracingPolicy()): TracingPolicy {
  Aspects.of(app).add(policy, { priority: AspectPriority.MUTATING });
  return policy;
}

function assetFunction(
  stack: Stack,
  id: string,
  dir: string,
  handler: string,
  props: Partial<lambda.FunctionProps> = {},
) {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    code: lambda.Code.fromAsset(path.join(ASSETS, dir)),
    handler,
    ...props,
  });
}

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any

function functionProps(template: Template, stack: Stack, fn: lambda.IFunction) {
  const resources = template.toJSON().Resources as Resources;
  return resources[stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)].Properties;
}

describe('TracingPolicy on functions the library did not build', () => {
  let stack: Stack;
  let template: Template;
  let cjs: lambda.Function;
  let esm: lambda.Function;
  let nested: lambda.Function;
  let bundled: nodejs.NodejsFunction;
  beforeAll(() => {
    const built = newApp();
    stack = built.stack;
    withPolicy(built.app, new TracingPolicy({ samplingRatio: 0.1 }));
    cjs = assetFunction(stack, 'Cjs', 'cjs', 'index.handler');
    esm = assetFunction(stack, 'Esm', 'esm', 'index.handler');
    nested = assetFunction(stack, 'Nested', 'nested', 'src/handlers/pay.main', {
      environment: { OTEL_SERVICE_NAME: 'payments-legacy' },
    });
    bundled = new nodejs.NodejsFunction(stack, 'Bundled', {
      entry: fixture('hello.ts'),
      runtime: lambda.Runtime.NODEJS_22_X,
    });
    template = Template.fromStack(stack);
  });

  test.each([
    ['CommonJS asset', () => cjs, 'index.handler'],
    ['ESM asset', () => esm, 'index.handler'],
    ['nested handler path', () => nested, 'src/handlers/pay.main'],
    ['NodejsFunction', () => bundled, 'index.handler'],
  ])('%s: the handler points at the shim, the original goes to the environment', (_, fn, original) => {
    const props = functionProps(template, stack, fn());
    expect(props.Handler).toBe(SHIM);
    expect(props.Environment.Variables).toMatchObject({
      CDK_SERVERLESS_TRACING_HANDLER: original,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      TRACING_KEEP_ERRORS: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OPENTELEMETRY_COLLECTOR_CONFIG_URI: '/opt/cdk-serverless-tracing/collector.yaml',
    });
  });

  test('three layers: the tracing runtime, the collector, its configuration', () => {
    for (const fn of [cjs, esm, nested, bundled]) {
      const layers = functionProps(template, stack, fn).Layers as unknown[];
      expect(layers).toHaveLength(3);
      expect(JSON.stringify(layers)).toContain(
        '"Fn::FindInMap":["OpenTelemetryCollectorLayer0230",{"Ref":"AWS::Region"},"amd64"]',
      );
    }
    // One runtime layer and one configuration layer for the whole stack.
    template.resourceCountIs('AWS::Lambda::LayerVersion', 2);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: Match.arrayWith(['x86_64', 'arm64']),
    });
  });

  test('the service name defaults to the construct id; a value the function set is kept', () => {
    expect(functionProps(template, stack, cjs).Environment.Variables.OTEL_SERVICE_NAME).toBe('Cjs');
    expect(functionProps(template, stack, nested).Environment.Variables.OTEL_SERVICE_NAME).toBe(
      'payments-legacy',
    );
  });

  test('a log group with retention and JSON logs for a function that had none', () => {
    const props = functionProps(template, stack, cjs);
    expect(props.LoggingConfig).toEqual({
      LogGroup: { Ref: expect.stringMatching(/^CjsTracingLogGroup/) },
      LogFormat: 'JSON',
    });
    const resources = template.toJSON().Resources as Resources;
    expect(resources[props.LoggingConfig.LogGroup.Ref].Properties.RetentionInDays).toBe(30);
  });
});

describe('TracingPolicy leaves alone', () => {
  test('a TracedFunction, an opted-out function (reason shown), a Python function, CDK custom resources', () => {
    const { app, stack } = newApp();
    withPolicy(app);
    const traced = new TracedFunction(stack, 'Traced', { entry: fixture('hello.ts') });
    const optedOut = assetFunction(stack, 'Vendor', 'cjs', 'index.handler');
    TracingPolicy.optOut(optedOut, 'vendor code, traced by its own agent');
    const python = new lambda.Function(stack, 'Python', {
      runtime: lambda.Runtime.PYTHON_3_13,
      code: lambda.Code.fromInline('def handler(event, context):\n  return 1'),
      handler: 'index.handler',
    });
    new cr.AwsCustomResource(stack, 'Lookup', {
      onCreate: {
        service: 'STS',
        action: 'getCallerIdentity',
        physicalResourceId: cr.PhysicalResourceId.of('id'),
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    const template = Template.fromStack(stack);
    const handlers = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (r) => r.Properties.Handler,
    );
    expect(handlers.filter((h) => h === SHIM)).toEqual([]);
    expect(functionProps(template, stack, traced).Handler).toBe('index.handler');
    expect(functionProps(template, stack, python).Handler).toBe('index.handler');

    const info = Annotations.fromStack(stack).findInfo('/Legacy/Vendor', Match.anyValue());
    expect(info.map((i) => i.entry.data)).toContain(
      'cdk-serverless-tracing: Legacy/Vendor is not traced (TracingPolicy.optOut: vendor code, traced by its own agent)',
    );
    expect(() => TracingPolicy.optOut(optedOut, ' ')).toThrow(/give the reason/);
    // The Python function is reported, not changed.
    const pythonWarnings = Annotations.fromStack(stack).findWarning('/Legacy/Python', Match.anyValue());
    expect(pythonWarnings.map((w) => String(w.entry.data))).toContainEqual(
      expect.stringContaining('[CST-NonNodeRuntime]'),
    );
  });

  test('applying it twice changes nothing', () => {
    const once = newApp();
    withPolicy(once.app);
    assetFunction(once.stack, 'Cjs', 'cjs', 'index.handler');
    const twice = newApp();
    withPolicy(twice.app);
    withPolicy(twice.app);
    assetFunction(twice.stack, 'Cjs', 'cjs', 'index.handler');
    expect(Template.fromStack(twice.stack).toJSON()).toEqual(Template.fromStack(once.stack).toJSON());
  });
});

describe('a Node.js runtime older than the tracing layer supports', () => {
  function oldFunction(stack: Stack, id: string, runtime: lambda.Runtime) {
    return new lambda.Function(stack, id, {
      runtime,
      code: lambda.Code.fromAsset(path.join(ASSETS, 'cjs')),
      handler: 'index.handler',
    });
  }

  test.each([lambda.Runtime.NODEJS_16_X, lambda.Runtime.NODEJS_18_X])(
    '%s: an error naming the function, its runtime and the fixes; the function is left as it is',
    (runtime) => {
      const { app, stack } = newApp();
      withPolicy(app);
      const old = oldFunction(stack, 'Old', runtime);
      const current = assetFunction(stack, 'Current', 'cjs', 'index.handler');
      // The synth goes on (no generic "incompatible with this layer" exception from CDK).
      const template = Template.fromStack(stack);
      Annotations.fromStack(stack).hasError(
        '/Legacy/Old',
        `TracingPolicy cannot trace Legacy/Old: its runtime ${runtime.name} is older than the Node.js runtimes ` +
          'the tracing layer supports (nodejs20.x, nodejs22.x, nodejs24.x), so the layer is not added. ' +
          'Fix: upgrade the function to one of those runtimes (e.g. runtime: lambda.Runtime.NODEJS_24_X), ' +
          "or leave it untraced with TracingPolicy.optOut(fn, 'why it stays untraced')",
      );
      const props = functionProps(template, stack, old);
      expect(props.Handler).toBe('index.handler');
      expect(props.Layers).toBeUndefined();
      expect(props.Environment).toBeUndefined();
      expect(props.LoggingConfig).toBeUndefined();
      // The other function of the stack is traced as usual.
      expect(functionProps(template, stack, current).Handler).toBe(SHIM);
      Annotations.fromStack(stack).hasNoError('/Legacy/Current', Match.anyValue());
    },
  );

  test('reported once under two policies; an opted-out function is not reported', () => {
    const { app, stack } = newApp();
    withPolicy(app);
    withPolicy(app);
    oldFunction(stack, 'Old', lambda.Runtime.NODEJS_16_X);
    const vendor = oldFunction(stack, 'Vendor', lambda.Runtime.NODEJS_16_X);
    TracingPolicy.optOut(vendor, 'vendor code on its own schedule');
    Template.fromStack(stack);
    const errors = Annotations.fromStack(stack).findError(
      '*',
      Match.stringLikeRegexp('TracingPolicy cannot trace'),
    );
    expect(errors.map((e) => e.id)).toEqual(['/Legacy/Old']);
    expect(new TracingPolicy().willTrace(vendor)).toBe(false);
  });

  test('the policy does not count on tracing it', () => {
    const { app, stack } = newApp();
    const policy = withPolicy(app);
    expect(policy.willTrace(oldFunction(stack, 'Old', lambda.Runtime.NODEJS_18_X))).toBe(false);
    expect(policy.willTrace(assetFunction(stack, 'Current', 'cjs', 'index.handler'))).toBe(true);
  });
});

describe('TracingPolicy settings', () => {
  test('TracingSettings of a nearer scope override the policy; the X-Ray exporter brings its permission', () => {
    const { app, stack } = newApp();
    withPolicy(
      app,
      new TracingPolicy({
        samplingRatio: 0.5,
        exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() }),
      }),
    );
    TracingSettings.set(stack, { samplingRatio: 0.05, logRetention: logs.RetentionDays.ONE_WEEK });
    const fn = assetFunction(stack, 'Cjs', 'cjs', 'index.handler');
    const template = Template.fromStack(stack);
    expect(functionProps(template, stack, fn).Environment.Variables).toMatchObject({
      OTEL_TRACES_SAMPLER_ARG: '0.05',
      TRACING_ID_FORMAT: 'xray',
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'xray:PutTraceSegments', Effect: 'Allow', Resource: '*' }] },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  test('invalid settings are an error on the function, naming the option', () => {
    const { app, stack } = newApp();
    withPolicy(app, new TracingPolicy({ samplingRatio: 2 }));
    const fn = assetFunction(stack, 'Cjs', 'cjs', 'index.handler');
    Annotations.fromStack(stack).hasError(
      '/Legacy/Cjs',
      Match.stringLikeRegexp(
        'TracingPolicy cannot trace Legacy/Cjs:[\\s\\S]*samplingRatio must be between 0 and 1 \\(got 2\\)',
      ),
    );
    expect(functionProps(Template.fromStack(stack), stack, fn).Handler).toBe('index.handler');
  });

  test('a plain consumer of a TracedQueue is accepted when a policy covers it', () => {
    const { app, stack } = newApp();
    withPolicy(app);
    const queue = new TracedQueue(stack, 'Queue');
    const plain = assetFunction(stack, 'Consumer', 'cjs', 'index.handler');
    expect(() => queue.addConsumer(plain)).not.toThrow();
    expect(functionProps(Template.fromStack(stack), stack, plain).Handler).toBe(SHIM);
  });
});

describe('snapshot', () => {
  test('a small app under the policy', () => {
    const { app, stack } = newApp();
    withPolicy(app, new TracingPolicy({ samplingRatio: 0.25 }));
    assetFunction(stack, 'Cjs', 'cjs', 'index.handler');
    assetFunction(stack, 'Esm', 'esm', 'index.handler', { architecture: lambda.Architecture.ARM_64 });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot('tracing-policy-app');
  });
});

describe('a policy and the Stages under it (Aspects stop at a Stage)', () => {
  const plain = (scope: Stack, id = 'Plain') =>
    new lambda.Function(scope, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    });

  test('on the App, with a Stage whose Node.js function it would not reach: the synth fails naming the Stage and the fix', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const prod = new Stage(app, 'Prod');
    plain(new Stack(prod, 'Payments'));
    withPolicy(app);
    expect(() => app.synth()).toThrow(
      "TracingPolicy on '<app>' does not reach the Stages under it ('Prod'): Aspects stop at a Stage, so their Node.js functions stay untraced. Add it to each Stage: Aspects.of(stage).add(new TracingPolicy(), { priority: AspectPriority.MUTATING })",
    );
  });

  test('each Stage with its own policy, an opted-out function, or no Node.js function: no error', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const prod = new Stage(app, 'Prod');
    const prodFn = plain(new Stack(prod, 'Payments'));
    Aspects.of(prod).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    const dev = new Stage(app, 'Dev');
    TracingPolicy.optOut(plain(new Stack(dev, 'Payments')), 'a test');
    new Stage(app, 'Empty');
    withPolicy(app);
    const assembly = app.synth();
    // The Stage's own policy traced its function.
    const template = assembly.getNestedAssembly('assembly-Prod').getStackByName('Prod-Payments').template as {
      Resources: Record<string, { Properties: { Handler?: string } }>;
    };
    expect(
      template.Resources[Stack.of(prodFn).getLogicalId(prodFn.node.defaultChild as lambda.CfnFunction)]
        .Properties.Handler,
    ).toBe(SHIM);
  });
});

describe('cdk-nag: what the policy acknowledges on a function it traces', () => {
  const acknowledged = (fn: lambda.Function) =>
    Object.assign(
      {},
      ...fn.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((m) => m.data as Record<string, string>),
    ) as Record<string, string>;

  test('Serverless-LambdaTracing, with the reason (traced with OpenTelemetry), and nothing else', () => {
    const { app, stack } = newApp();
    withPolicy(app);
    const traced = assetFunction(stack, 'Cjs', 'cjs', 'index.handler');
    const optedOut = assetFunction(stack, 'Vendor', 'cjs', 'index.handler');
    TracingPolicy.optOut(optedOut, 'vendor code, traced by its own agent');
    app.synth();
    expect(Object.keys(acknowledged(traced))).toEqual(['Serverless::Serverless-LambdaTracing']);
    expect(acknowledged(traced)['Serverless::Serverless-LambdaTracing']).toMatch(
      /^traced with OpenTelemetry by the TracingPolicy of cdk-serverless-tracing/,
    );
    expect(acknowledged(optedOut)).toEqual({});
  });
});
