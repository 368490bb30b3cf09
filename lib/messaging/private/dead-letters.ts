import { Names, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { isTracedConstruct } from '../../core/markers';
import { TracingSettings } from '../../settings/tracing-settings';
import { defaultQueueOptions } from './queue-defaults';

/**
 * Why a dead-letter queue has no redrive policy of its own (cdk-nag `Serverless-SQSRedrivePolicy`):
 * it is the end of the line.
 */
export const DEAD_LETTER_QUEUE_REASON =
  'a dead-letter queue: a message lands here after its deliveries failed and is kept for the retention ' +
  'period for a look; a dead-letter queue of its own would only move it once more';

/**
 * Why an SQS event source mapping has no on-failure destination (cdk-nag
 * `Serverless-LambdaEventSourceMappingDestination`).
 */
export const SQS_EVENT_SOURCE_REASON =
  'an SQS event source mapping has no on-failure destination (AWS::Lambda::EventSourceMapping ' +
  'DestinationConfig.OnFailure is for Kinesis, DynamoDB, Kafka and Amazon MSK sources): a message that ' +
  "keeps failing goes to the queue's own dead-letter queue through its redrive policy (maxReceiveCount)";

/** Why the dead-letter queue of a subscription to an untraced function is not a function's. */
const SUBSCRIPTION_DEAD_LETTER_QUEUE_REASON =
  'the dead-letter queue of an SNS subscription (its redrive policy), which cdk-nag does not count as one';

/** The dead-letter queues this library gave functions, by function. */
const functionDeadLetterQueues = new WeakMap<lambda.Function, sqs.IQueue>();

/**
 * The dead-letter queue of an SNS → Lambda subscription, which is asynchronous twice: SNS delivers
 * to Lambda (a delivery that fails for good goes to the subscription's dead-letter queue), then
 * Lambda runs the function (an event that still fails after Lambda's two retries goes to the
 * function's dead-letter queue). One queue serves both, per function:
 *
 * - the function's own dead-letter queue, when it has one (`deadLetterQueue`,
 *   `deadLetterQueueEnabled`, or one this function gave it);
 * - else, for a `TracedFunction` with no dead-letter target (only a TracedFunction's settings are
 *   the library's to change), a new one under it (encrypted
 *   with SSE-SQS, TLS only, the `deadLetterRetentionPeriod` of its `TracingSettings`, 14 days by
 *   default), set as the function's dead-letter queue, and the function's role may send to it;
 * - else (any other function, or one whose dead-letter target is a topic) a queue for the
 *   subscription only, under `scope`.
 *
 * The subscription gives SNS the right to send to it (`sns.Subscription` adds the queue policy).
 */
export function functionSubscriptionDeadLetterQueue(
  subscriber: lambda.IFunction,
  scope: Construct,
): sqs.IQueue {
  if (subscriber instanceof lambda.Function) {
    const existing = subscriber.deadLetterQueue ?? functionDeadLetterQueues.get(subscriber);
    if (existing) return existing;
    const cfn = subscriber.node.defaultChild as lambda.CfnFunction;
    if (cfn.deadLetterConfig === undefined && isTracedConstruct(subscriber)) {
      const queue = newDeadLetterQueue(subscriber, 'DeadLetterQueue');
      cfn.deadLetterConfig = { targetArn: queue.queueArn };
      // As lambda.Function does for its deadLetterQueue: Lambda checks it when it creates the function.
      subscriber.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
      functionDeadLetterQueues.set(subscriber, queue);
      return queue;
    }
  }
  const id = `${Names.nodeUniqueId(subscriber.node)}DeadLetterQueue`;
  const existing = scope.node.tryFindChild(id);
  if (existing instanceof sqs.Queue) return existing;
  const queue = newDeadLetterQueue(scope, id);
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason: SUBSCRIPTION_DEAD_LETTER_QUEUE_REASON,
  });
  return queue;
}

/**
 * Acknowledge, on the event source mapping of an SQS source, that it has no on-failure destination
 * (SQS sources have none; the queue's redrive policy is the SQS way).
 */
export function acknowledgeSqsEventSource(
  consumer: lambda.IFunction,
  source: { eventSourceMappingId: string },
): void {
  const mapping = consumer.node.children.find(
    (c): c is lambda.EventSourceMapping =>
      c instanceof lambda.EventSourceMapping && c.eventSourceMappingId === source.eventSourceMappingId,
  );
  if (mapping) {
    Validations.of(mapping).acknowledge({
      id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
      reason: SQS_EVENT_SOURCE_REASON,
    });
  }
}

/** Acknowledge, on a dead-letter queue the library made, that it has no dead-letter queue itself. */
export function acknowledgeDeadLetterQueue(queue: IConstruct): void {
  Validations.of(queue).acknowledge({
    id: 'Serverless::Serverless-SQSRedrivePolicy',
    reason: DEAD_LETTER_QUEUE_REASON,
  });
}

/** A dead-letter queue with the library's defaults (those of a `TracedQueue`'s). */
function newDeadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const defaults = defaultQueueOptions();
  const queue = new sqs.Queue(scope, id, {
    encryption: defaults.encryption,
    enforceSSL: defaults.enforceSSL,
    retentionPeriod:
      TracingSettings.resolve(scope).deadLetterRetentionPeriod ?? defaults.deadLetterRetentionPeriod,
  });
  acknowledgeDeadLetterQueue(queue);
  return queue;
}
