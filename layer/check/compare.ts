import type {
  ExpectedHop,
  ExpectedTrace,
  ExtraService,
  MissingHop,
  NormalisedSpan,
  PresentHop,
  TraceComparison,
  TraceMapNodeType,
} from './types';

/** Options of `compareTrace`. */
export interface CompareOptions {
  /** The trace compared (spans of other traces are left out); default: the first span's. */
  readonly traceId?: string;
  /** The span id the check sent in `traceparent`: the entry's invocation span has it as parent. */
  readonly rootSpanId?: string;
  /** Why every hop is missing when the backend returned no span (default: not found). */
  readonly notFoundWhy?: string;
}

/** What `messaging.system` (or the X-Ray segment name) a send to each kind of target has. */
const SYSTEMS: Partial<Record<TraceMapNodeType, RegExp>> = {
  topic: /sns/i,
  queue: /sqs/i,
  'event-bus': /eventbridge|events/i,
};

/** The AWS operations that send a message (X-Ray's `aws.operation`). */
const SEND_OPERATIONS = new Set(['Publish', 'PublishBatch', 'SendMessage', 'SendMessageBatch', 'PutEvents']);

/**
 * Compares a trace with what the map expects. A hop is present when a span of the trace matches it:
 *
 * - `entry` and `consumer`: a span whose `service.name` is the function's (a span of its
 *   invocation or of a record; kinds and the parent sent by the check only choose the best one),
 * - `producer`: a PRODUCER span of the sender's service (for spans whose kind the backend did
 *   not keep: a `send`/`publish` name or an AWS send operation); when the span says its
 *   messaging system or destination, they must fit the target (SNS for a topic, SQS for a queue,
 *   the queue's or topic's name when the map knows it),
 * - `call`: a CLIENT span of the caller's service, to the outside service's host when both the
 *   map and the span say it.
 *
 * `ok` is true when nothing is missing. Services in the trace that the map does not name are
 * `extra`: reported, never a failure (the map is incomplete there, the trace is not broken).
 */
export function compareTrace(
  expected: ExpectedTrace,
  spans: readonly NormalisedSpan[] | undefined,
  options: CompareOptions = {},
): TraceComparison {
  const traceId = options.traceId ?? spans?.[0]?.traceId ?? '';
  const inTrace = (spans ?? []).filter((s) => !options.traceId || s.traceId === options.traceId);
  const found = inTrace.length > 0;
  const services = new Map(inTrace.map((s) => [s.spanId, s.serviceName]));

  const present: PresentHop[] = [];
  const missing: MissingHop[] = [];
  const status = new Map<string, boolean>();
  for (const hop of expected.hops) {
    let scored = inTrace
      .map((span, index) => ({ span, index, score: score(hop, span, options.rootSpanId, services) }))
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.index - b.index);
    if (hop.kind === 'entry' || hop.kind === 'consumer') {
      // The function's own first spans (its invocation or record spans), not its children.
      const roots = scored.filter((s) => isLocalRoot(s.span, services));
      if (roots.length > 0) scored = roots;
    }
    if (scored.length > 0) {
      status.set(hop.id, true);
      present.push({ ...hop, spanIds: scored.map((s) => s.span.spanId), spanName: scored[0].span.name });
    } else {
      status.set(hop.id, false);
      missing.push({ ...hop, why: whyMissing(hop, expected, found, status, options.notFoundWhy) });
    }
  }

  const known = new Set(expected.knownServices);
  const extras = new Map<string, { spanIds: string[]; spanNames: Set<string> }>();
  let unattributedSpans = 0;
  for (const span of inTrace) {
    if (span.serviceName === undefined || span.serviceName === '') {
      unattributedSpans++;
      continue;
    }
    if (known.has(span.serviceName)) continue;
    const extra = extras.get(span.serviceName) ?? { spanIds: [], spanNames: new Set<string>() };
    extra.spanIds.push(span.spanId);
    extra.spanNames.add(span.name);
    extras.set(span.serviceName, extra);
  }
  const extra: ExtraService[] = [...extras.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([serviceName, e]) => ({ serviceName, spanIds: e.spanIds, spanNames: [...e.spanNames] }));

  return {
    ok: found && missing.length === 0,
    traceId,
    found,
    present,
    missing,
    extra,
    knownBreaks: expected.knownBreaks,
    unattributedSpans,
  };
}

