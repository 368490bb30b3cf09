import { createHash } from 'crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, AspectPriority, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { PaymentStack } from '../../../bin/example/payment-stack';
import { decodeMap } from '../../../layer/check/canary-handler';
import { expectedHops } from '../../../layer/check/expected';
import { CanaryBackend, TraceContinuityCanary, TraceExpectation, TracingPolicy } from '../../../lib';
import { encodeSlice, mapSlice } from '../../../lib/canary/private/map-slice';
import type { TraceMap } from '../../../lib/trace-map/trace-map';

const FIXTURE_MAP = path.join(__dirname, '..', '..', 'layer', 'check', 'fixtures', 'trace-map.json');

/** The example payment stack in an app that skips bundling (unless asked). */
function paymentStack(options: { bundle?: boolean; outdir?: string } = {}) {
  const app = new App({
    outdir: options.outdir,
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new PaymentStack(app, 'Payments', { canary: false });
  return { app, stack };
}

type Resource = { Properties: Record<string, unknown> };

function only(template: Template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type) as Record<string, Resource>);
  expect(found).toHaveLength(1);
  return found[0];
}

function canaryResources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type) as Record<string, Resource>).filter(([id]) =>
    id.startsWith('Canary'),
  );
}

describe('with the defaults', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'canary-'));
  const { app, stack } = paymentStack({ outdir });
  const canary = new TraceContinuityCanary(stack, 'Canary', { entry: stack.authorize });
  const template = Template.fromStack(stack);
  const canaryFunctionId = stack.getLogicalId(canary.function.node.defaultChild as lambda.CfnFunction);
  const authorizeId = stack.getLogicalId(stack.authorize.node.defaultChild as lambda.CfnFunction);
  const env = () =>
    template.toJSON().Resources[canaryFunctionId].Properties.Environment.Variables as Record<string, unknown>;

  test('runs every 15 minutes, at the start of each alarm period', () => {
    // The example's other rule is its adaptive sampling booster's.
    const [[, rule], ...others] = canaryResources(template, 'AWS::Events::Rule');
    expect(others).toEqual([]);
    expect(rule.Properties).toEqual({
      Description: 'Runs the trace continuity canary of Payments/Authorize',
      ScheduleExpression: 'cron(0/15 * * * ? *)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [canaryFunctionId, 'Arn'] }, Id: 'Target0' }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [canaryFunctionId, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  test('IAM: invoke the entry, read X-Ray, put metrics in its namespace, write its log; nothing else', () => {
    const roleId = stack.getLogicalId(canary.role.node.defaultChild as never);
    const logGroupId = stack.getLogicalId(canary.logGroup.node.defaultChild as never);
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
    ).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [authorizeId, 'Arn'] },
        },
        // X-Ray's trace retrieval (Transaction Search on, as TracingExporter.xray needs); its
        // actions have no resource-level permissions.
        {
          Effect: 'Allow',
          Action: ['xray:StartTraceRetrieval', 'xray:ListRetrievedTraces'],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: 'cloudwatch:PutMetricData',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkServerlessTracing' } },
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
      ],
    });
    // The role itself: assumed by Lambda, no managed policy (not even AWSLambdaBasicExecutionRole).
    expect(template.toJSON().Resources[roleId].Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
        Version: '2012-10-17',
      },
      Description: 'Trace continuity canary of Payments/Authorize',
    });
  });

  test('the alarm: MissingHops ≥ 1 over one 15-minute period, missing data breaching', () => {
    const [, alarm] = canaryResources(template, 'AWS::CloudWatch::Alarm')[0];
    // A runbook: what it means, the first query (on the canary's log group), the entry's traces.
    const description = JSON.stringify(alarm.Properties.AlarmDescription);
    expect(description).toContain(
      'The trace of a request to Payments/Authorize misses hops of the trace map, or the canary did not report.\\n' +
        'First query: Logs Insights on ',
    );
    expect(description).toContain(`{"Ref":"${canaryResources(template, 'AWS::Logs::LogGroup')[0][0]}"}`);
    expect(description).toContain(
      "#xray:traces/query?~(query~(expression~'service*28*22payments-authorize*22*29')",
    );
    expect(alarm.Properties).toEqual({
      AlarmDescription: expect.anything(),
      Namespace: 'CdkServerlessTracing',
      MetricName: 'MissingHops',
      Dimensions: [{ Name: 'EntryFunction', Value: { Ref: authorizeId } }],
      Statistic: 'Maximum',
      Period: 900,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
    expect(canary.alarm).toBeInstanceOf(cloudwatch.Alarm);
    const metric = canary.metricMissingHops();
    expect([metric.namespace, metric.metricName, metric.statistic, metric.period.toMinutes()]).toEqual([
      'CdkServerlessTracing',
      'MissingHops',
      'Maximum',
      15,
    ]);
    expect(stack.resolve(metric.dimensions)).toEqual({ EntryFunction: { Ref: authorizeId } });
    const found = canary.metricTraceFound();
    expect([found.metricName, found.statistic]).toEqual(['TraceFound', 'Minimum']);
  });

  test('the function: what it needs to run the check, its own log group, no retries', () => {
    const fn = template.toJSON().Resources[canaryFunctionId].Properties;
    const logGroupId = stack.getLogicalId(canary.logGroup.node.defaultChild as never);
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      // 2 minutes of waiting, the entry's 10 seconds, 30 seconds to report.
      Timeout: 160,
      Role: { 'Fn::GetAtt': [stack.getLogicalId(canary.role.node.defaultChild as never), 'Arn'] },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
    });
    expect(fn.TracingConfig).toBeUndefined();
    expect(fn.Layers).toBeUndefined();
    expect(Object.keys(env()).sort()).toEqual([
      'TRACE_CHECK_BACKEND',
      'TRACE_CHECK_ENTRY',
      'TRACE_CHECK_FUNCTION_NAME',
      'TRACE_CHECK_MAP',
      'TRACE_CHECK_METRIC_NAMESPACE',
      'TRACE_CHECK_POLL_INTERVAL_MS',
      'TRACE_CHECK_TIMEOUT_MS',
    ]);
    expect(env()).toMatchObject({
      TRACE_CHECK_FUNCTION_NAME: { Ref: authorizeId },
      TRACE_CHECK_ENTRY: 'Payments/Authorize',
      TRACE_CHECK_BACKEND: 'xray',
      TRACE_CHECK_TIMEOUT_MS: '120000',
      TRACE_CHECK_POLL_INTERVAL_MS: '5000',
      TRACE_CHECK_METRIC_NAMESPACE: 'CdkServerlessTracing',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 30,
    });
    expect(only(template, 'AWS::Lambda::EventInvokeConfig')[1].Properties).toMatchObject({
      FunctionName: { Ref: canaryFunctionId },
      MaximumRetryAttempts: 0,
    });
  });

  test("the map it carries gives the same hops as the app's trace-map.json", () => {
    app.synth();
    const written = JSON.parse(readFileSync(path.join(outdir, 'trace-map.json'), 'utf8')) as TraceMap;
    const carried = decodeMap(env().TRACE_CHECK_MAP as string);
    expect(expectedHops(carried, 'Payments/Authorize').hops).toEqual(
      expectedHops(written, 'Payments/Authorize').hops,
    );
    // Only what the check reads.
    expect(carried.nodes.every((n) => n.stack === undefined)).toBe(true);
    // The canary itself is no node of the map.
    expect(written.nodes.some((n) => n.id.startsWith('Payments/Canary'))).toBe(false);
  });
});

