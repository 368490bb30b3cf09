import { gzipSync } from 'zlib';
import type { TraceEdge } from '../../trace-map/trace-edge';
import type { TraceMap, TraceMapNode } from '../../trace-map/trace-map';

/**
 * The names of the canary function's environment and of its metrics. The same names are read by
 * `layer/check/canary-handler.ts` (which this code cannot import: it is bundled into the
 * function); a test checks the two lists are equal.
 */
export const CANARY_ENV = {
  FUNCTION_NAME: 'TRACE_CHECK_FUNCTION_NAME',
  ENTRY: 'TRACE_CHECK_ENTRY',
  MAP: 'TRACE_CHECK_MAP',
  BACKEND: 'TRACE_CHECK_BACKEND',
  TIMEOUT_MS: 'TRACE_CHECK_TIMEOUT_MS',
  POLL_INTERVAL_MS: 'TRACE_CHECK_POLL_INTERVAL_MS',
  BODY: 'TRACE_CHECK_BODY',
  METRIC_NAMESPACE: 'TRACE_CHECK_METRIC_NAMESPACE',
  HEADERS: 'TRACE_CHECK_HEADERS',
  HEADER_SECRETS: 'TRACE_CHECK_HEADER_SECRETS_REF',
  DRILL_HOP: 'TRACE_CHECK_DRILL_HOP',
  DRILL_BODY: 'TRACE_CHECK_DRILL_BODY',
  DRILL_EXPECT: 'TRACE_CHECK_DRILL_EXPECT',
} as const;

export const CANARY_METRICS = {
  MISSING_HOPS: 'MissingHops',
  TRACE_FOUND: 'TraceFound',
  FAILURE_TRACE_KEPT: 'FailureTraceKept',
  DIMENSION: 'EntryFunction',
} as const;

/** The prefix of a gzipped map (the handler's `GZIP_PREFIX`). */
const GZIP_PREFIX = 'gzip:';

/** Maps up to this size go as JSON; larger ones are gzipped. */
const PLAIN_LIMIT = 2048;

/** The part of the trace map the check of one entry reads. */
export interface MapSlice {
  readonly version: 1;
  readonly nodes: Partial<TraceMapNode>[];
  readonly edges: TraceEdge[];
}

/**
 * The nodes and edges reachable from the entry along any edge (those that break the trace are
 * reported as known breaks, so they are kept), and the API routes in front of the entry. Only
 * the fields the check reads are kept (no stacks: the canary is given the function's name).
 */
export function mapSlice(map: TraceMap, entryNodeId: string): MapSlice {
  const byId = new Map(map.nodes.map((n) => [n.id, n]));
  const reached = new Set([entryNodeId]);
  const pending = [entryNodeId];
  const edges: TraceEdge[] = [];
  while (pending.length > 0) {
    const id = pending.shift()!;
    for (const edge of map.edges.filter((e) => e.from === id)) {
      edges.push(edge);
      if (!reached.has(edge.to)) {
        reached.add(edge.to);
        pending.push(edge.to);
      }
    }
  }
  for (const edge of map.edges.filter((e) => e.to === entryNodeId && e.kind === 'api-to-lambda')) {
    edges.push(edge);
    reached.add(edge.from);
  }
  const nodes = [...reached]
    .map((id) => byId.get(id))
    .filter((n): n is TraceMapNode => n !== undefined)
    .map((n) => {
      const node: Record<string, unknown> = { id: n.id, type: n.type, label: n.label };
      for (const key of ['physicalName', 'serviceName', 'traced', 'url'] as const) {
        if (n[key] !== undefined) node[key] = n[key];
      }
      if (n.type === 'api' && n.resourceType !== undefined) node.resourceType = n.resourceType;
      return node as Partial<TraceMapNode>;
    });
  return { version: 1, nodes, edges };
}

/** The slice as the function's environment carries it: JSON, or gzipped JSON in base64 when large. */
export function encodeSlice(slice: MapSlice): string {
  const json = JSON.stringify(slice);
  return json.length <= PLAIN_LIMIT ? json : `${GZIP_PREFIX}${gzipSync(json).toString('base64')}`;
}
