import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { PaymentStack } from '../../../bin/example/payment-stack';
import {
  dashboardBodyOf,
  flatten,
  type DashboardBody,
  type DashboardWidget,
} from '../../../bin/local/dashboard-page';
import {
  coldStartQuery,
  FlowDashboard,
  TraceContinuityCanary,
  TracedFunction,
  TracedQueue,
  TracedTopic,
  TracingCost,
  TracingPolicy,
  TracingSettings,
  TracingTraffic,
  runbookDescription,
} from '../../../lib';
import { fixture, newStack } from '../../helpers/stack';

/** API → Front → Orders (topic) → Work (queue) → Worker, in one stack with a fixed region. */
function smallApp(traffic?: TracingTraffic) {
  const { app, stack } = newStack({ env: true });
  if (traffic) TracingSettings.set(stack, { traffic });
  const front = new TracedFunction(stack, 'Front', { entry: fixture('hello.ts'), serviceName: 'shop-front' });
  const worker = new TracedFunction(stack, 'Worker', {
    entry: fixture('hello.ts'),
    serviceName: 'shop-worker',
  });
  const orders = new TracedTopic(stack, 'Orders');
  orders.grantPublish(front);
  const work = new TracedQueue(stack, 'Work');
  orders.addQueueSubscription(work);
  work.addConsumer(worker);
  const api = new apigwv2.HttpApi(stack, 'Api');
  api.addRoutes({
    path: '/orders',
    methods: [apigwv2.HttpMethod.POST],
    integration: new HttpLambdaIntegration('FrontIntegration', front),
  });
  return { app, stack, front, worker, orders, work };
}

type Widget = DashboardWidget;

/** The dashboard body with its tokens resolved (Fn::Join parts joined, Refs as `<Ref:Id>`). */
function body(stack: Stack, dashboard: FlowDashboard): DashboardBody {
  const template = Template.fromStack(stack).toJSON();
  return dashboardBodyOf(
    template,
    stack.getLogicalId(dashboard.dashboard.node.defaultChild as cloudwatch.CfnDashboard),
  );
}

const titles = (widgets: Widget[]): string[] =>
  widgets.map((w) => w.properties.title ?? w.properties.markdown?.split('\n')[0] ?? w.type);

