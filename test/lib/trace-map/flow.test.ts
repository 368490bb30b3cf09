import { flowOf } from '../../../lib/trace-map/flow';
import type { TraceEdge } from '../../../lib/trace-map/trace-edge';
import type { TraceMap, TraceMapNode } from '../../../lib/trace-map/trace-map';

const node = (id: string, type: TraceMapNode['type'], entry?: boolean): TraceMapNode => ({
  id,
  type,
  label: id,
  ...(entry ? { entry } : {}),
});
const edge = (from: string, to: string, kind: TraceEdge['kind'], route?: string): TraceEdge => ({
  from,
  to,
  kind,
  ...(route ? { route } : {}),
  carriesContext: true,
});

// api → a → t → (q1 → b, q2 → b): a diamond; b → q1 again: a cycle.
const map: TraceMap = {
  version: 1,
  nodes: [
    node('api', 'api'),
    node('a', 'function', true),
    node('b', 'function'),
    node('q1', 'queue'),
    node('q2', 'queue'),
    node('t', 'topic'),
    node('lonely', 'function', true),
  ],
  edges: [
    edge('a', 't', 'sns-publish'),
    edge('api', 'a', 'api-to-lambda', 'POST /x'),
    edge('b', 'q1', 'sqs-send'),
    edge('q1', 'b', 'sqs-to-lambda'),
    edge('q2', 'b', 'sqs-to-lambda'),
    edge('t', 'q1', 'sns-to-sqs'),
    edge('t', 'q2', 'sns-to-sqs'),
  ],
};

test('depth first from the entry, each node once, with the routes in front', () => {
  const { flow } = flowOf(map, 'a');
  expect(flow!.routes).toEqual(['POST /x']);
  expect(flow!.nodes.map((n) => n.id)).toEqual(['a', 't', 'q1', 'b', 'q2']);
  expect(flow!.edges).toHaveLength(6);
});

test('an entry that is not a function of the map names the entry functions', () => {
  expect(flowOf(map, 'q1').error).toBe(
    'entry: q1 is not a function of the trace map (its entry functions: a, lonely); give the function where the flow starts (a TracedFunction, or a function under a TracingPolicy)',
  );
  expect(flowOf({ version: 1, nodes: [], edges: [] }, 'x').error).toMatch(/\(its entry functions: none\)/);
});
