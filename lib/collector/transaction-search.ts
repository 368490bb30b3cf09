import * as logs from 'aws-cdk-lib/aws-logs';

/** Whether this app turns CloudWatch Transaction Search on, or finds it already on. */
export enum TransactionSearchKind {
  /** The stack creates the Transaction Search configuration of its account and region. */
  ENABLE = 'enable',
  /** Transaction Search was turned on elsewhere (another stack, the console, another tool). */
  ALREADY_ENABLED = 'already-enabled',
}

/** Options of `TransactionSearch.enable`. */
export interface EnableTransactionSearchOptions {
  /**
   * The percentage of spans X-Ray indexes as trace summaries, from 0 to 100 (every span is
   * still stored in the `aws/spans` log group; indexing above 1% is billed).
   *
   * @default 1
   */
  readonly indexingPercentage?: number;

  /**
   * How long the `aws/spans` log group keeps the spans. The log group belongs to the whole
   * account and region: the retention is set when the stack is deployed and left as it is when
   * the stack is deleted.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly spansRetention?: logs.RetentionDays;
}

/** Options of `TransactionSearch.alreadyEnabled`. */
export interface AlreadyEnabledTransactionSearchOptions {
  /**
   * How long the `aws/spans` log group keeps the spans, set when the stack is deployed and left
   * as it is when the stack is deleted (the log group belongs to the whole account and region).
   *
   * @default - the retention of `aws/spans` is not managed by this stack (a warning says so)
   */
  readonly spansRetention?: logs.RetentionDays;
}

/**
 * CloudWatch Transaction Search, which the X-Ray OTLP endpoint needs: spans are stored in the
 * `aws/spans` log group and a share of them is indexed.
 *
 * Transaction Search is one setting per account and region, so exactly one stack turns it on
 * (`enable()`); every other stack of that account and region, and any account where it was turned
 * on in the console, uses `alreadyEnabled()`.
 *
 * @example
 * // the one stack of the account and region that turns it on
 * TracingExporter.xray({ transactionSearch: TransactionSearch.enable({ indexingPercentage: 5 }) });
 * // every other stack there
 * TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() });
 */
export class TransactionSearch {
  /**
   * Turn Transaction Search on in the stack's account and region: a CloudWatch Logs resource
   * policy that lets X-Ray write `aws/spans`, the `AWS::XRay::TransactionSearchConfig` with the
   * indexing percentage, and the retention of the `aws/spans` log group. Created once per stack
   * whatever the number of functions.
   */
  public static enable(options: EnableTransactionSearchOptions = {}): TransactionSearch {
    return new TransactionSearch(
      TransactionSearchKind.ENABLE,
      options.indexingPercentage ?? 1,
      options.spansRetention ?? logs.RetentionDays.ONE_MONTH,
    );
  }

  /**
   * Transaction Search is already on in the stack's account and region: nothing is created,
   * except the retention of the `aws/spans` log group when `spansRetention` is given.
   */
  public static alreadyEnabled(options: AlreadyEnabledTransactionSearchOptions = {}): TransactionSearch {
    return new TransactionSearch(TransactionSearchKind.ALREADY_ENABLED, undefined, options.spansRetention);
  }

  private constructor(
    /** Whether the stack turns Transaction Search on. */
    public readonly kind: TransactionSearchKind,
    /** The indexing percentage (`enable` only). */
    public readonly indexingPercentage?: number,
    /** The retention of `aws/spans` (undefined when it is not managed). */
    public readonly spansRetention?: logs.RetentionDays,
  ) {}
}
