import { IConstruct } from 'constructs';
import { RuleResult, TracingRule } from '../../../../lib/policy';
import { isTracedConstruct } from '../../../../lib/core/markers';

/** Evaluate a rule on one construct, with the report's default `isTraced` unless given. */
export function evaluate(
  rule: TracingRule,
  node: IConstruct,
  isTraced: (fn: IConstruct) => boolean = isTracedConstruct,
): RuleResult {
  return rule.evaluate(node, { isTraced });
}

/** The `CfnResource` (default child) of an L2. */
export function resourceOf(construct: IConstruct): IConstruct {
  const resource = construct.node.defaultChild;
  if (!resource) {
    throw new Error(`${construct.node.path} has no default child`);
  }
  return resource;
}

/** A non-compliant result with this message. */
export function nonCompliant(message: string | RegExp): unknown {
  return {
    compliance: 'non-compliant',
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  };
}

export const COMPLIANT = { compliance: 'compliant' };
export const NOT_APPLICABLE = { compliance: 'not-applicable' };
