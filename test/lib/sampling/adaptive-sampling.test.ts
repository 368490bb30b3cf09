import { AspectPriority, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  AdaptiveSampling,
  FlowDashboard,
  SamplingMode,
  TracedFunction,
  TracedQueue,
  TracedTopic,
  TracingPolicy,
  TracingExporter,
  TracingGateway,
  TracingSettings,
} from '../../../lib';
import { flatten } from '../../../bin/local/dashboard-page';
import { BOOSTER_ENV } from '../../../layer/adaptive/booster';
import { bundledCode, fixture, newStack, plainFunction } from '../../helpers/stack';

// AdaptiveSampling in the template: the AppConfig resources that hold the boost, the rule on the
// alarms' changes to ALARM, the booster's least-privilege permissions, the default anomaly
// detection alarms, what each function of the flow gets, and the synth errors of bad props.

const ENTRY = fixture('hello.ts');
const traced = (
  stack: Stack,
  id: string,
  props: Partial<ConstructorParameters<typeof TracedFunction>[2]> = {},
) => new TracedFunction(stack, id, { entry: ENTRY, ...props });

function flow(options: { env?: boolean } = { env: true }) {
  const { app, stack } = newStack({ env: options.env });
  const api = traced(stack, 'Api');
  const worker = traced(stack, 'Worker', { architecture: lambda.Architecture.ARM_64 });
  return { app, stack, api, worker };
}

const resourcesOf = (template: Template, type: string) => template.findResources(type);

const idOf = (
  template: Template,
  type: string,
  predicate: (props: Record<string, unknown>) => boolean = () => true,
) => {
  const found = Object.entries(resourcesOf(template, type)).filter(([, r]) =>
    predicate((r as { Properties: Record<string, unknown> }).Properties ?? {}),
  );
  expect(found).toHaveLength(1);
  return found[0][0];
};

