import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, AspectPriority, Aspects, IPolicyValidationPlugin, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { paymentApp } from '../../bin/example/payment-app';
import {
  TraceContinuityCanary,
  TracedFunction,
  TracedQueue,
  TracedTopic,
  TracingExporter,
  TracingGateway,
  TracingPolicy,
  TracingSettings,
  TransactionSearch,
} from '../../lib';
import { fixture } from '../helpers/stack';

function newApp(): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-nag-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
}

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

interface SuppressedViolation extends Violation {
  reason?: string;
  acknowledgedAt?: string;
}

interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: Violation[];
  suppressedViolations?: SuppressedViolation[];
}

interface Report {
  pluginReports: PluginReport[];
}

function report(app: App): Report {
  return JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as Report;
}

function pluginReport(app: App, name: string): PluginReport {
  const found = report(app).pluginReports.find((r) => r.pluginName === name);
  if (!found) throw new Error(`no report of ${name}`);
  return found;
}

/** Every finding of a report as `<rule> <construct path>`, sorted. */
function findings(violations: readonly Violation[]): string[] {
  return violations
    .flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`))
    .sort();
}

/** The number of findings of each rule, on the constructs `mine` does not claim. */
function countsBesides(violations: readonly Violation[], mine: RegExp): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of violations) {
    for (const c of v.violatingConstructs) {
      if (!mine.test(c.constructPath)) counts[v.ruleName] = (counts[v.ruleName] ?? 0) + 1;
    }
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The rules acknowledged in a report, each once, sorted. */
function acknowledgedRules(r: PluginReport): string[] {
  return [...new Set((r.suppressedViolations ?? []).map((v) => v.ruleName))].sort();
}

/** The four packs, registered as a user does (cdk-nag v3: validation plugins). */
function nagPacks(app: App): IPolicyValidationPlugin[] {
  return [
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
  ];
}

/** Synthesizes an app whose checks may fail; the report is written either way. */
function synthesize(app: App): void {
  const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    app.synth();
  } catch {
    // a pack with an unacknowledged finding fails the synth; the report says which
  } finally {
    consoleError.mockRestore();
  }
}

describe("cdk-nag's AwsSolutions checks", () => {
  test('the example app passes: every finding is fixed or acknowledged with a reason in code', () => {
    const app = newApp();
    paymentApp(app); // registers AwsSolutionsChecks on the app
    expect(() => app.synth()).not.toThrow();
    const nag = pluginReport(app, 'AwsSolutions');
    expect(nag.conclusion).toBe('success');
    expect(nag.violations).toEqual([]);
    // Exactly these are acknowledged (the reasons are next to each acknowledgement in code). The
    // example itself acknowledges APIG4 (no authorizer on POST /payments); the library the rest, on
    // its own resources: IAM5 on the X-Ray export policies and the canary's read policy (actions
    // without resource-level permissions) and on the aws/spans custom resources (the log streams
    // of that log group); and the gateway of Prod ECS2 (its configuration in a variable: no secret
    // in it), ECS4 (Container Insights, a paid extra), ELB2 (NLB access logs exist for TLS
    // listeners only) and VPC7 (flow logs on the VPC it makes).
    expect(acknowledgedRules(nag)).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-ECS2',
      'AwsSolutions-ECS4',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:aws/spans:*]',
      'AwsSolutions-VPC7',
    ]);
    // AWSLambdaBasicExecutionRole is nowhere: the traced functions, the canary and CDK's
    // AwsCustomResource function (made by the library for Transaction Search) have roles that
    // write to their own log group only.
    const json = readFileSync(join(app.outdir, 'validation-report.json'), 'utf8');
    expect(json).not.toContain('AwsSolutions-IAM4');
    for (const v of nag.suppressedViolations ?? []) {
      expect(v.reason?.length).toBeGreaterThan(20);
    }
  });

  test('deployed to a fixed account and region, it passes too (the findings name the ARNs with their values)', () => {
    const app = newApp();
    // Each stage in its own region: Transaction Search is one per account and region.
    paymentApp(app, {
      prodEnv: { account: '123456789012', region: 'eu-west-1' },
      devEnv: { account: '123456789012', region: 'eu-central-1' },
    });
    expect(() => app.synth()).not.toThrow();
    const nag = pluginReport(app, 'AwsSolutions');
    expect(nag.violations).toEqual([]);
    expect(nag.conclusion).toBe('success');
    expect((nag.suppressedViolations ?? []).map((v) => v.ruleName)).toContain(
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:eu-west-1:123456789012:log-group:aws/spans:*]',
    );
  });

  test('the checks do run: an API without access logs or authorization fails the synth', () => {
    const app = newApp();
    const stack = new Stack(app, 'Bare');
    new apigwv2.HttpApi(stack, 'Api').addRoutes({
      path: '/x',
      integration: new (class extends apigwv2.HttpRouteIntegration {
        bind() {
          return {
            type: apigwv2.HttpIntegrationType.HTTP_PROXY,
            uri: 'https://example.com',
            payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_1_0,
          };
        }
      })('Proxy'),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-APIG1[\s\S]*AwsSolutions-APIG4/);
    const nag = pluginReport(app, 'AwsSolutions');
    expect(nag.conclusion).toBe('failure');
    expect(nag.violations.map((v) => v.ruleName).sort()).toEqual([
      'AwsSolutions-APIG1',
      'AwsSolutions-APIG4',
    ]);
  });
});

/**
 * A new user's app that acknowledges nothing: a function behind nothing, a topic → queue →
 * consumer, a function subscribed to the topic, a plain NodejsFunction under a TracingPolicy, a
 * canary, a gateway, and Transaction Search turned on for the X-Ray exporter.
 */
function newUserApp(): App {
  const app = newApp();
  const entry = fixture('hello.ts');
  TracingSettings.set(app, {
    exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.enable() }),
  });
  Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
  const stack = new Stack(app, 'NewUser');
  const api = new TracedFunction(stack, 'Api', { entry });
  const orders = new TracedTopic(stack, 'Orders');
  const fulfilment = new TracedQueue(stack, 'Fulfilment');
  orders.addQueueSubscription(fulfilment);
  fulfilment.addConsumer(new TracedFunction(stack, 'Fulfil', { entry }));
  orders.addFunctionSubscription(new TracedFunction(stack, 'Notify', { entry }));
  new nodejs.NodejsFunction(stack, 'Plain', { entry, runtime: lambda.Runtime.NODEJS_24_X });
  new TraceContinuityCanary(stack, 'Canary', { entry: api });
  new TracingGateway(stack, 'Gateway');
  Validations.of(app).addPlugins(...nagPacks(app));
  return app;
}

/** The user's own resources in `newUserApp`: the plain function and its role (not what the policy added to it). */
const USERS_OWN = /^NewUser\/Plain\/(Resource|ServiceRole\/)/;

describe("a new user's app that acknowledges nothing (AwsSolutions, Serverless, NIST 800-53 R5, HIPAA)", () => {
  let app: App;
  beforeAll(() => {
    app = newUserApp();
    synthesize(app);
  });

  test("AwsSolutions: no finding on the library's resources; the user's own role keeps its finding", () => {
    const nag = pluginReport(app, 'AwsSolutions');
    expect(findings(nag.violations)).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole] NewUser/Plain/ServiceRole/Resource',
    ]);
    expect(acknowledgedRules(nag)).toEqual([
      'AwsSolutions-ECS2',
      'AwsSolutions-ECS4',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:aws/spans:*]',
      'AwsSolutions-VPC7',
    ]);
  });

  // The dead-letter wiring of lib/messaging/private/dead-letters.ts: subscriptions' redrive
  // policies, the subscriber's dead-letter queue, the acknowledgements of the event source mapping
  // and of the dead-letter queues.
  test("Serverless: no finding on the library's resources; the user's own function keeps its own", () => {
    const nag = pluginReport(app, 'Serverless');
    expect(findings(nag.violations)).toEqual([
      'Serverless-LambdaDLQ NewUser/Plain/Resource',
      'Serverless-LambdaDefaultMemorySize NewUser/Plain/Resource',
      'Serverless-LambdaDefaultTimeout NewUser/Plain/Resource',
    ]);
    // What the library accepts by design, on its own resources (and LambdaTracing on the function
    // the policy traced with OpenTelemetry).
    expect(acknowledgedRules(nag)).toEqual([
      'Serverless-APIGWDefaultThrottling',
      'Serverless-EventBusDLQ',
      'Serverless-LambdaAsyncFailureDestination',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaEventSourceMappingDestination',
      'Serverless-LambdaTracing',
      'Serverless-SQSRedrivePolicy',
    ]);
    const onUsers = (nag.suppressedViolations ?? []).flatMap((v) =>
      v.violatingConstructs.filter((c) => USERS_OWN.test(c.constructPath)).map(() => v.ruleName),
    );
    expect(onUsers).toEqual(['Serverless-LambdaTracing']);
  });

  test("every acknowledgement (the app makes none: they are all the library's) has a reason", () => {
    const suppressed = report(app).pluginReports.flatMap((r) => r.suppressedViolations ?? []);
    expect(suppressed.length).toBeGreaterThan(10);
    for (const v of suppressed) {
      expect({ rule: v.ruleName, reason: typeof v.reason === 'string' && v.reason.length > 40 }).toEqual({
        rule: v.ruleName,
        reason: true,
      });
    }
  });

  // LambdaDLQ counts 4 once the subscriber gets its dead-letter queue (the dead-letter wiring, see above).
  test("NIST 800-53 R5 and HIPAA Security: the findings on the library's resources, counted (the README's table)", () => {
    const nist = countsBesides(pluginReport(app, 'NIST.800.53.R5').violations, USERS_OWN);
    const hipaa = countsBesides(pluginReport(app, 'HIPAA.Security').violations, USERS_OWN);
    const byRule = {
      CloudWatchAlarmAction: 9,
      CloudWatchLogGroupEncrypted: 9,
      ELBDeletionProtectionEnabled: 1,
      ELBLoggingEnabled: 1,
      ELBv2ACMCertificateRequired: 1,
      IAMNoInlinePolicy: 16,
      LambdaConcurrency: 5,
      LambdaDLQ: 4,
      LambdaInsideVPC: 5,
      VPCDefaultSecurityGroupClosed: 1,
      VPCFlowLogsEnabled: 1,
      VPCNoUnrestrictedRouteToIGW: 2,
      VPCSubnetAutoAssignPublicIpDisabled: 2,
    };
    const prefixed = (pack: string) =>
      Object.fromEntries(Object.entries(byRule).map(([rule, n]) => [`${pack}-${rule}`, n]));
    expect(nist).toEqual(prefixed('NIST.800.53.R5'));
    expect(hipaa).toEqual(prefixed('HIPAA.Security'));
    expect(Object.values(nist).reduce((a, b) => a + b, 0)).toBe(57);
  });
});

describe('the example app under all four packs', () => {
  let app: App;
  beforeAll(() => {
    app = newApp();
    paymentApp(app); // AwsSolutions
    Validations.of(app).addPlugins(...nagPacks(app).slice(1));
    synthesize(app);
  });

  /** The example's own resources: the payments API (and its access logs), the table, the alarm topic. */
  const EXAMPLES_OWN = /\/Payments\/(PaymentsApi|PaymentsApiAccessLogs|ReconciledPayments|TracingAlarms)\//;

  test("Serverless: no finding on the library's resources; the example's API stages keep theirs", () => {
    const nag = pluginReport(app, 'Serverless');
    expect(findings(nag.violations)).toEqual([
      'Serverless-APIGWDefaultThrottling Dev/Payments/PaymentsApi/DefaultStage/Resource',
      'Serverless-APIGWDefaultThrottling Prod/Payments/PaymentsApi/DefaultStage/Resource',
      'Serverless-APIGWStructuredLogging Dev/Payments/PaymentsApi/DefaultStage/Resource',
      'Serverless-APIGWStructuredLogging Prod/Payments/PaymentsApi/DefaultStage/Resource',
    ]);
  });

  test("NIST 800-53 R5 and HIPAA Security: the findings on the library's resources, counted", () => {
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      const counts = countsBesides(pluginReport(app, pack).violations, EXAMPLES_OWN);
      // 82 before the flow's SLOs; each stage's FlowSlo adds 12 window alarms (a long and a short
      // window for each of 3 pairs and 2 objectives) without actions of their own: only the
      // composite alarm of each pair pages (CloudWatchAlarmAction, 24 in all). Each stage's
      // AdaptiveSampling adds 7: its two anomaly alarms act through EventBridge, not an alarm
      // action (CloudWatchAlarmAction), and its booster's log group, role policy and function
      // meet the owner's choices as every function of the library does (CloudWatchLogGroupEncrypted,
      // IAMNoInlinePolicy, LambdaConcurrency, LambdaDLQ, LambdaInsideVPC).
      expect(counts[`${pack}-CloudWatchAlarmAction`]).toBe(36);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(120);
      expect(pluginReport(app, pack).violations.flatMap((v) => v.violatingConstructs)).toHaveLength(124);
    }
  });
});
