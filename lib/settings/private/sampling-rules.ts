import { Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { AlwaysKeep, AlwaysKeepKind, routeParts } from '../always-keep';

/** The malformed rules of an `alwaysKeep` list, each message naming the rule's index. */
export function alwaysKeepErrors(rules: readonly AlwaysKeep[] | undefined, prop = 'alwaysKeep'): string[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) return [`${prop} must be a list of AlwaysKeep rules`];
  return rules.flatMap((rule, i) => {
    if (!(rule instanceof AlwaysKeep)) {
      return [`${prop}[${i}] must be AlwaysKeep.route(...) or AlwaysKeep.queue(...)`];
    }
    return rule.problem ? [`${prop}[${i}]: ${rule.problem}`] : [];
  });
}

/**
 * Why an always-keep rule matches nothing, or undefined when it matches something. A queue rule
 * matches when a function under `scope` (or exactly `consumer`, when given) has an event source
 * mapping on the queue. A route rule matches when an API Gateway route of the app (HTTP or REST
 * API) has that method and path; when the app also has function URLs or ALB targets, whose paths
 * are not declared, a route rule cannot be checked and is accepted.
 */
export function unmatchedAlwaysKeep(
  rule: AlwaysKeep,
  scope: IConstruct,
  consumer?: IConstruct,
): string | undefined {
  if (rule.problem) return undefined; // reported where the rule was given
  return rule.kind === AlwaysKeepKind.QUEUE
    ? unmatchedQueue(rule, consumer ?? scope, consumer !== undefined)
    : unmatchedRoute(rule, scope.node.root);
}

/** Whether a function has an event source mapping on the queue with this ARN. */
export function consumesQueue(fn: IConstruct, queueArn: string): boolean {
  return fn.node
    .findAll()
    .some((c) => c instanceof lambda.CfnEventSourceMapping && sameValue(c, c.eventSourceArn, queueArn));
}

function unmatchedQueue(rule: AlwaysKeep, scope: IConstruct, exact: boolean): string | undefined {
  const functions = scope.node.findAll().filter((c): c is lambda.Function => c instanceof lambda.Function);
  if (functions.some((fn) => consumesQueue(fn, rule.value))) return undefined;
  return exact
    ? `${rule.description} is not consumed by ${scope.node.path}: wire it with queue.addConsumer(fn), or remove the rule`
    : `${rule.description} is consumed by no function under '${scope.node.path || '<app>'}': ` +
        'wire a consumer with queue.addConsumer(fn), or remove the rule';
}

function unmatchedRoute(rule: AlwaysKeep, root: IConstruct): string | undefined {
  const wanted = routeParts(rule.value);
  const all = root.node.findAll();
  const routes = all.flatMap((c): { method: string; path: string }[] => {
    if (c instanceof apigwv2.CfnRoute && !Token.isUnresolved(c.routeKey)) return [routeParts(c.routeKey)];
    if (c instanceof apigateway.Method && !Token.isUnresolved(c.resource.path)) {
      return [{ method: c.httpMethod.toUpperCase(), path: c.resource.path }];
    }
    return [];
  });
  const matches = routes.some(
    (r) =>
      r.path === wanted.path && (wanted.method === 'ANY' || r.method === 'ANY' || r.method === wanted.method),
  );
  if (matches) return undefined;
  const undeclaredPaths = all.some(
    (c) => c instanceof lambda.CfnUrl || (c instanceof elbv2.CfnTargetGroup && c.targetType === 'lambda'),
  );
  if (undeclaredPaths) return undefined;
  const known = routes.map((r) => `${r.method} ${r.path}`);
  return (
    `${rule.description} matches no API Gateway route of the app ` +
    `(routes: ${known.length > 0 ? known.join(', ') : 'none'}): fix the route or remove the rule`
  );
}

/** Two values are the same when equal as written or once resolved in `where`'s stack. */
function sameValue(where: IConstruct, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    const stack = Stack.of(where);
    return JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
  } catch {
    return false;
  }
}
