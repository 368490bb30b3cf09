import { App, Duration, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BurnRateWindows, FlowSlo, FlowSloProps } from '../../../lib';
import { burnRateThreshold } from '../../../lib/slo/private/burn-rate';
import { MAX_ALARM_DESCRIPTION } from '../../../lib/dashboard/runbook';

type Resource = { Properties: Record<string, any>; DependsOn?: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any -- template JSON, read by path

function setup() {
  const app = new App();
  const stack = new Stack(app, 'Payments', { env: { account: '111111111111', region: 'eu-west-1' } });
  const entry = new lambda.Function(stack, 'Authorize', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  return { stack, entry };
}

function synth(props: Partial<FlowSloProps> = {}, withEntry?: (stack: Stack) => lambda.IFunction) {
  const { stack, entry } = setup();
  const slo = new FlowSlo(stack, 'PaymentsSlo', { entry: withEntry ? withEntry(stack) : entry, ...props });
  return { stack, slo, template: Template.fromStack(stack) };
}

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type) as Record<string, Resource>);
}

function sloNamed(template: Template, suffix: string): Resource {
  const found = resources(template, 'AWS::ApplicationSignals::ServiceLevelObjective').filter(([, r]) =>
    String(r.Properties.Name).endsWith(suffix),
  );
  expect(found).toHaveLength(1);
  return found[0][1];
}