describe('the AppConfig resources', () => {
  const { stack, api, worker } = flow();
  new AdaptiveSampling(stack, 'Boost', { functions: [api, worker] });
  const template = Template.fromStack(stack);

  test('a hosted configuration profile, {} deployed with the stack by an all-at-once strategy without bake time', () => {
    template.resourceCountIs('AWS::AppConfig::Application', 1);
    template.resourceCountIs('AWS::AppConfig::Environment', 1);
    template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', { LocationUri: 'hosted' });
    template.hasResourceProperties('AWS::AppConfig::HostedConfigurationVersion', {
      Content: '{}',
      ContentType: 'application/json',
    });
    template.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', {
      GrowthFactor: 100,
      DeploymentDurationInMinutes: 0,
      FinalBakeTimeInMinutes: 0,
    });
    template.resourceCountIs('AWS::AppConfig::Deployment', 1);
  });

  test('the rule sends the alarms’ changes to ALARM, and only those, to the booster', () => {
    const booster = idOf(template, 'AWS::Lambda::Function', (p) =>
      JSON.stringify(p.Environment ?? {}).includes('BOOST_RATIO'),
    );
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('LatencyAnomaly'), 'Arn'] },
          { 'Fn::GetAtt': [Match.stringLikeRegexp('ErrorsAnomaly'), 'Arn'] },
        ],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [booster, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });

  test('default alarms: anomaly detection on the entry’s p99 duration and errors', () => {
    for (const [metricName, stat] of [
      ['Duration', 'p99'],
      ['Errors', 'Sum'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ComparisonOperator: 'GreaterThanUpperThreshold',
        ThresholdMetricId: 'band',
        TreatMissingData: 'notBreaching',
        Metrics: [
          Match.objectLike({
            Id: 'm1',
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: metricName,
                Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^Api') } }],
              },
              Period: 60,
              Stat: stat,
            }),
          }),
          Match.objectLike({ Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(m1, 2)' }),
        ],
      });
    }
  });

  test('the booster may write a version of this profile and deploy it to this environment, nothing else', () => {
    const boosterRole = (
      Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((r) =>
        JSON.stringify(r).includes('BOOST_RATIO'),
      ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }
    ).Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(boosterRole),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0] as { Properties: { PolicyDocument: { Statement: unknown[] } } })
      .Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(3);
    expect(JSON.stringify(statements)).not.toContain('"*"');
    const [logsStatement, create, deploy] = statements as { Action: string | string[]; Resource: unknown }[];
    expect(logsStatement.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(logsStatement.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/BoosterLogGroup/), 'Arn'],
    });
    expect(create.Action).toBe('appconfig:CreateHostedConfigurationVersion');
    expect(JSON.stringify(create.Resource)).toMatch(/configurationprofile\/.*Boost/);
    expect(deploy.Action).toBe('appconfig:StartDeployment');
    expect(deploy.Resource).toHaveLength(3);
    const text = JSON.stringify(statements);
    expect(text).toContain('configurationprofile/');
    expect(text).toContain('environment/');
    expect(text).toContain('deploymentstrategy/');
  });

  test('the booster is not traced, has the ids, the ratio and the duration, and a log group with retention', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BOOST_RATIO: '1',
          BOOST_DURATION_SECONDS: '900',
          BOOST_APPLICATION_ID: { Ref: Match.stringLikeRegexp('Application') },
          BOOST_ENVIRONMENT_ID: { Ref: Match.stringLikeRegexp('Environment') },
          BOOST_CONFIGURATION_PROFILE_ID: { Ref: Match.stringLikeRegexp('Boost') },
          BOOST_DEPLOYMENT_STRATEGY_ID: { Ref: Match.stringLikeRegexp('AllAtOnce') },
        }),
      },
      Layers: Match.absent(),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    // The names the construct sets are the ones the booster reads (lib/ and layer/ share no code).
    const booster = Object.values(
      template.findResources('AWS::Lambda::Function') as Record<
        string,
        { Properties: { Environment?: { Variables?: Record<string, unknown> } } }
      >,
    ).find((f) => f.Properties.Environment?.Variables?.BOOST_RATIO !== undefined)!;
    expect(Object.keys(booster.Properties.Environment!.Variables!).sort()).toEqual(
      expect.arrayContaining(Object.values(BOOSTER_ENV).sort()),
    );
    const boosterRole = Object.entries(resourcesOf(template, 'AWS::IAM::Role')).find(([id]) =>
      id.includes('BoosterRole'),
    )!;
    expect(
      (boosterRole[1] as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns,
    ).toBeUndefined();
  });

  test('each function gets the extension layer of its region and architecture, the path and read access', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith(['arn:aws:lambda:eu-west-1:434848589818:layer:AWS-AppConfig-Extension:125']),
      Environment: {
        Variables: Match.objectLike({
          TRACING_ADAPTIVE_CONFIG: {
            'Fn::Join': [
              '',
              [
                '/applications/',
                { Ref: Match.stringLikeRegexp('Application') },
                '/environments/',
                { Ref: Match.stringLikeRegexp('Environment') },
                '/configurations/',
                { Ref: Match.stringLikeRegexp('Boost') },
              ],
            ],
          },
          AWS_APPCONFIG_EXTENSION_PREFETCH_LIST: Match.anyValue(),
          AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS: '45',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.arrayWith([
        'arn:aws:lambda:eu-west-1:434848589818:layer:AWS-AppConfig-Extension-Arm64:63',
      ]),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':appconfig:eu-west-1:123456789012:application/',
                  { Ref: Match.stringLikeRegexp('Application') },
                  '/environment/',
                  { Ref: Match.stringLikeRegexp('Environment') },
                  '/configuration/',
                  { Ref: Match.stringLikeRegexp('Boost') },
                ],
              ],
            },
          }),
        ]),
      },
    });
  });
});

test('given alarms replace the defaults', () => {
  const { stack, api } = flow();
  const alarm = cloudwatch.Alarm.fromAlarmArn(
    stack,
    'Mine',
    'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mine',
  );
  new AdaptiveSampling(stack, 'Boost', {
    functions: [api],
    alarms: [alarm],
    boostRatio: 0.5,
    boostDuration: Duration.hours(1),
  });
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mine'] }),
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ BOOST_RATIO: '0.5', BOOST_DURATION_SECONDS: '3600' }) },
  });
});

test('an environment-agnostic stack reads the layer from a mapping of the listed regions', () => {
  const { stack, api } = flow({ env: false });
  new AdaptiveSampling(stack, 'Boost', { functions: [api] });
  const template = Template.fromStack(stack).toJSON() as {
    Mappings: Record<string, Record<string, Record<string, string>>>;
  };
  const mapping = template.Mappings.AppConfigAgentLambdaExtensionLayers;
  expect(mapping['eu-west-1'].amd64).toBe(
    'arn:aws:lambda:eu-west-1:434848589818:layer:AWS-AppConfig-Extension:125',
  );
  expect(mapping['us-east-1'].arm64).toBe(
    'arn:aws:lambda:us-east-1:027255383542:layer:AWS-AppConfig-Extension-Arm64:61',
  );
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
    Layers: Match.arrayWith([
      { 'Fn::FindInMap': ['AppConfigAgentLambdaExtensionLayers', { Ref: 'AWS::Region' }, 'amd64'] },
    ]),
  });
});