test('under a TracingPolicy the canary stays untraced, and says why', () => {
  const { app, stack } = paymentStack();
  Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
  const canary = new TraceContinuityCanary(stack, 'Canary', { entry: stack.authorize });
  const template = Template.fromStack(stack);
  const fn =
    template.toJSON().Resources[stack.getLogicalId(canary.function.node.defaultChild as never)].Properties;
  expect(fn.Handler).toBe('index.handler');
  expect(fn.Layers).toBeUndefined();
  expect(fn.Environment.Variables.OTEL_SERVICE_NAME).toBeUndefined();
  Annotations.fromStack(stack).hasInfo(
    '/Payments/Canary/Function',
    Match.stringLikeRegexp('is not traced \\(TracingPolicy.optOut: the trace continuity canary'),
  );
});

test('X-Ray with Transaction Search off: BatchGetTraces, and only that X-Ray action', () => {
  const { stack } = paymentStack();
  const canary = new TraceContinuityCanary(stack, 'Canary', {
    entry: stack.authorize,
    backend: CanaryBackend.xrayBatchGetTraces(),
  });
  const template = Template.fromStack(stack);
  const fn =
    template.toJSON().Resources[stack.getLogicalId(canary.function.node.defaultChild as never)].Properties;
  expect(fn.Environment.Variables.TRACE_CHECK_BACKEND).toBe('xray-batch');
  const roleId = stack.getLogicalId(canary.role.node.defaultChild as never);
  const [policy] = Object.values(
    template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
  ).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
  const document = policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
  const xrayStatements = document.Statement.filter((st) => JSON.stringify(st.Action).includes('xray:'));
  expect(xrayStatements).toEqual([{ Effect: 'Allow', Action: 'xray:BatchGetTraces', Resource: '*' }]);
});