const FUNCTION_DIMENSION = [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^Authorize') } }];

describe('burn-rate math', () => {
  test('1 h at 2% of a 30-day budget is a burn rate of 14.4; 6 h at 5% is 6; 3 days at 10% is 1', () => {
    const thirtyDays = 30 * 24 * 60;
    expect(burnRateThreshold(2, thirtyDays, 60)).toBe(14.4);
    expect(burnRateThreshold(5, thirtyDays, 360)).toBe(6);
    expect(burnRateThreshold(10, thirtyDays, 3 * 24 * 60)).toBe(1);
    // The other way round: burning at 14.4 for one hour spends 14.4 × 1 h / 720 h = 2% of the budget.
    expect((14.4 * 60) / thirtyDays).toBeCloseTo(0.02, 10);
  });

  test('the thresholds follow the interval: over 28 days the same windows are 13.44, 5.6 and 0.9333', () => {
    const days28 = 28 * 24 * 60;
    expect(burnRateThreshold(2, days28, 60)).toBe(13.44);
    expect(burnRateThreshold(5, days28, 360)).toBe(5.6);
    expect(burnRateThreshold(10, days28, 4320)).toBe(0.9333);
  });
});

describe('FlowSlo objectives', () => {
  test('without objectives: one availability SLO at 99.9% over a rolling 30 days, request-based on Lambda metrics', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::ApplicationSignals::ServiceLevelObjective', 1);
    const slo = sloNamed(template, '-availability');
    expect(slo.Properties.Sli).toBeUndefined();
    expect(slo.Properties.Goal).toEqual({
      AttainmentGoal: 99.9,
      Interval: { RollingInterval: { Duration: 30, DurationUnit: 'DAY' } },
    });
    template.hasResourceProperties('AWS::ApplicationSignals::ServiceLevelObjective', {
      RequestBasedSli: {
        RequestBasedSliMetric: {
          TotalRequestCountMetric: [
            {
              Id: 'invocations',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/Lambda',
                  MetricName: 'Invocations',
                  Dimensions: FUNCTION_DIMENSION,
                },
                Period: 60,
                Stat: 'Sum',
              },
              ReturnData: false,
            },
            {
              Id: 'throttles',
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({ MetricName: 'Throttles' }),
                Stat: 'Sum',
              }),
              ReturnData: false,
            },
            { Id: 'total', Expression: 'FILL(invocations, 0) + FILL(throttles, 0)', ReturnData: true },
          ],
          MonitoredRequestCountMetric: {
            BadCountMetric: [
              {
                Id: 'errors',
                MetricStat: {
                  Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: FUNCTION_DIMENSION },
                  Period: 60,
                  Stat: 'Sum',
                },
                ReturnData: false,
              },
              Match.objectLike({ Id: 'throttles', ReturnData: false }),
              { Id: 'bad', Expression: 'FILL(errors, 0) + FILL(throttles, 0)', ReturnData: true },
            ],
          },
        },
      },
    });
  });

  test('latency: a period-based SLO on the Duration percentile per minute, at most the threshold, 99% of minutes by default', () => {
    const { template } = synth({ latency: { percentile: 95, threshold: Duration.millis(800) } });
    template.resourceCountIs('AWS::ApplicationSignals::ServiceLevelObjective', 1);
    const slo = sloNamed(template, '-latency');
    expect(slo.Properties.RequestBasedSli).toBeUndefined();
    expect(slo.Properties.Sli).toEqual({
      ComparisonOperator: 'LessThanOrEqualTo',
      MetricThreshold: 800,
      SliMetric: {
        MetricDataQueries: [
          {
            Id: 'duration',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: 'Duration',
                Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^Authorize/) } }],
              },
              Period: 60,
              Stat: 'p95',
            },
            ReturnData: true,
          },
        ],
      },
    });
    expect(slo.Properties.Goal.AttainmentGoal).toBe(99);
  });

  test('both objectives, their targets, a 28-day interval and a given name', () => {
    const { template } = synth({
      name: 'payments-api',
      interval: Duration.days(28),
      latency: { percentile: 99, threshold: Duration.seconds(1.5), target: 99.5 },
      availability: { target: 99.95 },
    });
    const latency = sloNamed(template, '-latency');
    const availability = sloNamed(template, '-availability');
    expect(latency.Properties.Name).toBe('payments-api-latency');
    expect(availability.Properties.Name).toBe('payments-api-availability');
    expect(latency.Properties.Sli.MetricThreshold).toBe(1500);
    expect(latency.Properties.Sli.SliMetric.MetricDataQueries[0].MetricStat.Stat).toBe('p99');
    expect(latency.Properties.Goal).toEqual({
      AttainmentGoal: 99.5,
      Interval: { RollingInterval: { Duration: 28, DurationUnit: 'DAY' } },
    });
    expect(availability.Properties.Goal.AttainmentGoal).toBe(99.95);
  });

  test('the default name is unique to the construct and fits the SLO name pattern', () => {
    const { template } = synth({
      latency: { percentile: 50, threshold: Duration.millis(100) },
      availability: { target: 99 },
    });
    for (const [, slo] of resources(template, 'AWS::ApplicationSignals::ServiceLevelObjective')) {
      expect(slo.Properties.Name).toMatch(/^Payments-PaymentsSlo-[0-9A-F]{8}-(latency|availability)$/);
      expect(slo.Properties.Name).toMatch(/^[0-9A-Za-z][-._0-9A-Za-z ]{0,126}[0-9A-Za-z]$/);
    }
  });

  test('an alias is measured on its own: FunctionName and Resource dimensions', () => {
    const { template } = synth({}, (stack) => {
      const fn = stack.node.findChild('Authorize') as lambda.Function;
      return new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
    });
    const slo = sloNamed(template, '-availability');
    const dimensions =
      slo.Properties.RequestBasedSli.RequestBasedSliMetric.TotalRequestCountMetric[0].MetricStat.Metric
        .Dimensions;
    expect(dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^Authorize/) } },
      { Name: 'Resource', Value: expect.anything() },
    ]);
  });

  test('an imported function whose name is a token is accepted', () => {
    const { template } = synth({}, (stack) =>
      lambda.Function.fromFunctionName(stack, 'Imported', Fn.importValue('entry-function-name')),
    );
    const slo = sloNamed(template, '-availability');
    const dimensions =
      slo.Properties.RequestBasedSli.RequestBasedSliMetric.TotalRequestCountMetric[0].MetricStat.Metric
        .Dimensions;
    expect(dimensions).toEqual([{ Name: 'FunctionName', Value: expect.anything() }]);
    // CDK derives the name from the imported value (through the ARN it builds): resolved at deploy.
    expect(JSON.stringify(dimensions[0].Value)).toContain('{"Fn::ImportValue":"entry-function-name"}');
  });
});

