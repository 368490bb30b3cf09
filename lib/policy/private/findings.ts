import { IConstruct } from 'constructs';
import { findAcknowledgement, RuleAcknowledgement } from '../acknowledge';
import { RuleContext, TracingRule } from '../rule';

/** A non-compliant result of a rule on a construct, with the acknowledgement that covers it, if any. */
export interface Finding {
  readonly rule: TracingRule;
  readonly node: IConstruct;
  readonly message: string;
  readonly acknowledgement?: RuleAcknowledgement;
}

/** Every finding of the rules on one construct: what the report and the validation plugin both use. */
export function findingsOn(node: IConstruct, rules: readonly TracingRule[], context: RuleContext): Finding[] {
  return rules.flatMap((rule) => {
    const result = rule.evaluate(node, context);
    if (result.compliance !== 'non-compliant') {
      return [];
    }
    const acknowledgement = findAcknowledgement(node, rule.id);
    return [{ rule, node, message: result.message, ...(acknowledgement ? { acknowledgement } : {}) }];
  });
}

/** The text of a finding: `[<id>] <message> (<fix>)`. */
export function findingText(finding: Finding): string {
  return `[${finding.rule.id}] ${finding.message} (${finding.rule.fix})`;
}
