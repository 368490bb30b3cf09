import { TraceCheckUsageError } from './errors';
import type {
  ExpectedEntry,
  ExpectedHop,
  ExpectedTrace,
  KnownBreak,
  TraceMapDocument,
  TraceMapEdgeRef,
  TraceMapNodeRef,
  TraceMapNodeType,
  TraceMapStackRef,
} from './types';

/** The edges a function sends messages on: each is a PRODUCER span of the sender. */
const PRODUCER_KINDS: Readonly<Record<string, string>> = {
  'sqs-send': 'send',
  'sns-publish': 'publish',
  'eventbridge-put': 'publish',
};

/** The type of an edge's receiver, for a node the map does not describe. */
const TARGET_TYPES: Readonly<Record<string, TraceMapNodeType>> = {
  'api-to-lambda': 'function',
  http: 'external',
  'sqs-send': 'queue',
  'sns-publish': 'topic',
  'eventbridge-put': 'event-bus',
  'sns-to-sqs': 'queue',
  'sns-to-lambda': 'function',
  'sqs-to-lambda': 'function',
};

/**
 * Reads a trace map (the text of `trace-map.json`); `source` names it in errors.
 *
 * @throws TraceCheckUsageError when the text is not JSON or not a trace map of version 1.
 */
export function parseTraceMap(text: string, source: string): TraceMapDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TraceCheckUsageError(`${source} is not JSON: ${(error as Error).message}`);
  }
  const map = parsed as Partial<TraceMapDocument> | null;
  if (!map || typeof map !== 'object' || !Array.isArray(map.nodes) || !Array.isArray(map.edges)) {
    throw new TraceCheckUsageError(`${source} is not a trace map (no nodes and edges)`);
  }
  if (map.version !== 1) {
    throw new TraceCheckUsageError(
      `${source} is a trace map of version ${String(map.version)}; this check reads version 1`,
    );
  }
  return map as TraceMapDocument;
}

/** The stacks of the map's nodes, by construct path. */
export function stacksOf(map: TraceMapDocument): TraceMapStackRef[] {
  const stacks = new Map<string, TraceMapStackRef>();
  for (const node of map.nodes) {
    if (node.stack && !stacks.has(node.stack.path)) stacks.set(node.stack.path, node.stack);
  }
  return [...stacks.values()].sort((a, b) => compare(a.path, b.path));
}

/** A stack of the map by its construct path (`Prod/Payments`), stack name or artifact id. */
export function findStack(map: TraceMapDocument, ref: string): TraceMapStackRef | undefined {
  const stacks = stacksOf(map);
  return (
    stacks.find((s) => s.path === ref) ??
    stacks.find((s) => s.stackName === ref) ??
    stacks.find((s) => s.artifactId === ref)
  );
}

/** The functions of a stack where traces start (behind an API route, or with no incoming edge). */
export function entriesOf(map: TraceMapDocument, stackPath: string): TraceMapNodeRef[] {
  return map.nodes.filter((n) => n.type === 'function' && n.entry === true && n.stack?.path === stackPath);
}

/**
 * The node id of the entry to check: `entry` when given (it must be a function of the map, and of
 * `stack` when that is given too); else the one entry function of `stack`, or, when it has
 * several, the one behind an API route.
 *
 * @throws TraceCheckUsageError naming what to give instead (the stacks, or the entries, of the map).
 */
