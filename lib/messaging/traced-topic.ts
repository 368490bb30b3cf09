import { Annotations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { throwIfAny } from '../core/errors';
import { markWrapper } from '../core/markers';
import {
  checkTracedAtSynth,
  consumerTracingErrors,
  finishConsumerWiring,
  grantProducer,
  recordEdge,
} from './private/wiring';
import { functionSubscriptionDeadLetterQueue } from './private/dead-letters';
import { resolveTopicOptions, ResolvedTopicOptions, SNS_MANAGED_KEY_ALIAS } from './private/topic-defaults';
import { queueSubscriptionErrors, tracedTopicErrors, tracedTopicWarnings } from './private/validate-topic';
import { TracedProducerOptions } from './traced-queue-options';
import { TraceEdges } from '../trace-map/trace-edges';
import { TracedQueue } from './traced-queue';
import {
  TracedFunctionSubscriptionOptions,
  TracedQueueSubscriptionOptions,
  TracedTopicProps,
} from './traced-topic-options';

/**
 * An SNS topic that keeps the trace: encrypted with the AWS managed key `alias/aws/sns`, TLS
 * only. `addQueueSubscription` subscribes a `TracedQueue` with raw delivery (the producer's
 * `traceparent` message attribute arrives as an SQS message attribute), `addFunctionSubscription`
 * a traced function, and `grantPublish` lets a producer publish and gives it the topic ARN. Each
 * records its edge in the trace map (`TraceEdges`).
 *
 * The managed key works for the subscriptions this construct makes: SNS decrypts with its own
 * key before it delivers, to Lambda and to SQS queues encrypted with SSE-SQS (the `TracedQueue`
 * default) or a customer managed key. Only AWS services that publish themselves (CloudWatch
 * alarms, S3 or EventBridge notifications) cannot use `alias/aws/sns`; give those topics a
 * customer managed `masterKey` whose policy allows them.
 *
 * It is an `sns.ITopic` (an `sns.TopicBase`), so it goes wherever a topic does — alarm actions,
 * `SnsDestination`, `grantSubscribe`, notification rules — and each of those acts on the topic it
 * wraps (`topic`). `addSubscription` subscribes to that topic as `sns.Topic.addSubscription`
 * does, with no check and no edge in the trace map: prefer `addQueueSubscription` and
 * `addFunctionSubscription`. Called by CDK (a Lambda destination, an EventBridge target) with a
 * function, `grantPublish` also gives it the topic ARN, as it does for any function.
 *
 * @example
 * const payments = new TracedTopic(stack, 'Payments');
 * payments.grantPublish(authorize); // authorize gets PAYMENTS_TOPIC_ARN
 * payments.addQueueSubscription(reconciliation);
 */
export class TracedTopic extends sns.TopicBase {
  /** The topic. */
  public readonly topic: sns.Topic;

  /** The options this topic resolved (defaults, then props). */
  public readonly topicOptions: ResolvedTopicOptions;

  /** The resource policy is the wrapped topic's (see `addToResourcePolicy`). */
  protected readonly autoCreatePolicy = false;

  constructor(scope: Construct, id: string, props: TracedTopicProps = {}) {
    super(scope, id);
    TraceEdges.of(this); // the app's trace map, written at synth
    const options = resolveTopicOptions(props);
    const errors = tracedTopicErrors(options);
    if (errors.length > 0) {
      throw new Error(`TracedTopic ${this.node.path} has invalid props:\n  - ${errors.join('\n  - ')}`);
    }
    this.topicOptions = options;

    const masterKey = options.encrypted
      ? (options.masterKey ?? kms.Alias.fromAliasName(this, 'ManagedKey', SNS_MANAGED_KEY_ALIAS))
      : undefined;
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.displayName,
      fifo: props.fifo,
      contentBasedDeduplication: props.contentBasedDeduplication,
      masterKey,
      enforceSSL: options.enforceSSL,
    });
    markWrapper(this, this.topic);
    if (masterKey && !options.masterKey) {
      // The managed key by its alias, as SNS documents it (the same in every region and account).
      (this.topic.node.defaultChild as sns.CfnTopic).kmsMasterKeyId = SNS_MANAGED_KEY_ALIAS;
    }

    for (const w of tracedTopicWarnings(options)) {
      Annotations.of(this).addWarningV2(w.id, w.message);
    }
  }

  /** The ARN of the topic. */
  public get topicArn(): string {
    return this.topic.topicArn;
  }

  /** The name of the topic. */
  public get topicName(): string {
    return this.topic.topicName;
  }

  /** The key of the topic (the AWS managed key `alias/aws/sns` by default). */
  public get masterKey(): kms.IKey | undefined {
    return this.topic.masterKey;
  }

  /** Whether the topic is a FIFO topic. */
  public get fifo(): boolean {
    return this.topic.fifo;
  }

  /** Whether content-based deduplication is on (FIFO topics). */
  public get contentBasedDeduplication(): boolean {
    return this.topic.contentBasedDeduplication;
  }

  /** Add a statement to the resource policy of the topic (the wrapped topic's `TopicPolicy`). */
  public override addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.topic.addToResourcePolicy(statement);
  }

  /**
   * Subscribe a traced queue. Raw delivery is the default, so the `traceparent` message
   * attribute the producer set arrives as an SQS message attribute; with `rawMessageDelivery:
   * false` the queue receives the SNS envelope, which the consumer runtime reads too.
   */
  public addQueueSubscription(
    queue: TracedQueue,
    options: TracedQueueSubscriptionOptions = {},
  ): sns.Subscription {
    throwIfAny(
      `TracedTopic ${this.node.path}`,
      queueSubscriptionErrors({
        topicFifo: this.topic.fifo,
        queuePath: queue.node.path,
        queueFifo: queue.queue.fifo,
        queueEncryption: queue.queue.encryptionType,
      }),
    );
    const raw = options.rawMessageDelivery ?? true;
    const subscription = this.topic.addSubscription(
      new subscriptions.SqsSubscription(queue.queue, {
        rawMessageDelivery: raw,
        filterPolicy: options.filterPolicy,
        filterPolicyWithMessageBody: options.filterPolicyWithMessageBody,
        // SNS delivers asynchronously: a message it cannot deliver for good goes to the queue's own
        // dead-letter queue (cdk-nag Serverless-SNSRedrivePolicy).
        deadLetterQueue: options.deadLetterQueue ?? queue.deadLetterQueue,
      }),
    );
    recordEdge(this, {
      from: this.node.path,
      to: queue.node.path,
      kind: 'sns-to-sqs',
      carriesContext: true,
      via: raw ? 'raw-delivery' : 'sns-envelope',
    });
    return subscription;
  }

  /**
   * Subscribe a function. It must be a `TracedFunction` (or pass `untraced: { reason }`): the
   * runtime continues the trace from the SNS record's message attributes.
   */
  public addFunctionSubscription(
    subscriber: lambda.IFunction,
    options: TracedFunctionSubscriptionOptions = {},
  ): sns.Subscription {
    const { untraced, ...subscriptionProps } = options;
    throwIfAny(`TracedTopic ${this.node.path}`, consumerTracingErrors('subscriber', subscriber, untraced));
    // Bound to this construct, not to the topic it wraps: the subscription's id under the function
    // is the topic's id, and every wrapped topic's is 'Topic' (a function subscribed to two traced
    // topics would get the same id twice).
    const subscription = super.addSubscription(
      new subscriptions.LambdaSubscription(subscriber, {
        ...subscriptionProps,
        deadLetterQueue:
          subscriptionProps.deadLetterQueue ?? functionSubscriptionDeadLetterQueue(subscriber, this),
      }),
    );
    checkTracedAtSynth(this, `TracedTopic ${this.node.path}`, 'subscriber', subscriber, untraced);
    finishConsumerWiring(this, subscriber, 'sns-to-lambda', untraced);
    return subscription;
  }

  /**
   * Let a producer publish to the topic: `sns:Publish` (and the KMS permissions a customer
   * managed key needs). A `lambda.Function` producer also gets the topic ARN in an environment
   * variable (default `<ID>_TOPIC_ARN`; `environmentVariable: false` sets none) and the edge
   * producer → topic in the trace map; it carries the context when the producer is a
   * `TracedFunction` that publishes through `traceAwsClient(new SNSClient(...))`. Any other
   * grantee (a role, a user, an imported `lambda.IFunction`) gets only the permissions: no
   * variable and no edge.
   */
  public override grantPublish(producer: iam.IGrantable, options: TracedProducerOptions = {}): iam.Grant {
    return grantProducer(this, producer, options.environmentVariable, {
      label: `TracedTopic ${this.node.path}`,
      suffix: 'TOPIC_ARN',
      value: this.topic.topicArn,
      kind: 'sns-publish',
      grant: (grantee) => this.topic.grantPublish(grantee),
    });
  }
}
