import { Aspects, AspectPriority, IAspect } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { TracedQueue } from '../../../lib/messaging';
import {
  acknowledgeRule,
  NON_NODE_RUNTIME,
  nonNodeRuntime,
  QUEUE_WITHOUT_DLQ,
  queueWithoutDlq,
  RuleLevel,
  TRACING_RULES,
  TracingRule,
  TracingRulesReport,
  untracedEdge,
} from '../../../lib/policy';
import { newStack, plainFunction } from '../../helpers/stack';

const QUEUE_ERROR =
  '[CST-QueueWithoutDlq] queue TestStack/Plain has no dead-letter queue (no redrive policy): a message that keeps ' +
  'failing is received again and again until its retention period ends, then it is lost (Use a TracedQueue (it ' +
  'has a dead-letter queue), or give the queue deadLetterQueue: { queue, maxReceiveCount }; for a queue that ' +
  "needs none, acknowledgeRule(queue, 'CST-QueueWithoutDlq', reason))";

describe('TRACING_RULES', () => {
  test('every rule: a stable id, a level, a summary and a fix; errors first', () => {
    expect(TRACING_RULES.map((r) => `${r.id} ${r.level}`)).toEqual([
      'CST-UntracedEdge error',
      'CST-EnvelopeUnreadable error',
      'CST-QueueWithoutDlq error',
      'CST-SamplingOverBudget error',
      'CST-SecretInEnvironment error',
      'CST-NonNodeRuntime warning',
      'CST-VisibilityTimeout warning',
      'CST-LogRetention warning',
      'CST-HighCardinalityResource warning',
    ]);
    for (const rule of TRACING_RULES) {
      expect(rule.summary).toMatch(/^[A-Z`].*\.$/);
      expect(rule.fix.length).toBeGreaterThan(20);
    }
  });
});

describe('TracingRulesReport', () => {
  test('an error rule: an error annotation [<id>] <message> (<fix>) on the construct', () => {
    const { app, stack } = newStack();
    new sqs.Queue(stack, 'Plain');
    Aspects.of(app).add(new TracingRulesReport());
    const annotations = Annotations.fromStack(stack);
    annotations.hasError('/TestStack/Plain/Resource', QUEUE_ERROR);
    expect(annotations.findError('*', Match.anyValue())).toHaveLength(1);
  });

  test('a warning rule: a warning cdk-serverless-tracing:<id> that can be acknowledged', () => {
    const { app, stack } = newStack();
    plainFunction(stack, 'Python', {
      runtime: lambda.Runtime.PYTHON_3_12,
      logGroup: new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_WEEK }),
    });
    Aspects.of(app).add(new TracingRulesReport());
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    annotations.hasWarning(
      '/TestStack/Python',
      Match.stringLikeRegexp(
        '^\\[CST-NonNodeRuntime\\] function TestStack/Python runs python3.12: this library traces Node.js ' +
          'functions only, so its invocations are not traced \\(Trace it with .*\\) ' +
          '\\[ack: cdk-serverless-tracing:CST-NonNodeRuntime\\]$',
      ),
    );
  });

  test('an edge of the trace map that breaks: an error on the consumer', () => {
    const { app, stack } = newStack();
    const orders = new TracedQueue(stack, 'Orders');
    orders.addConsumer(plainFunction(stack, 'Legacy'), { untraced: { reason: 'the legacy batch job' } });
    Aspects.of(app).add(new TracingRulesReport({ rules: [untracedEdge] }));
    Annotations.fromStack(stack).hasError(
      '/TestStack/Legacy',
      Match.stringLikeRegexp(
        '^\\[CST-UntracedEdge\\] the trace breaks at TestStack/Orders → TestStack/Legacy \\(sqs-to-lambda: the ' +
          'legacy batch job\\) \\(Make the function a TracedFunction',
      ),
    );
  });

  test('the rules and isTraced it is given', () => {
    const { app, stack } = newStack();
    const orders = new TracedQueue(stack, 'Orders');
    const legacy = plainFunction(stack, 'Legacy');
    orders.addConsumer(legacy, { untraced: { reason: 'legacy' } });
    new sqs.Queue(stack, 'Plain');
    Aspects.of(app).add(new TracingRulesReport({ rules: [untracedEdge], isTraced: (fn) => fn === legacy }));
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  test('it changes nothing: the same template, and variables set after it still arrive', () => {
    const build = (report: boolean) => {
      const { app, stack } = newStack();
      const fn = plainFunction(stack, 'Fn', { environment: { STAGE: 'prod' } });
      new sqs.Queue(stack, 'Plain');
      const late: IAspect = {
        visit: (node: IConstruct) => {
          if (node === fn) fn.addEnvironment('LATE', 'yes');
        },
      };
      if (report) Aspects.of(app).add(new TracingRulesReport());
      Aspects.of(app).add(late, { priority: AspectPriority.READONLY });
      return Template.fromStack(stack).toJSON();
    };
    const reported = build(true);
    expect(reported).toEqual(build(false));
    expect(JSON.stringify(reported)).toContain('"LATE":"yes"');
  });

  test('a rule of your own', () => {
    const { app, stack } = newStack();
    const custom: TracingRule = {
      id: 'TEAM-NoQueues',
      level: RuleLevel.WARNING,
      summary: 'No queues here.',
      fix: 'remove it',
      evaluate: (node) =>
        node instanceof sqs.CfnQueue
          ? { compliance: 'non-compliant', message: 'a queue' }
          : { compliance: 'compliant' },
    };
    new sqs.Queue(stack, 'Plain');
    Aspects.of(app).add(new TracingRulesReport({ rules: [custom] }));
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Plain/Resource',
      '[TEAM-NoQueues] a queue (remove it) [ack: cdk-serverless-tracing:TEAM-NoQueues]',
    );
  });
});

describe('acknowledgeRule', () => {
  test('suppresses the finding on the scope and below, and shows the reason once as info', () => {
    const { app, stack } = newStack();
    new sqs.Queue(stack, 'Plain');
    acknowledgeRule(stack, QUEUE_WITHOUT_DLQ, 'scratch queues of the load test');
    Aspects.of(app).add(new TracingRulesReport({ rules: [queueWithoutDlq] }));
    Aspects.of(app).add(new TracingRulesReport({ rules: [queueWithoutDlq] })); // a second report adds nothing
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findInfo('*', Match.anyValue()).map((i) => `${i.id} ${String(i.entry.data)}`)).toEqual(
      ['/TestStack/Plain/Resource [CST-QueueWithoutDlq] acknowledged: scratch queues of the load test'],
    );
  });

  test('covers only that rule, only under its scope; the nearest reason wins', () => {
    const { app, stack } = newStack();
    const acknowledged = new sqs.Queue(stack, 'Acknowledged');
    new sqs.Queue(stack, 'Plain');
    const python = plainFunction(stack, 'Python', { runtime: lambda.Runtime.PYTHON_3_12 });
    acknowledgeRule(acknowledged, QUEUE_WITHOUT_DLQ, 'a scratch queue');
    acknowledgeRule(app, NON_NODE_RUNTIME, 'the data team traces its Python functions');
    acknowledgeRule(python, NON_NODE_RUNTIME, 'traced with the Python distro');
    Aspects.of(app).add(new TracingRulesReport({ rules: [queueWithoutDlq, nonNodeRuntime] }));
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue()).map((e) => e.id)).toEqual([
      '/TestStack/Plain/Resource',
    ]);
    const infos = annotations.findInfo('*', Match.anyValue()).map((i) => `${i.id} ${String(i.entry.data)}`);
    expect(infos.sort()).toEqual([
      '/TestStack/Acknowledged/Resource [CST-QueueWithoutDlq] acknowledged: a scratch queue',
      '/TestStack/Python [CST-NonNodeRuntime] acknowledged: traced with the Python distro',
    ]);
  });

  test('an id and a reason are required', () => {
    const { stack } = newStack();
    expect(() => acknowledgeRule(stack, QUEUE_WITHOUT_DLQ, ' ')).toThrow(
      "acknowledgeRule(TestStack, 'CST-QueueWithoutDlq'): give the reason the findings are accepted",
    );
    expect(() => acknowledgeRule(stack, '', 'a reason')).toThrow(
      "acknowledgeRule(TestStack): give the id of the rule, e.g. 'CST-QueueWithoutDlq'",
    );
  });
});
