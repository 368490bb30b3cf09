import { Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  addRunbookLink,
  cloudWatchFragmentValue,
  dashboardUrl,
  estimatedLength,
  MAX_ALARM_DESCRIPTION,
  renderRunbook,
  runbookDescription,
  serviceTracesUrl,
} from '../../../lib';
import { newStack } from '../../helpers/stack';

function alarmWith(stack: Stack, id: string, alarmDescription: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' }),
    threshold: 1,
    evaluationPeriods: 1,
    alarmDescription,
  });
}

function descriptionOf(stack: Stack, alarm: cloudwatch.Alarm): unknown {
  const id = stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm);
  return Template.fromStack(stack).toJSON().Resources[id].Properties.AlarmDescription;
}

describe('runbookDescription', () => {
  test('what it means, the first query, the links: one per line', () => {
    const { stack } = newStack({ env: true });
    const alarm = alarmWith(
      stack,
      'A',
      runbookDescription({
        meaning: 'Authorize fails\n  more than 1% of payments.',
        firstQuery:
          'Logs Insights on /aws/lambda/authorize: filter level = "ERROR" | stats count(*) by message',
        links: [
          { label: 'Traces', url: serviceTracesUrl('eu-west-1', 'payments-authorize') },
          { label: 'Not known', url: () => undefined },
          { label: 'Later', url: () => 'https://example.com/later' },
        ],
      }),
    );
    expect(descriptionOf(stack, alarm)).toBe(
      [
        'Authorize fails more than 1% of payments.',
        'First query: Logs Insights on /aws/lambda/authorize: filter level = "ERROR" | stats count(*) by message',
        "Traces: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/query?~(query~(expression~'service*28*22payments-authorize*22*29')~context~(timeRange~(delta~10800000)))",
        'Later: https://example.com/later',
      ].join('\n'),
    );
  });

  test('addRunbookLink adds to a runbook (once per label), and leaves other descriptions alone', () => {
    const { stack } = newStack();
    const runbook = alarmWith(stack, 'A', runbookDescription({ meaning: 'It broke.' }));
    const plain = alarmWith(stack, 'B', 'by hand');
    expect(addRunbookLink(runbook, { label: 'Dashboard', url: dashboardUrl('eu-west-1', 'flow') })).toBe(
      true,
    );
    expect(addRunbookLink(runbook, { label: 'Dashboard', url: 'https://elsewhere' })).toBe(true);
    expect(addRunbookLink(plain, { label: 'Dashboard', url: 'https://elsewhere' })).toBe(false);
    expect(descriptionOf(stack, runbook)).toBe(
      'It broke.\nDashboard: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/flow',
    );
    expect(descriptionOf(stack, plain)).toBe('by hand');
  });

  test('tokens (an environment-agnostic region) stay tokens', () => {
    const { stack } = newStack();
    const alarm = alarmWith(
      stack,
      'A',
      runbookDescription({
        meaning: 'It broke.',
        links: [{ label: 'Dashboard', url: dashboardUrl(stack.region, 'flow') }],
      }),
    );
    expect(descriptionOf(stack, alarm)).toEqual({
      'Fn::Join': [
        '',
        [
          'It broke.\nDashboard: https://',
          { Ref: 'AWS::Region' },
          '.console.aws.amazon.com/cloudwatch/home?region=',
          { Ref: 'AWS::Region' },
          '#dashboards/dashboard/flow',
        ],
      ],
    });
  });
});

describe("CloudWatch's limit of 1024 characters", () => {
  const link = (i: number) => ({ label: `Link ${i}`, url: `https://example.com/${'x'.repeat(200)}/${i}` });

  test('links are dropped from the last until it fits', () => {
    const text = renderRunbook(
      { meaning: 'It broke.', firstQuery: 'fields @message' },
      [1, 2, 3, 4, 5, 6].map(link),
    );
    expect(text.length).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION);
    expect(text.split('\n').map((l) => l.split(':')[0])).toEqual([
      'It broke.',
      'First query',
      'Link 1',
      'Link 2',
      'Link 3',
      'Link 4',
    ]);
  });

  test('then the query is shortened, then the meaning', () => {
    const longQuery = renderRunbook({ meaning: 'It broke.', firstQuery: 'q'.repeat(2000) }, [link(1)]);
    expect(longQuery.length).toBe(MAX_ALARM_DESCRIPTION);
    expect(longQuery).toMatch(/^It broke\.\nFirst query: q+…$/);
    const longMeaning = renderRunbook({ meaning: 'm'.repeat(3000), firstQuery: 'fields @message' }, [
      link(1),
    ]);
    expect(longMeaning.length).toBe(MAX_ALARM_DESCRIPTION);
    expect(longMeaning).toMatch(/^m+…$/);
  });

  test('a token counts at its likely longest (a region 16, another 96) and is never cut', () => {
    const { stack } = newStack();
    const generated = Lazy.string({ produce: () => 'some-generated-name' });
    expect(estimatedLength(`a${stack.region}b`)).toBe(18);
    expect(estimatedLength(`a${generated}b`)).toBe(98);
    const text = renderRunbook({ meaning: `${'m'.repeat(950)} ${generated} end` }, []);
    expect(text).toBe(`${'m'.repeat(950)} …`);
    const fits = `${'m'.repeat(900)} ${generated} end`;
    expect(renderRunbook({ meaning: fits }, [])).toBe(fits);
  });

  test('in a template: at most 1024 characters', () => {
    const { stack } = newStack({ env: true });
    const alarm = alarmWith(
      stack,
      'A',
      runbookDescription({ meaning: 'x'.repeat(5000), firstQuery: 'y'.repeat(5000), links: [link(1)] }),
    );
    expect((descriptionOf(stack, alarm) as string).length).toBe(1024);
  });
});

describe('console links', () => {
  test("the CloudWatch console's fragment encoding", () => {
    expect(cloudWatchFragmentValue('service("a-b_c.d") { error = true }')).toBe(
      'service*28*22a-b_c.d*22*29*20*7b*20error*20*3d*20true*20*7d',
    );
    expect(cloudWatchFragmentValue('é')).toBe('*c3*a9');
  });
});
