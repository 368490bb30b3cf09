import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/** The settings of a traced queue, without the queue itself. */
export interface TracedQueueOptions {
  /**
   * How the messages are encrypted at rest. `UNENCRYPTED` warns; `KMS_MANAGED` (the AWS
   * managed key `alias/aws/sqs`) cannot receive from SNS.
   *
   * @default sqs.QueueEncryption.SQS_MANAGED - or KMS when `encryptionMasterKey` is given
   */
  readonly encryption?: sqs.QueueEncryption;

  /**
   * The customer managed KMS key, with `encryption: sqs.QueueEncryption.KMS`.
   *
   * @default - no key (SSE-SQS); with `encryption: KMS`, CDK creates a key
   */
  readonly encryptionMasterKey?: kms.IKey;

  /**
   * Deny every request that does not use TLS (`aws:SecureTransport` false). `false` warns.
   *
   * @default true
   */
  readonly enforceSSL?: boolean;

  /**
   * How long a received message stays invisible to other consumers. Must be at least the
   * timeout of every consuming function; AWS recommends 6 × that timeout.
   *
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;

  /**
   * How long the queue keeps a message, from 60 seconds to 14 days.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * How many times a message is received before it moves to the dead-letter queue (1 to 1000).
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the dead-letter queue this construct creates keeps a message (ignored, with a
   * warning, when you pass `deadLetterQueue`).
   *
   * @default - `deadLetterRetentionPeriod` of the enclosing `TracingSettings`, else
   * Duration.days(14), the most SQS allows, so there is time to look at a failure
   */
  readonly deadLetterRetentionPeriod?: Duration;
}

/** Props of a `TracedQueue`: the options plus what names and identifies the queue. */
export interface TracedQueueProps extends TracedQueueOptions {
  /**
   * The name of the queue (a FIFO queue's name ends in `.fifo`).
   *
   * @default - a name CloudFormation generates
   */
  readonly queueName?: string;

  /**
   * Make it a FIFO queue (its dead-letter queue is FIFO too).
   *
   * @default false
   */
  readonly fifo?: boolean;

  /**
   * For a FIFO queue, deduplicate messages by a hash of their body.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * Your own dead-letter queue (a FIFO queue needs a FIFO one). It should keep messages longer
   * than this queue does.
   *
   * @default - a new queue with the same encryption and TLS policy that keeps messages 14 days
   */
  readonly deadLetterQueue?: sqs.Queue;
}

/** Why a consumer or subscriber that is not traced is accepted anyway. */
export interface UntracedConsumer {
  /** Why the trace may break here (recorded on the edge of the trace map and in the warning). */
  readonly reason: string;
}

/** Options of `TracedQueue.addConsumer`: the SQS event source options plus the tracing ones. */
export interface TracedQueueConsumerOptions extends lambdaEventSources.SqsEventSourceProps {
  /**
   * Report the records that failed (`batchItemFailures`, what `processRecords` returns) so only
   * those are retried. Always on; `false` is an error.
   *
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;

  /**
   * Accept a consumer that is not a `TracedFunction`: its spans will not continue the trace of
   * the messages it reads. The edge is recorded as not carrying the context, and a warning is
   * added.
   *
   * @default - the consumer must be a `TracedFunction`
   */
  readonly untraced?: UntracedConsumer;

  /**
   * Always keep the traces of the batches the consumer receives from this queue, whatever its
   * sampling ratio (adds `AlwaysKeep.queue(queue)` to the consumer, which must be a
   * `TracedFunction`).
   *
   * @default false
   */
  readonly alwaysKeep?: boolean;
}

/** Options of the producer grants (`grantSend`, `grantPublish`). */
export interface TracedProducerOptions {
  /**
   * The environment variable that receives the queue URL (`grantSend`) or the topic ARN
   * (`grantPublish`): a name, `true` for the default name, or `false` for no variable (the
   * permissions and the edge of the trace map stay). Only a `lambda.Function` producer gets a
   * variable; a name with any other grantee is an error.
   *
   * @default - `<ID>_QUEUE_URL` or `<ID>_TOPIC_ARN`, the construct id in CONSTANT_CASE
   * (`PaymentEvents` → `PAYMENT_EVENTS_QUEUE_URL`)
   */
  readonly environmentVariable?: string | boolean;
}