describe('the dashboard of a small flow (API → function → topic → queue → function)', () => {
  const { stack, front, worker, work } = smallApp();
  const dashboard = new FlowDashboard(stack, 'ShopDashboard', { entry: front, dashboardName: 'shop-flow' });
  const { widgets, start } = body(stack, dashboard);
  const frontId = stack.getLogicalId(front.node.defaultChild as lambda.CfnFunction);
  const workerId = stack.getLogicalId(worker.node.defaultChild as lambda.CfnFunction);
  const workId = stack.getLogicalId(work.queue.node.defaultChild as sqs.CfnQueue);
  const dlqId = stack.getLogicalId(work.deadLetterQueue.node.defaultChild as sqs.CfnQueue);

  test('without a name, one made at synth from the construct path', () => {
    const other = smallApp();
    const unnamed = new FlowDashboard(other.stack, 'ShopDashboard', { entry: other.front });
    Template.fromStack(other.stack).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: Match.stringLikeRegexp('^TestStack-ShopDashboard-[0-9A-F]{8}$'),
    });
    expect(unnamed.dashboardUrl).toMatch(
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#dashboards\/dashboard\/TestStack-ShopDashboard-[0-9A-F]{8}$/,
    );
  });

  test('one dashboard, named, opening on the last 3 hours', () => {
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'shop-flow',
    });
    expect(start).toBe('-PT3H');
  });

  test('widgets in flow order: the header, then Front, then the queue Work, then Worker', () => {
    expect(titles(widgets)).toEqual([
      '# Flow of Front',
      'Spans ingested into aws/spans (bytes, the whole account and region)',
      '### Tracing cost',
      '### Front',
      'Front: invocations and errors',
      'Front: duration P50 / P95 / P99',
      'Front: cold starts and init duration',
      'Work: age of the oldest message',
      'Work: dead-letter queue depth',
      '### Worker',
      'Worker: invocations and errors',
      'Worker: duration P50 / P95 / P99',
      'Worker: cold starts and init duration',
    ]);
    // Rows go down the page, each at most 24 wide.
    const ys = widgets.map((w) => w.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    for (const w of widgets) expect(w.x + w.width).toBeLessThanOrEqual(24);
    expect(widgets[0].properties.markdown).toContain(
      '`POST /orders` → Front, then (in flow order) Orders (topic), Work (queue), Worker (function)',
    );
  });

  test('per function: invocations, errors and throttles (Sum), duration P50/P95/P99, from AWS/Lambda', () => {
    for (const [label, id] of [
      ['Front', frontId],
      ['Worker', workerId],
    ]) {
      const counts = widgets.find((w) => w.properties.title === `${label}: invocations and errors`)!;
      expect(counts.properties.metrics).toEqual([
        ['AWS/Lambda', 'Invocations', 'FunctionName', `<Ref:${id}>`, { stat: 'Sum' }],
        ['AWS/Lambda', 'Errors', 'FunctionName', `<Ref:${id}>`, { stat: 'Sum' }],
        ['AWS/Lambda', 'Throttles', 'FunctionName', `<Ref:${id}>`, { stat: 'Sum' }],
      ]);
      const duration = widgets.find((w) => w.properties.title === `${label}: duration P50 / P95 / P99`)!;
      expect(duration.properties.metrics).toEqual([
        ['AWS/Lambda', 'Duration', 'FunctionName', `<Ref:${id}>`, { label: 'P50', stat: 'p50' }],
        ['AWS/Lambda', 'Duration', 'FunctionName', `<Ref:${id}>`, { label: 'P95', stat: 'p95' }],
        ['AWS/Lambda', 'Duration', 'FunctionName', `<Ref:${id}>`, { label: 'P99', stat: 'p99' }],
      ]);
    }
  });

  test('per function: cold starts and init duration from the REPORT lines in its own log group (JSON format)', () => {
    const logGroupId = stack.getLogicalId(front.logGroup.node.defaultChild as never);
    const cold = widgets.find((w) => w.properties.title === 'Front: cold starts and init duration')!;
    expect(cold.type).toBe('log');
    expect(cold.properties.query).toBe(
      `SOURCE '<Ref:${logGroupId}>' | filter type = "platform.report"\n| stats count(record.metrics.initDurationMs) as coldStarts, ` +
        'avg(record.metrics.initDurationMs) as avgInitMs, max(record.metrics.initDurationMs) as maxInitMs by bin(5m)',
    );
  });

  test('per function: links to the traces of its service, its error traces and its console page', () => {
    const text = widgets.find((w) => w.properties.markdown?.startsWith('### Worker'))!.properties
      .markdown as string;
    expect(text).toContain('service.name `shop-worker`');
    expect(text).toContain(
      "[Traces of shop-worker](https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/query?~(query~(expression~'service*28*22shop-worker*22*29')~context~(timeRange~(delta~10800000))))",
    );
    expect(text).toContain(
      "[Error traces](https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/query?~(query~(expression~'service*28*22shop-worker*22*29*20*7b*20error*20*3d*20true*20OR*20fault*20*3d*20true*20*7d')",
    );
    expect(text).toContain(
      `[Lambda console](https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/<Ref:${workerId}>)`,
    );
  });

  test('per queue: the age of its oldest message (Maximum) and its dead-letter queue depth', () => {
    const age = widgets.find((w) => w.properties.title === 'Work: age of the oldest message')!;
    expect(age.properties.metrics).toEqual([
      [
        'AWS/SQS',
        'ApproximateAgeOfOldestMessage',
        'QueueName',
        `<GetAtt:${workId}.QueueName>`,
        { stat: 'Maximum' },
      ],
    ]);
    const dlq = widgets.find((w) => w.properties.title === 'Work: dead-letter queue depth')!;
    expect(dlq.properties.metrics).toEqual([
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        `<GetAtt:${dlqId}.QueueName>`,
        { stat: 'Maximum' },
      ],
    ]);
  });

  test('no canary: no MissingHops widget, the header takes the whole width', () => {
    expect(widgets.some((w) => w.properties.title === 'Canary: MissingHops')).toBe(false);
    expect(widgets[0].width).toBe(24);
  });
});

