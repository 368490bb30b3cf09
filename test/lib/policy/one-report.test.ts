import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AspectPriority, Aspects, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import {
  acknowledgeRule,
  NON_NODE_RUNTIME,
  QUEUE_WITHOUT_DLQ,
  queueWithoutDlq,
  TracingPolicy,
  TracingRulesReport,
  TracingRulesValidation,
} from '../../../lib/policy';
import { plainFunction } from '../../helpers/stack';

// One report per finding, whichever way the rules are added, and one acknowledgement that
// silences every way they are reported: the README's guard-rails snippet (the policy and the
// validation plugin), the policy alone, the plugin alone.

function newApp(context: Record<string, unknown> = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'one-report-'));
  return new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
}

/** The README's guard-rails snippet, on an app. */
function guardRails(scope: App | Stage): void {
  Aspects.of(scope).add(new TracingPolicy({ samplingRatio: 0.01 }), { priority: AspectPriority.MUTATING });
  Validations.of(scope).addPlugins(new TracingRulesValidation());
}

/** A stack with one finding of an error rule (a queue without a DLQ) and one of a warning rule (a Python function). */
function findingsStack(
  scope: IConstruct,
  id = 'Payments',
): { stack: Stack; queue: sqs.Queue; python: lambda.Function } {
  const stack = new Stack(scope as App, id);
  const queue = new sqs.Queue(stack, 'Plain');
  const python = plainFunction(stack, 'Python', {
    runtime: lambda.Runtime.PYTHON_3_12,
    logGroup: new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_WEEK }),
  });
  return { stack, queue, python };
}

interface Outcome {
  /** The synth error, if the synth failed. */
  readonly error?: string;
  /** The annotations of the rules: `<level> <path> <text>`. */
  readonly annotations: string[];
  /** The violations of the plugin: `<rule> <construct path>`. */
  readonly violations: string[];
  /** What CDK suppressed of the plugin's: `<rule> <construct path>: <reason>`. */
  readonly suppressed: string[];
  /** The plugin report's metadata (what acknowledgeRule left out). */
  readonly metadata: Record<string, string>;
  /** The rules' findings CDK copied from the annotations into the validation report ("Construct Annotations"). */
  readonly annotationFindings: string[];
}

/** Synthesizes the app and collects every report of the tracing rules. */
function synthesize(app: App): Outcome {
  const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  let error: string | undefined;
  try {
    app.synth();
  } catch (e) {
    error = (e as Error).message;
  } finally {
    consoleError.mockRestore();
  }
  const annotations = app.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => ['aws:cdk:error', 'aws:cdk:warning', 'aws:cdk:info'].includes(m.type))
        .map((m) => `${m.type.replace('aws:cdk:', '')} ${c.node.path} ${String(m.data)}`),
    )
    .filter((text) => text.includes('[CST-'));
  const file = path.join(app.outdir, 'validation-report.json');
  const report = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as {
        pluginReports: {
          pluginName: string;
          violations: {
            ruleName: string;
            description: string;
            violatingConstructs: { constructPath: string }[];
          }[];
          suppressedViolations?: {
            ruleName: string;
            reason: string;
            violatingConstructs: { constructPath: string }[];
          }[];
          metadata?: Record<string, string>;
        }[];
      })
    : { pluginReports: [] };
  const ours = report.pluginReports.find((r) => r.pluginName === 'cdk-serverless-tracing');
  return {
    error,
    annotations,
    violations: (ours?.violations ?? []).flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`),
    ),
    suppressed: (ours?.suppressedViolations ?? []).flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}: ${v.reason}`),
    ),
    metadata: ours?.metadata ?? {},
    annotationFindings: report.pluginReports
      .filter((r) => r.pluginName === 'Construct Annotations')
      .flatMap((r) => r.violations.map((v) => /^\[(CST-[A-Za-z]+)\]/.exec(v.description)?.[1] ?? ''))
      .filter((id) => id !== ''),
  };
}

/** How many times a rule's finding appears in the annotations and the violations together. */
function timesReported(outcome: Outcome, rule: string): number {
  return [...outcome.annotations, ...outcome.violations].filter((line) => line.includes(rule)).length;
}

