import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TracedFunction } from '../../../../../lib/function';
import {
  LOG_RETENTION,
  logRetention,
  markPolicyReporting,
  TracingRulesReport,
} from '../../../../../lib/policy';
import { TracingSettings } from '../../../../../lib/settings';
import { fixture, newStack, plainFunction } from '../../../../helpers/stack';
import { COMPLIANT, evaluate, nonCompliant, NOT_APPLICABLE, resourceOf } from '../evaluate';

/** `<id> <message>` of every warning of a stack. */
function warnings(stack: Stack): string[] {
  return Annotations.fromStack(stack)
    .findWarning('*', Match.anyValue())
    .map((w) => `${w.id} ${String(w.entry.data)}`);
}

describe(`${LOG_RETENTION} (warning)`, () => {
  test('the id and level', () => {
    expect(logRetention.id).toBe('CST-LogRetention');
    expect(logRetention.level).toBe('warning');
  });

  test('a log group without retention, a function without a log group of its own: non-compliant', () => {
    const { stack } = newStack();
    const forever = new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
    const raw = new logs.CfnLogGroup(stack, 'Raw');
    const plain = plainFunction(stack, 'Plain');
    expect(evaluate(logRetention, forever)).toEqual(
      nonCompliant('log group TestStack/Forever has no retention: its logs are kept (and billed) forever'),
    );
    expect(evaluate(logRetention, raw)).toEqual(nonCompliant(/^log group TestStack\/Raw has no retention/));
    expect(evaluate(logRetention, plain)).toEqual(
      nonCompliant(
        'function TestStack/Plain writes to the log group Lambda creates for it, which keeps logs forever',
      ),
    );
  });

  test('a retention, a log group of its own, the legacy logRetention, a traced function: compliant', () => {
    const { stack } = newStack();
    const kept = new logs.LogGroup(stack, 'Kept', { retention: logs.RetentionDays.ONE_WEEK });
    const withGroup = plainFunction(stack, 'WithGroup', { logGroup: kept });
    const legacy = plainFunction(stack, 'Legacy', { logRetention: logs.RetentionDays.ONE_WEEK });
    const traced = new TracedFunction(stack, 'Traced', { entry: fixture('hello.ts') });
    for (const node of [kept, withGroup, legacy, traced]) {
      expect(evaluate(logRetention, node)).toEqual(COMPLIANT);
    }
    expect(evaluate(logRetention, plainFunction(stack, 'Policy'), () => true)).toEqual(COMPLIANT);
  });

  test('not applicable: the CfnLogGroup of a LogGroup, a log group its function reported already, other constructs', () => {
    const { stack } = newStack();
    const forever = new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
    const traced = new TracedFunction(stack, 'Traced', {
      entry: fixture('hello.ts'),
      logRetention: logs.RetentionDays.INFINITE,
    });
    const tracedGroup = traced.node.findAll().find((c) => c instanceof logs.LogGroup)!;
    expect(evaluate(logRetention, resourceOf(forever))).toEqual(NOT_APPLICABLE);
    expect(evaluate(logRetention, tracedGroup)).toEqual(NOT_APPLICABLE);
    expect(evaluate(logRetention, new sqs.Queue(stack, 'Queue'))).toEqual(NOT_APPLICABLE);
  });
});

describe('the log-retention check of TracingSettings and the rule: one logic, one warning', () => {
  function app(): { app: App; stack: Stack; other: Stack } {
    const { app, stack } = newStack();
    TracingSettings.set(app, {});
    new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
    plainFunction(stack, 'Plain');
    const other = new Stack(app, 'Other');
    new logs.LogGroup(other, 'Forever', { retention: logs.RetentionDays.INFINITE });
    return { app, stack, other };
  }

  test('without a report: the check warns with its own ids and messages', () => {
    const { stack } = app();
    expect(warnings(stack)).toEqual([
      expect.stringMatching(
        /^\/TestStack\/Forever log group TestStack\/Forever has no retention: its logs are kept \(and billed\) forever; set retention, e\.g\. logs\.RetentionDays\.ONE_MONTH \[ack: cdk-serverless-tracing:logGroupWithoutRetention\]$/,
      ),
      expect.stringMatching(
        /^\/TestStack\/Plain function TestStack\/Plain writes to the log group Lambda creates for it, which keeps logs forever: give it logGroup: .* \[ack: cdk-serverless-tracing:functionLogGroupWithoutRetention\]$/,
      ),
    ]);
  });

  test('with a report on the app: only the rule warns', () => {
    const { app: a, stack, other } = app();
    Aspects.of(a).add(new TracingRulesReport({ rules: [logRetention] }));
    expect(warnings(stack)).toEqual([
      expect.stringMatching(
        /^\/TestStack\/Forever \[CST-LogRetention\] log group TestStack\/Forever has no retention.*\[ack: cdk-serverless-tracing:CST-LogRetention\]$/,
      ),
      expect.stringMatching(/^\/TestStack\/Plain \[CST-LogRetention\] function TestStack\/Plain writes to/),
    ]);
    expect(warnings(other)).toEqual([expect.stringMatching(/^\/Other\/Forever \[CST-LogRetention\]/)]);
  });

  test('with a report on one stack: the check still warns in the others', () => {
    const { stack, other } = app();
    Aspects.of(stack).add(new TracingRulesReport({ rules: [logRetention] }));
    expect(warnings(stack).every((w) => w.includes('[CST-LogRetention]'))).toBe(true);
    expect(warnings(other)).toEqual([expect.stringMatching(/logGroupWithoutRetention\]$/)]);
  });

  test('markPolicyReporting(app) silences the check everywhere; a report without the rule does not mark', () => {
    const marked = app();
    markPolicyReporting(marked.app);
    expect(warnings(marked.stack)).toEqual([]);

    const unmarked = app();
    Aspects.of(unmarked.app).add(new TracingRulesReport({ rules: [] }));
    expect(warnings(unmarked.stack)).toHaveLength(2);
  });
});
