import { IConstruct } from 'constructs';

const POLICY_REPORTING = Symbol.for('cdk-serverless-tracing.policy-reporting');

/**
 * Record that a rules report (`TracingRulesReport`, with the `CST-LogRetention` rule) covers a
 * scope — the app root when it is added to the app — so that the log-retention check of
 * `TracingSettings` and `TracedFunction` skips the constructs under it instead of warning twice
 * about one log group. `TracingRulesReport` calls it on the first construct it visits: the scope
 * it was added to.
 */
export function markPolicyReporting(scope: IConstruct): void {
  (scope as IConstruct & Record<symbol, unknown>)[POLICY_REPORTING] = true;
}

/** Whether a rules report covers a construct (it, or one of its scopes, was marked). */
export function isPolicyReported(node: IConstruct): boolean {
  return node.node.scopes.some((s) => (s as IConstruct & Record<symbol, unknown>)[POLICY_REPORTING] === true);
}
