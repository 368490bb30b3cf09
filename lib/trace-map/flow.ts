import type { TraceEdge } from './trace-edge';
import type { TraceMap, TraceMapNode } from './trace-map';

/** A flow of the trace map: what a request to its entry reaches, in flow order. */
export interface Flow {
  /** The API routes in front of the entry (`POST /payments`). */
  readonly routes: string[];
  /**
   * The nodes reached from the entry along any edge, the entry first, then depth first in the
   * map's edge order: each queue or topic is followed by what it delivers to.
   */
  readonly nodes: TraceMapNode[];
  /** The edges between them. */
  readonly edges: TraceEdge[];
}

/** The flow from the entry, or why there is none (the text names the prop and the fix). */
export function flowOf(map: TraceMap, entryNodeId: string): { flow?: Flow; error?: string } {
  const byId = new Map(map.nodes.map((n) => [n.id, n]));
  const entry = byId.get(entryNodeId);
  if (!entry || entry.type !== 'function') {
    const entries = map.nodes.filter((n) => n.type === 'function' && n.entry).map((n) => n.id);
    return {
      error:
        `entry: ${entryNodeId} is not a function of the trace map (its entry functions: ${entries.join(', ') || 'none'}); ` +
        'give the function where the flow starts (a TracedFunction, or a function under a TracingPolicy)',
    };
  }
  const seen = new Set<string>();
  const nodes: TraceMapNode[] = [];
  const edges: TraceEdge[] = [];
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const node = byId.get(id);
    if (node) nodes.push(node);
    for (const edge of map.edges.filter((e) => e.from === id)) {
      edges.push(edge);
      visit(edge.to);
    }
  };
  visit(entryNodeId);
  const routes = map.edges
    .filter((e) => e.to === entryNodeId && e.kind === 'api-to-lambda')
    .map((e) => e.route ?? byId.get(e.from)?.label ?? e.from);
  return { flow: { routes, nodes, edges } };
}
