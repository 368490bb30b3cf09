import { Duration, Token } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { SQS_DEFAULT_RETENTION, ResolvedQueueOptions } from './queue-defaults';
import { TracingWarning, warning } from '../../core/errors';

/** What the validation of a traced queue needs besides its options. */
export interface QueueFacts {
  readonly fifo: boolean;
  readonly deadLetterQueue?: sqs.Queue;
  readonly deadLetterRetentionGiven: boolean;
}

const MAX_RETENTION = Duration.days(14);
const MIN_RETENTION = Duration.seconds(60);
const MAX_VISIBILITY = Duration.hours(12);

/** Every invalid prop of a traced queue, each message naming the prop and the fix. */
export function tracedQueueErrors(options: ResolvedQueueOptions, facts: QueueFacts): string[] {
  const errors: string[] = [];
  const count = options.maxReceiveCount;
  if (!Token.isUnresolved(count) && (!Number.isInteger(count) || count < 1 || count > 1000)) {
    errors.push(`maxReceiveCount must be a whole number from 1 to 1000 (got ${count})`);
  }
  const visibility = options.visibilityTimeout;
  if (!visibility.isUnresolved() && visibility.toSeconds() > MAX_VISIBILITY.toSeconds()) {
    errors.push(`visibilityTimeout must be at most 12 hours (got ${visibility.toHumanString()})`);
  }
  for (const [name, value] of [
    ['retentionPeriod', options.retentionPeriod],
    ['deadLetterRetentionPeriod', options.deadLetterRetentionPeriod],
  ] as const) {
    if (
      !value.isUnresolved() &&
      (value.toSeconds() < MIN_RETENTION.toSeconds() || value.toSeconds() > MAX_RETENTION.toSeconds())
    ) {
      errors.push(`${name} must be from 60 seconds to 14 days (got ${value.toHumanString()})`);
    }
  }
  if (options.encryptionMasterKey !== undefined && options.encryption !== sqs.QueueEncryption.KMS) {
    errors.push(
      `encryptionMasterKey needs encryption: sqs.QueueEncryption.KMS (got ${options.encryption}); ` +
        'remove encryption or set it to KMS',
    );
  }
  const dlq = facts.deadLetterQueue;
  if (dlq && dlq.fifo !== facts.fifo) {
    errors.push(
      facts.fifo
        ? `deadLetterQueue ${dlq.node.path} must be a FIFO queue, like the queue it serves`
        : `deadLetterQueue ${dlq.node.path} is a FIFO queue: a standard queue needs a standard dead-letter queue`,
    );
  }
  return errors;
}

/** Warnings for the safe defaults a user overrode. */
export function tracedQueueWarnings(options: ResolvedQueueOptions, facts: QueueFacts): TracingWarning[] {
  const warnings: TracingWarning[] = [];
  if (options.encryption === sqs.QueueEncryption.UNENCRYPTED) {
    warnings.push(
      warning(
        'queueUnencrypted',
        'encryption is UNENCRYPTED: messages are stored in plain text; use sqs.QueueEncryption.SQS_MANAGED (the default)',
      ),
    );
  }
  if (options.enforceSSL === false) {
    warnings.push(
      warning(
        'queueSslNotEnforced',
        'enforceSSL is false: the queue accepts requests without TLS; remove enforceSSL to deny them',
      ),
    );
  }
  const dlq = facts.deadLetterQueue;
  if (dlq) {
    if (facts.deadLetterRetentionGiven) {
      warnings.push(
        warning(
          'deadLetterRetentionIgnored',
          'deadLetterRetentionPeriod is ignored because deadLetterQueue is given: set the retention on your queue',
        ),
      );
    }
    if (dlq.encryptionType === sqs.QueueEncryption.UNENCRYPTED) {
      warnings.push(
        warning(
          'deadLetterQueueUnencrypted',
          `deadLetterQueue ${dlq.node.path} is not encrypted: failed messages are stored in plain text; encrypt it`,
        ),
      );
    }
    const dlqRetention = deadLetterRetention(dlq);
    const retention = options.retentionPeriod;
    if (
      dlqRetention !== undefined &&
      !retention.isUnresolved() &&
      dlqRetention.toSeconds() <= retention.toSeconds()
    ) {
      warnings.push(
        warning(
          'deadLetterRetentionShort',
          `deadLetterQueue ${dlq.node.path} keeps messages ${dlqRetention.toHumanString()}, not longer than the ` +
            `queue (${retention.toHumanString()}): a message keeps its first enqueue time, so it can expire as soon ` +
            'as it is moved; give the dead-letter queue a longer retention (up to 14 days)',
        ),
      );
    }
  }
  return warnings;
}

/** The retention of a queue created in the app, when it is known at synth. */
function deadLetterRetention(queue: sqs.Queue): Duration | undefined {
  const cfn = queue.node.defaultChild as sqs.CfnQueue | undefined;
  const seconds = cfn?.messageRetentionPeriod;
  if (seconds === undefined) {
    return cfn ? SQS_DEFAULT_RETENTION : undefined;
  }
  return Token.isUnresolved(seconds) ? undefined : Duration.seconds(seconds);
}

/** What the validation of a consumer of a traced queue needs. */
export interface ConsumerFacts {
  readonly queuePath: string;
  readonly consumerPath: string;
  readonly visibilityTimeout: Duration;
  /** The consumer's timeout, when known at synth. */
  readonly consumerTimeout?: Duration;
  readonly reportBatchItemFailures?: boolean;
}

/** AWS recommends a visibility timeout of six times the function timeout for SQS event sources. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The problems with the wiring of a consumer (besides its traced state). */
export function queueConsumerErrors(facts: ConsumerFacts): string[] {
  const errors: string[] = [];
  if (facts.reportBatchItemFailures === false) {
    errors.push(
      'reportBatchItemFailures must stay true: processRecords reports the records that failed, and without it ' +
        'one bad record retries the whole batch; remove reportBatchItemFailures',
    );
  }
  const visibility = facts.visibilityTimeout;
  const timeout = facts.consumerTimeout;
  if (timeout && !visibility.isUnresolved() && visibility.toSeconds() < timeout.toSeconds()) {
    errors.push(
      `visibilityTimeout (${visibility.toHumanString()}) must be at least the timeout of consumer ` +
        `${facts.consumerPath} (${timeout.toHumanString()}), or AWS rejects the event source mapping; set ` +
        `visibilityTimeout to Duration.seconds(${timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR}) ` +
        `(${VISIBILITY_TIMEOUT_FACTOR} × the timeout) or lower the function timeout`,
    );
  }
  return errors;
}

/** Warnings for the wiring of a consumer. */
export function queueConsumerWarnings(facts: ConsumerFacts): TracingWarning[] {
  const visibility = facts.visibilityTimeout;
  const timeout = facts.consumerTimeout;
  if (
    timeout &&
    !visibility.isUnresolved() &&
    visibility.toSeconds() >= timeout.toSeconds() &&
    visibility.toSeconds() < timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR
  ) {
    return [
      warning(
        'visibilityTimeoutShort',
        `visibilityTimeout (${visibility.toHumanString()}) is less than ${VISIBILITY_TIMEOUT_FACTOR} × the timeout of ` +
          `consumer ${facts.consumerPath} (${timeout.toHumanString()}), as AWS recommends: a message can become ` +
          `visible again while its batch is still retried; set visibilityTimeout to ` +
          `Duration.seconds(${timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR})`,
      ),
    ];
  }
  return [];
}