test('options: Jaeger, a rate, the alarm, a namespace, a payload, the retention', () => {
  const { stack } = paymentStack();
  const canary = new TraceContinuityCanary(stack, 'Canary', {
    entry: stack.authorize,
    backend: CanaryBackend.jaeger('https://jaeger.example.com'),
    schedule: events.Schedule.rate(Duration.minutes(30)),
    timeout: Duration.minutes(5),
    pollInterval: Duration.seconds(15),
    alarm: { threshold: 2, evaluationPeriods: 3, alarmName: 'payments-trace-continuity' },
    metricNamespace: 'Payments/Canaries',
    payload: { amount: 1, currency: 'EUR', cardToken: 'tok_canary' },
    logRetention: logs.RetentionDays.ONE_WEEK,
  });
  const template = Template.fromStack(stack);
  const fn =
    template.toJSON().Resources[stack.getLogicalId(canary.function.node.defaultChild as never)].Properties;
  expect(fn.Timeout).toBe(340);
  expect(fn.Environment.Variables).toMatchObject({
    TRACE_CHECK_BACKEND: 'jaeger=https://jaeger.example.com',
    TRACE_CHECK_TIMEOUT_MS: '300000',
    TRACE_CHECK_POLL_INTERVAL_MS: '15000',
    TRACE_CHECK_METRIC_NAMESPACE: 'Payments/Canaries',
    TRACE_CHECK_BODY: '{"amount":1,"currency":"EUR","cardToken":"tok_canary"}',
  });
  template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(30 minutes)' });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: 'payments-trace-continuity',
    Namespace: 'Payments/Canaries',
    Period: 1800,
    Threshold: 2,
    EvaluationPeriods: 3,
    TreatMissingData: 'breaching',
  });
  template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  const [, policy] = canaryResources(template, 'AWS::IAM::Policy')[0];
  const statements = (policy.Properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement;
  // No X-Ray permission for a Jaeger backend.
  expect(statements.map((s) => s.Action)).toEqual([
    'lambda:InvokeFunction',
    'cloudwatch:PutMetricData',
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
  ]);
  expect(JSON.stringify(statements)).toContain('"cloudwatch:namespace":"Payments/Canaries"');
});

test('a trace map file of another app, and an imported entry function', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Canaries');
  const entry = lambda.Function.fromFunctionArn(
    stack,
    'Authorize',
    'arn:aws:lambda:eu-west-1:123456789012:function:Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s',
  );
  const canary = new TraceContinuityCanary(stack, 'Canary', {
    entry,
    expected: TraceExpectation.fromTraceMapFile(FIXTURE_MAP, { stack: 'Prod/Payments' }),
  });
  const template = Template.fromStack(stack);
  const fn =
    template.toJSON().Resources[stack.getLogicalId(canary.function.node.defaultChild as never)].Properties;
  // The entry's timeout is not known: a minute is allowed for the invocation.
  expect(fn.Timeout).toBe(210);
  expect(fn.Environment.Variables).toMatchObject({
    TRACE_CHECK_FUNCTION_NAME: 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s',
    TRACE_CHECK_ENTRY: 'Prod/Payments/Authorize',
  });
  const carried = decodeMap(fn.Environment.Variables.TRACE_CHECK_MAP);
  expect(expectedHops(carried, 'Prod/Payments/Authorize').hops.map((h) => h.label)).toEqual([
    'Authorize',
    'Authorize → Payments',
    'Authorize → fraud-api',
    'Audit',
    'Reconcile',
  ]);
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: Match.objectLike({
      Statement: Match.arrayWith([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource:
            'arn:aws:lambda:eu-west-1:123456789012:function:Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s',
        },
      ]),
    }),
  });
});

