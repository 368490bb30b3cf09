import {
  Annotations,
  App,
  AspectPriority,
  Aspects,
  Duration,
  Environment,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  TracingExporter,
  TracingPolicy,
  TracingSettings,
  TracingTraffic,
  TransactionSearch,
} from '../../lib';
import { PaymentStack } from './payment-stack';

/** Options of the example app. */
export interface PaymentAppOptions {
  /**
   * The fraud scoring API the authorize function calls.
   *
   * @default - PaymentStack's default
   */
  readonly fraudApiUrl?: string;

  /**
   * The account and region of the production stage.
   *
   * @default - environment-agnostic
   */
  readonly prodEnv?: Environment;

  /**
   * The account and region of the dev stage.
   *
   * @default - environment-agnostic
   */
  readonly devEnv?: Environment;
}

/** The stacks of the example app. */
export interface PaymentApp {
  /** The payment flow in the dev stage: every trace kept. */
  readonly dev: PaymentStack;
  /** The payment flow in production: every failed payment kept whole (tail sampling) and 1% of the others. */
  readonly prod: PaymentStack;
}

/**
 * The example app the way a payment team sets it up: two stages of the same payment flow,
 * exporting to X-Ray with Transaction Search.
 *
 * - Production keeps every failed payment as a full trace and 1% of the successful ones: its
 *   stack samples at the tail, on a `TracingGateway` that exports to X-Ray, under a sampling
 *   budget of 5% that no function can exceed; logs and spans are kept a month, failed messages
 *   14 days; 1% of the spans are indexed as trace summaries.
 * - Dev keeps and indexes every trace, and keeps logs and spans a week.
 *
 * Each stage enables Transaction Search in its own account (one per account and region); a
 * stage deployed where it is already on would use `TransactionSearch.alreadyEnabled()`.
 *
 * The app runs under `TracingPolicy` and cdk-nag's AwsSolutions checks: a synth fails on an
 * unacknowledged finding of either.
 */
export function paymentApp(app: App, options: PaymentAppOptions = {}): PaymentApp {
  TracingSettings.set(app, { keepErrors: true, deadLetterRetentionPeriod: Duration.days(14) });
  // AWS Solutions checks; the findings the example accepts are acknowledged with their reasons.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const prodStage = new Stage(app, 'Prod', { env: options.prodEnv });
  TracingSettings.set(prodStage, {
    samplingRatio: 0.01,
    maxSamplingRatio: 0.05,
    // The traffic Prod expects, for the cost estimate written at synth (cdk.out/tracing-cost.json).
    traffic: TracingTraffic.perEntry({ 'POST /payments': 50 }),
    logRetention: logs.RetentionDays.ONE_MONTH,
    exporter: TracingExporter.xray({
      transactionSearch: TransactionSearch.enable({
        indexingPercentage: 1,
        spansRetention: logs.RetentionDays.ONE_MONTH,
      }),
    }),
  });

  const devStage = new Stage(app, 'Dev', { env: options.devEnv });
  TracingSettings.set(devStage, {
    samplingRatio: 1,
    logRetention: logs.RetentionDays.ONE_WEEK,
    exporter: TracingExporter.xray({
      transactionSearch: TransactionSearch.enable({
        indexingPercentage: 100,
        spansRetention: logs.RetentionDays.ONE_WEEK,
      }),
    }),
  });

  // Guard rails in each stage (the aspects of an app do not reach into its stages): every
  // Node.js function is traced (those the library did not build through the layer), and the
  // rules report what would break a trace or leak cost.
  for (const stage of [prodStage, devStage]) {
    Aspects.of(stage).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
    // Without an env, the library cannot tell that both stages' TransactionSearch.enable() go to
    // different accounts, and warns: here each stage is deployed to its own account.
    Annotations.of(stage).acknowledgeWarning(
      'cdk-serverless-tracing:transactionSearchUnknownAccount',
      'Prod and Dev are deployed to their own accounts, each with its own Transaction Search',
    );
  }

  return {
    prod: new PaymentStack(prodStage, 'Payments', { fraudApiUrl: options.fraudApiUrl, tailSampling: true }),
    dev: new PaymentStack(devStage, 'Payments', { fraudApiUrl: options.fraudApiUrl }),
  };
}
