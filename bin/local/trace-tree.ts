import { SPAN_KIND, STATUS, isSampled, type ReceivedSpan } from './otlp-receiver';

/** A received span in its tree. */
export interface SpanNode {
  readonly span: ReceivedSpan;
  readonly children: SpanNode[];
  /** Start, in ms since the epoch (sub-millisecond precision). */
  readonly startMs: number;
  readonly durationMs: number;
}

/**
 * The spans of one trace as a tree: each span under its parent, whichever process sent it (the
 * parent and child share the trace id), and the spans of other traces that link to it.
 */
export interface TraceGroup {
  readonly traceId: string;
  /** The spans whose parent was not received: the root, or the first span of a partial trace. */
  readonly roots: SpanNode[];
  /**
   * The roots of other traces whose spans link to a span of this one: an SQS batch has one link
   * per message and no parent, so each batch is the root of a trace of its own.
   */
  readonly linked: SpanNode[];
}

/** One line of the tree, in order: what the text and the waterfall both show. */
export type TreeRow =
  | { readonly kind: 'trace'; readonly traceId: string; readonly label?: string }
  | { readonly kind: 'linked'; readonly count: number }
  | {
      readonly kind: 'span';
      readonly node: SpanNode;
      readonly depth: number;
      /** The tree glyphs before the name (`├─ `, `│  └─ `). */
      readonly prefix: string;
      /** Whether the span is the root of a trace of its own, linked into this one. */
      readonly linkedRoot: boolean;
    }
  | {
      readonly kind: 'link';
      readonly depth: number;
      readonly prefix: string;
      readonly traceId: string;
      /** The linked span's name, when it was received. */
      readonly target?: string;
    };

const KIND_NAMES: Record<number, string> = {
  [SPAN_KIND.INTERNAL]: 'internal',
  [SPAN_KIND.SERVER]: 'server',
  [SPAN_KIND.CLIENT]: 'client',
  [SPAN_KIND.PRODUCER]: 'producer',
  [SPAN_KIND.CONSUMER]: 'consumer',
};

const nanosToMs = (nanos: string): number => Number(BigInt(nanos) / 1000n) / 1000;

/** The received spans as trees, one per trace, in the order the traces started. */
export function groupTraces(spans: readonly ReceivedSpan[]): TraceGroup[] {
  const nodes = new Map<string, SpanNode>();
  for (const span of spans) {
    const startMs = nanosToMs(span.startTimeUnixNano);
    nodes.set(`${span.traceId}/${span.spanId}`, {
      span,
      children: [],
      startMs,
      durationMs: nanosToMs(span.endTimeUnixNano) - startMs,
    });
  }
  // Spans started without an explicit time carry Date.now() (whole milliseconds), so a batch and
  // the record span it starts often start in the same millisecond: the longer one, the one that
  // holds the other, comes first, whatever order the spans arrived in.
  const byStart = (a: SpanNode, b: SpanNode): number => a.startMs - b.startMs || b.durationMs - a.durationMs;
  const roots = new Map<string, SpanNode[]>();
  for (const node of [...nodes.values()].sort(byStart)) {
    const parent = node.span.parentSpanId && nodes.get(`${node.span.traceId}/${node.span.parentSpanId}`);
    if (parent) parent.children.push(node);
    else roots.set(node.span.traceId, [...(roots.get(node.span.traceId) ?? []), node]);
  }

  // A trace whose every root links into one other received trace is shown under that one.
  const linkedInto = new Map<string, string>();
  for (const [traceId, traceRoots] of roots) {
    const targets = new Set(traceRoots.map((root) => root.span.links[0]?.traceId));
    const [target] = targets;
    if (targets.size === 1 && target && target !== traceId && roots.has(target))
      linkedInto.set(traceId, target);
  }
  const groups: TraceGroup[] = [];
  for (const [traceId, traceRoots] of roots) {
    if (linkedInto.has(traceId)) continue;
    const linked = [...roots.entries()]
      .filter(([other]) => linkedInto.get(other) === traceId)
      .flatMap(([, otherRoots]) => otherRoots)
      .sort(byStart);
    groups.push({ traceId, roots: traceRoots, linked });
  }
  return groups.sort((a, b) => a.roots[0].startMs - b.roots[0].startMs);
}

