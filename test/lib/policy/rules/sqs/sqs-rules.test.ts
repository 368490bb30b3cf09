import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TracedFunction } from '../../../../../lib/function';
import { TracedQueue } from '../../../../../lib/messaging';
import {
  QUEUE_WITHOUT_DLQ,
  queueWithoutDlq,
  VISIBILITY_TIMEOUT,
  visibilityTimeout,
} from '../../../../../lib/policy';
import { fixture, newStack, plainFunction } from '../../../../helpers/stack';
import { COMPLIANT, evaluate, nonCompliant, NOT_APPLICABLE, resourceOf } from '../evaluate';

/** The event source mapping a function got from `addEventSource`. */
function mappingOf(fn: lambda.Function): lambda.CfnEventSourceMapping {
  const mapping = fn.node.findAll().find((c) => c instanceof lambda.CfnEventSourceMapping);
  if (!mapping) {
    throw new Error(`${fn.node.path} has no event source mapping`);
  }
  return mapping as lambda.CfnEventSourceMapping;
}

function consume(
  stack: Stack,
  queue: sqs.IQueue,
  id: string,
  timeout: Duration,
): lambda.CfnEventSourceMapping {
  const fn = plainFunction(stack, id, { timeout });
  fn.addEventSource(new lambdaEventSources.SqsEventSource(queue));
  return mappingOf(fn);
}

