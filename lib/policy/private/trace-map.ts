import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { TracedQueue } from '../../messaging/traced-queue';
import { EDGES_ID } from '../../core/constants';
import type { TraceEdge } from '../../trace-map/trace-edge';
import { TraceEdges } from '../../trace-map/trace-edges';
import {
  allOfType,
  FunctionTarget,
  functionOfResource,
  ownerOf,
  referencedConstruct,
} from '../../core/resource-values';

/**
 * The edges recorded in the app of `scope`. Reads the registry only when it exists (a rule never
 * creates it).
 */
export function recordedEdges(scope: IConstruct): readonly TraceEdge[] {
  const registry = scope.node.root.node.tryFindChild(EDGES_ID);
  return registry instanceof TraceEdges ? registry.edges : [];
}

/** The construct with this path in the app of `scope`. */
export function constructAt(scope: IConstruct, path: string): IConstruct | undefined {
  let current: IConstruct | undefined = scope.node.root;
  for (const id of path === '' ? [] : path.split('/')) {
    current = current?.node.tryFindChild(id);
  }
  return current;
}

/** The queue resource a construct stands for: a `CfnQueue`, an `sqs.Queue`, a `TracedQueue`'s queue. */
export function queueResourceOf(construct: IConstruct | undefined): sqs.CfnQueue | undefined {
  if (construct instanceof TracedQueue) {
    return queueResourceOf(construct.queue);
  }
  const resource = construct instanceof sqs.Queue ? construct.node.defaultChild : construct;
  return resource instanceof sqs.CfnQueue ? resource : undefined;
}

/** How a queue is named in messages: its `TracedQueue`, else its `sqs.Queue`, else itself. */
export function queueLabel(queue: sqs.CfnQueue): string {
  const owner = ownerOf(queue);
  const parent = owner.node.scope;
  return parent instanceof TracedQueue && parent.queue === owner ? parent.node.path : owner.node.path;
}

/** An event source mapping from an SQS queue of the app. */
export interface QueueConsumption {
  readonly mapping: lambda.CfnEventSourceMapping;
  readonly queue: sqs.CfnQueue;
  /** The consuming function, when it is a function of the app. */
  readonly fn?: FunctionTarget;
}

/** The queue and function of an event source mapping, when it reads a queue of the app. */
export function queueConsumption(mapping: lambda.CfnEventSourceMapping): QueueConsumption | undefined {
  const queue = referencedConstruct(mapping.eventSourceArn);
  if (!(queue instanceof sqs.CfnQueue)) {
    return undefined;
  }
  const fn = referencedConstruct(mapping.functionName);
  return { mapping, queue, fn: fn instanceof lambda.CfnFunction ? functionOfResource(fn) : undefined };
}

/** Every event source mapping of the app that reads a queue of the app. */
export function queueConsumptions(scope: IConstruct): QueueConsumption[] {
  return allOfType(scope, lambda.CfnEventSourceMapping).flatMap((m) => queueConsumption(m) ?? []);
}

/**
 * The recorded edges that bring the trace context into a queue: a traced producer's send
 * (`sqs-send`), a subscription of a topic (`sns-to-sqs`).
 */
export function tracedInflow(queue: sqs.CfnQueue): TraceEdge[] {
  return recordedEdges(queue).filter(
    (e) =>
      (e.kind === 'sqs-send' || e.kind === 'sns-to-sqs') &&
      e.carriesContext &&
      queueResourceOf(constructAt(queue, e.to)) === queue,
  );
}

/** The edge `TracedQueue.addConsumer` recorded for this queue and consumer, if it did. */
export function wiredConsumerEdge(queue: sqs.CfnQueue, consumer: IConstruct): TraceEdge | undefined {
  return recordedEdges(queue).find(
    (e) =>
      e.kind === 'sqs-to-lambda' &&
      e.to === consumer.node.path &&
      queueResourceOf(constructAt(queue, e.from)) === queue,
  );
}
