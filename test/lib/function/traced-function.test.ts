import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  ExporterHeaderValue,
  TracedFunction,
  TracedFunctionProps,
  TracingCollector,
  TracingExporter,
} from '../../../lib';
import { fixture, newStack } from '../../helpers/stack';

const ENTRY = fixture('hello.ts');

function fn(stack: Stack, id: string, props: Partial<TracedFunctionProps> = {}): TracedFunction {
  return new TracedFunction(stack, id, { entry: ENTRY, ...props });
}

/** The environment variables of the one function with this id prefix. */
function envOf(template: Template, idPrefix: string): Record<string, unknown> {
  const fns = template.findResources('AWS::Lambda::Function');
  const key = Object.keys(fns).find((k) => k.startsWith(idPrefix));
  if (!key) {
    throw new Error(`no function ${idPrefix}`);
  }
  return fns[key].Properties.Environment.Variables;
}

describe('TracedFunction defaults', () => {
  let stack: Stack;
  let template: Template;
  beforeAll(() => {
    ({ stack } = newStack());
    fn(stack, 'Fn');
    template = Template.fromStack(stack);
  });

  test('wraps the handler: Lambda calls the wrapper export of the bundled entry', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler' });
  });

  test('runs on Node.js 22 and the default architecture', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: Match.absent(),
    });
  });

  test('sets the tracing environment', () => {
    expect(envOf(template, 'Fn')).toEqual({
      OTEL_SERVICE_NAME: 'Fn',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
      TRACING_KEEP_ERRORS: 'true',
      TRACING_FLUSH_TIMEOUT_MS: '1000',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OPENTELEMETRY_COLLECTOR_CONFIG_URI: '/opt/cdk-serverless-tracing/collector.yaml',
    });
  });

  test('has an explicit memory (512 MB: the function and the collector share it) and timeout (3 seconds)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 3 });
  });

  test('gets its own log group with one month retention and JSON logs', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
    });
    // never the legacy log retention custom resource
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  test('gets the pinned collector layer and the configuration layer', () => {
    const [configLayerId] = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [
        { 'Fn::FindInMap': ['OpenTelemetryCollectorLayer0230', { Ref: 'AWS::Region' }, 'amd64'] },
        { Ref: configLayerId },
      ],
    });
    // The environment-agnostic stack maps each region the layer is published to to its ARN.
    const mapping = template.findMappings('OpenTelemetryCollectorLayer0230').OpenTelemetryCollectorLayer0230;
    expect(Object.keys(mapping)).toHaveLength(34);
    expect(mapping['eu-west-1']).toEqual({
      amd64: 'arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-collector-amd64-0_23_0:1',
      arm64: 'arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-collector-arm64-0_23_0:1',
    });
    expect(mapping['cn-north-1']).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['x86_64', 'arm64'],
    });
  });

  test('gives no warning', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('exposes the resolved options and the rendered collector configuration', () => {
    const f = stack.node.findChild('Fn') as TracedFunction;
    expect(f.tracingOptions.samplingRatio).toBe(1);
    expect(f.collectorConfig?.yaml).toContain('debug:');
  });
});

