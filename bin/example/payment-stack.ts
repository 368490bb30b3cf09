import * as path from 'path';
import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { TracedFunction, TracingSettings } from '../../lib';

/** Props of the example payment stack. */
export interface PaymentStackProps extends StackProps {
  /**
   * The fraud scoring API the authorize function calls.
   *
   * @default 'https://fraud.example.com/v1/score'
   */
  readonly fraudApiUrl?: string;
}

/**
 * The example traced app: `POST /payments` on an HTTP API → `authorize` (calls the outside
 * fraud API with fetch) and `reconcile`. SNS/SQS between them arrive in a later issue.
 */
export class PaymentStack extends Stack {
  /** The function behind `POST /payments`. */
  public readonly authorize: TracedFunction;
  /** The function that reconciles authorized payments. */
  public readonly reconcile: TracedFunction;
  /** The HTTP API. */
  public readonly api: apigwv2.HttpApi;

  constructor(scope: Construct, id: string, props: PaymentStackProps = {}) {
    super(scope, id, props);

    // Settings for every function of this stack, on top of the app-wide ones (see app.ts).
    TracingSettings.set(this, { flushTimeout: Duration.millis(800) });

    this.authorize = new TracedFunction(this, 'Authorize', {
      entry: path.join(__dirname, 'handlers', 'authorize.ts'),
      serviceName: 'payments-authorize',
      timeout: Duration.seconds(10),
      environment: {
        FRAUD_API_URL: props.fraudApiUrl ?? 'https://fraud.example.com/v1/score',
      },
    });

    this.reconcile = new TracedFunction(this, 'Reconcile', {
      entry: path.join(__dirname, 'handlers', 'reconcile.ts'),
      serviceName: 'payments-reconcile',
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(30),
      // Every reconciliation matters: override the app-wide ratio for this function.
      samplingRatio: 1,
    });

    this.api = new apigwv2.HttpApi(this, 'PaymentsApi', {
      description: 'Payments API traced end to end by cdk-serverless-tracing',
    });
    this.api.addRoutes({
      path: '/payments',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('AuthorizeIntegration', this.authorize),
    });

    new CfnOutput(this, 'PaymentsUrl', { value: `${this.api.apiEndpoint}/payments` });
  }
}
