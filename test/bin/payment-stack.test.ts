import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TracingSettings } from '../../lib';
import { PaymentStack } from '../../bin/example/payment-stack';
import { bundledCode } from '../helpers/stack';

/** The example app as bin/example/app.ts builds it. */
function buildApp(options: { bundle: boolean; env?: boolean }): { app: App; stack: PaymentStack } {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  TracingSettings.set(app, { samplingRatio: 0.25, logRetention: logs.RetentionDays.TWO_WEEKS });
  const stack = new PaymentStack(app, 'PaymentStack', {
    ...(options.env ? { env: { account: '123456789012', region: 'eu-west-1' } } : {}),
  });
  return { app, stack };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

describe('example PaymentStack', () => {
  test('snapshot (environment-agnostic)', () => {
    const { stack } = buildApp({ bundle: false });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot('payment-stack');
  });

  test('snapshot (fixed environment: concrete layer ARNs)', () => {
    const { stack } = buildApp({ bundle: false, env: true });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot('payment-stack-eu-west-1');
  });

  describe('synthesized with real bundling', () => {
    let app: App;
    let stack: PaymentStack;
    let template: Template;
    beforeAll(() => {
      ({ app, stack } = buildApp({ bundle: true }));
      template = Template.fromStack(stack);
    });

    test('POST /payments goes to the authorize function', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /payments' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [logicalId(stack, stack.authorize), 'Arn'] },
      });
    });

    test('app, stack and function settings all apply', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            OTEL_SERVICE_NAME: 'payments-authorize',
            OTEL_TRACES_SAMPLER_ARG: '0.25',
            TRACING_FLUSH_TIMEOUT_MS: '800',
            FRAUD_API_URL: 'https://fraud.example.com/v1/score',
          }),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        Environment: {
          Variables: Match.objectLike({
            OTEL_SERVICE_NAME: 'payments-reconcile',
            OTEL_TRACES_SAMPLER_ARG: '1',
          }),
        },
      });
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
      template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    });

    test('no warnings', () => {
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-serverless-tracing'));
    });

    test('the authorize bundle holds the handler and the wrapper', () => {
      const code = bundledCode(app, stack, logicalId(stack, stack.authorize))['index.js'];
      expect(code).toContain('https://fraud.example.com/v1/score');
      expect(code).toContain('no function export named "handler"');
    });
  });
});