test('extensionLayerArn is used as it is', () => {
  const { stack, api } = flow();
  const arn = 'arn:aws:lambda:eu-west-1:111111111111:layer:my-appconfig:3';
  new AdaptiveSampling(stack, 'Boost', { functions: [api], extensionLayerArn: arn });
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
    Layers: Match.arrayWith([arn]),
  });
});

test('a function a TracingPolicy traces is accepted; an untraced one fails the synth', () => {
  const { app, stack } = newStack({ env: true });
  const plain = plainFunction(stack, 'Plain');
  new AdaptiveSampling(stack, 'Boost', { functions: [plain] });
  expect(() => app.synth()).toThrow(
    /functions\[0\] TestStack\/Plain is not traced, so nothing reads the boost: use a TracedFunction, or put the function under a TracingPolicy/,
  );

  const other = newStack({ env: true });
  const fn = plainFunction(other.stack, 'Plain');
  new AdaptiveSampling(other.stack, 'Boost', { functions: [fn] });
  Aspects.of(other.stack).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
  expect(() => other.app.synth()).not.toThrow();
});

describe('bad props fail the synth, naming the prop and the fix', () => {
  const make = (
    props: Partial<ConstructorParameters<typeof AdaptiveSampling>[2]>,
    settings?: { maxSamplingRatio: number },
  ) => {
    const { stack } = newStack({ env: true });
    if (settings) TracingSettings.set(stack, { ...settings, samplingRatio: 0.01 });
    const api = traced(stack, 'Api');
    return () => new AdaptiveSampling(stack, 'Boost', { functions: [api], ...props });
  };

  test.each([
    [{ boostRatio: 0 }, 'boostRatio must be above 0 and at most 1 (got 0)'],
    [{ boostRatio: 1.5 }, 'boostRatio must be above 0 and at most 1 (got 1.5)'],
    [
      { boostDuration: Duration.seconds(30) },
      'boostDuration must be between 1 minute and 6 hours (got 30 seconds)',
    ],
    [
      { boostDuration: Duration.hours(7) },
      'boostDuration must be between 1 minute and 6 hours (got 7 hours)',
    ],
    [
      { pollInterval: Duration.seconds(5) },
      'pollInterval must be between 15 seconds and 10 minutes (got 5 seconds)',
    ],
    [{ alarms: [] }, 'alarms is empty, so nothing would start a boost'],
    [
      { functions: [] },
      'functions is empty: list the traced functions that read the boost, or leave it out for the entry alone',
    ],
  ])('%p', (props, message) => {
    expect(make(props)).toThrow(message);
  });

  test('a boost above the budget', () => {
    expect(make({ boostRatio: 0.5 }, { maxSamplingRatio: 0.1 })).toThrow(
      "boostRatio 0.5 is above the sampling budget maxSamplingRatio 0.1 set by TracingSettings on 'TestStack': lower boostRatio or raise the budget",
    );
  });

  test('with a budget and no boostRatio, the boost is the budget', () => {
    const { stack } = newStack({ env: true });
    TracingSettings.set(stack, { maxSamplingRatio: 0.2 });
    const api = traced(stack, 'Api', { samplingRatio: 0.01 });
    expect(new AdaptiveSampling(stack, 'Boost', { functions: [api] }).boostRatio).toBe(0.2);
  });

  test('a function whose collector samples span by span', () => {
    const { stack } = newStack({ env: true });
    const fn = traced(stack, 'Collector', { samplingMode: SamplingMode.COLLECTOR });
    expect(() => new AdaptiveSampling(stack, 'Boost', { functions: [fn] })).toThrow(
      /functions\[0\] TestStack\/Collector uses samplingMode collector: its collector decides span by span and would not keep a boosted trace whole; use SamplingMode.HEAD or SamplingMode.TAIL/,
    );
    expect(() => new AdaptiveSampling(stack, 'Boost2', { entry: fn })).toThrow(
      /entry TestStack\/Collector uses samplingMode collector/,
    );
  });

  test('a function in two AdaptiveSampling constructs', () => {
    const { stack } = newStack({ env: true });
    const api = traced(stack, 'Api');
    new AdaptiveSampling(stack, 'Boost', { entry: api });
    expect(() => new AdaptiveSampling(stack, 'Again', { functions: [traced(stack, 'Other'), api] })).toThrow(
      'AdaptiveSampling TestStack/Again: functions[1] TestStack/Api already reads the boost of AdaptiveSampling TestStack/Boost, and a function reads one boost',
    );
  });

  test('neither entry nor functions; an imported entry without functions', () => {
    const { stack } = newStack({ env: true });
    expect(() => new AdaptiveSampling(stack, 'Boost', {})).toThrow(
      'give entry (the function where the flow starts), or functions',
    );
    const imported = lambda.Function.fromFunctionArn(
      stack,
      'Imported',
      'arn:aws:lambda:eu-west-1:123456789012:function:imported',
    );
    expect(() => new AdaptiveSampling(stack, 'Boost2', { entry: imported })).toThrow(
      'entry TestStack/Imported is not a lambda.Function (an imported one cannot get the extension layer): give functions',
    );
  });

  test('a region the layer table does not list', () => {
    const { stack } = newStack({
      stackProps: { env: { account: '123456789012', region: 'ap-southeast-5' } },
    });
    const fn = traced(stack, 'Api');
    expect(() => new AdaptiveSampling(stack, 'Boost', { functions: [fn] })).toThrow(
      /no layer listed for ap-southeast-5 \(x86_64\) in aws-cdk-lib's table: give extensionLayerArn/,
    );
  });
});

