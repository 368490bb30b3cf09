import { AspectPriority, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AdaptiveSampling, SamplingMode, TracedFunction, TracingPolicy, TracingSettings } from '../../../lib';
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
    [{ functions: [] }, 'functions must list at least one traced function of the flow'],
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

  test('a function that does not sample at the head', () => {
    const { stack } = newStack({ env: true });
    const fn = traced(stack, 'Collector', { samplingMode: SamplingMode.COLLECTOR });
    expect(() => new AdaptiveSampling(stack, 'Boost', { functions: [fn] })).toThrow(
      /functions\[0\] TestStack\/Collector uses samplingMode collector: a boost raises the head ratio/,
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