test('bad props: one error that names each prop', () => {
  const { stack } = paymentStack();
  expect(
    () =>
      new TraceContinuityCanary(stack, 'Canary', {
        entry: stack.authorize,
        schedule: events.Schedule.cron({ minute: '5', hour: '*/2' }),
        timeout: Duration.minutes(15),
        pollInterval: Duration.millis(500),
        alarm: { threshold: 0, evaluationPeriods: 1.5 },
        metricNamespace: 'AWS/Lambda',
        backend: CanaryBackend.tempo('ftp://tempo.example.com'),
        payload: { amount: BigInt(1) },
        expected: TraceExpectation.fromTraceMapFile('/nowhere/trace-map.json'),
      }),
  ).toThrow(
    [
      'TraceContinuityCanary Payments/Canary has invalid props:',
      '  - pollInterval must be at least 1 second (got 500 millis)',
      "  - timeout: a run takes up to 15 minutes 40 seconds (timeout 15 minutes, the entry's timeout 10 seconds and 30 seconds), more than Lambda's 15 minutes; shorten timeout",
      '  - alarm.threshold must be a whole number of missing hops, at least 1 (got 0)',
      '  - alarm.evaluationPeriods must be a whole number, at least 1 (got 1.5)',
      "  - alarm.period: the schedule 'cron(5 */2 * * ? *)' has no fixed interval; give alarm.period, the longest time between two runs",
      "  - metricNamespace must not start with 'AWS/' (reserved for AWS services; got 'AWS/Lambda')",
      "  - backend: the tempo URL must be an http or https URL (got 'ftp://tempo.example.com')",
      '  - payload must be JSON (Do not know how to serialize a BigInt)',
      "  - expected (/nowhere/trace-map.json): cannot read the trace map: ENOENT: no such file or directory, open '/nowhere/trace-map.json'",
    ].join('\n'),
  );
});

test("an entry that is not in the app's trace map fails the synth, naming expected", () => {
  const { stack } = paymentStack();
  const other = new lambda.Function(stack, 'Untraced', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  new TraceContinuityCanary(stack, 'Canary', { entry: other });
  expect(() => Template.fromStack(stack)).toThrow(
    /TraceContinuityCanary Payments\/Canary: expected \(the app's trace map\): the entry Payments\/Untraced is not a function of the trace map \(its entry functions: Payments\/Authorize\); give entryNodeId/,
  );
});

test('an entry the map says is untraced cannot be checked', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'map-')), 'trace-map.json');
  const map = JSON.parse(readFileSync(FIXTURE_MAP, 'utf8')) as TraceMap;
  writeFileSync(
    file,
    JSON.stringify({
      ...map,
      nodes: map.nodes.map((n) => (n.id === 'Prod/Payments/Authorize' ? { ...n, traced: false } : n)),
    }),
  );
  const { stack } = paymentStack();
  expect(
    () =>
      new TraceContinuityCanary(stack, 'Canary', {
        entry: stack.authorize,
        expected: TraceExpectation.fromTraceMapFile(file, { entryNodeId: 'Prod/Payments/Authorize' }),
      }),
  ).toThrow(/expected \(.*\): the entry Prod\/Payments\/Authorize is not traced/);
});

test('missing data not breaching, or a run longer than the period, warns', () => {
  const { stack } = paymentStack();
  new TraceContinuityCanary(stack, 'Canary', {
    entry: stack.authorize,
    alarm: { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, period: Duration.minutes(2) },
  });
  const annotations = Annotations.fromStack(stack);
  annotations.hasWarning(
    '/Payments/Canary',
    Match.stringLikeRegexp(
      'alarm.treatMissingData is notBreaching: a canary that stops reporting will not alarm',
    ),
  );
  annotations.hasWarning(
    '/Payments/Canary',
    Match.stringLikeRegexp('a run can take up to 2 minutes 40 seconds'),
  );
});

