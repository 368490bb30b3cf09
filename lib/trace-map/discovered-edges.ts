import { CfnResource } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { isTracedConstruct, optedOutReason } from '../core/markers';
import { AppTree, Target, TraceMapNodeType } from './app-tree';
import type { TraceEdge, TraceEdgeKind, TraceEdgeVia } from './trace-edge';

/** Where the context travels on each kind of edge when it carries it. */
export const VIA: Readonly<Record<TraceEdgeKind, TraceEdgeVia | undefined>> = {
  'api-to-lambda': 'http-headers',
  http: 'http-headers',
  'sqs-send': 'message-attributes',
  'sns-publish': 'message-attributes',
  'eventbridge-put': 'event-detail',
  'sns-to-sqs': undefined, // raw-delivery or sns-envelope: set by the subscription
  'sns-to-lambda': 'message-attributes',
  'sqs-to-lambda': 'message-attributes',
};

/** The end of each kind of edge that is a function, whose being traced decides the edge. */
export const FUNCTION_END: Readonly<Record<TraceEdgeKind, 'from' | 'to' | undefined>> = {
  'api-to-lambda': 'to',
  http: 'from',
  'sqs-send': 'from',
  'sns-publish': 'from',
  'eventbridge-put': 'from',
  'sns-to-sqs': undefined,
  'sns-to-lambda': 'to',
  'sqs-to-lambda': 'to',
};

/** What breaks when the function end of an edge is not traced. */
const UNTRACED_REASON: Readonly<Record<TraceEdgeKind, string>> = {
  'api-to-lambda': 'so it does not continue the trace from the request headers',
  http: 'so its calls carry no traceparent',
  'sqs-send': 'so it sends no trace context',
  'sns-publish': 'so it sends no trace context',
  'eventbridge-put': 'so its events carry no trace context',
  'sns-to-sqs': '',
  'sns-to-lambda': 'so it does not read the trace context of the messages',
  'sqs-to-lambda': 'so it does not read the trace context of the messages',
};

/** The IAM actions that send to a queue, a topic, an event bus. */
const SEND_ACTIONS: ReadonlyArray<readonly [string, TraceMapNodeType, TraceEdgeKind]> = [
  ['sqs:SendMessage', 'queue', 'sqs-send'],
  ['sns:Publish', 'topic', 'sns-publish'],
  ['events:PutEvents', 'event-bus', 'eventbridge-put'],
];

/**
 * An edge whose function end decides whether it carries the context: carried (with the kind's
 * `via`) when that function is traced, else broken with the reason.
 */
export function functionEdge(
  tree: AppTree,
  base: { readonly from: string; readonly to: string; readonly kind: TraceEdgeKind; readonly route?: string },
): TraceEdge {
  const end = FUNCTION_END[base.kind];
  const fn = end ? base[end] : undefined;
  const construct = fn === undefined ? undefined : tree.byPath.get(fn);
  if (fn === undefined || isTracedConstruct(construct)) {
    return { ...base, carriesContext: true, via: VIA[base.kind] };
  }
  // A function a TracingPolicy was told to leave untraced carries the reason it was given.
  const optedOut = optedOutReason(construct);
  const why = typeof optedOut === 'string' ? ` (${optedOut})` : '';
  return {
    ...base,
    carriesContext: false,
    reason: `${fn} is not traced${why}, ${UNTRACED_REASON[base.kind]}`,
  };
}

/**
 * The edges found in the construct tree: API routes → functions (HTTP APIs and REST APIs), SQS
 * event source mappings, SNS subscriptions, and what the functions' IAM policies let them send
 * (`sqs:SendMessage`, `sns:Publish`, `events:PutEvents` on a queue, topic or event bus of the app).
 */
export function discoverEdges(tree: AppTree): TraceEdge[] {
  return [
    ...httpApiEdges(tree),
    ...restApiEdges(tree),
    ...eventSourceEdges(tree),
    ...subscriptionEdges(tree),
    ...policyEdges(tree),
  ];
}

function ofType(tree: AppTree, type: TraceMapNodeType): Target[] {
  return tree.targets().filter((t) => t.type === type);
}

