import { IConstruct } from 'constructs';

/** How a finding of a rule is reported. */
export enum RuleLevel {
  /** A synth error (`Annotations.addError`); a failed validation report. */
  ERROR = 'error',
  /** A warning that can be acknowledged (`Annotations.addWarningV2`). */
  WARNING = 'warning',
}

/**
 * What a rule says about one construct: `compliant`, `not-applicable` (the rule is about another
 * kind of construct, or what it needs is not known at synth), or `non-compliant` with a message
 * that names the construct and what is wrong.
 */
export type RuleResult =
  | { readonly compliance: 'compliant' }
  | { readonly compliance: 'not-applicable' }
  | { readonly compliance: 'non-compliant'; readonly message: string };

/** What a rule may ask besides the construct it evaluates. */
export interface RuleContext {
  /** Whether a function is (or, under a TracingPolicy, will be) traced by this library. */
  isTraced(fn: IConstruct): boolean;
}

/**
 * A rule: a small pure function over one construct, with a stable id. It never changes the
 * construct tree.
 */
export interface TracingRule {
  /** The stable id, e.g. `CST-QueueWithoutDlq`: what `acknowledgeRule` and the reports name. */
  readonly id: string;

  /** Whether a finding is an error or a warning. */
  readonly level: RuleLevel;

  /** What the rule checks, in one sentence. */
  readonly summary: string;

  /** How to comply, or how to acknowledge a finding. */
  readonly fix: string;

  /** Evaluate the rule on one construct. */
  evaluate(node: IConstruct, context: RuleContext): RuleResult;
}

/** The result for a construct the rule is not about. */
export const NOT_APPLICABLE: RuleResult = { compliance: 'not-applicable' };

/** The result for a construct that passes the rule. */
export const COMPLIANT: RuleResult = { compliance: 'compliant' };

/** A non-compliant result with its message. */
export function nonCompliant(message: string): RuleResult {
  return { compliance: 'non-compliant', message };
}
