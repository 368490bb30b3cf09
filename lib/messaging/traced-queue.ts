import { Annotations, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { throwIfAny } from '../core/errors';
import { functionTimeout } from '../core/function-timeout';
import { isTracedConstruct, markWrapper } from '../core/markers';
import {
  checkTracedAtSynth,
  consumerTracingErrors,
  finishConsumerWiring,
  grantProducer,
} from './private/wiring';
import { acknowledgeDeadLetterQueue, acknowledgeSqsEventSource } from './private/dead-letters';
import { resolveQueueOptions, ResolvedQueueOptions } from './private/queue-defaults';
import {
  queueConsumerErrors,
  queueConsumerWarnings,
  tracedQueueErrors,
  tracedQueueWarnings,
} from './private/validate-queue';
import { AlwaysKeep } from '../settings/always-keep';
import { TracingSettings } from '../settings/tracing-settings';
import { TraceEdges } from '../trace-map/trace-edges';
import { TracedProducerOptions, TracedQueueConsumerOptions, TracedQueueProps } from './traced-queue-options';

/** What `addConsumer` calls on a traced consumer (`TracedFunction.addAlwaysKeep`). */
interface AlwaysKeepTarget {
  addAlwaysKeep(rule: AlwaysKeep): void;
}

/**
 * An SQS queue that keeps the trace: encrypted (SSE-SQS), TLS only, with a dead-letter queue
 * that keeps failed messages 14 days. `addConsumer` wires a traced function with
 * `reportBatchItemFailures`; `grantSend` lets a producer send and gives it the queue URL. Both
 * record the edge in the trace map (`TraceEdges`).
 *
 * It is an `sqs.IQueue` (an `sqs.QueueBase`), so it goes wherever a queue does — `SqsEventSource`,
 * `SqsSubscription`, `AlwaysKeep.queue`, `grantConsumeMessages`, the `metric*` methods — and each
 * of those acts on the queue it wraps (`queue`): its ARN, URL, key and resource policy.
 *
 * @example
 * const queue = new TracedQueue(stack, 'Reconciliation', { visibilityTimeout: Duration.minutes(3) });
 * queue.addConsumer(reconcile); // a TracedFunction with a 30-second timeout
 * queue.grantSend(authorize);   // authorize gets RECONCILIATION_QUEUE_URL
 */
export class TracedQueue extends sqs.QueueBase {
  /** The queue. */
  public readonly queue: sqs.Queue;

  /** The dead-letter queue (the one created here, or the one you passed). */
  public readonly deadLetterQueue: sqs.Queue;

  /** The options this queue resolved (defaults, then props). */
  public readonly queueOptions: ResolvedQueueOptions;

  /** The resource policy is the wrapped queue's (see `addToResourcePolicy`). */
  protected readonly autoCreatePolicy = false;

  constructor(scope: Construct, id: string, props: TracedQueueProps = {}) {
    super(scope, id);
    TraceEdges.of(this); // the app's trace map, written at synth
    const options = resolveQueueOptions({
      ...props,
      deadLetterRetentionPeriod:
        props.deadLetterRetentionPeriod ?? TracingSettings.resolve(this).deadLetterRetentionPeriod,
    });
    const facts = {
      fifo: props.fifo ?? false,
      deadLetterQueue: props.deadLetterQueue,
      deadLetterRetentionGiven: props.deadLetterRetentionPeriod !== undefined,
    };
    const errors = tracedQueueErrors(options, facts);
    if (errors.length > 0) {
      throw new Error(`TracedQueue ${this.node.path} has invalid props:\n  - ${errors.join('\n  - ')}`);
    }
    this.queueOptions = options;

    const secure = {
      encryption: options.encryption,
      encryptionMasterKey: options.encryptionMasterKey,
      enforceSSL: options.enforceSSL,
      fifo: props.fifo,
    };
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new sqs.Queue(this, 'DeadLetterQueue', {
        ...secure,
        queueName: deadLetterQueueName(props.queueName),
        retentionPeriod: options.deadLetterRetentionPeriod,
      });
    if (!props.deadLetterQueue) acknowledgeDeadLetterQueue(this.deadLetterQueue);
    this.queue = new sqs.Queue(this, 'Queue', {
      ...secure,
      queueName: props.queueName,
      contentBasedDeduplication: props.contentBasedDeduplication,
      visibilityTimeout: options.visibilityTimeout,
      retentionPeriod: options.retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: options.maxReceiveCount },
    });
    markWrapper(this, this.queue);

    for (const w of tracedQueueWarnings(options, facts)) {
      Annotations.of(this).addWarningV2(w.id, w.message);
    }
  }

  /** The URL of the queue. */
  public get queueUrl(): string {
    return this.queue.queueUrl;
  }

  /** The ARN of the queue. */
  public get queueArn(): string {
    return this.queue.queueArn;
  }

  /** The name of the queue. */
  public get queueName(): string {
    return this.queue.queueName;
  }

  /** Whether the queue is a FIFO queue. */
  public get fifo(): boolean {
    return this.queue.fifo;
  }

  /** The customer managed key of the queue, if it has one. */
  public get encryptionMasterKey(): kms.IKey | undefined {
    return this.queue.encryptionMasterKey;
  }

  /** How the queue is encrypted. */
  public get encryptionType(): sqs.QueueEncryption | undefined {
    return this.queue.encryptionType;
  }

  /** Add a statement to the resource policy of the queue (the wrapped queue's `QueuePolicy`). */
  public override addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.queue.addToResourcePolicy(statement);
  }

  /**
   * Consume the queue with a function: an SQS event source with `reportBatchItemFailures` (so
   * `processRecords` retries only the records that failed). The consumer must be a
   * `TracedFunction` (or pass `untraced: { reason }`), and the queue's visibility timeout must
   * be at least the function's timeout (a warning below 6 × the timeout).
   */
  public addConsumer(
    consumer: lambda.IFunction,
    options: TracedQueueConsumerOptions = {},
  ): lambdaEventSources.SqsEventSource {
    const { untraced, alwaysKeep, ...eventSourceProps } = options;
    const facts = {
      queuePath: this.node.path,
      consumerPath: consumer.node.path,
      visibilityTimeout: this.queueOptions.visibilityTimeout,
      consumerTimeout: functionTimeout(consumer),
      reportBatchItemFailures: options.reportBatchItemFailures,
    };
    throwIfAny(`TracedQueue ${this.node.path}`, [
      ...consumerTracingErrors('consumer', consumer, untraced),
      ...queueConsumerErrors(facts),
      ...(alwaysKeep && !isTracedConstruct(consumer)
        ? [`alwaysKeep needs a TracedFunction consumer (${consumer.node.path} is not one)`]
        : []),
    ]);

    const source = new lambdaEventSources.SqsEventSource(this.queue, {
      ...eventSourceProps,
      reportBatchItemFailures: true,
    });
    consumer.addEventSource(source);
    acknowledgeSqsEventSource(consumer, source);
    if (alwaysKeep) {
      (consumer as unknown as AlwaysKeepTarget).addAlwaysKeep(AlwaysKeep.queue(this.queue));
    }

    checkTracedAtSynth(this, `TracedQueue ${this.node.path}`, 'consumer', consumer, untraced);
    finishConsumerWiring(this, consumer, 'sqs-to-lambda', untraced, queueConsumerWarnings(facts));
    return source;
  }

  /**
   * Let a producer send messages to the queue: `sqs:SendMessage` (and the KMS permissions a
   * customer managed key needs). A `lambda.Function` producer also gets the queue URL in an
   * environment variable (default `<ID>_QUEUE_URL`; `environmentVariable: false` sets none) and
   * the edge producer → queue in the trace map; it carries the context when the producer is a
   * `TracedFunction` that sends through `traceAwsClient(new SQSClient(...))`. Any other grantee
   * (a role, a user, an imported `lambda.IFunction`) gets only the permissions: no variable and
   * no edge.
   */
  public grantSend(producer: iam.IGrantable, options: TracedProducerOptions = {}): iam.Grant {
    return grantProducer(this, producer, options.environmentVariable, {
      label: `TracedQueue ${this.node.path}`,
      suffix: 'QUEUE_URL',
      value: this.queue.queueUrl,
      kind: 'sqs-send',
      grant: (grantee) => this.queue.grantSendMessages(grantee),
    });
  }
}

/** The dead-letter queue's name for a named queue (`orders` → `orders-dlq`, `a.fifo` → `a-dlq.fifo`). */
function deadLetterQueueName(queueName: string | undefined): string | undefined {
  if (queueName === undefined || Token.isUnresolved(queueName)) {
    return undefined;
  }
  return queueName.endsWith('.fifo') ? `${queueName.slice(0, -'.fifo'.length)}-dlq.fifo` : `${queueName}-dlq`;
}