test('the booster bundles from layer/adaptive/booster.ts, with the AWS SDK left to the Node.js runtime', () => {
  const { app, stack } = newStack({ env: true, bundle: true });
  const fn = new lambda.Function(stack, 'Plain', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
  });
  const boost = new AdaptiveSampling(stack, 'Boost', { functions: [fn] });
  Aspects.of(stack).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
  const id = stack.getLogicalId(boost.booster.node.defaultChild as lambda.CfnFunction);
  const files = bundledCode(app, stack, id);
  const code = files['index.js'];
  expect(code).toContain('CloudWatch Alarm State Change');
  expect(code).toMatch(/require\("@aws-sdk\/client-appconfig"\)/);
  expect(code.length).toBeLessThan(20_000);
});

describe('from the entry alone, along the trace map', () => {
  // api → TracedQueue → worker: the flow of api reaches worker.
  function queued(mode?: SamplingMode) {
    const { app, stack } = newStack({ env: true });
    if (mode === SamplingMode.TAIL) {
      TracingSettings.set(stack, {
        samplingMode: mode,
        exporter: TracingExporter.gateway(new TracingGateway(stack, 'Gateway')),
      });
      mode = undefined;
    }
    const api = traced(stack, 'Api', mode ? { samplingMode: mode } : {});
    const worker = traced(stack, 'Worker', mode ? { samplingMode: mode } : {});
    const jobs = new TracedQueue(stack, 'Jobs');
    jobs.grantSend(api);
    jobs.addConsumer(worker);
    return { app, stack, api, worker };
  }
  const layerOf = (template: Template) =>
    Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, r]) => JSON.stringify(r).includes('AWS-AppConfig-Extension'))
      .map(([id]) => id);

  test('only the entry reads the boost: what it reaches follows its decision', () => {
    const { stack, api } = queued();
    const boost = new AdaptiveSampling(stack, 'Boost', { entry: api });
    expect(boost.functions).toEqual([api]);
    expect(layerOf(Template.fromStack(stack))).toEqual([
      stack.getLogicalId(api.node.defaultChild as lambda.CfnFunction),
    ]);
  });

  test('the errors alarm sums the Errors of every function of the flow, each filled with 0', () => {
    const { stack, api, worker } = queued();
    new AdaptiveSampling(stack, 'Boost', { entry: api });
    const template = Template.fromStack(stack);
    const ref = (fn: lambda.Function) => ({
      Ref: stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction),
    });
    const errors = (id: string, fn: lambda.Function) => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: ref(fn) }],
        },
        Period: 60,
        Stat: 'Sum',
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ThresholdMetricId: 'band',
      EvaluationPeriods: 2,
      Metrics: [
        errors('e0', api),
        errors('e1', worker),
        {
          Id: 'm1',
          Expression: 'SUM([FILL(e0, 0), FILL(e1, 0)])',
          Label: 'errors of the flow',
          ReturnData: true,
        },
        {
          Id: 'band',
          Expression: 'ANOMALY_DETECTION_BAND(m1, 2)',
          Label: 'errors (expected)',
          ReturnData: true,
        },
      ],
    });
    // Latency stays the entry's own.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      EvaluationPeriods: 3,
      Metrics: [
        Match.objectLike({
          Id: 'm1',
          MetricStat: Match.objectLike({
            Stat: 'p99',
            Metric: Match.objectLike({ Dimensions: [{ Name: 'FunctionName', Value: ref(api) }] }),
          }),
        }),
        Match.objectLike({ Id: 'band' }),
      ],
    });
  });

  test('a flow of more than 10 functions: the first 10 in flow order (the map orders Q10 before Q2), and a warning naming the rest', () => {
    const { app, stack } = newStack({ env: true });
    const api = traced(stack, 'Api');
    const topic = new TracedTopic(stack, 'Fanout');
    topic.grantPublish(api);
    for (let i = 0; i < 11; i++) {
      const queue = new TracedQueue(stack, `Q${i}`);
      topic.addQueueSubscription(queue);
      queue.addConsumer(traced(stack, `W${i}`));
    }
    new AdaptiveSampling(stack, 'Boost', { entry: api });
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((r) =>
      flatten(r.Properties.AlarmDescription).startsWith('The errors'),
    )!;
    const stats = (alarm.Properties.Metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat);
    expect(stats).toHaveLength(10);
    const warnings = assembly
      .getStackByName(stack.stackName)
      .messages.filter((m) => String(m.entry.data).includes('adaptiveFlowErrors'))
      .map((m) => String(m.entry.data));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /the first 10 of the flow's 12 functions .* leaves out TestStack\/W8, TestStack\/W9: give alarms/,
    );
  });

  test('an entry the trace map does not know fails the synth, naming its entries', () => {
    const { app, stack } = newStack({ env: true });
    traced(stack, 'Api');
    const plain = plainFunction(stack, 'Plain');
    new AdaptiveSampling(stack, 'Boost', { entry: plain });
    expect(() => app.synth()).toThrow(
      /entry: TestStack\/Plain is not a function of the trace map \(its entry functions: TestStack\/Api/,
    );
  });

  test('tail sampling: accepted (the gateway keeps every boosted trace)', () => {
    const { stack, api } = queued(SamplingMode.TAIL);
    expect(() => new AdaptiveSampling(stack, 'Boost', { entry: api })).not.toThrow();
  });
});