describe('collector layer', () => {
  test.each([
    [lambda.Architecture.X86_64, 'amd64'],
    [lambda.Architecture.ARM_64, 'arm64'],
  ])('uses the %s layer of the pinned version in the stack region', (architecture, arch) => {
    const { stack } = newStack({ env: true });
    fn(stack, 'Fn', { architecture });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith([
        `arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-collector-${arch}-0_23_0:1`,
      ]),
    });
  });

  test('uses the version asked for', () => {
    const { stack } = newStack({ env: true });
    fn(stack, 'Fn', { collector: TracingCollector.lambdaLayer({ version: '0.23.1' }) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith([
        'arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-collector-amd64-0_23_1:1',
      ]),
    });
  });

  test('uses the ARN asked for', () => {
    const { stack } = newStack({ env: true });
    const layerArn = 'arn:aws:lambda:eu-west-1:111122223333:layer:my-collector:7';
    fn(stack, 'Fn', { collector: TracingCollector.lambdaLayer({ layerArn }) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith([layerArn]),
    });
  });

  test.each(['cn-north-1', 'us-gov-west-1', 'eu-isoe-west-1'])(
    'a region the pinned layer is not published in (%s) is a synth error naming the fix',
    (region) => {
      const { stack } = newStack({ stackProps: { env: { account: '123456789012', region } } });
      expect(() => fn(stack, 'Fn')).toThrow(
        new RegExp(
          `collector: the OpenTelemetry Collector layer 0.23.0 is not published in ${region} \\(it is in af-south-1, .*\\); ` +
            'deploy to one of those regions, or publish the layer .* TracingCollector.lambdaLayer\\(\\{ layerArn \\}\\)',
        ),
      );
    },
  );

  test('ap-northeast-3, added with 0.23.0, is a published region', () => {
    const { stack } = newStack({
      stackProps: { env: { account: '123456789012', region: 'ap-northeast-3' } },
    });
    fn(stack, 'Fn');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith([
        'arn:aws:lambda:ap-northeast-3:184161586896:layer:opentelemetry-collector-amd64-0_23_0:1',
      ]),
    });
  });

  test('a layerArn of your own, or another version, is not checked against the published regions', () => {
    const { stack } = newStack({ stackProps: { env: { account: '123456789012', region: 'cn-north-1' } } });
    const layerArn = 'arn:aws-cn:lambda:cn-north-1:111122223333:layer:my-collector:7';
    fn(stack, 'Own', { collector: TracingCollector.lambdaLayer({ layerArn }) });
    fn(stack, 'Other', { collector: TracingCollector.lambdaLayer({ version: '0.24.0' }) });
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 2);
  });

  test('keeps the user layers', () => {
    const { stack } = newStack({ env: true });
    const own = lambda.LayerVersion.fromLayerVersionArn(
      stack,
      'Own',
      'arn:aws:lambda:eu-west-1:111122223333:layer:own:1',
    );
    fn(stack, 'Fn', { layers: [own] });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith(['arn:aws:lambda:eu-west-1:111122223333:layer:own:1']),
    });
  });

  test('functions with the same settings share one configuration layer', () => {
    const { stack } = newStack();
    fn(stack, 'A');
    fn(stack, 'B', { samplingRatio: 0.5, architecture: lambda.Architecture.ARM_64 });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    const [layerId] = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    expect(layerId).toMatch(/^TracingCollectorConfig[0-9a-f]{12}/);
  });

  test('functions with different exporters get different configuration layers', () => {
    const { stack } = newStack();
    fn(stack, 'A');
    fn(stack, 'B', { exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }) });
    fn(stack, 'C', { exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }) });
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::LayerVersion', 2);
  });

  test('no collector: no layer, the function exports to the endpoint with plain headers', () => {
    const { stack } = newStack();
    fn(stack, 'Fn', {
      collector: TracingCollector.none(),
      exporter: TracingExporter.otlp({
        endpoint: 'https://otlp.example.com',
        headers: { 'x-team': ExporterHeaderValue.plain('payments team') },
      }),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: Match.absent() });
    const env = envOf(template, 'Fn');
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('https://otlp.example.com');
    expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe('x-team=payments%20team');
    expect(env.OPENTELEMETRY_COLLECTOR_CONFIG_URI).toBeUndefined();
  });
});