describe('from an entry further down the flow', () => {
  test('shows only what that function reaches', () => {
    const { stack, worker } = smallApp();
    const dashboard = new FlowDashboard(stack, 'WorkerDashboard', { entry: worker });
    expect(titles(body(stack, dashboard).widgets).filter((t) => t.startsWith('#'))).toEqual([
      '# Flow of Worker',
      '### Tracing cost',
      '### Worker',
    ]);
  });
});

describe('with a canary', () => {
  const { stack, front } = smallApp();
  const canary = new TraceContinuityCanary(stack, 'Canary', { entry: front });
  const dashboard = new FlowDashboard(stack, 'ShopDashboard', {
    entry: front,
    canary,
    period: Duration.minutes(1),
  });
  const template = Template.fromStack(stack);
  const { widgets } = body(stack, dashboard);

  test("MissingHops at the canary's own period, and the status of its alarm", () => {
    const missing = widgets.find((w) => w.properties.title === 'Canary: MissingHops')!;
    expect(missing.properties.metrics).toEqual([
      [
        'CdkServerlessTracing',
        'MissingHops',
        'EntryFunction',
        expect.stringMatching(/^<Ref:Front/),
        { period: 900, stat: 'Maximum' },
      ],
    ]);
    const alarms = widgets.find((w) => w.type === 'alarm')!;
    expect(alarms.properties.alarms).toEqual([expect.stringMatching(/^<GetAtt:CanaryAlarm.*\.Arn>$/)]);
    // The functions' graphs use the dashboard's period.
    expect(
      widgets.find((w) => w.properties.title === 'Front: invocations and errors')!.properties.metrics![0][4],
    ).toEqual({
      period: 60,
      stat: 'Sum',
    });
  });

  test("the canary alarm's runbook: what it means, the first query, the entry's traces and this dashboard", () => {
    const [, alarm] = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))[0] as [
      string,
      { Properties: { AlarmDescription: unknown } },
    ];
    const description = flatten(alarm.Properties.AlarmDescription);
    const lines = description.split('\n');
    expect(lines[0]).toBe(
      'The trace of a request to TestStack/Front misses hops of the trace map, or the canary did not report.',
    );
    expect(lines[1]).toMatch(
      /^First query: Logs Insights on <Ref:CanaryLogGroup\w+>: fields @timestamp, @message \| filter @message like \/the trace is incomplete\|the trace check could not run\/ \| sort @timestamp desc \| limit 20/,
    );
    expect(lines[2]).toBe(
      "Traces of the entry: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/query?~(query~(expression~'service*28*22shop-front*22*29')~context~(timeRange~(delta~10800000)))",
    );
    expect(lines[3]).toBe(
      'Dashboard: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/TestStack-ShopDashboard-' +
        /[0-9A-F]{8}$/.exec(dashboard.dashboardUrl)![0],
    );
    expect(description.length).toBeLessThanOrEqual(1024);
  });
});