describe("the README's guard-rails snippet (a TracingPolicy and the TracingRulesValidation plugin)", () => {
  test('reports each finding exactly once: in the validation report, not also as an annotation', () => {
    const app = newApp();
    guardRails(app);
    findingsStack(app);
    const outcome = synthesize(app);
    expect(outcome.violations.sort()).toEqual([
      'CST-NonNodeRuntime Payments/Python/Resource',
      'CST-QueueWithoutDlq Payments/Plain/Resource',
    ]);
    expect(outcome.annotations).toEqual([]);
    expect(timesReported(outcome, QUEUE_WITHOUT_DLQ)).toBe(1);
    expect(timesReported(outcome, NON_NODE_RUNTIME)).toBe(1);
    // The error fails the synth, once, through the plugin.
    expect(outcome.error).toMatch(/An SQS queue without a dead-letter queue/);
    expect(outcome.error!.match(/cdk-serverless-tracing::CST-QueueWithoutDlq/g)).toHaveLength(1);
  });

  test('with annotations in the validation report (a recommended CDK flag), still once', () => {
    const build = (snippet: boolean) => {
      const app = newApp({ '@aws-cdk/core:annotationsInValidationReport': true });
      if (snippet) guardRails(app);
      else Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
      findingsStack(app);
      return synthesize(app);
    };
    // The policy alone: its annotations are the report (CDK copies them into "Construct Annotations").
    const policyOnly = build(false);
    expect(policyOnly.annotationFindings.sort()).toEqual(['CST-NonNodeRuntime', 'CST-QueueWithoutDlq']);
    expect(policyOnly.violations).toEqual([]);
    // The snippet: the plugin's report only.
    const snippet = build(true);
    expect(snippet.violations).toHaveLength(2);
    expect(snippet.annotationFindings).toEqual([]);
  });

  test('the policy still traces (it is the mutating half of the snippet)', () => {
    const app = newApp();
    guardRails(app);
    const stack = new Stack(app, 'Payments');
    const fn = plainFunction(stack, 'Node', { runtime: lambda.Runtime.NODEJS_22_X });
    synthesize(app);
    expect((fn.node.defaultChild as lambda.CfnFunction).handler).toBe(
      '/opt/cdk-serverless-tracing/handler.handler',
    );
  });

  test('a plugin registered on a Stage takes the rules of that Stage only; the policy reports elsewhere', () => {
    const app = newApp();
    const prod = new Stage(app, 'Prod');
    const dev = new Stage(app, 'Dev');
    guardRails(prod);
    Aspects.of(dev).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    findingsStack(prod);
    findingsStack(dev);
    const outcome = synthesize(app);
    expect(outcome.violations.sort()).toEqual([
      'CST-NonNodeRuntime Prod/Payments/Python/Resource',
      'CST-QueueWithoutDlq Prod/Payments/Plain/Resource',
    ]);
    expect(outcome.annotations.map((a) => a.split(' ').slice(0, 2).join(' ')).sort()).toEqual([
      'error Dev/Payments/Plain/Resource',
      'warning Dev/Payments/Python',
    ]);
  });

  test('a plugin that checks some rules takes those; the policy reports the others', () => {
    const app = newApp();
    Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    Validations.of(app).addPlugins(new TracingRulesValidation({ rules: [queueWithoutDlq] }));
    findingsStack(app);
    const outcome = synthesize(app);
    expect(outcome.violations).toEqual(['CST-QueueWithoutDlq Payments/Plain/Resource']);
    expect(outcome.annotations).toHaveLength(1);
    expect(outcome.annotations[0]).toMatch(/^warning Payments\/Python \[CST-NonNodeRuntime\]/);
  });

  test("a TracingRulesReport added next to the plugin leaves the plugin's rules to it too", () => {
    const app = newApp();
    Aspects.of(app).add(new TracingRulesReport(), { priority: AspectPriority.READONLY });
    Validations.of(app).addPlugins(new TracingRulesValidation());
    findingsStack(app);
    const outcome = synthesize(app);
    expect(outcome.violations).toHaveLength(2);
    expect(outcome.annotations).toEqual([]);
  });

  test('report: false: the policy only traces; without the plugin nothing reports', () => {
    const app = newApp();
    Aspects.of(app).add(new TracingPolicy({ report: false }), { priority: AspectPriority.MUTATING });
    findingsStack(app);
    const outcome = synthesize(app);
    expect(outcome.annotations).toEqual([]);
    expect(outcome.violations).toEqual([]);
    expect(outcome.error).toBeUndefined();
  });
});

