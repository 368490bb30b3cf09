import * as path from 'path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  DrillExpectation,
  SamplingMode,
  TraceContinuityCanary,
  AdaptiveSampling,
  FlowDashboard,
  FlowSlo,
  TracedFunction,
  TracingExporter,
  TracingGateway,
  TracedQueue,
  TracedTopic,
  TraceEdges,
  TracingSettings,
} from '../../lib';
import { CANARY_PAYMENT, DRILL_PAYMENT } from './handlers/payment';

/** Props of the example payment stack. */
export interface PaymentStackProps extends StackProps {
  /**
   * The fraud scoring API the authorize function calls.
   *
   * @default 'https://fraud.example.com/v1/score'
   */
  readonly fraudApiUrl?: string;

  /**
   * Whether the stack deploys its trace continuity canary (with a failure drill in reconcile) and
   * the topic its alarms go to.
   *
   * @default true
   */
  readonly canary?: boolean;

  /**
   * Sample at the tail: a `TracingGateway` in this stack exports to the stage's backend, and the
   * functions (`SamplingMode.TAIL`) send it every span, so every failed payment is kept as a
   * full trace and the stage's `samplingRatio` of the others.
   *
   * @default false
   */
  readonly tailSampling?: boolean;
}

/**
 * The example traced app, one trace from the API call to the last consumer:
 *
 * `POST /payments` on an HTTP API → `authorize` (calls the outside fraud API with fetch, then
 * publishes the authorized payment) → the `Payments` topic → the `Reconciliation` queue (raw
 * delivery) → `reconcile` (writes the payment to the `ReconciledPayments` table), and → the
 * `AuditQueue` (the SNS envelope, no raw delivery) → `audit`.
 */
export class PaymentStack extends Stack {
  /** The function behind `POST /payments`. */
  public readonly authorize: TracedFunction;
  /** The function that reconciles authorized payments. */
  public readonly reconcile: TracedFunction;
  /** The function that writes an audit line for every authorized payment. */
  public readonly audit: TracedFunction;
  /** The topic of authorized payments. */
  public readonly payments: TracedTopic;
  /** The queue of payments to reconcile (raw delivery from the topic). */
  public readonly reconciliation: TracedQueue;
  /** The queue of payments to audit (the SNS envelope, no raw delivery). */
  public readonly auditQueue: TracedQueue;
  /** The table of reconciled payments, one item per payment (`paymentId`). */
  public readonly reconciledPayments: dynamodb.TableV2;
  /** The HTTP API. */
  public readonly api: apigwv2.HttpApi;
  /** Checks every 15 minutes that a payment is traced end to end, and drills a failure in reconcile. */
  public readonly canary?: TraceContinuityCanary;
  /** Where the canary's and the SLOs' alarms go (subscribe the on-call to it). */
  public readonly tracingAlarms?: sns.Topic;
  /** The objectives of the payment flow, at its entry. */
  public readonly slo: FlowSlo;
  /** The dashboard of the payment flow. */
  public readonly dashboard: FlowDashboard;
  /** Raises the flow's trace capture while its latency or errors are anomalous. */
  public readonly boost: AdaptiveSampling;
  /** The tail-sampling gateway, with `tailSampling`. */
  public readonly gateway?: TracingGateway;