/** HTTP API routes whose integration invokes a function. */
function httpApiEdges(tree: AppTree): TraceEdge[] {
  const edges: TraceEdge[] = [];
  const functions = ofType(tree, 'function');
  const apis = tree.resources<apigwv2.CfnApi>('AWS::ApiGatewayV2::Api');
  const integrations = tree.resources<apigwv2.CfnIntegration>('AWS::ApiGatewayV2::Integration');
  for (const route of tree.resources<apigwv2.CfnRoute>('AWS::ApiGatewayV2::Route')) {
    const target = tree.json(route, route.target);
    const integration = integrations.find((i) => tree.refersTo(route, target, i, [i.ref]));
    const apiId = tree.json(route, route.apiId);
    const api = apis.find((a) => tree.refersTo(route, apiId, a, [a.ref]));
    const routeKey = tree.resolve(route, route.routeKey);
    if (
      !integration ||
      !api ||
      typeof routeKey !== 'string' ||
      tree.resolve(api, api.protocolType) !== 'HTTP'
    ) {
      continue;
    }
    const uri = tree.json(integration, integration.integrationUri);
    for (const fn of tree.pointsAt(integration, uri, functions)) {
      const from = tree.ownerOf(api).node.path;
      edges.push(functionEdge(tree, { from, to: fn.path, kind: 'api-to-lambda', route: routeKey }));
    }
  }
  return edges;
}

/** REST API methods whose integration invokes a function. */
function restApiEdges(tree: AppTree): TraceEdge[] {
  const edges: TraceEdge[] = [];
  const functions = ofType(tree, 'function');
  const apis = tree.resources<apigateway.CfnRestApi>('AWS::ApiGateway::RestApi');
  for (const method of tree.resources<apigateway.CfnMethod>('AWS::ApiGateway::Method')) {
    const integration = tree.json(method, method.integration);
    const targets = tree.pointsAt(method, integration, functions);
    const apiId = tree.json(method, method.restApiId);
    const api = apis.find((a) => tree.refersTo(method, apiId, a, [a.ref]));
    const httpMethod = tree.resolve(method, method.httpMethod);
    if (targets.length === 0 || !api || typeof httpMethod !== 'string') {
      continue;
    }
    const route = `${httpMethod} ${restPath(tree, method, method.resourceId)}`;
    for (const fn of targets) {
      const from = tree.ownerOf(api).node.path;
      edges.push(functionEdge(tree, { from, to: fn.path, kind: 'api-to-lambda', route }));
    }
  }
  return edges;
}

/** The path of a REST API resource (`/payments/{id}`), from its id; `/` for the root resource. */
function restPath(tree: AppTree, scope: IConstruct, resourceId: string): string {
  const resources = tree.resources<apigateway.CfnResource>('AWS::ApiGateway::Resource');
  const parts: string[] = [];
  let id: unknown = resourceId;
  for (let depth = 0; depth < 100; depth++) {
    const json = tree.json(scope, id);
    const resource = resources.find((r) => tree.refersTo(scope, json, r, [r.ref]));
    if (!resource) {
      break; // the root resource
    }
    parts.unshift(String(tree.resolve(resource, resource.pathPart)));
    id = resource.parentId;
  }
  return `/${parts.join('/')}`;
}

/** SQS event source mappings of functions (those `TracedQueue.addConsumer` did not record too). */
function eventSourceEdges(tree: AppTree): TraceEdge[] {
  const edges: TraceEdge[] = [];
  const functions = ofType(tree, 'function');
  const queues = ofType(tree, 'queue');
  for (const mapping of tree.resources<lambda.CfnEventSourceMapping>('AWS::Lambda::EventSourceMapping')) {
    const sources = tree.pointsAt(mapping, tree.json(mapping, mapping.eventSourceArn), queues);
    const consumers = tree.pointsAt(mapping, tree.json(mapping, mapping.functionName), functions);
    for (const queue of sources) {
      for (const fn of consumers) {
        edges.push(functionEdge(tree, { from: queue.path, to: fn.path, kind: 'sqs-to-lambda' }));
      }
    }
  }
  return edges;
}