describe('acknowledgeRule silences every report of the finding', () => {
  test('the snippet: no violation, no error or warning, the synth passes; the reasons show as info lines', () => {
    const app = newApp();
    guardRails(app);
    const { queue, python } = findingsStack(app);
    acknowledgeRule(queue, QUEUE_WITHOUT_DLQ, 'scratch queue of the load test');
    acknowledgeRule(python, NON_NODE_RUNTIME, 'traced by its own OpenTelemetry SDK');
    const outcome = synthesize(app);
    expect(outcome.error).toBeUndefined();
    expect(outcome.violations).toEqual([]);
    expect(outcome.annotations.sort()).toEqual([
      'info Payments/Plain/Resource [CST-QueueWithoutDlq] acknowledged: scratch queue of the load test',
      'info Payments/Python [CST-NonNodeRuntime] acknowledged: traced by its own OpenTelemetry SDK',
    ]);
  });

  test('the plugin alone: left out of the violations, listed in its metadata', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new TracingRulesValidation());
    const { queue } = findingsStack(app);
    acknowledgeRule(queue, QUEUE_WITHOUT_DLQ, 'scratch queue of the load test');
    const outcome = synthesize(app);
    expect(outcome.error).toBeUndefined();
    expect(outcome.violations).toEqual(['CST-NonNodeRuntime Payments/Python/Resource']);
    expect(outcome.metadata).toEqual({
      'acknowledged CST-QueueWithoutDlq at Payments/Plain/Resource': 'scratch queue of the load test',
    });
  });

  test('the policy alone: the error becomes an info line with the reason', () => {
    const app = newApp();
    Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    const { queue } = findingsStack(app);
    acknowledgeRule(queue, QUEUE_WITHOUT_DLQ, 'scratch queue of the load test');
    const outcome = synthesize(app);
    expect(outcome.annotations.filter((a) => a.includes(QUEUE_WITHOUT_DLQ))).toEqual([
      'info Payments/Plain/Resource [CST-QueueWithoutDlq] acknowledged: scratch queue of the load test',
    ]);
  });
});

describe("Validations.of(scope).acknowledge (CDK's own) silences every report of the finding", () => {
  const ack = (scope: IConstruct, rule: string) =>
    Validations.of(scope).acknowledge({
      id: `cdk-serverless-tracing::${rule}`,
      reason: 'scratch queues of the load test',
    });

  test('the policy alone: its error is gone (an info line with the reason instead)', () => {
    const app = newApp();
    Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    const { stack } = findingsStack(app);
    ack(stack, QUEUE_WITHOUT_DLQ);
    const outcome = synthesize(app);
    expect(outcome.annotations.filter((a) => a.includes(QUEUE_WITHOUT_DLQ))).toEqual([
      'info Payments/Plain/Resource [CST-QueueWithoutDlq] acknowledged: scratch queues of the load test',
    ]);
    expect(outcome.annotations.filter((a) => a.startsWith('error'))).toEqual([]);
  });

  test('the snippet: the synth passes; CDK lists the finding as suppressed, with the reason', () => {
    const app = newApp();
    guardRails(app);
    const { stack } = findingsStack(app);
    ack(stack, QUEUE_WITHOUT_DLQ);
    const outcome = synthesize(app);
    expect(outcome.error).toBeUndefined();
    expect(outcome.annotations).toEqual([
      'info Payments/Plain/Resource [CST-QueueWithoutDlq] acknowledged: scratch queues of the load test',
    ]);
    expect(outcome.violations).toEqual(['CST-NonNodeRuntime Payments/Python/Resource']);
    expect(outcome.suppressed).toEqual([
      'CST-QueueWithoutDlq Payments/Plain/Resource: scratch queues of the load test',
    ]);
  });

  test("on the resource itself (the queue's CfnQueue): both paths silenced too", () => {
    const app = newApp();
    guardRails(app);
    const { queue } = findingsStack(app);
    ack(queue.node.defaultChild!, QUEUE_WITHOUT_DLQ);
    const outcome = synthesize(app);
    expect(outcome.error).toBeUndefined();
    expect(outcome.suppressed).toHaveLength(1);
  });

  test("with the warning's own id (cdk-serverless-tracing:<id>, as the synth output shows it): both silenced", () => {
    const build = (plugin: boolean) => {
      const app = newApp();
      Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
      if (plugin) Validations.of(app).addPlugins(new TracingRulesValidation());
      const { python } = findingsStack(app);
      Validations.of(python).acknowledge({
        id: `cdk-serverless-tracing:${NON_NODE_RUNTIME}`,
        reason: 'its own SDK',
      });
      return synthesize(app);
    };
    const policyOnly = build(false);
    expect(policyOnly.annotations.filter((a) => a.includes(NON_NODE_RUNTIME))).toEqual([
      'info Payments/Python [CST-NonNodeRuntime] acknowledged: its own SDK',
    ]);
    const snippet = build(true);
    expect(snippet.violations).toEqual(['CST-QueueWithoutDlq Payments/Plain/Resource']);
    expect(snippet.metadata).toEqual({ 'acknowledged CST-NonNodeRuntime at Payments/Python': 'its own SDK' });
  });

  test('an acknowledgement of another rule, or under another scope, silences nothing', () => {
    const app = newApp();
    guardRails(app);
    const { python } = findingsStack(app);
    ack(python, QUEUE_WITHOUT_DLQ);
    const outcome = synthesize(app);
    expect(outcome.violations.sort()).toEqual([
      'CST-NonNodeRuntime Payments/Python/Resource',
      'CST-QueueWithoutDlq Payments/Plain/Resource',
    ]);
    expect(outcome.error).toMatch(/CST-QueueWithoutDlq/);
  });
});