describe('a hop that breaks the trace', () => {
  test("is said in the function's text, with the trace map's reason", () => {
    const { stack, front } = smallApp();
    const side = new sqs.Queue(stack, 'Side');
    side.grantSendMessages(front);
    const plain = new lambda.Function(stack, 'Untraced', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    plain.addEventSource(new SqsEventSource(side));
    const dashboard = new FlowDashboard(stack, 'D', { entry: front });
    const { widgets } = body(stack, dashboard);
    const side_ = widgets.find((w) => w.properties.markdown?.startsWith('### Untraced'))!;
    expect(side_.properties.markdown).toContain('· **not traced**');
    expect(titles(widgets)).toContain('Side: age of the oldest message');
    expect(titles(widgets)).toContain('### Side: no dead-letter queue');
    expect(side_.properties.markdown).toContain(
      '\n- **the trace breaks** from Side: TestStack/Untraced is not traced, so it does not read the trace context of the messages\n',
    );
  });
});

describe('other alarms of the flow', () => {
  test('their status is shown and a runbook description gets the dashboard link', () => {
    const { stack, front } = smallApp();
    const alarm = new cloudwatch.Alarm(stack, 'FrontErrors', {
      metric: front.metricErrors(),
      threshold: 1,
      evaluationPeriods: 1,
      alarmDescription: runbookDescription({ meaning: 'Front fails.' }),
    });
    const plain = new cloudwatch.Alarm(stack, 'Plain', {
      metric: front.metricThrottles(),
      threshold: 1,
      evaluationPeriods: 1,
      alarmDescription: 'written by hand',
    });
    new FlowDashboard(stack, 'ShopDashboard', {
      entry: front,
      alarms: [alarm, plain],
      dashboardName: 'shop',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription:
        'Front fails.\nDashboard: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/shop',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: 'written by hand' });
  });
});

describe('a plain function', () => {
  test('under a TracingPolicy: the log group and JSON format the policy gives it', () => {
    const { stack } = newStack({ env: true });
    const fn = new lambda.Function(stack, 'Plain', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    Aspects.of(stack).add(new TracingPolicy());
    const dashboard = new FlowDashboard(stack, 'Dashboard', { entry: fn });
    const cold = body(stack, dashboard).widgets.find((w) => w.type === 'log')!;
    expect(cold.properties.query).toMatch(
      /^SOURCE '<Ref:PlainTracingLogGroup\w+>' \| filter type = "platform.report"\n/,
    );
  });

  test('in the text log format, in its default log group: @initDuration of the REPORT lines', () => {
    const { stack } = newStack({ env: true });
    const fn = new lambda.Function(stack, 'Plain', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    expect(coldStartQuery(fn, Duration.minutes(5))).toEqual([
      'filter @type = "REPORT"',
      'stats count(@initDuration) as coldStarts, avg(@initDuration) as avgInitMs, max(@initDuration) as maxInitMs by bin(5m)',
    ]);
  });
});

describe('the example app', () => {
  test("the payments flow: Authorize, the two queues each followed by its consumer, the canary's MissingHops", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new PaymentStack(app, 'Payments');
    // The example's own dashboard: its canary, and its SLO's burn-rate alarms in `alarms`.
    const dashboard = stack.dashboard;
    const { widgets } = body(stack, dashboard);
    expect(titles(widgets).filter((t) => /^#|age of/.test(t))).toEqual([
      '# Flow of Authorize',
      '### Tracing cost',
      '### Authorize',
      'AuditQueue: age of the oldest message',
      '### Audit',
      'Reconciliation: age of the oldest message',
      '### Reconcile',
    ]);
    expect(widgets.some((w) => w.properties.title === 'Canary: MissingHops')).toBe(true);
    const authorize = widgets.find((w) => w.properties.markdown?.startsWith('### Authorize'))!;
    expect(authorize.properties.markdown).toContain('\n- calls fraud-api\n');
    // Both canary alarms' runbooks: the drill's says what it means, and both link this dashboard.
    const descriptions = Object.values(
      Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm') as Record<
        string,
        { Properties: { AlarmDescription: unknown } }
      >,
    ).map((a) => flatten(a.Properties.AlarmDescription));
    // The canary's two, the SLO's 12 window alarms (the composite alarms are another type) and
    // the boost's two anomaly alarms.
    expect(descriptions).toHaveLength(16);
    const linked = descriptions.filter((d) => !d.startsWith('Burn rate of SLO'));
    expect(linked).toHaveLength(4);
    for (const d of linked) {
      expect(d).toMatch(
        /\nDashboard: https:\/\/<AWS::Region>\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=<AWS::Region>#dashboards\/dashboard\/Payments-PaymentsDashboard-[0-9A-F]{8}$/,
      );
      expect(d.length).toBeLessThanOrEqual(1024);
    }
    expect(descriptions.find((d) => d.startsWith('A request built to fail'))).toMatch(
      /^A request built to fail at Payments\/Reconcile was not kept as a trace \(failed-hop\), or the canary did not report\.\nFirst query: Logs Insights on <Ref:PaymentsCanaryLogGroup\w+>: .*is not kept as a trace.*\nError traces of the drilled function: https:\/\/.*#xray:traces\/query\?~\(query~\(expression~'service\*28\*22payments-reconcile\*22\*29\*20\*7b\*20error\*20\*3d\*20true\*20OR\*20fault\*20\*3d\*20true\*20\*7d'\)/,
    );
    expect(descriptions.filter((d) => /^The (p99 duration|errors of the flow)/.test(d))).toHaveLength(2);
    // The alarm status widget: the canary's 2, the SLO's 6 composite alarms (2 objectives × 3
    // pairs) and the boost's 2.
    const alarms = widgets.find((w) => w.type === 'alarm')!;
    expect(alarms.properties.alarms).toHaveLength(10);
  });
});

describe('bad input', () => {
  test('an entry that is not a function: a clear error naming the prop', () => {
    const { stack, work } = smallApp();
    expect(() => new FlowDashboard(stack, 'D', { entry: work as never })).toThrow(
      'FlowDashboard TestStack/D has invalid props:\n  - entry: give the Lambda function where the flow starts (a TracedFunction, or a lambda.Function under a TracingPolicy); got TracedQueue TestStack/Work',
    );
    expect(() => new FlowDashboard(stack, 'E', { entry: undefined as never })).toThrow(
      /entry: give the Lambda function/,
    );
  });

  test('an entry that is not in the trace map: a synth error listing the entry functions', () => {
    const { stack } = smallApp();
    const imported = lambda.Function.fromFunctionName(stack, 'Imported', 'somewhere-else');
    new FlowDashboard(stack, 'D', { entry: imported });
    expect(() => Template.fromStack(stack)).toThrow(
      'FlowDashboard TestStack/D: entry: TestStack/Imported is not a function of the trace map (its entry functions: TestStack/Front); give the function where the flow starts (a TracedFunction, or a function under a TracingPolicy)',
    );
  });

  test('a bad period, canary or dashboard name', () => {
    const { stack, front } = smallApp();
    expect(
      () =>
        new FlowDashboard(stack, 'D', {
          entry: front,
          period: Duration.seconds(90),
          canary: {} as never,
          dashboardName: 'no spaces',
        }),
    ).toThrow(
      [
        'FlowDashboard TestStack/D has invalid props:',
        '  - period must be whole minutes, at least 1 (got 1 minute 30 seconds)',
        '  - canary: give a TraceContinuityCanary (got object)',
        "  - dashboardName must be 1 to 255 letters, digits, - or _ (got 'no spaces')",
      ].join('\n'),
    );
  });
});

describe('the ingestion next to the estimate', () => {
  const ingestion = (widgets: Widget[]) =>
    widgets.find((w) => w.properties.title?.startsWith('Spans ingested into aws/spans'));

  test("without a traffic figure: aws/spans' IncomingBytes and a note saying how to get an estimate", () => {
    const { stack, front } = smallApp();
    const { widgets } = body(stack, new FlowDashboard(stack, 'ShopDashboard', { entry: front }));
    const graph = ingestion(widgets)!;
    expect(graph.properties.metrics).toEqual([
      ['AWS/Logs', 'IncomingBytes', 'LogGroupName', 'aws/spans', expect.objectContaining({ stat: 'Sum' })],
    ]);
    expect(graph.properties.annotations).toBeUndefined();
    expect(titles(widgets)).toContain('### Tracing cost');
  });

  test("with one: the flow's estimated bytes per period drawn on the graph, the monthly figures beside it", () => {
    const { stack, front } = smallApp(TracingTraffic.perEntry({ 'POST /orders': 20 }));
    const dashboard = new FlowDashboard(stack, 'ShopDashboard', { entry: front });
    const { widgets } = body(stack, dashboard);
    const estimate = TracingCost.estimate(stack).entries.find((e) => e.function === front.node.path)!;
    expect(estimate.requestsPerSecond).toBe(20);
    // A 5-minute period: 730 h a month is 8,760 periods.
    const perPeriod = Math.round((estimate.monthly.gbIngested * 1e9) / 8760);
    expect(perPeriod).toBeGreaterThan(0);
    expect(ingestion(widgets)!.properties.annotations).toEqual({
      horizontal: [expect.objectContaining({ value: perPeriod, label: "this flow's estimate at 20 req/s" })],
    });
    const text = widgets.find((w) =>
      w.properties.markdown?.startsWith('### Tracing cost, estimated at synth'),
    )!;
    expect(text.properties.markdown).toContain(`POST /orders at 20 req/s: ${estimate.spansPerRequest} spans`);
    expect(text.properties.markdown).toContain(`about $${estimate.costUsd.total.toFixed(2)} a month`);
  });
});