export function resolveEntry(map: TraceMapDocument, options: { stack?: string; entry?: string }): string {
  const stack = options.stack !== undefined ? findStack(map, options.stack) : undefined;
  if (options.stack !== undefined && !stack) {
    const known = stacksOf(map).map((s) => (s.stackName ? `${s.path} (${s.stackName})` : s.path));
    throw new TraceCheckUsageError(
      `unknown stack '${options.stack}'; the stacks in the trace map are: ${known.join(', ') || 'none'}`,
    );
  }
  if (options.entry !== undefined) {
    const node = map.nodes.find((n) => n.id === options.entry);
    if (!node || node.type !== 'function') {
      const functions = map.nodes
        .filter((n) => n.type === 'function' && (!stack || n.stack?.path === stack.path))
        .map((n) => n.id);
      throw new TraceCheckUsageError(
        `'${options.entry}' is not a function of the trace map${stack ? ` in ${stack.path}` : ''}; ` +
          `its functions are: ${functions.join(', ') || 'none'}`,
      );
    }
    if (stack && node.stack?.path !== stack.path) {
      throw new TraceCheckUsageError(
        `'${options.entry}' is in stack ${node.stack?.path ?? '(none)'}, not in ${stack.path}`,
      );
    }
    return node.id;
  }
  if (!stack) {
    throw new TraceCheckUsageError('give the stack (--stack) or the entry node id (--entry)');
  }
  const entries = entriesOf(map, stack.path);
  if (entries.length === 1) return entries[0].id;
  // Several entries: the one behind an API route is the request a user sends (the others are
  // started by schedules, other stacks or nothing the map knows).
  const routed = entries.filter((n) => map.edges.some((e) => e.kind === 'api-to-lambda' && e.to === n.id));
  if (routed.length === 1) return routed[0].id;
  const functions = map.nodes.filter((n) => n.type === 'function' && n.stack?.path === stack.path);
  const routesOf = (id: string) =>
    map.edges.filter((e) => e.kind === 'api-to-lambda' && e.to === id).map((e) => e.route ?? '$default');
  throw new TraceCheckUsageError(
    entries.length === 0
      ? `stack ${stack.path} has no entry function in the trace map; give one with --entry (its functions: ${
          functions.map((n) => n.id).join(', ') || 'none'
        })`
      : routed.length > 1
        ? `stack ${stack.path} has ${routed.length} entry functions behind API routes; choose one with --entry: ${routed
            .map((n) => `${n.id} (${routesOf(n.id).join(', ')})`)
            .join(', ')}`
        : `stack ${stack.path} has ${entries.length} entry functions and none behind an API route; choose one with --entry: ${entries
            .map((n) => n.id)
            .join(', ')}`,
  );
}

/**
 * What a trace started at `entryNodeId` should reach, from the trace map: breadth first along
 * the edges that carry the trace context,
 *
 * - the entry function itself (`entry`: a span of its service, its invocation span),
 * - each send to a queue, topic or event bus on the way (`producer`: a PRODUCER span of the
 *   sender's service) and each declared HTTP call (`call`: a CLIENT span of the caller's service);
 *   queues, topics and event buses record no span themselves: they are passed through,
 * - each function reached through them (`consumer`: a span of its service in this trace),
 *
 * and, as `knownBreaks`, the edges out of the nodes reached that do not carry the context (an
 * untraced consumer, a call declared untraced): not expected, reported, and not followed.
 *
 * @throws TraceCheckUsageError when the entry is not a function of the map.
 */
