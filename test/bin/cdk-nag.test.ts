import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { paymentApp } from '../../bin/example/payment-app';

function newApp(): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-nag-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
}

interface Report {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string }[];
    suppressedViolations?: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

function report(app: App): Report {
  return JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as Report;
}

describe("cdk-nag's AwsSolutions checks", () => {
  test('the example app passes: every finding is fixed or acknowledged with a reason in code', () => {
    const app = newApp();
    paymentApp(app); // registers AwsSolutionsChecks on the app
    expect(() => app.synth()).not.toThrow();
    const nag = report(app).pluginReports.find((r) => r.pluginName === 'AwsSolutions')!;
    expect(nag.conclusion).toBe('success');
    expect(nag.violations).toEqual([]);
    // Exactly these are acknowledged (the reasons are next to each acknowledgement in code).
    // The gateway of Prod adds ECS2 (its configuration in a variable: no secret in it), ECS4
    // (Container Insights, a paid extra), ELB2 (NLB access logs exist for TLS listeners only) and
    // VPC7 (flow logs on the VPC it makes).
    expect([...new Set((nag.suppressedViolations ?? []).map((v) => v.ruleName))].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-ECS2',
      'AwsSolutions-ECS4',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:aws/spans:*]',
      'AwsSolutions-VPC7',
    ]);
    // AWSLambdaBasicExecutionRole is left on CDK's AwsCustomResource provider function only: the
    // traced functions and the canary have roles that write to their own log group.
    const iam4 = (nag.suppressedViolations ?? [])
      .filter((v) => v.ruleName.startsWith('AwsSolutions-IAM4'))
      .flatMap((v) => v.violatingConstructs.map((c) => c.constructPath));
    expect(iam4.sort()).toEqual([
      'Dev/Payments/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource',
      'Prod/Payments/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource',
    ]);
  });

  test('deployed to a fixed account and region, it passes too (the findings name the ARNs with their values)', () => {
    const app = newApp();
    // Each stage in its own region: Transaction Search is one per account and region.
    paymentApp(app, {
      prodEnv: { account: '123456789012', region: 'eu-west-1' },
      devEnv: { account: '123456789012', region: 'eu-central-1' },
    });
    expect(() => app.synth()).not.toThrow();
    const nag = report(app).pluginReports.find((r) => r.pluginName === 'AwsSolutions')!;
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
    const nag = report(app).pluginReports.find((r) => r.pluginName === 'AwsSolutions')!;
    expect(nag.conclusion).toBe('failure');
    expect(nag.violations.map((v) => v.ruleName).sort()).toEqual([
      'AwsSolutions-APIG1',
      'AwsSolutions-APIG4',
    ]);
  });
});