/** How well a span matches a hop: 0 for not at all, higher for a better match. */
function score(
  hop: ExpectedHop,
  span: NormalisedSpan,
  rootSpanId: string | undefined,
  services: ReadonlyMap<string, string | undefined>,
): number {
  if (!hop.serviceName || span.serviceName !== hop.serviceName) return 0;
  const attributes = span.attributes ?? {};
  const localRoot = isLocalRoot(span, services) ? 1 : 0;
  switch (hop.kind) {
    case 'entry':
      return (
        1 +
        (rootSpanId !== undefined && span.parentSpanId === rootSpanId ? 8 : 0) +
        (span.kind === 'server' ? 2 : 0) +
        (hop.expectedSpanName !== undefined && span.name === hop.expectedSpanName ? 2 : 0) +
        localRoot
      );
    case 'consumer':
      return (
        1 +
        (span.kind === 'consumer' ? 2 : 0) +
        (hop.expectedSpanName !== undefined && span.name === hop.expectedSpanName ? 2 : 0) +
        localRoot
      );
    case 'producer': {
      const looksLikeSend =
        span.kind === 'producer' ||
        (span.kind === undefined &&
          (attributes['messaging.operation.type'] === 'send' ||
            SEND_OPERATIONS.has(String(attributes['aws.operation'])) ||
            /^(publish|send)\b/i.test(span.name)));
      if (!looksLikeSend) return 0;
      const system = attributes['messaging.system'] ?? attributes['rpc.service'];
      const expectedSystem = hop.targetType ? SYSTEMS[hop.targetType] : undefined;
      if (expectedSystem && system !== undefined && !expectedSystem.test(String(system))) return 0;
      const destination = attributes['messaging.destination.name'];
      if (hop.targetName !== undefined && destination !== undefined && destination !== hop.targetName)
        return 0;
      return 1 + (hop.targetName !== undefined && destination === hop.targetName ? 2 : 0);
    }
    case 'call': {
      const looksLikeCall =
        span.kind === 'client' ||
        (span.kind === undefined &&
          (attributes['url.full'] !== undefined || attributes['http.request.method'] !== undefined));
      if (!looksLikeCall) return 0;
      const expectedHost = hostOf(hop.targetUrl);
      const host = attributes['server.address'] ?? hostOf(stringOrUndefined(attributes['url.full']));
      if (expectedHost !== undefined && host !== undefined && String(host) !== expectedHost) return 0;
      return 1 + (expectedHost !== undefined && host === expectedHost ? 2 : 0);
    }
  }
}

/** The first span of its service on its path: its parent is another service's, or not in the trace. */
function isLocalRoot(span: NormalisedSpan, services: ReadonlyMap<string, string | undefined>): boolean {
  return span.parentSpanId === undefined || services.get(span.parentSpanId) !== span.serviceName;
}

function whyMissing(
  hop: ExpectedHop,
  expected: ExpectedTrace,
  found: boolean,
  status: ReadonlyMap<string, boolean>,
  notFoundWhy: string | undefined,
): string {
  if (!found) return notFoundWhy ?? 'the trace was not found in the backend';
  if (!hop.serviceName) {
    return `the trace map has no service name for ${hop.node} (its OTEL_SERVICE_NAME is not known at synth), so its spans cannot be told apart`;
  }
  const upstream = hop.after !== undefined ? expected.hops.find((h) => h.id === hop.after) : undefined;
  const upstreamMissing = upstream !== undefined && status.get(upstream.id) === false;
  const via = hop.via.length > 0 ? ` (via ${hop.via.join(', ')})` : '';
  switch (hop.kind) {
    case 'entry':
      return `no span of ${hop.serviceName} in the trace: the entry function did not continue the trace it was sent (is it traced, and did the invocation reach its handler?)`;
    case 'producer':
      return (
        `${hop.serviceName} recorded no PRODUCER span for ${hop.target}` +
        (upstreamMissing
          ? `; its upstream hop ${upstream.label} is missing too`
          : `: it did not send there in this request, or sent with a client not wrapped by traceAwsClient`)
      );
    case 'call':
      return (
        `${hop.serviceName} recorded no CLIENT span for ${hop.targetUrl ?? hop.target}` +
        (upstreamMissing
          ? `; its upstream hop ${upstream.label} is missing too`
          : `: the call was not made in this request, or not with fetch`)
      );
    case 'consumer':
      return upstreamMissing
        ? `no span of ${hop.serviceName} in the trace; its upstream hop ${upstream.label} is missing too`
        : `no span of ${hop.serviceName} in the trace although ${upstream?.label ?? 'the sender'} sent the message${via}: it has not been processed yet, the consumer failed before its span, or it did not read the context` +
            (hop.note ? `, or its batch mixed traces (${hop.note})` : '');
  }
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