/** The example's map with `count` more consumers of the topic (named by `serviceName`). */
function widerMap(count: number, serviceName = (i: number) => `payments-consumer-${i}`): TraceMap {
  const map = JSON.parse(readFileSync(FIXTURE_MAP, 'utf8')) as TraceMap;
  return {
    ...map,
    nodes: [
      ...map.nodes,
      ...Array.from({ length: count }, (_, i) => ({
        id: `Prod/Payments/Consumer${i}`,
        type: 'function' as const,
        label: `Consumer${i}`,
        serviceName: serviceName(i),
        traced: true,
      })),
    ],
    edges: [
      ...map.edges,
      ...Array.from({ length: count }, (_, i) => ({
        from: 'Prod/Payments/Payments',
        to: `Prod/Payments/Consumer${i}`,
        kind: 'sns-to-lambda' as const,
        carriesContext: true,
        via: 'message-attributes' as const,
      })),
    ],
  };
}

test('a large map goes gzipped; one too large for the environment fails the synth', () => {
  const map = JSON.parse(readFileSync(FIXTURE_MAP, 'utf8')) as TraceMap;
  const wide = (count: number) => widerMap(count);
  const encoded = encodeSlice(mapSlice(wide(20), 'Prod/Payments/Authorize'));
  expect(encoded.startsWith('gzip:')).toBe(true);
  expect(expectedHops(decodeMap(encoded), 'Prod/Payments/Authorize').hops).toHaveLength(25);

  const file = path.join(mkdtempSync(path.join(tmpdir(), 'map-')), 'trace-map.json');
  // Random service names do not compress.
  const huge = wide(400);
  writeFileSync(
    file,
    JSON.stringify({
      ...huge,
      nodes: huge.nodes.map((n, i) =>
        i > map.nodes.length ? { ...n, serviceName: Math.random().toString(36) } : n,
      ),
    }),
  );
  const { stack } = paymentStack();
  new TraceContinuityCanary(stack, 'Canary', {
    entry: stack.authorize,
    expected: TraceExpectation.fromTraceMapFile(file, { entryNodeId: 'Prod/Payments/Authorize' }),
  });
  expect(() => Template.fromStack(stack)).toThrow(
    /its environment would take \d+ bytes, more than the 4096 Lambda allows \(the expected hops from Prod\/Payments\/Authorize: \d+ bytes; the payloads: 0 bytes; the rest: \d+ bytes\): shrink the payload/,
  );
});

test('the map and the payload are counted together: each fits on its own, the two do not', () => {
  // Consumers with names that do not compress, until the slice takes about 2.8 KB gzipped.
  const wide = (count: number) =>
    widerMap(count, (i) => createHash('sha256').update(String(i)).digest('hex').slice(0, 24));
  let count = 10;
  while (encodeSlice(mapSlice(wide(count), 'Prod/Payments/Authorize')).length < 2800) count += 2;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'map-')), 'trace-map.json');
  writeFileSync(file, JSON.stringify(wide(count)));
  const canary = (payload?: unknown) => {
    const { stack } = paymentStack();
    new TraceContinuityCanary(stack, 'Canary', {
      entry: stack.authorize,
      expected: TraceExpectation.fromTraceMapFile(file, { entryNodeId: 'Prod/Payments/Authorize' }),
      ...(payload !== undefined ? { payload } : {}),
    });
    return () => Template.fromStack(stack);
  };
  expect(canary()).not.toThrow();
  // A payload of 1,000 bytes is within its own limit (1,024); with the map it is too much.
  expect(canary({ note: 'x'.repeat(985) })).toThrow(
    /more than the 4096 Lambda allows \(the expected hops from Prod\/Payments\/Authorize: \d+ bytes; the payloads: 996 bytes; .*\): shrink the payload/,
  );
});

