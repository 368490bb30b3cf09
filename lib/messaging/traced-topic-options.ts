import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { UntracedConsumer } from './traced-queue-options';

/** The settings of a traced topic, without the topic itself. */
export interface TracedTopicOptions {
  /**
   * Encrypt the messages at rest. `false` warns.
   *
   * @default true
   */
  readonly encrypted?: boolean;

  /**
   * The KMS key that encrypts the messages (with `encrypted`). A customer managed key must
   * allow the publishers and the services that publish (CDK grants the functions you pass to
   * `grantPublish`).
   *
   * @default - the AWS managed key `alias/aws/sns`
   */
  readonly masterKey?: kms.IKey;

  /**
   * Deny every request that does not use TLS (`aws:SecureTransport` false). `false` warns.
   *
   * @default true
   */
  readonly enforceSSL?: boolean;
}

/** Props of a `TracedTopic`: the options plus what names and identifies the topic. */
export interface TracedTopicProps extends TracedTopicOptions {
  /**
   * The name of the topic (a FIFO topic's name ends in `.fifo`).
   *
   * @default - a name CloudFormation generates
   */
  readonly topicName?: string;

  /**
   * The display name of the topic.
   *
   * @default - none
   */
  readonly displayName?: string;

  /**
   * Make it a FIFO topic (it can deliver to FIFO queues).
   *
   * @default false
   */
  readonly fifo?: boolean;

  /**
   * For a FIFO topic, deduplicate messages by a hash of their body.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;
}

/** The filters and the delivery dead-letter queue of a subscription. */
export interface TracedSubscriptionOptions {
  /**
   * Deliver only the messages whose attributes match.
   *
   * @default - every message
   */
  readonly filterPolicy?: { [attribute: string]: sns.SubscriptionFilter };

  /**
   * Deliver only the messages whose body matches.
   *
   * @default - every message
   */
  readonly filterPolicyWithMessageBody?: { [attribute: string]: sns.FilterOrPolicy };

  /**
   * Where SNS puts the messages it could not deliver (the subscription's redrive policy).
   *
   * @default - a queue subscription: the queue's own dead-letter queue; a function subscription:
   * the function's dead-letter queue (a `TracedFunction` without one gets one, which also takes the
   * events Lambda could not process after its retries), else a queue for the subscription
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** Options of `TracedTopic.addQueueSubscription`. */
export interface TracedQueueSubscriptionOptions extends TracedSubscriptionOptions {
  /**
   * Deliver the message as published, its message attributes (with `traceparent`) becoming SQS
   * message attributes. With `false` the queue receives the SNS JSON envelope; the consumer
   * runtime reads the context from it, and the edge is recorded with `via: 'sns-envelope'`.
   *
   * @default true
   */
  readonly rawMessageDelivery?: boolean;
}

/** Options of `TracedTopic.addFunctionSubscription`. */
export interface TracedFunctionSubscriptionOptions extends TracedSubscriptionOptions {
  /**
   * Accept a subscriber that is not a `TracedFunction`: its spans will not continue the trace.
   * The edge is recorded as not carrying the context, and a warning is added.
   *
   * @default - the subscriber must be a `TracedFunction`
   */
  readonly untraced?: UntracedConsumer;
}