/**
 * The rows of the trees: a header per trace (with its label, if given), its spans in tree order,
 * their links, the linked traces.
 */
export function treeRows(
  groups: readonly TraceGroup[],
  spans: readonly ReceivedSpan[],
  labels: ReadonlyMap<string, string> = new Map(),
): TreeRow[] {
  const names = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s.name]));
  const rows: TreeRow[] = [];
  const walk = (node: SpanNode, depth: number, lead: string, glyph: string, linkedRoot: boolean): void => {
    rows.push({ kind: 'span', node, depth, prefix: lead + glyph, linkedRoot });
    const under = lead + (glyph === '├─ ' ? '│  ' : glyph === '' ? '' : '   ');
    for (const link of node.span.links) {
      rows.push({
        kind: 'link',
        depth: depth + 1,
        prefix: under + (node.children.length > 0 ? '│  ' : '   '),
        traceId: link.traceId,
        target: names.get(`${link.traceId}/${link.spanId}`),
      });
    }
    node.children.forEach((child, i) =>
      walk(child, depth + 1, under, i === node.children.length - 1 ? '└─ ' : '├─ ', false),
    );
  };
  for (const group of groups) {
    rows.push({ kind: 'trace', traceId: group.traceId, label: labels.get(group.traceId) });
    for (const root of group.roots) walk(root, 0, '', '', false);
    if (group.linked.length > 0) {
      rows.push({ kind: 'linked', count: group.linked.length });
      for (const root of group.linked) walk(root, 0, '', '', true);
    }
  }
  return rows;
}

/** `41.3 ms`, `0.42 ms`, `1.25 s`. */
export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** `…1e2f3a4b`: the end of a trace id (with X-Ray ids, the start is the time and often shared). */
export function shortTraceId(traceId: string): string {
  return `…${traceId.slice(-8)}`;
}

/** What is said after a span's service: its kind, batch size, sampling and error. */
export function spanNotes(node: SpanNode, row: { linkedRoot: boolean }): string[] {
  const { span } = node;
  const notes = [KIND_NAMES[span.kind] ?? `kind ${span.kind}`];
  const batch = span.attributes['messaging.batch.message_count'];
  if (typeof batch === 'number') notes.push(`batch of ${batch}`);
  if (row.linkedRoot) notes.push(`trace ${shortTraceId(span.traceId)}`);
  if (!isSampled(span)) notes.push('unsampled');
  if (span.status.code === STATUS.ERROR) {
    const status = span.attributes['http.response.status_code'];
    const why = span.status.message || (status === undefined ? '' : `HTTP ${status}`);
    notes.push(`✗ error${why ? ` (${why})` : ''}`);
  }
  return notes;
}

/** The text of one row (the span rows without their duration and service, which are columns). */
export function rowLabel(row: TreeRow): string {
  switch (row.kind) {
    case 'trace':
      return `trace ${row.traceId}${row.label ? `  (${row.label})` : ''}`;
    case 'linked':
      return `linked to this trace from ${row.count} other trace${row.count === 1 ? '' : 's'}:`;
    case 'span':
      return row.prefix + row.node.span.name;
    case 'link':
      return `${row.prefix}↳ link to ${row.target ?? 'a span not received'} (${shortTraceId(row.traceId)})`;
  }
}

/** The trees as text: one line per span, `name  duration  [service]  notes`, indented under its parent. */
export function renderTree(rows: readonly TreeRow[]): string {
  const width = Math.max(0, ...rows.filter((r) => r.kind === 'span').map((r) => [...rowLabel(r)].length));
  return rows
    .map((row) => {
      if (row.kind !== 'span') return (row.kind === 'trace' ? '\n' : '') + rowLabel(row);
      const label = rowLabel(row);
      const service = String(row.node.span.resource['service.name'] ?? '?');
      const padding = ' '.repeat(width - [...label].length);
      const duration = formatDuration(row.node.durationMs).padStart(9);
      return `${label}${padding}  ${duration}  [${service}]  ${spanNotes(row.node, row).join(', ')}`;
    })
    .join('\n')
    .trimStart();
}
