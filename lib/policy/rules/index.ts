import { TracingRule } from '../rule';
import { highCardinalityResource } from './lambda/high-cardinality-resource';
import { nonNodeRuntime } from './lambda/non-node-runtime';
import { samplingOverBudget } from './lambda/sampling-over-budget';
import { secretInEnvironment } from './lambda/secret-in-environment';
import { logRetention } from './logs/log-retention';
import { envelopeUnreadable } from './sns/envelope-unreadable';
import { queueWithoutDlq } from './sqs/queue-without-dlq';
import { visibilityTimeout } from './sqs/visibility-timeout';
import { untracedEdge } from './trace-map/untraced-edge';

export * from './lambda/high-cardinality-resource';
export * from './lambda/non-node-runtime';
export * from './lambda/sampling-over-budget';
export * from './lambda/secret-in-environment';
export * from './logs/log-retention';
export * from './sns/envelope-unreadable';
export * from './sqs/queue-without-dlq';
export * from './sqs/visibility-timeout';
export * from './trace-map/untraced-edge';

/** Every rule of this library, errors first. */
export const TRACING_RULES: readonly TracingRule[] = Object.freeze([
  untracedEdge,
  envelopeUnreadable,
  queueWithoutDlq,
  samplingOverBudget,
  secretInEnvironment,
  nonNodeRuntime,
  visibilityTimeout,
  logRetention,
  highCardinalityResource,
]);