describe('FlowSlo burn-rate alarms', () => {
  test('each SLO publishes a burn rate for every window the pairs use, each once', () => {
    const { template } = synth({
      latency: { percentile: 99, threshold: Duration.millis(500) },
      availability: { target: 99.9 },
    });
    for (const [, slo] of resources(template, 'AWS::ApplicationSignals::ServiceLevelObjective')) {
      expect(slo.Properties.BurnRateConfigurations).toEqual(
        [5, 30, 60, 360, 4320].map((m) => ({ LookBackWindowMinutes: m })),
      );
    }
  });

  test.each([
    ['Fast', 60, 5, 14.4],
    ['Medium', 360, 30, 6],
    ['Slow', 4320, 360, 1],
  ])(
    '%s pair: long (%i min) and short (%i min) window alarms on BurnRate above %d, joined by AND',
    (pair, long, short, threshold) => {
      const { template } = synth({ name: 'checkout' });
      const alarms = resources(template, 'AWS::CloudWatch::Alarm');
      const find = (which: string) => {
        const found = alarms.filter(([id]) =>
          id.startsWith(`PaymentsSloAvailability${pair}${which}WindowAlarm`),
        );
        expect(found).toHaveLength(1);
        return found[0];
      };
      for (const [[id, alarm], minutes] of [
        [find('Long'), long],
        [find('Short'), short],
      ] as const) {
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/ApplicationSignals',
          MetricName: 'BurnRate',
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
        expect(alarm.Properties.Dimensions).toEqual(
          expect.arrayContaining([
            { Name: 'SloName', Value: 'checkout-availability' },
            { Name: 'BurnRateWindowMinutes', Value: String(minutes) },
          ]),
        );
        expect(alarm.Properties.AlarmActions).toBeUndefined();
        // Created after the SLO, so the metric exists by then.
        expect(alarm.DependsOn).toEqual([expect.stringMatching(/^PaymentsSloAvailabilitySlo/)]);
        void id;
      }
      const composite = resources(template, 'AWS::CloudWatch::CompositeAlarm').filter(([id]) =>
        id.startsWith(`PaymentsSloAvailability${pair}BurnRateAlarm`),
      );
      expect(composite).toHaveLength(1);
      expect(composite[0][1].Properties.AlarmRule).toEqual({
        'Fn::Join': [
          '',
          [
            '(ALARM("',
            { 'Fn::GetAtt': [find('Long')[0], 'Arn'] },
            '") AND ALARM("',
            { 'Fn::GetAtt': [find('Short')[0], 'Arn'] },
            '"))',
          ],
        ],
      });
    },
  );

  test('one composite alarm per objective and pair; custom windows set the thresholds from the budget share', () => {
    const { template, slo } = synth({
      latency: { percentile: 99, threshold: Duration.millis(500) },
      availability: { target: 99.9 },
      interval: Duration.days(7),
      burnRateWindows: [
        { longWindow: Duration.hours(2), shortWindow: Duration.minutes(10), budgetConsumed: 5 },
      ],
    });
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    // 5% of a 7-day budget in 2 h: 0.05 × 168 h / 2 h = 4.2.
    expect(slo.burnRateAlarms.map((a) => [a.objective, a.window, a.threshold])).toEqual([
      ['latency', '2h10m', 4.2],
      ['availability', '2h10m', 4.2],
    ]);
    for (const [, s] of resources(template, 'AWS::ApplicationSignals::ServiceLevelObjective')) {
      expect(s.Properties.BurnRateConfigurations).toEqual([
        { LookBackWindowMinutes: 10 },
        { LookBackWindowMinutes: 120 },
      ]);
    }
  });

  test('BurnRateWindows.paging() leaves out the 3-day ticket pair', () => {
    const { template } = synth({ burnRateWindows: BurnRateWindows.paging() });
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
    expect(sloNamed(template, '-availability').Properties.BurnRateConfigurations).toEqual(
      [5, 30, 60, 360].map((m) => ({ LookBackWindowMinutes: m })),
    );
  });

  test('actions from the props and from addAlarmAction go on the composite alarms only', () => {
    const { stack, entry } = setup();
    const pager = new sns.Topic(stack, 'Pager');
    const tickets = new sns.Topic(stack, 'Tickets');
    const slo = new FlowSlo(stack, 'PaymentsSlo', {
      entry,
      latency: { percentile: 99, threshold: Duration.millis(500) },
      alarmActions: [new cloudwatchActions.SnsAction(pager)],
    });
    slo.addAlarmAction(new cloudwatchActions.SnsAction(tickets));
    const template = Template.fromStack(stack);
    const composites = resources(template, 'AWS::CloudWatch::CompositeAlarm');
    expect(composites).toHaveLength(3);
    for (const [, composite] of composites) {
      expect(composite.Properties.AlarmActions).toEqual([
        { Ref: expect.stringMatching(/^Pager/) },
        { Ref: expect.stringMatching(/^Tickets/) },
      ]);
    }
    for (const [, alarm] of resources(template, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  test('the composite alarm description is a runbook: what it means, the first query, the links', () => {
    const { template } = synth({
      latency: { percentile: 99, threshold: Duration.millis(500) },
      availability: { target: 99.9 },
    });
    const composites = resources(template, 'AWS::CloudWatch::CompositeAlarm');
    expect(composites).toHaveLength(6);
    for (const [id, composite] of composites) {
      const description = composite.Properties.AlarmDescription;
      const parts: unknown[] = typeof description === 'string' ? [description] : description['Fn::Join'][1];
      const text = parts.map((p) => (typeof p === 'string' ? p : '<name>')).join('');
      const lines = text.split('\n');
      expect(lines[0]).toMatch(/^SLO .* burns at more than [\d.]+× over both/);
      expect(lines[1]).toMatch(/^First query: Logs Insights on \/aws\/lambda\/<name>: /);
      expect(lines[2]).toBe(
        'Lambda console: https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/<name>',
      );
      expect(lines).toHaveLength(3); // no service.name known at synth: no traces link
      expect(text.length).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION);
      if (id.includes('Latency')) expect(text).toContain('stats pct(@duration, 99)');
      if (id.includes('AvailabilityFast')) {
        expect(text).toContain('2% of the budget in 1h, all of it in 2.08 days at this rate');
      }
    }
  });

  test("with the entry's service.name known at synth, the runbook links its traces (error traces for availability)", () => {
    const { stack, entry } = setup();
    entry.addEnvironment('OTEL_SERVICE_NAME', 'payments-authorize');
    const slo = new FlowSlo(stack, 'PaymentsSlo', {
      entry,
      latency: { percentile: 99, threshold: Duration.millis(500) },
      availability: { target: 99.9 },
      burnRateWindows: BurnRateWindows.paging().slice(0, 1),
    });
    const template = Template.fromStack(stack);
    const text = (id: string) => {
      const description = template.toJSON().Resources[id].Properties.AlarmDescription;
      return JSON.stringify(description);
    };
    const [latency, availability] = slo.burnRateAlarms.map((a) =>
      stack.getLogicalId(a.alarm.node.defaultChild as never),
    );
    expect(text(latency)).toContain(
      "Traces: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/query?~(query~(expression~'service*28*22payments-authorize*22*29'",
    );
    expect(text(availability)).toContain(
      'Error traces: https://eu-west-1.console.aws.amazon.com/cloudwatch/home',
    );
    expect(text(availability)).toContain('error*20*3d*20true');
    expect(slo.alarms).toEqual(slo.burnRateAlarms.map((a) => a.alarm));
  });

  test('metricBurnRate gives the metric of a look-back window, and names a missing objective', () => {
    const { slo, stack } = synth({ name: 'checkout' });
    const metric = slo.metricBurnRate('availability', Duration.hours(1));
    expect(metric.namespace).toBe('AWS/ApplicationSignals');
    expect(metric.metricName).toBe('BurnRate');
    expect(stack.resolve(metric.dimensions)).toEqual({
      SloName: 'checkout-availability',
      BurnRateWindowMinutes: '60',
    });
    expect(() => slo.metricBurnRate('latency', Duration.hours(1))).toThrow(
      /no latency objective: give the latency prop/,
    );
  });
});

describe('FlowSlo bad input', () => {
  const latency = { percentile: 99 as const, threshold: Duration.millis(500) };
  test.each<[string, Partial<FlowSloProps>, RegExp]>([
    [
      'availability target 100',
      { availability: { target: 100 } },
      /availability\.target is 100: give a percentage above 0 and below 100/,
    ],
    ['availability target 0', { availability: { target: 0 } }, /availability\.target is 0/],
    ['latency target 100.5', { latency: { ...latency, target: 100.5 } }, /latency\.target is 100\.5/],
    [
      'percentile 75',
      { latency: { percentile: 75 as 99, threshold: Duration.millis(500) } },
      /latency\.percentile is 75: use one of 99, 95, 90, 50/,
    ],
    [
      'threshold 0',
      { latency: { percentile: 99, threshold: Duration.millis(0) } },
      /latency\.threshold must be more than 0/,
    ],
    [
      'threshold 20 min',
      { latency: { percentile: 99, threshold: Duration.minutes(20) } },
      /latency\.threshold .* at most 15 minutes/,
    ],
    ['interval of 36 hours', { interval: Duration.hours(36) }, /interval must be a whole number of days/],
    ['empty windows', { burnRateWindows: [] }, /burnRateWindows is empty/],
    [
      'short not shorter than long',
      {
        burnRateWindows: [
          { longWindow: Duration.minutes(30), shortWindow: Duration.minutes(30), budgetConsumed: 2 },
        ],
      },
      /burnRateWindows\[0\]\.shortWindow \(30 minutes\) must be shorter than longWindow \(30 minutes\)/,
    ],
    [
      'long window over 7 days',
      {
        interval: Duration.days(30),
        burnRateWindows: [
          { longWindow: Duration.days(8), shortWindow: Duration.hours(6), budgetConsumed: 10 },
        ],
      },
      /burnRateWindows\[0\]\.longWindow is 11520 minutes: .* at most 10080 minutes/,
    ],
    [
      'long window over the interval',
      {
        interval: Duration.days(1),
        burnRateWindows: [
          { longWindow: Duration.days(2), shortWindow: Duration.hours(6), budgetConsumed: 10 },
        ],
      },
      /longWindow \(2880 minutes\) is longer than the SLO interval \(1440 minutes\)/,
    ],
    [
      'window not in whole minutes',
      {
        burnRateWindows: [
          { longWindow: Duration.seconds(90), shortWindow: Duration.seconds(30), budgetConsumed: 2 },
        ],
      },
      /longWindow must be a whole number of minutes/,
    ],
    [
      'budget share 0',
      {
        burnRateWindows: [
          { longWindow: Duration.hours(1), shortWindow: Duration.minutes(5), budgetConsumed: 0 },
        ],
      },
      /budgetConsumed is 0: give the percent of the error budget/,
    ],
    [
      'two pairs with one name',
      {
        burnRateWindows: [
          {
            name: 'page',
            longWindow: Duration.hours(1),
            shortWindow: Duration.minutes(5),
            budgetConsumed: 2,
          },
          {
            name: 'page',
            longWindow: Duration.hours(6),
            shortWindow: Duration.minutes(30),
            budgetConsumed: 5,
          },
        ],
      },
      /burnRateWindows\[1\]: a window pair named "page" is already there/,
    ],
    ['name with a slash', { name: 'payments/api' }, /name "payments\/api" must be a plain string/],
  ])('%s', (_label, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('every problem is listed in one error that names the construct', () => {
    expect(() =>
      synth({
        availability: { target: 120 },
        latency: { percentile: 75 as 99, threshold: Duration.millis(0) },
      }),
    ).toThrow(
      /^FlowSlo Payments\/PaymentsSlo:\n {2}- latency\.percentile is 75[\s\S]*\n {2}- latency\.threshold[\s\S]*\n {2}- availability\.target is 120/,
    );
  });

  test('an entry that is not a function', () => {
    expect(() => synth({}, () => ({}) as unknown as lambda.IFunction)).toThrow(
      /entry must be a Lambda function \(lambda\.IFunction\)/,
    );
  });
});