  constructor(scope: Construct, id: string, props: PaymentStackProps = {}) {
    super(scope, id, props);

    // With tail sampling, the gateway exports to the stage's backend (X-Ray) and keeps the
    // stage's samplingRatio of the traces without an error; the functions send it everything.
    this.gateway = props.tailSampling ? new TracingGateway(this, 'TracingGateway') : undefined;
    // Settings for every function of this stack, on top of the app's and the stage's (payment-app.ts).
    TracingSettings.set(this, {
      flushTimeout: Duration.millis(800),
      ...(this.gateway
        ? { samplingMode: SamplingMode.TAIL, exporter: TracingExporter.gateway(this.gateway) }
        : {}),
    });

    const fraudApiUrl = props.fraudApiUrl ?? 'https://fraud.example.com/v1/score';
    this.authorize = new TracedFunction(this, 'Authorize', {
      entry: path.join(__dirname, 'handlers', 'authorize.ts'),
      serviceName: 'payments-authorize',
      timeout: Duration.seconds(10),
      environment: {
        FRAUD_API_URL: fraudApiUrl,
      },
    });
    // The trace map (cdk.out/trace-map.json) shows this call out of the app.
    TraceEdges.of(this).declareHttpCall(this.authorize, { name: 'fraud-api', url: fraudApiUrl });

    this.reconcile = new TracedFunction(this, 'Reconcile', {
      entry: path.join(__dirname, 'handlers', 'reconcile.ts'),
      serviceName: 'payments-reconcile',
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(30),
    });

    this.audit = new TracedFunction(this, 'Audit', {
      entry: path.join(__dirname, 'handlers', 'audit.ts'),
      serviceName: 'payments-audit',
      timeout: Duration.seconds(10),
    });

    this.payments = new TracedTopic(this, 'Payments');
    // authorize gets sns:Publish and PAYMENTS_TOPIC_ARN.
    this.payments.grantPublish(this.authorize);

    // The visibility timeouts are 6 × the consumers' timeouts, as AWS recommends.
    this.reconciliation = new TracedQueue(this, 'Reconciliation', {
      visibilityTimeout: Duration.minutes(3),
    });
    this.payments.addQueueSubscription(this.reconciliation);
    this.reconciliation.addConsumer(this.reconcile, { batchSize: 10 });

    // reconcile writes each payment here through traceAwsClient: a DynamoDB.PutItem CLIENT span
    // under the record's span. The name is set (from the stack's) so that the function's
    // environment holds it as a plain value, which the local run (npm start) can use as it is.
    const reconciledPaymentsTable = `${this.stackName}-reconciled-payments`;
    this.reconciledPayments = new dynamodb.TableV2(this, 'ReconciledPayments', {
      tableName: reconciledPaymentsTable,
      partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // An example: `cdk destroy` removes it. A real payments table keeps TableV2's default, RETAIN.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // PutItem only, on this table only.
    this.reconciledPayments.grant(this.reconcile, 'dynamodb:PutItem');
    this.reconcile.addEnvironment('RECONCILED_PAYMENTS_TABLE', reconciledPaymentsTable);

    // Without raw delivery the audit queue receives the SNS envelope; the runtime reads the
    // trace context from it all the same.
    this.auditQueue = new TracedQueue(this, 'AuditQueue', { visibilityTimeout: Duration.minutes(1) });
    this.payments.addQueueSubscription(this.auditQueue, { rawMessageDelivery: false });
    this.auditQueue.addConsumer(this.audit, { batchSize: 10 });

    this.api = new apigwv2.HttpApi(this, 'PaymentsApi', {
      description: 'Payments API traced end to end by cdk-serverless-tracing',
      createDefaultStage: false,
    });
    // Access logs (with the request id the invocation span carries as faas.invocation_id).
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'PaymentsApiAccessLogs', {
            retention: TracingSettings.resolve(this).logRetention ?? logs.RetentionDays.ONE_MONTH,
          }),
        ),
      },
    });
    this.api.addRoutes({
      path: '/payments',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('AuthorizeIntegration', this.authorize),
    });

    new CfnOutput(this, 'PaymentsUrl', { value: `${this.api.apiEndpoint}/payments` });

    // After every deploy and every 15 minutes: a payment sent to authorize must be traced to
    // reconcile, audit and the fraud API (MissingHops), and a payment that reconcile rejects must
    // be kept as a trace under the stage's sampling, though sent as one the head sampler dropped
    // (FailureTraceKept). Either alarm goes to the tracing alarms topic.
    if (props.canary ?? true) {
      this.canary = new TraceContinuityCanary(this, 'PaymentsCanary', {
        entry: this.authorize,
        payload: CANARY_PAYMENT,
        // With the gateway, a failed payment is kept whole: the drill requires the whole trace.
        drill: {
          failAt: this.reconcile,
          payload: DRILL_PAYMENT,
          expect: this.gateway ? DrillExpectation.WHOLE_TRACE : DrillExpectation.FAILED_HOP,
        },
      });
      this.tracingAlarms = new sns.Topic(this, 'TracingAlarms', {
        displayName: 'Payments tracing alarms',
        enforceSSL: true,
      });
      this.canary.addAlarmAction(new cloudwatchActions.SnsAction(this.tracingAlarms));
    }

    // The payment flow's objectives: 99.9% of payments answered without an error, and 99% of
    // minutes with a p99 under 800 ms (authorize calls the fraud API); burn-rate alarms on both
    // error budgets go to the same topic.
    this.slo = new FlowSlo(this, 'PaymentsSlo', {
      entry: this.authorize,
      latency: { percentile: 99, threshold: Duration.millis(800) },
      availability: { target: 99.9 },
    });
    if (this.tracingAlarms) {
      this.slo.addAlarmAction(new cloudwatchActions.SnsAction(this.tracingAlarms));
    }

    // When authorize's p99 or the flow's errors leave their anomaly detection band, authorize
    // samples new payments at the stage's budget (maxSamplingRatio) for 15 minutes, read through
    // the AppConfig extension, with no redeploy. With the gateway, it keeps every boosted trace.
    this.boost = new AdaptiveSampling(this, 'PaymentsBoost', { entry: this.authorize });

    // One dashboard for the flow, in its order, built from the trace map at synth: the canary's
    // MissingHops and the SLO and boost alarms' status with it; the SLO runbooks link to it.
    this.dashboard = new FlowDashboard(this, 'PaymentsDashboard', {
      entry: this.authorize,
      canary: this.canary,
      alarms: [...this.slo.alarms, ...this.boost.alarms],
    });

    // The cdk-nag (AwsSolutions) finding this example accepts, with its reason. What the library's
    // own resources need (the X-Ray export policy, the aws/spans custom resources, the gateway) the
    // library acknowledges itself, each with its reason.
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        'the example has no identity provider; a real payments API puts a JWT or IAM authorizer on POST /payments',
    });
  }
}
