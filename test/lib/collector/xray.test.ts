import { App, Stack, Stage, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import {
  TracedFunction,
  TracedFunctionProps,
  TracingCollector,
  TracingExporter,
  TransactionSearch,
} from '../../../lib';
import { pinnedDistribution, validateCollectorConfig } from '../../../lib/collector/private/collector-config';
import { fixture, newStack, TEST_ENV } from '../../helpers/stack';

const ENTRY = fixture('hello.ts');
const SINGLETON = '/TestStack/CdkServerlessTracingTransactionSearch';
const SPANS_ARNS = [
  {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:aws/spans']],
  },
  {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:aws/spans:*'],
    ],
  },
];

function xrayFn(
  stack: Stack,
  id: string,
  transactionSearch: TransactionSearch,
  props: Partial<TracedFunctionProps> = {},
): TracedFunction {
  return new TracedFunction(stack, id, {
    entry: ENTRY,
    exporter: TracingExporter.xray({ transactionSearch }),
    ...props,
  });
}

/** The logical id of the one resource of a type whose id starts with a prefix. */
function idOf(template: Template, type: string, prefix = ''): string {
  const ids = Object.keys(template.findResources(type)).filter((k) => k.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** A custom resource's SDK call (the JSON of its Create/Update/Delete property). */
function sdkCall(template: Template, type: string, phase: 'Create' | 'Update' | 'Delete'): unknown {
  const [resource] = Object.values(template.findResources(type));
  const json = resource.Properties[phase];
  return json === undefined ? undefined : JSON.parse(json);
}

/** A `Fn::Join` of strings and `{ Ref: 'AWS::Partition' }`, as the string it is in the `aws` partition. */
function joined(value: unknown): string {
  const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((p) => (typeof p === 'string' ? p : (p as { Ref: string }).Ref === 'AWS::Partition' ? 'aws' : '?'))
    .join(sep);
}

describe('TracingExporter.xray with TransactionSearch.enable()', () => {
  let stack: Stack;
  let template: Template;
  let fn: TracedFunction;
  beforeAll(() => {
    ({ stack } = newStack({ env: true }));
    fn = xrayFn(stack, 'Fn', TransactionSearch.enable());
    xrayFn(stack, 'Other', TransactionSearch.enable());
    template = Template.fromStack(stack);
  });

  test("the function's role may only put trace segments, on '*' (besides writing its own log)", () => {
    const roleId = idOf(template, 'AWS::IAM::Role', 'FnServiceRole');
    const logGroupId = idOf(template, 'AWS::Logs::LogGroup', 'FnLogGroup');
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .map((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      // The role's own policy: its log group only (TracedFunction's execution role).
      [
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
      ],
      // The X-Ray export, in a policy of its own.
      [{ Action: 'xray:PutTraceSegments', Effect: 'Allow', Resource: '*' }],
    ]);
  });

  test('the function makes X-Ray trace ids and exports to its collector', () => {
    const [, props] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([k]) =>
      k.startsWith('Fn'),
    )!;
    expect(props.Properties.Environment.Variables).toMatchObject({
      TRACING_ID_FORMAT: 'xray',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
    });
  });

  test('the collector signs with sigv4auth for the X-Ray OTLP endpoint of the region', () => {
    const config = fn.collectorConfig!.config as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(() => validateCollectorConfig(config, pinnedDistribution())).not.toThrow();
    expect(config.extensions).toEqual({ sigv4auth: { region: '${env:AWS_REGION}', service: 'xray' } });
    expect(config.service.extensions).toEqual(['sigv4auth']);
    expect(config.exporters).toEqual({
      otlp_http: {
        traces_endpoint: 'https://xray.${env:AWS_REGION}.amazonaws.com/v1/traces',
        auth: { authenticator: 'sigv4auth' },
      },
    });
  });

  test('two functions share one configuration layer and one set of Transaction Search resources', () => {
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 1);
    template.resourceCountIs('AWS::XRay::TransactionSearchConfig', 1);
    template.resourceCountIs('Custom::SpansLogGroup', 1);
    template.resourceCountIs('Custom::SpansRetention', 1);
    expect(stack.node.tryFindChild('CdkServerlessTracingTransactionSearch')).toBeDefined();
  });

  test('the CloudWatch Logs resource policy lets X-Ray of this account write the spans', () => {
    const [policy] = Object.values(template.findResources('AWS::Logs::ResourcePolicy'));
    expect(policy.Properties.PolicyName).toBe('TransactionSearchAccess');
    expect(JSON.parse(joined(policy.Properties.PolicyDocument))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'TransactionSearchXRayAccess',
          Effect: 'Allow',
          Principal: { Service: 'xray.amazonaws.com' },
          Action: 'logs:PutLogEvents',
          Resource: [
            'arn:aws:logs:eu-west-1:123456789012:log-group:aws/spans:*',
            'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/application-signals/data:*',
          ],
          Condition: {
            ArnLike: { 'aws:SourceArn': 'arn:aws:xray:eu-west-1:123456789012:*' },
            StringEquals: { 'aws:SourceAccount': '123456789012' },
          },
        },
      ],
    });
  });

  test('the Transaction Search configuration indexes 1% and comes after the policy', () => {
    const policyId = idOf(template, 'AWS::Logs::ResourcePolicy');
    template.hasResource('AWS::XRay::TransactionSearchConfig', {
      Properties: { IndexingPercentage: 1 },
      DependsOn: [policyId],
    });
  });

  test('aws/spans is created when missing, nothing on update or delete', () => {
    expect(sdkCall(template, 'Custom::SpansLogGroup', 'Create')).toEqual({
      service: 'CloudWatchLogs',
      action: 'createLogGroup',
      parameters: { logGroupName: 'aws/spans' },
      physicalResourceId: { id: 'aws/spans' },
      ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
    });
    expect(sdkCall(template, 'Custom::SpansLogGroup', 'Update')).toBeUndefined();
    expect(sdkCall(template, 'Custom::SpansLogGroup', 'Delete')).toBeUndefined();
    template.hasResourceProperties('Custom::SpansLogGroup', { InstallLatestAwsSdk: false });
  });

  test('the retention of aws/spans is one month, put on create and update, never deleted', () => {
    const call = {
      service: 'CloudWatchLogs',
      action: 'putRetentionPolicy',
      parameters: { logGroupName: 'aws/spans', retentionInDays: 30 },
      physicalResourceId: { id: 'aws/spans-retention' },
    };
    expect(sdkCall(template, 'Custom::SpansRetention', 'Create')).toEqual(call);
    expect(sdkCall(template, 'Custom::SpansRetention', 'Update')).toEqual(call);
    expect(sdkCall(template, 'Custom::SpansRetention', 'Delete')).toBeUndefined();
    template.hasResourceProperties('Custom::SpansRetention', { InstallLatestAwsSdk: false });
  });

  test('the retention is put after the log group exists and Transaction Search is on', () => {
    template.hasResource('Custom::SpansRetention', {
      // (DependsOn is sorted)
      DependsOn: Match.arrayWith([
        idOf(template, 'AWS::XRay::TransactionSearchConfig'),
        idOf(template, 'Custom::SpansLogGroup'),
      ]),
    });
  });

  test('the custom resources may only create aws/spans and put its retention', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.exact([{ Action: 'logs:CreateLogGroup', Effect: 'Allow', Resource: SPANS_ARNS }]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.exact([
          { Action: 'logs:PutRetentionPolicy', Effect: 'Allow', Resource: SPANS_ARNS },
        ]),
      },
    });
    // The library's role for the provider function (not CDK's default with AWSLambdaBasicExecutionRole).
    const providerRole = idOf(
      template,
      'AWS::IAM::Role',
      'CdkServerlessTracingTransactionSearchProviderRole',
    );
    const providerPolicies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(providerRole),
    );
    // The two calls' policies and the role's own: writing to its log group.
    expect(providerPolicies).toHaveLength(3);
    expect(JSON.stringify(providerPolicies)).not.toContain('"*"');
  });

  test('the provider function of the custom resources logs to a group with a retention', () => {
    const providerFn = idOf(template, 'AWS::Lambda::Function', 'AWS679f53fac002430cb0da5b7982bd2287');
    const logGroup = idOf(template, 'AWS::Logs::LogGroup', 'CdkServerlessTracingTransactionSearchProvider');
    template.hasResource('AWS::Lambda::Function', {
      Properties: { LoggingConfig: { LogGroup: { Ref: logGroup } } },
    });
    expect(providerFn).toBeDefined();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('gives no warning', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('TransactionSearch.enable() options', () => {
  test('indexing percentage and spans retention', () => {
    const { stack } = newStack({ env: true });
    xrayFn(
      stack,
      'Fn',
      TransactionSearch.enable({ indexingPercentage: 20, spansRetention: logs.RetentionDays.ONE_YEAR }),
    );
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::XRay::TransactionSearchConfig', { IndexingPercentage: 20 });
    expect(sdkCall(template, 'Custom::SpansRetention', 'Create')).toMatchObject({
      parameters: { logGroupName: 'aws/spans', retentionInDays: 365 },
    });
  });

  test('a deploy-time indexing percentage (token) is passed on unchecked', () => {
    const { stack } = newStack({ env: true });
    xrayFn(
      stack,
      'Fn',
      TransactionSearch.enable({ indexingPercentage: Token.asNumber({ Ref: 'Indexing' }) }),
    );
    Template.fromStack(stack).hasResourceProperties('AWS::XRay::TransactionSearchConfig', {
      IndexingPercentage: { Ref: 'Indexing' },
    });
  });

  test('an environment-agnostic stack: the policy names the account and region of the deployment', () => {
    const { stack } = newStack();
    xrayFn(stack, 'Fn', TransactionSearch.enable());
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::Logs::ResourcePolicy'));
    const document = JSON.stringify(policy.Properties.PolicyDocument);
    expect(document).toContain('{"Ref":"AWS::AccountId"}');
    expect(document).toContain('{"Ref":"AWS::Region"}');
  });

  test('INFINITE spans retention: the retention policy is removed, with a warning', () => {
    const { stack } = newStack({ env: true });
    xrayFn(stack, 'Fn', TransactionSearch.enable({ spansRetention: logs.RetentionDays.INFINITE }));
    const template = Template.fromStack(stack);
    expect(sdkCall(template, 'Custom::SpansRetention', 'Create')).toEqual({
      service: 'CloudWatchLogs',
      action: 'deleteRetentionPolicy',
      parameters: { logGroupName: 'aws/spans' },
      physicalResourceId: { id: 'aws/spans-retention' },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.exact([
          { Action: 'logs:DeleteRetentionPolicy', Effect: 'Allow', Resource: SPANS_ARNS },
        ]),
      },
    });
    Annotations.fromStack(stack).hasWarning(
      SINGLETON,
      Match.stringLikeRegexp('spansRetention is INFINITE.*cdk-serverless-tracing:spansRetentionInfinite'),
    );
  });

  test("an AwsCustomResource of the user's came first: its provider keeps its own logging", () => {
    const { stack } = newStack({ env: true });
    new cr.AwsCustomResource(stack, 'Mine', {
      onCreate: {
        service: 'SSM',
        action: 'getParameter',
        parameters: { Name: 'x' },
        physicalResourceId: cr.PhysicalResourceId.of('x'),
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    xrayFn(stack, 'Fn', TransactionSearch.enable());
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::SpansRetention', 1);
    expect(
      Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((k) => k.includes('Provider')),
    ).toEqual([]);
  });
});

describe('TransactionSearch.alreadyEnabled()', () => {
  test('without spansRetention: creates nothing, warns that aws/spans retention is not managed', () => {
    const { stack } = newStack({ env: true });
    xrayFn(stack, 'Fn', TransactionSearch.alreadyEnabled());
    xrayFn(stack, 'Other', TransactionSearch.alreadyEnabled());
    const template = Template.fromStack(stack);
    for (const type of [
      'AWS::Logs::ResourcePolicy',
      'AWS::XRay::TransactionSearchConfig',
      'Custom::SpansLogGroup',
      'Custom::SpansRetention',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.exact([{ Action: 'xray:PutTraceSegments', Effect: 'Allow', Resource: '*' }]),
      },
    });
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('cdk-serverless-tracing:spansRetentionUnmanaged'),
    );
    // once per stack, not once per function
    expect(warnings.map((w) => w.id)).toEqual([SINGLETON]);
    expect(String(warnings[0].entry.data)).toMatch(
      /retention of the aws\/spans log group .* is not managed here/,
    );
  });

  test('with spansRetention: only the aws/spans retention', () => {
    const { stack } = newStack({ env: true });
    xrayFn(stack, 'Fn', TransactionSearch.alreadyEnabled({ spansRetention: logs.RetentionDays.TWO_WEEKS }));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
    template.resourceCountIs('AWS::XRay::TransactionSearchConfig', 0);
    template.resourceCountIs('Custom::SpansLogGroup', 1);
    expect(sdkCall(template, 'Custom::SpansRetention', 'Create')).toMatchObject({
      action: 'putRetentionPolicy',
      parameters: { logGroupName: 'aws/spans', retentionInDays: 14 },
    });
    template.hasResource('Custom::SpansRetention', {
      DependsOn: Match.arrayWith([idOf(template, 'Custom::SpansLogGroup')]),
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('invalid X-Ray export', () => {
  const make = (props: Partial<TracedFunctionProps>) => () =>
    new TracedFunction(newStack({ env: true }).stack, 'Fn', { entry: ENTRY, ...props });

  test('without the collector: an error naming exporter and the fix', () => {
    expect(
      make({
        collector: TracingCollector.none(),
        exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.enable() }),
      }),
    ).toThrow(
      /exporter TracingExporter.xray\(\) needs the collector \(it signs the export with SigV4\): use TracingCollector.lambdaLayer\(\)/,
    );
  });

  test.each([150, -1, NaN])('indexing percentage %s', (indexingPercentage) => {
    expect(
      make({
        exporter: TracingExporter.xray({
          transactionSearch: TransactionSearch.enable({ indexingPercentage }),
        }),
      }),
    ).toThrow(
      `exporter transactionSearch indexingPercentage must be between 0 and 100 (got ${indexingPercentage})`,
    );
  });

  test('without transactionSearch (from JavaScript)', () => {
    expect(
      make({ exporter: TracingExporter.xray({} as unknown as { transactionSearch: TransactionSearch }) }),
    ).toThrow(/TracingExporter.xray\(\) needs transactionSearch: TransactionSearch.enable\(\) in one stack/);
  });

  test('functions of one stack asking for different Transaction Search settings', () => {
    const { stack } = newStack({ env: true });
    xrayFn(stack, 'A', TransactionSearch.enable());
    expect(() => xrayFn(stack, 'B', TransactionSearch.enable({ indexingPercentage: 10 }))).toThrow(
      /TracedFunction TestStack\/B has invalid props:\n {2}- exporter transactionSearch TransactionSearch.enable\(\{ indexingPercentage: 10, spansRetention: 30 \}\) differs from .* of TestStack\/A/,
    );
    expect(() => xrayFn(stack, 'C', TransactionSearch.alreadyEnabled())).toThrow(/TracingSettings.set/);
  });
});

describe('Transaction Search across the stacks of an app', () => {
  const stackIn = (app: App, id: string, env?: { account: string; region: string }) =>
    new Stack(app, id, env ? { env } : {});
  const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const OTHER_REGION = { ...TEST_ENV, region: 'us-east-1' };

  test('two stacks enabling it in the same account and region: an error naming both and the fix', () => {
    const app = newApp();
    xrayFn(stackIn(app, 'Payments', TEST_ENV), 'Fn', TransactionSearch.enable());
    expect(() => xrayFn(stackIn(app, 'Orders', TEST_ENV), 'Fn', TransactionSearch.enable())).toThrow(
      "TracedFunction Orders/Fn has invalid props:\n  - exporter transactionSearch: stacks 'Payments' and 'Orders' " +
        'both use TransactionSearch.enable() for the same account and region (123456789012/eu-west-1), but ' +
        'Transaction Search exists once per account and region: use TransactionSearch.enable() in one of them ' +
        'and TransactionSearch.alreadyEnabled() in the others',
    );
  });

  test('two stacks enabling it when either has no concrete env: an error', () => {
    const app = newApp();
    xrayFn(stackIn(app, 'Payments', TEST_ENV), 'Fn', TransactionSearch.enable());
    expect(() => xrayFn(stackIn(app, 'Orders'), 'Fn', TransactionSearch.enable())).toThrow(
      /stacks 'Payments' and 'Orders' both use TransactionSearch.enable\(\) in one stage and at least one of them has no concrete account and region/,
    );
  });

  test('two stages (dev, prod) without a concrete env each enabling it: a warning naming both and the fix (the account is known only at deploy)', () => {
    const app = newApp();
    const dev = new Stack(new Stage(app, 'Dev'), 'Payments');
    const prod = new Stack(new Stage(app, 'Prod'), 'Payments');
    xrayFn(dev, 'Fn', TransactionSearch.enable({ indexingPercentage: 100 }));
    xrayFn(prod, 'Fn', TransactionSearch.enable());
    Template.fromStack(prod).resourceCountIs('AWS::XRay::TransactionSearchConfig', 1);
    Annotations.fromStack(prod).hasWarning(
      '*',
      "stacks 'Dev/Payments' and 'Prod/Payments' both use TransactionSearch.enable() and have no concrete " +
        'account and region (env): if they deploy to the same account and region, the second deploy fails ' +
        '(Transaction Search exists once per account and region). Give their stages an env ({ account, region }), ' +
        'or use TransactionSearch.alreadyEnabled() in one of them ' +
        '[ack: cdk-serverless-tracing:transactionSearchUnknownAccount]',
    );
    Annotations.fromStack(dev).hasNoWarning('*', Match.stringLikeRegexp('TransactionSearch.enable'));
  });

  test('two stages with their own accounts each enabling it: no warning; the same account and region: an error naming both', () => {
    const app = newApp();
    const dev = new Stack(new Stage(app, 'Dev', { env: TEST_ENV }), 'Payments');
    const prod = new Stack(
      new Stage(app, 'Prod', { env: { ...TEST_ENV, account: '210987654321' } }),
      'Payments',
    );
    xrayFn(dev, 'Fn', TransactionSearch.enable());
    xrayFn(prod, 'Fn', TransactionSearch.enable());
    Annotations.fromStack(prod).hasNoWarning('*', Match.stringLikeRegexp('TransactionSearch.enable'));
    const staging = new Stack(new Stage(app, 'Staging', { env: TEST_ENV }), 'Payments');
    expect(() => xrayFn(staging, 'Fn', TransactionSearch.enable())).toThrow(
      /stacks 'Dev\/Payments' and 'Staging\/Payments' both use TransactionSearch.enable\(\) for the same account and region/,
    );
  });

  test('enable() in one stack, alreadyEnabled() in the other: fine', () => {
    const app = newApp();
    xrayFn(stackIn(app, 'Payments', TEST_ENV), 'Fn', TransactionSearch.enable());
    const orders = stackIn(app, 'Orders', TEST_ENV);
    xrayFn(orders, 'Fn', TransactionSearch.alreadyEnabled());
    Template.fromStack(orders).resourceCountIs('AWS::XRay::TransactionSearchConfig', 0);
  });

  test('enable() in two regions: fine', () => {
    const app = newApp();
    xrayFn(stackIn(app, 'Payments', TEST_ENV), 'Fn', TransactionSearch.enable());
    const orders = stackIn(app, 'Orders', OTHER_REGION);
    xrayFn(orders, 'Fn', TransactionSearch.enable());
    Template.fromStack(orders).resourceCountIs('AWS::XRay::TransactionSearchConfig', 1);
  });

  test('two stacks setting different aws/spans retentions in the same account and region: an error', () => {
    const app = newApp();
    xrayFn(stackIn(app, 'Payments', TEST_ENV), 'Fn', TransactionSearch.enable());
    expect(() =>
      xrayFn(
        stackIn(app, 'Orders', TEST_ENV),
        'Fn',
        TransactionSearch.alreadyEnabled({ spansRetention: logs.RetentionDays.ONE_YEAR }),
      ),
    ).toThrow(
      /stacks 'Payments' and 'Orders' set different retentions of the aws\/spans log group \(30 and 365 days\)/,
    );
  });
});
