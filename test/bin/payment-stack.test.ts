import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as path from 'path';
import { TracedFunction, TraceEdges } from '../../lib';
import { paymentApp } from '../../bin/example/payment-app';
import { PaymentStack } from '../../bin/example/payment-stack';
import { bundledCode } from '../helpers/stack';

/** The example app as bin/example/app.ts builds it; `stack` is its production stack. */
function buildApp(options: { bundle: boolean; env?: boolean }): {
  app: App;
  stack: PaymentStack;
  dev: PaymentStack;
} {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const { prod, dev } = paymentApp(app, {
    ...(options.env ? { prodEnv: { account: '123456789012', region: 'eu-west-1' } } : {}),
  });
  return { app, stack: prod, dev };
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

  describe('messaging: authorize → Payments topic → Reconciliation and AuditQueue → reconcile and audit', () => {
    let stack: PaymentStack;
    let template: Template;
    beforeAll(() => {
      ({ stack } = buildApp({ bundle: false }));
      template = Template.fromStack(stack);
    });

    test('authorize may publish to the topic and gets its ARN', () => {
      const topic = { Ref: logicalId(stack, stack.payments.topic) };
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ OTEL_SERVICE_NAME: 'payments-authorize', PAYMENTS_TOPIC_ARN: topic }),
        },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(stack, stack.authorize.role as never) }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Resource: topic })]),
        },
      });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: 'alias/aws/sns' });
    });

    test('reconciliation gets raw delivery, audit the SNS envelope', () => {
      for (const [queue, raw] of [
        [stack.reconciliation, true],
        [stack.auditQueue, false],
      ] as const) {
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'sqs',
          Endpoint: { 'Fn::GetAtt': [logicalId(stack, queue.queue), 'Arn'] },
          RawMessageDelivery: raw,
        });
      }
      template.resourceCountIs('AWS::SNS::Subscription', 2);
    });

    test('both queues: encrypted, a dead-letter queue kept 14 days, visibility 6 × the consumer timeout', () => {
      template.resourceCountIs('AWS::SQS::Queue', 4);
      template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 180,
        RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      });
      template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 60 });
      expect(
        Object.keys(
          template.findResources('AWS::SQS::Queue', { Properties: { MessageRetentionPeriod: 1209600 } }),
        ),
      ).toHaveLength(2);
    });

    test('reconcile and audit consume with ReportBatchItemFailures', () => {
      for (const [queue, fn] of [
        [stack.reconciliation, stack.reconcile],
        [stack.auditQueue, stack.audit],
      ] as const) {
        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, queue.queue), 'Arn'] },
          FunctionName: { Ref: logicalId(stack, fn) },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BatchSize: 10,
        });
      }
    });

    test('the trace map: every edge of the production stack carries the context', () => {
      const edges = TraceEdges.of(stack).edges.filter((e) => e.from.startsWith(`${stack.node.path}/`));
      expect(edges.map((e) => `${e.from} -${e.kind}/${e.via}-> ${e.to}`).sort()).toEqual(
        [
          'Prod/Payments/Authorize -sns-publish/message-attributes-> Prod/Payments/Payments',
          'Prod/Payments/Authorize -http/http-headers-> external:fraud-api',
          'Prod/Payments/AuditQueue -sqs-to-lambda/message-attributes-> Prod/Payments/Audit',
          'Prod/Payments/Payments -sns-to-sqs/raw-delivery-> Prod/Payments/Reconciliation',
          'Prod/Payments/Payments -sns-to-sqs/sns-envelope-> Prod/Payments/AuditQueue',
          'Prod/Payments/Reconciliation -sqs-to-lambda/message-attributes-> Prod/Payments/Reconcile',
        ].sort(),
      );
      expect(edges.every((e) => e.carriesContext)).toBe(true);
    });

    test('no warnings', () => {
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-serverless-tracing'));
    });
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

    test('production: tail sampling on the gateway (every failed trace whole, 1% of the others), a month of logs and spans, X-Ray', () => {
      // The functions send every trace to the gateway; it keeps 1% of those without an error.
      for (const name of ['payments-authorize', 'payments-reconcile', 'payments-audit']) {
        template.hasResourceProperties('AWS::Lambda::Function', {
          Environment: {
            Variables: Match.objectLike({
              OTEL_SERVICE_NAME: name,
              OTEL_TRACES_SAMPLER: 'traceidratio',
              OTEL_TRACES_SAMPLER_ARG: '1',
              TRACING_KEEP_ERRORS: 'true',
              TRACING_FLUSH_TIMEOUT_MS: '800',
              TRACING_ID_FORMAT: 'xray',
            }),
          },
        });
      }
      template.hasResourceProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        Environment: { Variables: Match.objectLike({ OTEL_SERVICE_NAME: 'payments-reconcile' }) },
      });
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      template.hasResourceProperties('AWS::XRay::TransactionSearchConfig', { IndexingPercentage: 1 });
      const sampling = Object.values(
        template.findResources('AWS::ECS::TaskDefinition') as Record<
          string,
          {
            Properties: {
              ContainerDefinitions: { Image: string; Environment: { Name: string; Value: unknown }[] }[];
            };
          }
        >,
      )
        .flatMap((t) => t.Properties.ContainerDefinitions)
        .map((c) => JSON.stringify(c.Environment))
        .find((env) => env.includes('tail_sampling'));
      expect(sampling).toMatch(/sampling_percentage: 1\\n/);
      template.hasResourceProperties('Custom::SpansRetention', {
        Create: Match.serializedJson(
          Match.objectLike({ parameters: { logGroupName: 'aws/spans', retentionInDays: 30 } }),
        ),
      });
      const resources = template.toJSON().Resources as Record<
        string,
        { Properties: Record<string, unknown> }
      >;
      for (const queue of [stack.reconciliation, stack.auditQueue]) {
        expect(resources[logicalId(stack, queue.deadLetterQueue)].Properties.MessageRetentionPeriod).toBe(
          14 * 24 * 3600,
        );
      }
      template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    });

    test('dev: every trace kept and indexed, a week of logs and spans', () => {
      const dev = Template.fromStack(buildApp({ bundle: false }).dev);
      for (const name of ['payments-authorize', 'payments-reconcile', 'payments-audit']) {
        dev.hasResourceProperties('AWS::Lambda::Function', {
          Environment: {
            Variables: Match.objectLike({ OTEL_SERVICE_NAME: name, OTEL_TRACES_SAMPLER_ARG: '1' }),
          },
        });
      }
      dev.hasResourceProperties('AWS::XRay::TransactionSearchConfig', { IndexingPercentage: 100 });
      dev.hasResourceProperties('Custom::SpansRetention', {
        Create: Match.serializedJson(
          Match.objectLike({ parameters: { logGroupName: 'aws/spans', retentionInDays: 7 } }),
        ),
      });
      dev.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    });

    test('the production budget holds: a function asking for more than 5% is an error', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const { prod } = paymentApp(app);
      expect(
        () =>
          new TracedFunction(prod, 'Greedy', {
            entry: path.join(__dirname, '..', 'lib', 'fixtures', 'hello.ts'),
            samplingRatio: 0.5,
          }),
      ).toThrow(
        /TracedFunction Prod\/Payments\/Greedy has invalid props:[\s\S]*samplingRatio 0.5 is above the sampling budget maxSamplingRatio 0.05 set by TracingSettings on 'Prod'/,
      );
    });

    test('no warnings', () => {
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-serverless-tracing'));
    });

    test('the authorize bundle holds the handler and the wrapper', () => {
      const code = bundledCode(app, stack, logicalId(stack, stack.authorize))['index.mjs'];
      expect(code).toContain('https://fraud.example.com/v1/score');
      expect(code).toContain('no function export named "handler"');
    });

    test('the handlers that import the runtime API share the one runtime of the wrapper', () => {
      for (const fn of [stack.authorize, stack.reconcile, stack.audit]) {
        const code = bundledCode(app, stack, logicalId(stack, fn))['index.mjs'];
        expect(code.match(/getTracer\("cdk-serverless-tracing"\)/g)).toHaveLength(1);
        expect(code).not.toContain('cdk-serverless-tracing/runtime');
      }
      // the AWS SDK is provided by the Lambda runtime (NodejsFunction keeps @aws-sdk/* external)
      expect(bundledCode(app, stack, logicalId(stack, stack.authorize))['index.mjs']).toContain(
        '@aws-sdk/client-sns',
      );
    });
  });
});
