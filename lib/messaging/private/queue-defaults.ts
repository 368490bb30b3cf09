import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TracedQueueOptions } from '../traced-queue-options';
import { mergeDefined } from '../../core/merge';

/** Queue options with every value decided (`encryptionMasterKey` stays optional). */
export type ResolvedQueueOptions = Required<Omit<TracedQueueOptions, 'encryptionMasterKey'>> &
  Pick<TracedQueueOptions, 'encryptionMasterKey'>;

/** How long SQS keeps a message when no retention is set. */
export const SQS_DEFAULT_RETENTION = Duration.days(4);

/** The library defaults of a traced queue: encrypted, TLS only, a 14-day dead-letter queue. */
export function defaultQueueOptions(): ResolvedQueueOptions {
  return {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(30),
    retentionPeriod: SQS_DEFAULT_RETENTION,
    maxReceiveCount: 5,
    deadLetterRetentionPeriod: Duration.days(14),
  };
}

/**
 * The one place queue options are merged: library defaults, then the user's options, then what
 * the construct must set (a given KMS key means KMS encryption unless encryption is given).
 */
export function resolveQueueOptions(props: TracedQueueOptions): ResolvedQueueOptions {
  const pick: TracedQueueOptions = {
    encryption: props.encryption,
    encryptionMasterKey: props.encryptionMasterKey,
    enforceSSL: props.enforceSSL,
    visibilityTimeout: props.visibilityTimeout,
    retentionPeriod: props.retentionPeriod,
    maxReceiveCount: props.maxReceiveCount,
    deadLetterRetentionPeriod: props.deadLetterRetentionPeriod,
  };
  const merged = mergeDefined(defaultQueueOptions(), pick);
  if (props.encryptionMasterKey !== undefined && props.encryption === undefined) {
    return { ...merged, encryption: sqs.QueueEncryption.KMS };
  }
  return merged;
}
