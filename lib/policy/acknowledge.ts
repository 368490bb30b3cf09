import { IConstruct } from 'constructs';

const ACKNOWLEDGED = Symbol.for('cdk-serverless-tracing.acknowledged-rules');

type Acknowledging = IConstruct & { [ACKNOWLEDGED]?: Map<string, string> };

/** An acknowledgement of a rule: its reason and the scope it was given on. */
export interface RuleAcknowledgement {
  /** The rule id. */
  readonly id: string;
  /** Why the findings are accepted. */
  readonly reason: string;
  /** The path of the scope it was given on (`<app>` for the app). */
  readonly scopePath: string;
}

/**
 * Accept the findings of a rule on a scope and everything under it, for a reason. An
 * acknowledged finding is neither an error nor a warning: `TracingRulesReport` shows it as an
 * info line `[<id>] acknowledged: <reason>`, and `TracingRulesValidation` leaves it out of the
 * violations (its report's metadata lists it). A nearer scope's reason wins.
 *
 * @example
 * acknowledgeRule(legacyConsumer, 'CST-UntracedEdge', 'the billing export is owned by another team');
 */
export function acknowledgeRule(scope: IConstruct, id: string, reason: string): void {
  if (typeof id !== 'string' || id.trim() === '') {
    throw new Error(`acknowledgeRule(${pathOf(scope)}): give the id of the rule, e.g. 'CST-QueueWithoutDlq'`);
  }
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new Error(`acknowledgeRule(${pathOf(scope)}, '${id}'): give the reason the findings are accepted`);
  }
  const target = scope as Acknowledging;
  (target[ACKNOWLEDGED] ??= new Map()).set(id.trim(), reason.trim());
}

/** The acknowledgement of a rule that applies to a construct: on the construct or its nearest scope. */
export function findAcknowledgement(node: IConstruct, id: string): RuleAcknowledgement | undefined {
  const scopes = node.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const reason = (scopes[i] as Acknowledging)[ACKNOWLEDGED]?.get(id);
    if (reason !== undefined) {
      return { id, reason, scopePath: pathOf(scopes[i]) };
    }
  }
  return undefined;
}

function pathOf(scope: IConstruct): string {
  return scope.node.path || '<app>';
}