test('the booster keeps its logs as the settings say, or as logRetention says', () => {
  const { stack } = newStack({ env: true });
  TracingSettings.set(stack, { logRetention: logs.RetentionDays.ONE_WEEK });
  new AdaptiveSampling(stack, 'Boost', { entry: traced(stack, 'Api') });
  new AdaptiveSampling(stack, 'Boost2', {
    entry: traced(stack, 'Other'),
    logRetention: logs.RetentionDays.ONE_YEAR,
  });
  const retention = (id: string) =>
    Object.entries(Template.fromStack(stack).findResources('AWS::Logs::LogGroup')).find(([logicalId]) =>
      logicalId.startsWith(id),
    )?.[1].Properties.RetentionInDays;
  expect(retention('BoostBoosterLogGroup')).toBe(7);
  expect(retention('Boost2BoosterLogGroup')).toBe(365);
});

test('each default alarm says what the boost did, where to see it, and links the traces and the dashboard', () => {
  const { stack } = newStack({ env: true });
  const api = traced(stack, 'Api', { serviceName: 'shop-api' });
  const boost = new AdaptiveSampling(stack, 'Boost', { entry: api, boostRatio: 0.5 });
  new FlowDashboard(stack, 'Dashboard', { entry: api, alarms: boost.alarms, dashboardName: 'shop' });
  const descriptions = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map(
    (r) => flatten(r.Properties.AlarmDescription),
  );
  expect(descriptions).toHaveLength(2);
  const [latency, errors] = descriptions.sort((a, b) => b.localeCompare(a));
  for (const text of [latency, errors]) {
    expect(text).toContain(
      'new traces of the flow are sampled at 0.5 for 15 minutes (adaptive sampling), then sampling falls back by itself',
    );
    expect(text).toMatch(
      /First query: Logs Insights on .*BoostBoosterLogGroup.*filter @message like \/adaptive sampling boosted\|ERROR\//,
    );
    expect(text).toContain(
      'Dashboard: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/shop',
    );
  }
  expect(latency).toMatch(/^The p99 duration of TestStack\/Api is above its anomaly detection band: /);
  expect(latency).toContain(
    "Traces of the entry: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/query?~(query~(expression~'service*28*22shop-api*22*29')",
  );
  expect(errors).toMatch(/^The errors of the flow of TestStack\/Api/);
  expect(errors).toContain('Error traces of the entry: https://eu-west-1.console.aws.amazon.com/');
});