describe('overrides and warnings', () => {
  let stack: Stack;
  let template: Template;
  beforeAll(() => {
    ({ stack } = newStack());
    fn(stack, 'Infinite', { logRetention: logs.RetentionDays.INFINITE });
    fn(stack, 'NoErrors', { keepErrors: false });
    fn(stack, 'Text', { loggingFormat: lambda.LoggingFormat.TEXT });
    fn(stack, 'EnvOverride', { environment: { OTEL_TRACES_SAMPLER: 'always_on', OTHER: 'x' } });
    fn(stack, 'Insecure', { exporter: TracingExporter.otlp({ endpoint: 'http://collector.internal:4318' }) });
    fn(stack, 'Local', { exporter: TracingExporter.otlp({ endpoint: 'http://localhost:4318' }) });
    fn(stack, 'Zero', { samplingRatio: 0 });
    fn(stack, 'Custom', {
      serviceName: 'custom',
      samplingRatio: 0.1,
      flushTimeout: Duration.millis(250),
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    const own = new logs.LogGroup(stack, 'OwnLogGroup', { retention: logs.RetentionDays.ONE_DAY });
    fn(stack, 'OwnLogs', { logGroup: own, logRetention: logs.RetentionDays.ONE_YEAR });
    template = Template.fromStack(stack);
  });

  const warning = (path: string, id: string) =>
    Annotations.fromStack(stack).hasWarning(path, Match.stringLikeRegexp(`cdk-serverless-tracing:${id}`));

  test('INFINITE log retention: no retention, and a warning', () => {
    warning('/TestStack/Infinite', 'logRetentionInfinite');
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.absent() });
  });

  test('keepErrors false: environment and warning', () => {
    expect(envOf(template, 'NoErrors').TRACING_KEEP_ERRORS).toBe('false');
    warning('/TestStack/NoErrors', 'keepErrorsDisabled');
  });

  test('TEXT log format: kept, with a warning', () => {
    warning('/TestStack/Text', 'loggingFormatText');
  });

  test('user environment wins over ours, with a warning naming the variable', () => {
    const env = envOf(template, 'EnvOverride');
    expect(env.OTEL_TRACES_SAMPLER).toBe('always_on');
    expect(env.OTHER).toBe('x');
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/EnvOverride',
      Match.stringLikeRegexp('environment overrides OTEL_TRACES_SAMPLER,? '),
    );
    warning('/TestStack/EnvOverride', 'environmentOverride');
  });

  test('plain http:// to a remote host warns; to localhost does not', () => {
    warning('/TestStack/Insecure', 'insecureEndpoint');
    Annotations.fromStack(stack).hasNoWarning('/TestStack/Local', Match.anyValue());
  });

  test('sampling ratio 0 warns', () => {
    expect(envOf(template, 'Zero').OTEL_TRACES_SAMPLER_ARG).toBe('0');
    warning('/TestStack/Zero', 'samplingRatioZero');
  });

  test('options from props reach the environment and the log group', () => {
    const env = envOf(template, 'Custom');
    expect(env).toMatchObject({
      OTEL_SERVICE_NAME: 'custom',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      TRACING_FLUSH_TIMEOUT_MS: '250',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    Annotations.fromStack(stack).hasNoWarning('/TestStack/Custom', Match.anyValue());
  });

  test('a given log group is used as is; logRetention is then ignored with a warning', () => {
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    const ownId = Object.keys(logGroups).find((k) => k.startsWith('OwnLogGroup'))!;
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: ownId } },
    });
    expect(Object.keys(logGroups).some((k) => k.startsWith('OwnLogsLogGroup'))).toBe(false);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 1 });
    warning('/TestStack/OwnLogs', 'logRetentionIgnored');
  });
});