describe(`${QUEUE_WITHOUT_DLQ} (error)`, () => {
  test('the id and level', () => {
    expect(queueWithoutDlq.id).toBe('CST-QueueWithoutDlq');
    expect(queueWithoutDlq.level).toBe('error');
  });

  test('a queue without a redrive policy: non-compliant', () => {
    const { stack } = newStack();
    const plain = new sqs.Queue(stack, 'Plain');
    const raw = new sqs.CfnQueue(stack, 'Raw');
    expect(evaluate(queueWithoutDlq, resourceOf(plain))).toEqual(
      nonCompliant(
        'queue TestStack/Plain has no dead-letter queue (no redrive policy): a message that keeps failing is ' +
          'received again and again until its retention period ends, then it is lost',
      ),
    );
    expect(evaluate(queueWithoutDlq, raw)).toEqual(
      nonCompliant(/^queue TestStack\/Raw has no dead-letter queue/),
    );
  });

  test('a queue with a dead-letter queue (a TracedQueue, an sqs.Queue): compliant', () => {
    const { stack } = newStack();
    const traced = new TracedQueue(stack, 'Traced');
    const dlq = new sqs.Queue(stack, 'Dlq');
    const plain = new sqs.Queue(stack, 'Plain', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    expect(evaluate(queueWithoutDlq, resourceOf(traced.queue))).toEqual(COMPLIANT);
    expect(evaluate(queueWithoutDlq, resourceOf(plain))).toEqual(COMPLIANT);
  });

  test('dead-letter queues themselves: not applicable (of a queue, also across stacks; a subscription; a function)', () => {
    const { app, stack } = newStack();
    const traced = new TracedQueue(stack, 'Traced');
    const other = new Stack(app, 'Other');
    const remoteDlq = new sqs.Queue(stack, 'RemoteDlq');
    new sqs.Queue(other, 'Main', { deadLetterQueue: { queue: remoteDlq, maxReceiveCount: 3 } });
    const subscriptionDlq = new sqs.Queue(stack, 'SubscriptionDlq');
    new sns.Topic(stack, 'Topic').addSubscription(
      new subscriptions.SqsSubscription(traced.queue, {
        deadLetterQueue: subscriptionDlq,
        rawMessageDelivery: true,
      }),
    );
    const functionDlq = new sqs.Queue(stack, 'FunctionDlq');
    plainFunction(stack, 'Async', { deadLetterQueue: functionDlq });
    const declared = new sqs.Queue(stack, 'Declared', {
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    for (const q of [traced.deadLetterQueue, remoteDlq, subscriptionDlq, functionDlq, declared]) {
      expect(evaluate(queueWithoutDlq, resourceOf(q))).toEqual(NOT_APPLICABLE);
    }
  });

  test('other constructs (the L2 queue is evaluated through its CfnQueue): not applicable', () => {
    const { stack } = newStack();
    expect(evaluate(queueWithoutDlq, new sqs.Queue(stack, 'Plain'))).toEqual(NOT_APPLICABLE);
    expect(evaluate(queueWithoutDlq, plainFunction(stack, 'Fn'))).toEqual(NOT_APPLICABLE);
  });
});

describe(`${VISIBILITY_TIMEOUT} (warning)`, () => {
  test('the id and level', () => {
    expect(visibilityTimeout.id).toBe('CST-VisibilityTimeout');
    expect(visibilityTimeout.level).toBe('warning');
  });

  test('a visibility timeout below 6 × the function timeout: non-compliant, with the values', () => {
    const { stack } = newStack();
    const queue = new sqs.Queue(stack, 'Queue'); // 30 seconds, SQS's default
    expect(evaluate(visibilityTimeout, consume(stack, queue, 'Slow', Duration.seconds(10)))).toEqual(
      nonCompliant(
        'queue TestStack/Queue has a visibility timeout of 30 seconds, less than 6 × the 10-second timeout of ' +
          'its consumer TestStack/Slow: a message can become visible again while its batch is still being ' +
          'processed or retried; set it to 60 seconds or more',
      ),
    );
    const short = new sqs.Queue(stack, 'Short', { visibilityTimeout: Duration.seconds(5) });
    expect(evaluate(visibilityTimeout, consume(stack, short, 'Slower', Duration.seconds(10)))).toEqual(
      nonCompliant(
        /of its consumer TestStack\/Slower \(below the function timeout, AWS rejects the event source mapping\)/,
      ),
    );
  });

  test('the defaults (30 seconds against 3 seconds) and 6 × or more: compliant', () => {
    const { stack } = newStack();
    const raw = new sqs.CfnQueue(stack, 'Raw');
    const fn = plainFunction(stack, 'Fn');
    const mapping = new lambda.CfnEventSourceMapping(stack, 'Mapping', {
      eventSourceArn: raw.attrArn,
      functionName: fn.functionName,
    });
    (resourceOf(fn) as lambda.CfnFunction).timeout = undefined;
    const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(1) });
    expect(evaluate(visibilityTimeout, mapping)).toEqual(COMPLIANT);
    expect(evaluate(visibilityTimeout, consume(stack, queue, 'Ten', Duration.seconds(10)))).toEqual(
      COMPLIANT,
    );
  });

  test('not applicable: tokens, other event sources, a TracedQueue consumer (checked by addConsumer), other constructs', () => {
    const { stack } = newStack();
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
    const tokenQueue = new sqs.Queue(stack, 'TokenQueue', { visibilityTimeout: Duration.seconds(seconds) });
    const traced = new TracedQueue(stack, 'Traced');
    const consumer = new TracedFunction(stack, 'Consumer', {
      entry: fixture('hello.ts'),
      timeout: Duration.seconds(10),
    });
    traced.addConsumer(consumer);
    const kinesis = new lambda.CfnEventSourceMapping(stack, 'Kinesis', {
      eventSourceArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/payments',
      functionName: plainFunction(stack, 'Reader').functionName,
      startingPosition: 'LATEST',
    });
    expect(evaluate(visibilityTimeout, consume(stack, tokenQueue, 'Fn', Duration.seconds(10)))).toEqual(
      NOT_APPLICABLE,
    );
    expect(evaluate(visibilityTimeout, mappingOf(consumer))).toEqual(NOT_APPLICABLE);
    expect(evaluate(visibilityTimeout, kinesis)).toEqual(NOT_APPLICABLE);
    expect(evaluate(visibilityTimeout, traced)).toEqual(NOT_APPLICABLE);
  });
});
