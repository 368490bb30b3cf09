export { acknowledgeRule } from './acknowledge';
export { markPolicyReporting } from '../core/markers';
export { RuleLevel } from './rule';
export type { RuleContext, RuleResult, TracingRule } from './rule';
export {
  ENVELOPE_UNREADABLE,
  envelopeUnreadable,
  HIGH_CARDINALITY_RESOURCE,
  highCardinalityResource,
  LOG_RETENTION,
  logRetention,
  NON_NODE_RUNTIME,
  nonNodeRuntime,
  QUEUE_WITHOUT_DLQ,
  queueWithoutDlq,
  SAMPLING_OVER_BUDGET,
  samplingOverBudget,
  SECRET_IN_ENVIRONMENT,
  secretInEnvironment,
  TRACING_RULES,
  UNTRACED_EDGE,
  untracedEdge,
  VISIBILITY_TIMEOUT,
  visibilityTimeout,
} from './rules';
export { TracingRulesReport } from './tracing-rules-report';
export type { TracingRulesReportProps } from './tracing-rules-report';
export { TracingRulesValidation } from './tracing-rules-validation';
export type { TracingRulesValidationProps } from './tracing-rules-validation';
export * from './tracing-policy';