describe('execution role', () => {
  let stack: Stack;
  let template: Template;
  let plain: TracedFunction;
  let sharedLogs: TracedFunction;
  let importedLogs: TracedFunction;
  let given: iam.Role;
  let inVpc: TracedFunction;
  let withDlq: TracedFunction;
  let durable: TracedFunction;
  beforeAll(() => {
    ({ stack } = newStack());
    plain = fn(stack, 'Plain');
    const shared = new logs.LogGroup(stack, 'Shared');
    sharedLogs = fn(stack, 'SharedLogs', { logGroup: shared });
    importedLogs = fn(stack, 'ImportedLogs', {
      logGroup: logs.LogGroup.fromLogGroupName(stack, 'Imported', '/teams/payments'),
    });
    given = new iam.Role(stack, 'Given', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'),
      ],
    });
    fn(stack, 'GivenRole', { role: given });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 1 });
    inVpc = fn(stack, 'InVpc', { vpc });
    withDlq = fn(stack, 'WithDlq', { deadLetterQueueEnabled: true });
    durable = fn(stack, 'Durable', { durableConfig: { executionTimeout: Duration.hours(1) } });
    template = Template.fromStack(stack);
  });

  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  const roleOf = (f: TracedFunction) => template.toJSON().Resources[idOf(f.role as iam.Role)];
  /** The statements of the policies attached to a role. */
  const statementsOf = (role: iam.IRole) =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: idOf(role as iam.Role) }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  const managedPolicy = (name: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/service-role/${name}`]],
  });
  const writeTo = (resource: unknown) => ({
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: resource,
  });

  test('its own role, assumed by Lambda, with no managed policy (no AWSLambdaBasicExecutionRole)', () => {
    expect(roleOf(plain).Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
        Version: '2012-10-17',
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [idOf(plain.role as iam.Role), 'Arn'] },
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: idOf(plain.logGroup as logs.LogGroup) } }),
    });
  });

  test("may create log streams and put log events in the function's own log group, nothing else", () => {
    // The log group's Arn attribute ends in `:*`: its log streams.
    expect(statementsOf(plain.role!)).toEqual([
      writeTo({ 'Fn::GetAtt': [idOf(plain.logGroup as logs.LogGroup), 'Arn'] }),
    ]);
  });

  test('with a given log group, the grant is on that one', () => {
    const sharedId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((k) =>
      k.startsWith('Shared'),
    );
    expect(statementsOf(sharedLogs.role!)).toEqual([writeTo({ 'Fn::GetAtt': [sharedId, 'Arn'] })]);
    expect(statementsOf(importedLogs.role!)).toEqual([
      writeTo({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':logs:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':log-group:/teams/payments:*',
          ],
        ],
      }),
    ]);
    expect(roleOf(importedLogs).Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('a given role is left as it is: no policy added, no managed policy taken away, no role of ours', () => {
    expect(statementsOf(given)).toEqual([]);
    expect(template.toJSON().Resources[idOf(given)].Properties.ManagedPolicyArns).toEqual([
      managedPolicy('AWSLambdaBasicExecutionRole'),
    ]);
    expect(
      Object.keys(template.findResources('AWS::IAM::Role')).some((k) => k.startsWith('GivenRoleServiceRole')),
    ).toBe(false);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [idOf(given), 'Arn'] },
    });
  });

  test("in a VPC: AWSLambdaVPCAccessExecutionRole, CDK's ENI permissions (not the basic role)", () => {
    expect(roleOf(inVpc).Properties.ManagedPolicyArns).toEqual([
      managedPolicy('AWSLambdaVPCAccessExecutionRole'),
    ]);
    expect(statementsOf(inVpc.role!)).toEqual([
      writeTo({ 'Fn::GetAtt': [idOf(inVpc.logGroup as logs.LogGroup), 'Arn'] }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [idOf(inVpc.role as iam.Role), 'Arn'] },
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
    });
  });

  test("durable: AWSLambdaBasicDurableExecutionRolePolicy, as CDK's default role has (its checkpoint actions)", () => {
    expect(roleOf(durable).Properties.ManagedPolicyArns).toEqual([
      managedPolicy('AWSLambdaBasicDurableExecutionRolePolicy'),
    ]);
  });

  test("CDK's own grants still go to the role (a dead-letter queue)", () => {
    expect(statementsOf(withDlq.role!)).toEqual([
      writeTo({ 'Fn::GetAtt': [idOf(withDlq.logGroup as logs.LogGroup), 'Arn'] }),
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [idOf(withDlq.deadLetterQueue as sqs.Queue), 'Arn'] },
      },
    ]);
  });
});

describe('invalid props', () => {
  const make = (props: Partial<TracedFunctionProps>) => () => fn(newStack().stack, 'Fn', props);

  test.each<[string, Partial<TracedFunctionProps>, RegExp]>([
    ['sampling ratio above 1', { samplingRatio: 1.5 }, /samplingRatio must be between 0 and 1 \(got 1.5\)/],
    ['sampling ratio below 0', { samplingRatio: -0.1 }, /samplingRatio must be between 0 and 1 \(got -0.1\)/],
    ['sampling ratio NaN', { samplingRatio: NaN }, /samplingRatio must be between 0 and 1 \(got NaN\)/],
    [
      'flush timeout not shorter than the default timeout',
      { flushTimeout: Duration.seconds(3) },
      /flushTimeout \(3 seconds\) must be shorter than the function timeout \(3 seconds\)/,
    ],
    [
      'flush timeout longer than the timeout',
      { flushTimeout: Duration.seconds(5), timeout: Duration.seconds(4) },
      /flushTimeout .* lower flushTimeout or raise timeout/,
    ],
    [
      'endpoint not http(s)',
      { exporter: TracingExporter.otlp({ endpoint: 'grpc://collector:4317' }) },
      /exporter endpoint must be an http:\/\/ or https:\/\/ URL \(got 'grpc:\/\/collector:4317'\)/,
    ],
    [
      'endpoint not a URL',
      { exporter: TracingExporter.otlp({ endpoint: 'collector' }) },
      /exporter endpoint must be an http/,
    ],
    [
      'debug exporter without a collector',
      { collector: TracingCollector.none() },
      /TracingExporter.debug\(\) needs the collector: use TracingCollector.lambdaLayer\(\)/,
    ],
    [
      'bad collector version',
      { collector: TracingCollector.lambdaLayer({ version: 'v0.22' }) },
      /collector version must look like 0.23.0 \(got 'v0.22'\)/,
    ],
    [
      'version and layerArn together',
      {
        collector: TracingCollector.lambdaLayer({
          version: '0.22.0',
          layerArn: 'arn:aws:lambda:eu-west-1:111122223333:layer:x:1',
        }),
      },
      /either version or layerArn/,
    ],
    [
      'bad layer ARN',
      { collector: TracingCollector.lambdaLayer({ layerArn: 'my-layer' }) },
      /layerArn must be a Lambda layer version ARN/,
    ],
    [
      'non-Node.js runtime',
      { runtime: lambda.Runtime.PYTHON_3_12 },
      /runtime must be a Node.js runtime \(got python3.12\)/,
    ],
    ['empty handler', { handler: '' }, /handler must be the name of the exported function/],
    ['handler not an identifier', { handler: 'index.handler' }, /handler must be .* \(got 'index.handler'\)/],
    ['missing entry file', { entry: '/nowhere/handler.ts' }, /entry file not found: \/nowhere\/handler.ts/],
    ['code', { code: lambda.Code.fromInline('x') }, /code is not supported/],
    ['empty service name', { serviceName: ' ' }, /serviceName must not be empty/],
  ])('%s', (_name, props, message) => {
    expect(make(props)).toThrow(message);
  });

  test('a secret header without a collector names the fix', () => {
    const { stack } = newStack({ env: true });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Key',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf',
    );
    expect(() =>
      fn(stack, 'Fn', {
        collector: TracingCollector.none(),
        exporter: TracingExporter.otlp({
          endpoint: 'https://otlp.example.com',
          headers: { 'x-api-key': ExporterHeaderValue.fromSecret(secret) },
        }),
      }),
    ).toThrow(
      /exporter header 'x-api-key' reads a secret, which needs the collector: use TracingCollector.lambdaLayer\(\)/,
    );
  });

  test('collects every problem and throws once, naming the function', () => {
    expect(make({ samplingRatio: 2, flushTimeout: Duration.seconds(10), handler: '1x' })).toThrow(
      /TracedFunction TestStack\/Fn has invalid props:\n {2}- handler.*\n {2}- samplingRatio.*\n {2}- flushTimeout/,
    );
  });

  test('accepts Node.js 24', () => {
    const { stack } = newStack();
    fn(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x' });
  });
});

describe('cdk-nag: what a TracedFunction acknowledges, with the reason', () => {
  /** The acknowledgements (`Validations.of(x).acknowledge`) on a construct and its resource, after the synth. */
  function acknowledged(fnc: lambda.Function): Record<string, string> {
    (fnc.node.root as App).synth(); // the aspects run at synth
    const entries = [fnc, fnc.node.defaultChild!].flatMap((c) =>
      c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
    );
    return Object.assign({}, ...entries.map((m) => m.data as Record<string, string>));
  }

  test('Serverless-LambdaTracing always: it is traced with OpenTelemetry, not Lambda active tracing', () => {
    const { stack } = newStack();
    const reasons = acknowledged(fn(stack, 'Fn'));
    expect(reasons['Serverless::Serverless-LambdaTracing']).toMatch(
      /^traced with OpenTelemetry by cdk-serverless-tracing/,
    );
  });

  test('Serverless-LambdaDLQ when nothing invokes it asynchronously (an API, an SQS event source, nothing)', () => {
    const { stack } = newStack();
    const behindNothing = fn(stack, 'Fn');
    const consumer = fn(stack, 'Consumer');
    consumer.addEventSource(new SqsEventSource(new sqs.Queue(stack, 'Q')));
    const api = fn(stack, 'Api');
    api.addPermission('Api', { principal: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    for (const f of [behindNothing, consumer, api]) {
      expect(acknowledged(f)['Serverless::Serverless-LambdaDLQ']).toMatch(
        /^no asynchronous invoker of this function is declared in the app/,
      );
    }
  });

  test.each<[string, (stack: Stack, f: TracedFunction) => void]>([
    [
      'an SNS subscription',
      (stack, f) => new sns.Topic(stack, 'T').addSubscription(new LambdaSubscription(f)),
    ],
    [
      'an EventBridge rule',
      (stack, f) =>
        new events.Rule(stack, 'R', {
          schedule: events.Schedule.rate(Duration.hours(1)),
          targets: [new LambdaFunction(f)],
        }),
    ],
    [
      'an S3 notification',
      (_, f) => f.addPermission('S3', { principal: new iam.ServicePrincipal('s3.amazonaws.com') }),
    ],
    ['an asynchronous invoke configuration', (_, f) => f.configureAsyncInvoke({ retryAttempts: 1 })],
  ])('not Serverless-LambdaDLQ when it is invoked asynchronously: %s (the finding stays)', (_, wire) => {
    const { stack } = newStack();
    const f = fn(stack, 'Fn');
    wire(stack, f);
    expect(acknowledged(f)['Serverless::Serverless-LambdaDLQ']).toBeUndefined();
  });

  test('not Serverless-LambdaDLQ when it has a dead-letter queue (it complies)', () => {
    const { stack } = newStack();
    const f = fn(stack, 'Fn', { deadLetterQueueEnabled: true });
    expect(acknowledged(f)['Serverless::Serverless-LambdaDLQ']).toBeUndefined();
  });
});
