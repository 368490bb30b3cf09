import { groupTraces, renderTree, treeRows } from '../../../bin/local/trace-tree';
import { SPAN_KIND, type ReceivedSpan } from '../../../bin/local/otlp-receiver';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const MS = 1_700_000_000_000n;

function span(
  spanId: string,
  name: string,
  startMs: bigint,
  endMs: bigint,
  parentSpanId?: string,
): ReceivedSpan {
  return {
    traceId: TRACE,
    spanId,
    parentSpanId,
    name,
    kind: SPAN_KIND.CONSUMER,
    attributes: {},
    status: { code: 0 },
    events: [],
    links: [],
    resource: { 'service.name': 'svc' },
    startTimeUnixNano: String((MS + startMs) * 1_000_000n),
    endTimeUnixNano: String((MS + endMs) * 1_000_000n),
  };
}

describe('groupTraces', () => {
  // Spans started without an explicit time carry whole milliseconds: a batch and the record span it
  // starts share their start. The order they arrive in must not change the tree.
  const root = span('a000000000000001', 'publish', 0n, 30n);
  const batch = span('b000000000000001', 'batch', 5n, 20n, root.spanId);
  const record = span('c000000000000001', 'record', 5n, 15n, root.spanId);
  const later = span('d000000000000001', 'other', 6n, 9n, root.spanId);

  test.each([
    ['batch first', [root, batch, record, later]],
    ['record first', [record, later, root, batch]],
  ])('siblings that start in the same millisecond: the longer one first (%s)', (_, spans) => {
    const [group] = groupTraces(spans);
    expect(group.roots.map((n) => n.span.name)).toEqual(['publish']);
    expect(group.roots[0].children.map((n) => n.span.name)).toEqual(['batch', 'record', 'other']);
    const text = renderTree(treeRows(groupTraces(spans), spans)).split('\n');
    expect(text.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual([
      'publish',
      '├─ batch',
      '├─ record',
      '└─ other',
    ]);
  });

  test('siblings that start apart stay in start order, whatever their length', () => {
    const early = span('e000000000000001', 'early-short', 1n, 2n, root.spanId);
    const [group] = groupTraces([root, batch, early]);
    expect(group.roots[0].children.map((n) => n.span.name)).toEqual(['early-short', 'batch']);
  });
});
