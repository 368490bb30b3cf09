import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, IPolicyValidationContext, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TracedQueue } from '../../../lib/messaging';
import { acknowledgeRule, QUEUE_WITHOUT_DLQ, TracingRulesValidation } from '../../../lib/policy';
import { plainFunction } from '../../helpers/stack';

function newApp(): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracing-rules-'));
  return { app: new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } }), outdir };
}

/** The context CDK gives a plugin, from an app synthesized without it. */
function contextOf(app: App): IPolicyValidationContext {
  const stacks = app.synth().stacksRecursively;
  return {
    templatePaths: stacks.map((s) => s.templateFullPath),
    stackTemplates: stacks.map((s) => ({
      stackConstructPath: s.hierarchicalId,
      templatePath: s.templateFullPath,
      accountId: undefined,
      region: undefined,
    })),
    appConstruct: app,
  };
}

let consoleError: jest.SpyInstance;
beforeEach(() => {
  consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => consoleError.mockRestore());

/** What CDK printed about this plugin. */
function printed(): string {
  return consoleError.mock.calls
    .map((args: unknown[]) => args.join(' '))
    .filter((text) => text.includes('cdk-serverless-tracing'))
    .join('\n');
}

describe('TracingRulesValidation', () => {
  test('its name, version and rule ids', () => {
    const plugin = new TracingRulesValidation();
    expect(plugin.name).toBe('cdk-serverless-tracing');
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(plugin.ruleIds).toContain('CST-QueueWithoutDlq');
    expect(plugin.ruleIds).toHaveLength(9);
  });

  test('a finding of an error rule: a violation with the rule id, the logical id and the template', () => {
    const { app } = newApp();
    const stack = new Stack(app, 'Payments');
    const queue = new sqs.Queue(stack, 'Plain');
    const report = new TracingRulesValidation().validate(contextOf(app));
    expect(report).toEqual({
      success: false,
      violations: [
        {
          ruleName: 'CST-QueueWithoutDlq',
          description:
            'An SQS queue without a dead-letter queue retries a failing message until its retention ends, then ' +
            'loses it with its trace. Queue Payments/Plain has no dead-letter queue (no redrive policy): a message ' +
            'that keeps failing is received again and again until its retention period ends, then it is lost.',
          fix: expect.stringContaining('Use a TracedQueue'),
          severity: 'error',
          violatingResources: [
            {
              resourceLogicalId: stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue),
              templatePath: expect.stringMatching(/Payments\.template\.json$/),
              locations: [],
            },
          ],
        },
      ],
    });
  });

  test('registered on the app, it fails the synth with a report naming the rule, the resource and its logical id', () => {
    const { app, outdir } = newApp();
    const stack = new Stack(app, 'Payments');
    const queue = new sqs.Queue(stack, 'Plain');
    Validations.of(app).addPlugins(new TracingRulesValidation());
    const logicalId = stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue);
    expect(() => app.synth()).toThrow(
      new RegExp(
        `ERROR An SQS queue without a dead-letter queue .* \\(cdk-serverless-tracing\\)\\s+` +
          `Payments/Plain/Resource \\(${logicalId}\\)[\\s\\S]*Suggested fix: Use a TracedQueue[\\s\\S]*` +
          `Acknowledge with 'cdk-serverless-tracing::CST-QueueWithoutDlq'`,
      ),
    );
    const json = fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8');
    expect(json).toContain('"CST-QueueWithoutDlq"');
    expect(json).toContain(logicalId);
    expect(json).toContain('Payments.template.json');
  });

  test('a compliant app passes, and nothing is printed', () => {
    const { app } = newApp();
    new TracedQueue(new Stack(app, 'Payments'), 'Orders');
    Validations.of(app).addPlugins(new TracingRulesValidation());
    expect(() => app.synth()).not.toThrow();
    expect(printed()).toBe('');
  });

  test('warnings are printed and do not fail the synth', () => {
    const { app } = newApp();
    const stack = new Stack(app, 'Payments');
    plainFunction(stack, 'Python', {
      runtime: lambda.Runtime.PYTHON_3_12,
      logGroup: new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_WEEK }),
    });
    Validations.of(app).addPlugins(new TracingRulesValidation());
    expect(() => app.synth()).not.toThrow();
    expect(printed()).toMatch(
      /WARNING A Lambda function whose runtime is not Node\.js .*Function Payments\/Python runs python3\.12/,
    );
  });

  test('acknowledged findings are left out, and listed in the metadata', () => {
    const build = () => {
      const { app } = newApp();
      const stack = new Stack(app, 'Payments');
      new sqs.Queue(stack, 'Plain');
      acknowledgeRule(stack, QUEUE_WITHOUT_DLQ, 'scratch queues of the load test');
      return app;
    };
    expect(new TracingRulesValidation().validate(contextOf(build()))).toEqual({
      success: true,
      violations: [],
      metadata: {
        'acknowledged CST-QueueWithoutDlq at Payments/Plain/Resource': 'scratch queues of the load test',
      },
    });
    const app = build();
    Validations.of(app).addPlugins(new TracingRulesValidation());
    expect(() => app.synth()).not.toThrow();
    expect(printed()).toBe('');
  });

  test("CDK's own acknowledgement (Validations.acknowledge with the plugin's namespace) suppresses a finding too", () => {
    const { app } = newApp();
    const stack = new Stack(app, 'Payments');
    new sqs.Queue(stack, 'Plain');
    Validations.of(stack).acknowledge({
      id: 'cdk-serverless-tracing::CST-QueueWithoutDlq',
      reason: 'scratch',
    });
    Validations.of(app).addPlugins(new TracingRulesValidation());
    expect(() => app.synth()).not.toThrow();
  });

  test('stacks of a stage: the stack is found by its construct path, and a plugin of the app fails the synth', () => {
    const build = () => {
      const { app } = newApp();
      const stack = new Stack(new Stage(app, 'Prod'), 'Payments');
      const queue = new sqs.Queue(stack, 'Plain');
      return { app, logicalId: stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue) };
    };
    const first = build();
    const report = new TracingRulesValidation().validate(contextOf(first.app));
    expect(report.violations.map((v) => [v.ruleName, v.violatingResources])).toEqual([
      [
        'CST-QueueWithoutDlq',
        [
          {
            resourceLogicalId: first.logicalId,
            templatePath: expect.stringMatching(/ProdPayments[^/]*\.template\.json$/),
            locations: [],
          },
        ],
      ],
    ]);
    const second = build();
    Validations.of(second.app).addPlugins(new TracingRulesValidation());
    expect(() => second.app.synth()).toThrow(
      new RegExp(`Prod/Payments/Plain/Resource \\(${second.logicalId}\\)`),
    );
  });
});