/** SNS subscriptions of queues (raw delivery or the envelope: both carry the context) and functions. */
function subscriptionEdges(tree: AppTree): TraceEdge[] {
  const edges: TraceEdge[] = [];
  const topics = ofType(tree, 'topic');
  for (const subscription of tree.resources<sns.CfnSubscription>('AWS::SNS::Subscription')) {
    const protocol = tree.resolve(subscription, subscription.protocol);
    const endpointType = protocol === 'sqs' ? 'queue' : protocol === 'lambda' ? 'function' : undefined;
    if (!endpointType) {
      continue;
    }
    const from = tree.pointsAt(subscription, tree.json(subscription, subscription.topicArn), topics);
    const endpoint = tree.json(subscription, subscription.endpoint);
    const to = tree.pointsAt(subscription, endpoint, ofType(tree, endpointType));
    const raw = tree.resolve(subscription, subscription.rawMessageDelivery);
    for (const topic of from) {
      for (const target of to) {
        edges.push(
          endpointType === 'queue'
            ? {
                from: topic.path,
                to: target.path,
                kind: 'sns-to-sqs',
                carriesContext: true,
                via: raw === true || raw === 'true' ? 'raw-delivery' : 'sns-envelope',
              }
            : functionEdge(tree, { from: topic.path, to: target.path, kind: 'sns-to-lambda' }),
        );
      }
    }
  }
  return edges;
}

/**
 * What functions may send, from the IAM policies of their roles: `sqs:SendMessage`,
 * `sns:Publish`, `events:PutEvents` allowed on a queue, topic or event bus (a `*` resource names
 * none, so it gives no edge).
 */
function policyEdges(tree: AppTree): TraceEdge[] {
  const edges: TraceEdge[] = [];
  const roles = tree.resources<iam.CfnRole>('AWS::IAM::Role');
  // The functions of each role.
  const functionsOf = new Map<iam.CfnRole, string[]>();
  for (const fn of tree.resources<lambda.CfnFunction>('AWS::Lambda::Function')) {
    const roleJson = tree.json(fn, fn.role);
    for (const role of roles.filter((r) => tree.refersTo(fn, roleJson, r, [r.attrArn]))) {
      functionsOf.set(role, [...(functionsOf.get(role) ?? []), tree.ownerOf(fn).node.path]);
    }
  }
  const documents: Array<{ scope: CfnResource; roles: iam.CfnRole[]; document: unknown }> = [];
  const attachedRoles = (scope: CfnResource, value: unknown) => {
    const json = tree.json(scope, value);
    return roles.filter((r) => tree.refersTo(scope, json, r, [r.ref]));
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of tree.resources<iam.CfnPolicy | iam.CfnManagedPolicy>(type)) {
      documents.push({
        scope: policy,
        roles: attachedRoles(policy, policy.roles),
        document: tree.resolve(policy, policy.policyDocument),
      });
    }
  }
  for (const role of roles) {
    const inline = tree.resolve(role, role.policies);
    for (const policy of Array.isArray(inline) ? inline : []) {
      // Resolved L1 properties keep their TypeScript names (policyDocument).
      const { policyDocument, PolicyDocument } = (policy ?? {}) as Record<string, unknown>;
      documents.push({ scope: role, roles: [role], document: policyDocument ?? PolicyDocument });
    }
  }

  for (const { scope, roles: attached, document } of documents) {
    const senders = attached.flatMap((r) => functionsOf.get(r) ?? []);
    if (senders.length === 0) {
      continue;
    }
    for (const statement of statementsOf(document)) {
      for (const [action, type, kind] of SEND_ACTIONS) {
        if (!statement.actions.some((pattern) => actionMatches(pattern, action))) {
          continue;
        }
        for (const resource of statement.resources) {
          for (const target of tree.pointsAt(scope, JSON.stringify(resource), ofType(tree, type))) {
            for (const from of senders) {
              edges.push(functionEdge(tree, { from, to: target.path, kind }));
            }
          }
        }
      }
    }
  }
  return edges;
}

/** The allowing statements of a resolved policy document, with their actions and resources. */
function statementsOf(document: unknown): Array<{ actions: string[]; resources: unknown[] }> {
  const raw = (document as { Statement?: unknown } | undefined)?.Statement;
  const statements = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const list = (value: unknown): unknown[] =>
    Array.isArray(value) ? value : value === undefined ? [] : [value];
  return statements
    .filter((s) => (s as { Effect?: unknown })?.Effect === 'Allow')
    .map((s) => ({
      actions: list((s as { Action?: unknown }).Action).filter((a): a is string => typeof a === 'string'),
      resources: list((s as { Resource?: unknown }).Resource),
    }));
}

/** Whether an IAM action pattern (`sqs:*`, `sqs:Send*`, `*`) allows an action. */
function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`, 'i').test(action);
}