test('the handler bundles with the AWS SDK clients it uses', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'canary-bundle-'));
  const { app, stack } = paymentStack({ bundle: true, outdir });
  const canary = new TraceContinuityCanary(stack, 'Canary', { entry: stack.authorize });
  app.synth();
  const fn =
    Template.fromStack(stack).toJSON().Resources[
      stack.getLogicalId(canary.function.node.defaultChild as never)
    ].Properties;
  const dir = path.join(outdir, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`);
  expect(readdirSync(dir)).toEqual(['index.js']);
  const bundle = readFileSync(path.join(dir, 'index.js'), 'utf8');
  expect(bundle).toContain('StartTraceRetrieval');
  expect(bundle).toContain('ListRetrievedTraces');
  expect(bundle).toContain('BatchGetTraces');
  expect(bundle).toContain('PutMetricData');
  expect(statSync(path.join(dir, 'index.js')).size).toBeLessThan(1024 * 1024);
  expect(existsSync(path.join(outdir, 'trace-map.json'))).toBe(true);
});

describe('a failure drill', () => {
  const { stack } = paymentStack();
  const canary = new TraceContinuityCanary(stack, 'Canary', {
    entry: stack.authorize,
    payload: { amount: 1, currency: 'EUR', cardToken: 'tok_canary' },
    drill: { failAt: stack.reconcile, payload: { amount: 1, currency: 'XTS', cardToken: 'tok_drill' } },
  });
  const topic = new sns.Topic(stack, 'Alarms');
  canary.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  const template = Template.fromStack(stack);
  const canaryFunctionId = stack.getLogicalId(canary.function.node.defaultChild as lambda.CfnFunction);
  const env = template.toJSON().Resources[canaryFunctionId].Properties.Environment.Variables as Record<
    string,
    unknown
  >;

  test('the function gets the hop, the request and what must be kept', () => {
    expect(env).toMatchObject({
      TRACE_CHECK_DRILL_HOP: 'Payments/Reconcile',
      TRACE_CHECK_DRILL_BODY: '{"amount":1,"currency":"XTS","cardToken":"tok_drill"}',
      TRACE_CHECK_DRILL_EXPECT: 'failed-hop',
    });
  });

  test('the drill alarm: FailureTraceKept < 1 (Minimum) over the period, missing data breaching; both alarms notify', () => {
    const alarms = canaryResources(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([, a]) => a.Properties.MetricName).sort()).toEqual([
      'FailureTraceKept',
      'MissingHops',
    ]);
    const drillAlarm = alarms.find(([, a]) => a.Properties.MetricName === 'FailureTraceKept')![1];
    expect(drillAlarm.Properties).toMatchObject({
      Namespace: 'CdkServerlessTracing',
      Statistic: 'Minimum',
      Period: 900,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
    });
    for (const [, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([
        { Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) },
      ]);
    }
    expect(canary.drillAlarm).toBeDefined();
  });
});

test('no drill: no drill variables, no drill alarm', () => {
  const { stack } = paymentStack();
  const canary = new TraceContinuityCanary(stack, 'Canary', { entry: stack.authorize });
  const template = Template.fromStack(stack);
  const id = stack.getLogicalId(canary.function.node.defaultChild as lambda.CfnFunction);
  const env = template.toJSON().Resources[id].Properties.Environment.Variables as Record<string, unknown>;
  expect(Object.keys(env).filter((k) => k.startsWith('TRACE_CHECK_DRILL'))).toEqual([]);
  expect(canaryResources(template, 'AWS::CloudWatch::Alarm')).toHaveLength(1);
  expect(canary.drillAlarm).toBeUndefined();
});

test('a drill at a function off the path, or without a JSON request, fails the synth naming drill.*', () => {
  const { stack } = paymentStack();
  new TraceContinuityCanary(stack, 'Canary', {
    entry: stack.reconcile,
    drill: { failAt: stack.authorize, payload: { currency: 'XTS' } },
  });
  expect(() => Template.fromStack(stack)).toThrow(
    /drill\.failAt: Payments\/Authorize is not on the path from the entry Payments\/Reconcile \(its functions: Payments\/Reconcile\); drill one of them/,
  );
  const { stack: second } = paymentStack();
  expect(
    () =>
      new TraceContinuityCanary(second, 'Canary', {
        entry: second.authorize,
        drill: { failAt: second.reconcile, payload: { amount: BigInt(1) } },
      }),
  ).toThrow('  - drill.payload must be JSON (Do not know how to serialize a BigInt)');
});
