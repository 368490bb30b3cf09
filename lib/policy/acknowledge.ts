import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { WARNING_PREFIX } from '../core/constants';

const ACKNOWLEDGED = Symbol.for('cdk-serverless-tracing.acknowledged-rules');

type Acknowledging = IConstruct & { [ACKNOWLEDGED]?: Map<string, string> };

/**
 * The namespace of this library's rules in CDK's validation ids: the name of the validation
 * plugin, `TracingRulesValidation` (`cdk-serverless-tracing::<id>`).
 */
export const RULES_NAMESPACE = 'cdk-serverless-tracing';

/** How an acknowledgement was given. */
export type AcknowledgementSource =
  /** `acknowledgeRule(scope, id, reason)`. */
  | 'acknowledge-rule'
  /**
   * `Validations.of(scope).acknowledge({ id: 'cdk-serverless-tracing::<id>', reason })`: the
   * plugin's id, which CDK also applies to the plugin's report.
   */
  | 'validations'
  /**
   * `Validations.of(scope).acknowledge({ id: 'cdk-serverless-tracing:<id>', reason })` (or
   * `Annotations.of(scope)`'s): the id of the rule's warning annotation.
   */
  | 'validations-annotation';

/** An acknowledgement of a rule: its reason and the scope it was given on. */
export interface RuleAcknowledgement {
  /** The rule id. */
  readonly id: string;
  /** Why the findings are accepted. */
  readonly reason: string;
  /** The path of the scope it was given on (`<app>` for the app). */
  readonly scopePath: string;
  /** How it was given. */
  readonly source: AcknowledgementSource;
}

/**
 * Accept the findings of a rule on a scope and everything under it, for a reason. An
 * acknowledged finding is neither an error nor a warning: `TracingRulesReport` (and so a
 * `TracingPolicy`) shows it as an info line `[<id>] acknowledged: <reason>`, and
 * `TracingRulesValidation` leaves it out of the violations (its report's metadata lists it). A
 * nearer scope's reason wins.
 *
 * CDK's own acknowledgement silences both too:
 * `Validations.of(scope).acknowledge({ id: 'cdk-serverless-tracing::<id>', reason })`.
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

/**
 * The acknowledgement of a rule that applies to a construct: given on the construct (or its
 * resource, its default child) or its nearest scope, with `acknowledgeRule` or with
 * `Validations.of(scope).acknowledge` (CDK records those in the `aws:cdk:acknowledged-rules`
 * metadata of the scope).
 */
export function findAcknowledgement(node: IConstruct, id: string): RuleAcknowledgement | undefined {
  const scopes: IConstruct[] = [...node.node.scopes];
  const resource = node.node.defaultChild;
  if (resource) scopes.push(resource);
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i];
    const reason = (scope as Acknowledging)[ACKNOWLEDGED]?.get(id);
    if (reason !== undefined) {
      return { id, reason, scopePath: pathOf(scope), source: 'acknowledge-rule' };
    }
    const validation = validationsAcknowledgement(scope, id);
    if (validation) {
      return { id, reason: validation.reason, scopePath: pathOf(scope), source: validation.source };
    }
  }
  return undefined;
}

/**
 * An acknowledgement of the rule in the metadata `Validations.of(scope).acknowledge` writes on
 * exactly this scope: with the plugin's id (`cdk-serverless-tracing::<id>`), or with the warning
 * annotation's (`cdk-serverless-tracing:<id>`, which CDK records as `Annotation::…`).
 */
function validationsAcknowledgement(
  scope: IConstruct,
  id: string,
): { reason: string; source: AcknowledgementSource } | undefined {
  const pluginId = `${RULES_NAMESPACE}::${id}`;
  const warningId = `${WARNING_PREFIX}${id}`;
  for (const entry of scope.node.metadata) {
    if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || typeof entry.data !== 'object')
      continue;
    for (const [key, reason] of Object.entries(entry.data as Record<string, unknown>)) {
      const text = typeof reason === 'string' ? reason : String(reason);
      if (key === pluginId) return { reason: text, source: 'validations' };
      if (key.replace(/^annotation::/i, '') === warningId)
        return { reason: text, source: 'validations-annotation' };
    }
  }
  return undefined;
}

function pathOf(scope: IConstruct): string {
  return scope.node.path || '<app>';
}