export function expectedHops(map: TraceMapDocument, entryNodeId: string): ExpectedTrace {
  const nodes = new Map(map.nodes.map((n) => [n.id, n]));
  const entryNode = nodes.get(entryNodeId);
  if (!entryNode || entryNode.type !== 'function') {
    throw new TraceCheckUsageError(`'${entryNodeId}' is not a function of the trace map`);
  }
  const outgoing = new Map<string, TraceMapEdgeRef[]>();
  for (const edge of map.edges) {
    outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge]);
  }
  const nodeOf = (id: string, kind: string): TraceMapNodeRef =>
    nodes.get(id) ?? { id, type: TARGET_TYPES[kind] ?? 'external', label: id };

  const entry = describeEntry(map, nodes, entryNode);
  const entryHop: ExpectedHop = {
    id: entryNode.id,
    index: 0,
    kind: 'entry',
    label: labelOf(entryNode),
    node: entryNode.id,
    ...(entryNode.serviceName !== undefined ? { serviceName: entryNode.serviceName } : {}),
    spanKind: 'server',
    ...(entry.route !== undefined
      ? { expectedSpanName: entry.route === '$default' ? 'POST' : entry.route }
      : {}),
    via: entry.route !== undefined ? [`api-to-lambda (${entry.route})`] : [],
  };

  const hops: ExpectedHop[] = [entryHop];
  const knownBreaks: KnownBreak[] = [];
  const seenFunctions = new Set([entryNode.id]);
  const seenTransit = new Set<string>();
  const seenBreaks = new Set<string>();
  const pending: { node: TraceMapNodeRef; after: string; via: string[] }[] = [
    { node: entryNode, after: entryHop.id, via: [] },
  ];

  while (pending.length > 0) {
    const { node, after, via } = pending.shift()!;
    for (const edge of outgoing.get(node.id) ?? []) {
      const target = nodeOf(edge.to, edge.kind);
      if (!edge.carriesContext) {
        const key = `${edge.from}\n${edge.to}\n${edge.kind}`;
        if (!seenBreaks.has(key)) {
          seenBreaks.add(key);
          knownBreaks.push({
            from: edge.from,
            to: edge.to,
            kind: edge.kind,
            label: `${labelOf(node)} → ${labelOf(target)}`,
            ...(edge.reason !== undefined ? { reason: edge.reason } : {}),
          });
        }
        continue;
      }
      const step = edge.via ? `${edge.kind} (${edge.via})` : edge.kind;
      if (node.type === 'function') {
        if (edge.kind === 'http') {
          hops.push({
            id: `${node.id} -> ${target.id}`,
            index: hops.length,
            kind: 'call',
            label: `${labelOf(node)} → ${labelOf(target)}`,
            node: node.id,
            target: target.id,
            targetType: target.type,
            ...(target.url !== undefined ? { targetUrl: target.url } : {}),
            ...(node.serviceName !== undefined ? { serviceName: node.serviceName } : {}),
            spanKind: 'client',
            after,
            via: [step],
          });
        } else if (PRODUCER_KINDS[edge.kind]) {
          const hop: ExpectedHop = {
            id: `${node.id} -> ${target.id}`,
            index: hops.length,
            kind: 'producer',
            label: `${labelOf(node)} → ${labelOf(target)}`,
            node: node.id,
            target: target.id,
            targetType: target.type,
            ...(target.physicalName !== undefined ? { targetName: target.physicalName } : {}),
            ...(node.serviceName !== undefined ? { serviceName: node.serviceName } : {}),
            spanKind: 'producer',
            ...(target.physicalName !== undefined
              ? { expectedSpanName: `${PRODUCER_KINDS[edge.kind]} ${target.physicalName}` }
              : {}),
            after,
            via: [step],
          };
          hops.push(hop);
          if (!seenTransit.has(target.id)) {
            seenTransit.add(target.id);
            pending.push({ node: target, after: hop.id, via: [] });
          }
        }
        continue;
      }
      // A queue, topic or event bus: passed through to the functions behind it.
      if (target.type === 'function') {
        if (seenFunctions.has(target.id)) continue;
        seenFunctions.add(target.id);
        const hop: ExpectedHop = {
          id: target.id,
          index: hops.length,
          kind: 'consumer',
          label: labelOf(target),
          node: target.id,
          ...(target.serviceName !== undefined ? { serviceName: target.serviceName } : {}),
          spanKind: 'consumer',
          ...(node.physicalName !== undefined ? { expectedSpanName: `process ${node.physicalName}` } : {}),
          ...(edge.note !== undefined ? { note: edge.note } : {}),
          after,
          via: [...via, step],
        };
        hops.push(hop);
        pending.push({ node: target, after: hop.id, via: [] });
      } else if (!seenTransit.has(target.id)) {
        seenTransit.add(target.id);
        pending.push({ node: target, after, via: [...via, step] });
      }
    }
  }

  const knownServices = new Set<string>();
  for (const node of map.nodes) {
    if (node.type === 'function' && node.serviceName) knownServices.add(node.serviceName);
    if (node.type === 'external') knownServices.add(labelOf(node));
  }
  return { entry, hops, knownBreaks, knownServices: [...knownServices].sort(compare) };
}

function describeEntry(
  map: TraceMapDocument,
  nodes: Map<string, TraceMapNodeRef>,
  node: TraceMapNodeRef,
): ExpectedEntry {
  const routes = map.edges
    .filter((e) => e.to === node.id && e.kind === 'api-to-lambda' && e.route !== undefined)
    .sort((a, b) => compare(a.route!, b.route!));
  const route = routes[0];
  const api = route ? nodes.get(route.from) : undefined;
  return {
    node: node.id,
    label: labelOf(node),
    ...(node.serviceName !== undefined ? { serviceName: node.serviceName } : {}),
    ...(node.stack !== undefined ? { stack: node.stack } : {}),
    ...(node.logicalId !== undefined ? { logicalId: node.logicalId } : {}),
    ...(node.physicalName !== undefined ? { physicalName: node.physicalName } : {}),
    ...(route
      ? {
          route: route.route,
          api:
            api?.resourceType === 'AWS::ApiGateway::RestApi' ? ('rest-api' as const) : ('http-api' as const),
        }
      : {}),
  };
}

function labelOf(node: TraceMapNodeRef): string {
  return node.label ?? node.id;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
