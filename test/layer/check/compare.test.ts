import {
  compareTrace,
  expectedHops,
  parseJaegerTrace,
  parseOtlpTrace,
  parseTraceMap,
  parseXraySegments,
  resolveEntry,
  TraceCheckUsageError,
  type ExpectedTrace,
  type NormalisedSpan,
  type TraceMapDocument,
} from '../../../layer/check';
import type { TraceMap } from '../../../lib/trace-map/trace-map';
import { fixture, type RecordedTrace } from './local-endpoint';

// The traces are recorded: the example's functions as `cdk synth` bundles them, run once each
// for one request sent the way runCheck sends it (an HTTP API event for POST /payments with a
// traceparent), exporting OTLP/JSON to a local receiver; SNS and the SQS deliveries were local
// stand-ins, the fraud API's URL was put back to the one the map declares. The backend answers
// are that trace in each backend's format.

const map = fixture<TraceMapDocument>('trace-map.json');
const ENTRY = 'Prod/Payments/Authorize';
const complete = fixture<RecordedTrace>('example-trace.otlp.json');
const TRACE_ID = complete.traceId;
const ROOT_SPAN_ID = complete.traceparent.split('-')[2];

function spansOf(recorded: RecordedTrace): NormalisedSpan[] {
  return recorded.exports.flatMap((request) => parseOtlpTrace(request));
}

/** The spans of the recorded complete trace, by name. */
function span(name: string): NormalisedSpan {
  const found = spansOf(complete).filter((s) => s.name === name && s.traceId === TRACE_ID);
  expect(found).toHaveLength(1);
  return found[0];
}

const summary = (hops: ExpectedTrace['hops']) =>
  hops.map((h) => [h.index, h.kind, h.label, h.serviceName, h.spanKind, h.after ?? '-', h.via.join(' | ')]);

// A compile-time check: the map the library writes is what the check reads.
const _libraryMapIsReadable = (m: TraceMap): TraceMapDocument => m;
void _libraryMapIsReadable;

describe('expectedHops', () => {
  test('the example flow from POST /payments: the entry, its call and publish, the two consumers', () => {
    const expected = expectedHops(map, ENTRY);
    expect(expected.entry).toEqual({
      node: ENTRY,
      label: 'Authorize',
      serviceName: 'payments-authorize',
      stack: expect.objectContaining({ path: 'Prod/Payments', stackName: 'Prod-Payments' }),
      logicalId: 'AuthorizeD8507075',
      route: 'POST /payments',
      api: 'http-api',
    });
    expect(summary(expected.hops)).toEqual([
      [0, 'entry', 'Authorize', 'payments-authorize', 'server', '-', 'api-to-lambda (POST /payments)'],
      [
        1,
        'producer',
        'Authorize → Payments',
        'payments-authorize',
        'producer',
        ENTRY,
        'sns-publish (message-attributes)',
      ],
      [2, 'call', 'Authorize → fraud-api', 'payments-authorize', 'client', ENTRY, 'http (http-headers)'],
      [
        3,
        'consumer',
        'Audit',
        'payments-audit',
        'consumer',
        'Prod/Payments/Authorize -> Prod/Payments/Payments',
        'sns-to-sqs (sns-envelope) | sqs-to-lambda (message-attributes)',
      ],
      [
        4,
        'consumer',
        'Reconcile',
        'payments-reconcile',
        'consumer',
        'Prod/Payments/Authorize -> Prod/Payments/Payments',
        'sns-to-sqs (raw-delivery) | sqs-to-lambda (message-attributes)',
      ],
    ]);
    expect(expected.hops[0].expectedSpanName).toBe('POST /payments');
    expect(expected.hops[2]).toMatchObject({
      target: 'external:fraud-api',
      targetType: 'external',
      targetUrl: 'https://fraud.example.com/v1/score',
    });
    expect(expected.hops[1]).toMatchObject({ target: 'Prod/Payments/Payments', targetType: 'topic' });
    expect(expected.knownBreaks).toEqual([]);
    expect(expected.knownServices).toEqual([
      'fraud-api',
      'payments-audit',
      'payments-authorize',
      'payments-reconcile',
    ]);
  });

  test('an edge that does not carry the context is a known break: listed, not expected, not followed', () => {
    const withBreak: TraceMapDocument = {
      ...map,
      nodes: [
        ...map.nodes,
        { id: 'Prod/Payments/LedgerQueue', type: 'queue', label: 'LedgerQueue' },
        {
          id: 'Prod/Payments/Ledger',
          type: 'function',
          label: 'Ledger',
          serviceName: 'ledger',
          traced: false,
        },
        {
          id: 'Prod/Payments/Archive',
          type: 'function',
          label: 'Archive',
          serviceName: 'archive',
          traced: true,
        },
      ],
      edges: [
        ...map.edges,
        {
          from: 'Prod/Payments/Reconcile',
          to: 'Prod/Payments/LedgerQueue',
          kind: 'sqs-send',
          carriesContext: true,
          via: 'message-attributes',
        },
        {
          from: 'Prod/Payments/LedgerQueue',
          to: 'Prod/Payments/Ledger',
          kind: 'sqs-to-lambda',
          carriesContext: false,
          reason: 'Prod/Payments/Ledger is not traced',
        },
        // Behind the untraced consumer: never reached.
        { from: 'Prod/Payments/Ledger', to: 'Prod/Payments/Archive', kind: 'sqs-send', carriesContext: true },
      ],
    };
    const expected = expectedHops(withBreak, ENTRY);
    expect(expected.hops.map((h) => h.id)).toEqual([
      ENTRY,
      'Prod/Payments/Authorize -> Prod/Payments/Payments',
      'Prod/Payments/Authorize -> external:fraud-api',
      'Prod/Payments/Audit',
      'Prod/Payments/Reconcile',
      'Prod/Payments/Reconcile -> Prod/Payments/LedgerQueue',
    ]);
    expect(expected.knownBreaks).toEqual([
      {
        from: 'Prod/Payments/LedgerQueue',
        to: 'Prod/Payments/Ledger',
        kind: 'sqs-to-lambda',
        label: 'LedgerQueue → Ledger',
        reason: 'Prod/Payments/Ledger is not traced',
      },
    ]);
  });

  test('a cycle (a consumer publishing back to the topic) ends, each function once', () => {
    const cyclic: TraceMapDocument = {
      ...map,
      edges: [
        ...map.edges,
        {
          from: 'Prod/Payments/Reconcile',
          to: 'Prod/Payments/Payments',
          kind: 'sns-publish',
          carriesContext: true,
          via: 'message-attributes',
        },
      ],
    };
    const hops = expectedHops(cyclic, ENTRY).hops;
    expect(hops.filter((h) => h.kind !== 'producer').map((h) => h.id)).toEqual([
      ENTRY,
      'Prod/Payments/Authorize -> external:fraud-api',
      'Prod/Payments/Audit',
      'Prod/Payments/Reconcile',
    ]);
    expect(hops.filter((h) => h.kind === 'producer').map((h) => h.label)).toEqual([
      'Authorize → Payments',
      'Reconcile → Payments',
    ]);
  });

  test('the entry must be a function of the map', () => {
    expect(() => expectedHops(map, 'Prod/Payments/Payments')).toThrow(TraceCheckUsageError);
    expect(() => expectedHops(map, 'Nope')).toThrow(/'Nope' is not a function of the trace map/);
  });
});

describe('resolveEntry and parseTraceMap', () => {
  test('a stack by path, stack name or artifact id gives its one entry', () => {
    expect(resolveEntry(map, { stack: 'Prod/Payments' })).toBe(ENTRY);
    expect(resolveEntry(map, { stack: 'Dev-Payments' })).toBe('Dev/Payments/Authorize');
    expect(resolveEntry(map, { stack: 'ProdPaymentsCFE40DF8' })).toBe(ENTRY);
    expect(resolveEntry(map, { stack: 'Prod/Payments', entry: 'Prod/Payments/Reconcile' })).toBe(
      'Prod/Payments/Reconcile',
    );
  });

  test('an unknown stack lists the stacks; an entry of another stack or not a function says so', () => {
    expect(() => resolveEntry(map, { stack: 'Staging/Payments' })).toThrow(
      "unknown stack 'Staging/Payments'; the stacks in the trace map are: Dev/Payments (Dev-Payments), Prod/Payments (Prod-Payments)",
    );
    expect(() => resolveEntry(map, { stack: 'Dev/Payments', entry: ENTRY })).toThrow(
      `'${ENTRY}' is in stack Prod/Payments, not in Dev/Payments`,
    );
    expect(() => resolveEntry(map, { entry: 'Prod/Payments/AuditQueue' })).toThrow(
      /is not a function of the trace map; its functions are: .*Prod\/Payments\/Authorize/,
    );
  });

  test('a stack with several entries: the one behind an API route, as the README says', () => {
    const two: TraceMapDocument = {
      ...map,
      nodes: map.nodes.map((n) => (n.id === 'Prod/Payments/Reconcile' ? { ...n, entry: true } : n)),
    };
    expect(resolveEntry(two, { stack: 'Prod/Payments' })).toBe('Prod/Payments/Authorize');
  });

  test('several entries behind API routes, or none behind one: it asks for --entry, naming them', () => {
    const reconcile = 'Prod/Payments/Reconcile';
    const routed: TraceMapDocument = {
      ...map,
      nodes: map.nodes.map((n) => (n.id === reconcile ? { ...n, entry: true } : n)),
      edges: [
        ...map.edges,
        {
          from: 'Prod/Payments/Api',
          to: reconcile,
          kind: 'api-to-lambda',
          route: 'POST /reconcile',
          carriesContext: true,
        },
      ],
    };
    expect(() => resolveEntry(routed, { stack: 'Prod/Payments' })).toThrow(
      'stack Prod/Payments has 2 entry functions behind API routes; choose one with --entry: ' +
        'Prod/Payments/Authorize (POST /payments), Prod/Payments/Reconcile (POST /reconcile)',
    );
    const unrouted: TraceMapDocument = {
      ...map,
      nodes: map.nodes.map((n) =>
        n.id === reconcile || n.id === 'Prod/Payments/Audit' ? { ...n, entry: true } : n,
      ),
      edges: map.edges.filter((e) => e.kind !== 'api-to-lambda'),
    };
    expect(() => resolveEntry(unrouted, { stack: 'Prod/Payments' })).toThrow(
      /has 3 entry functions and none behind an API route; choose one with --entry: Prod\/Payments\/Audit, /,
    );
  });

  test('a file that is not a trace map of version 1', () => {
    expect(() => parseTraceMap('{', 'x.json')).toThrow(/x.json is not JSON/);
    expect(() => parseTraceMap('{"nodes":[]}', 'x.json')).toThrow(
      'x.json is not a trace map (no nodes and edges)',
    );
    expect(() => parseTraceMap('{"version":2,"nodes":[],"edges":[]}', 'x.json')).toThrow(/version 2/);
  });
});

describe('compareTrace on recorded traces', () => {
  const expected = expectedHops(map, ENTRY);

  test('the complete trace: every hop present with its span ids, nothing extra', () => {
    const result = compareTrace(expected, spansOf(complete), { traceId: TRACE_ID, rootSpanId: ROOT_SPAN_ID });
    expect(result).toMatchObject({ ok: true, found: true, traceId: TRACE_ID, missing: [], extra: [] });
    expect(result.present.map((h) => [h.label, h.spanIds[0], h.spanName])).toEqual([
      ['Authorize', span('POST /payments').spanId, 'POST /payments'],
      [
        'Authorize → Payments',
        span('publish Prod-Payments-PaymentsTopic18A53E8E-Xq3Lk9Wm2Rt4').spanId,
        'publish Prod-Payments-PaymentsTopic18A53E8E-Xq3Lk9Wm2Rt4',
      ],
      ['Authorize → fraud-api', span('POST').spanId, 'POST'],
      [
        'Audit',
        span('process Prod-Payments-AuditQueue4030B573-Vc8Mz1Lr6Ty3').spanId,
        'process Prod-Payments-AuditQueue4030B573-Vc8Mz1Lr6Ty3',
      ],
      [
        'Reconcile',
        span('process Prod-Payments-ReconciliationQueue91A477D5-Hb7Ns2Kd4Pq1').spanId,
        'process Prod-Payments-ReconciliationQueue91A477D5-Hb7Ns2Kd4Pq1',
      ],
    ]);
    // The entry's invocation span is the child of the span id the check sent.
    expect(span('POST /payments').parentSpanId).toBe(ROOT_SPAN_ID);
    // The SQS batch spans are traces of their own (linked to the publish): not counted here.
    expect(spansOf(complete).filter((s) => s.traceId !== TRACE_ID)).toHaveLength(2);
    expect(result.unattributedSpans).toBe(0);
  });

  test('audit never ran: that hop is missing, and why', () => {
    const result = compareTrace(
      expected,
      spansOf(fixture<RecordedTrace>('example-trace-missing-audit.otlp.json')),
      {
        traceId: TRACE_ID,
      },
    );
    expect(result.ok).toBe(false);
    expect(result.present.map((h) => h.label)).toEqual([
      'Authorize',
      'Authorize → Payments',
      'Authorize → fraud-api',
      'Reconcile',
    ]);
    expect(result.missing).toEqual([
      expect.objectContaining({
        id: 'Prod/Payments/Audit',
        why: 'no span of payments-audit in the trace although Authorize → Payments sent the message (via sns-to-sqs (sns-envelope), sqs-to-lambda (message-attributes)): it has not been processed yet, the consumer failed before its span, or it did not read the context',
      }),
    ]);
  });

  test("a consumer whose batches may mix traces: the missing hop gives the map's note as a cause", () => {
    const note = 'batches of up to 10 messages: linked only when a batch mixes traces';
    const noted: TraceMapDocument = {
      ...map,
      edges: map.edges.map((e) => (e.kind === 'sqs-to-lambda' ? { ...e, batchSize: 10, note } : e)),
    };
    const hops = expectedHops(noted, ENTRY);
    expect(hops.hops.find((h) => h.id === 'Prod/Payments/Audit')?.note).toBe(note);
    const result = compareTrace(
      hops,
      spansOf(fixture<RecordedTrace>('example-trace-missing-audit.otlp.json')),
      {
        traceId: TRACE_ID,
      },
    );
    expect(result.missing.map((h) => h.why)).toEqual([
      expect.stringMatching(new RegExp(`, or its batch mixed traces \\(${note}\\)$`)),
    ]);
  });

  test('an unknown service in the trace is extra: reported, not a failure', () => {
    const result = compareTrace(
      expected,
      spansOf(fixture<RecordedTrace>('example-trace-extra-service.otlp.json')),
      {
        traceId: TRACE_ID,
      },
    );
    expect(result.ok).toBe(true);
    expect(result.missing).toEqual([]);
    expect(result.extra).toEqual([
      { serviceName: 'ledger-sync', spanIds: ['4c2d7e9a10b3f658'], spanNames: ['POST /ledger/entries'] },
    ]);
  });

  test('no spans: not found, every hop missing with the reason given', () => {
    const result = compareTrace(expected, undefined, {
      traceId: TRACE_ID,
      notFoundWhy: 'not in X-Ray within 2 s',
    });
    expect(result).toMatchObject({ ok: false, found: false, present: [] });
    expect(result.missing.map((h) => h.why)).toEqual(Array(5).fill('not in X-Ray within 2 s'));
  });

  test('when the entry did not continue the trace, the hops after it say their upstream is missing', () => {
    const others = spansOf(complete).filter((s) => s.serviceName !== 'payments-authorize');
    const result = compareTrace(expected, others, { traceId: TRACE_ID });
    expect(result.missing.map((h) => [h.label, h.why])).toEqual([
      [
        'Authorize',
        'no span of payments-authorize in the trace: the entry function did not continue the trace it was sent (is it traced, and did the invocation reach its handler?)',
      ],
      [
        'Authorize → Payments',
        'payments-authorize recorded no PRODUCER span for Prod/Payments/Payments; its upstream hop Authorize is missing too',
      ],
      [
        'Authorize → fraud-api',
        'payments-authorize recorded no CLIENT span for https://fraud.example.com/v1/score; its upstream hop Authorize is missing too',
      ],
    ]);
  });

  test('a send to another kind of target, or a call to another host, does not count', () => {
    const spans = spansOf(complete).map((s) =>
      s.kind === 'producer'
        ? { ...s, attributes: { ...s.attributes, 'messaging.system': 'aws_sqs', 'rpc.service': 'SQS' } }
        : s.kind === 'client'
          ? { ...s, attributes: { ...s.attributes, 'server.address': 'api.other.example.com' } }
          : s,
    );
    const result = compareTrace(expected, spans, { traceId: TRACE_ID });
    expect(result.missing.map((h) => h.label)).toEqual(['Authorize → Payments', 'Authorize → fraud-api']);
  });

  test('a hop whose function has no service name in the map cannot be matched, and says so', () => {
    const noName: TraceMapDocument = {
      ...map,
      nodes: map.nodes.map((n) => (n.id === 'Prod/Payments/Audit' ? { ...n, serviceName: undefined } : n)),
    };
    const result = compareTrace(expectedHops(noName, ENTRY), spansOf(complete), { traceId: TRACE_ID });
    expect(result.missing).toEqual([
      expect.objectContaining({ id: 'Prod/Payments/Audit', why: expect.stringMatching(/no service name/) }),
    ]);
  });
});

describe('backend answers → spans', () => {
  const expected = expectedHops(map, ENTRY);
  const byId = (spans: readonly NormalisedSpan[]) => new Map(spans.map((s) => [s.spanId, s]));
  const recorded = byId(spansOf(complete).filter((s) => s.traceId === TRACE_ID));

  test('X-Ray BatchGetTraces: segments and subsegments read as spans', () => {
    const answer = fixture<{ Traces: { Segments: { Id: string; Document: string }[] }[] }>(
      'xray-batch-get-traces.json',
    );
    const spans = parseXraySegments(answer.Traces[0].Segments);
    // The inferred SNS segment is X-Ray's own: left out.
    expect(spans.map((s) => [s.name, s.serviceName, s.kind])).toEqual([
      ['payments-authorize', 'payments-authorize', 'server'],
      ['POST', 'payments-authorize', 'client'],
      ['SNS', 'payments-authorize', 'producer'],
      ['payments-reconcile', 'payments-reconcile', undefined],
      ['process Prod-Payments-AuditQueue4030B573-Vc8Mz1Lr6Ty3', 'payments-audit', undefined],
    ]);
    for (const s of spans) {
      expect(s.traceId).toBe(TRACE_ID);
      // Same ids and parents as the spans the functions exported.
      expect(s.parentSpanId).toBe(recorded.get(s.spanId)!.parentSpanId);
    }
    const [server, client, producer, reconcile] = spans;
    expect(server.parentSpanId).toBe(ROOT_SPAN_ID);
    expect(server.attributes).toMatchObject({
      'http.route': '/payments',
      'xray.origin': 'AWS::Lambda::Function',
    });
    expect(client.attributes).toMatchObject({
      'url.full': 'https://fraud.example.com/v1/score',
      'xray.namespace': 'remote',
    });
    expect(producer.attributes).toMatchObject({ 'aws.operation': 'Publish', 'rpc.service': 'SNS' });
    expect(reconcile.links).toEqual(recorded.get(reconcile.spanId)!.links);

    const result = compareTrace(expected, spans, { traceId: TRACE_ID, rootSpanId: ROOT_SPAN_ID });
    expect(result).toMatchObject({ ok: true, missing: [], extra: [] });
    // In the order of the hops: entry, publish, fraud call, audit, reconcile.
    expect(result.present.map((h) => h.spanIds[0])).toEqual(
      [server, producer, client, spans[4], reconcile].map((s) => s.spanId),
    );
  });

  test('X-Ray limit: a consumer span without resource attributes takes its parent service, so it reads as missing', () => {
    const answer = fixture<{ Traces: { Segments: { Id: string; Document: string }[] }[] }>(
      'xray-batch-get-traces.json',
    );
    const segments = answer.Traces[0].Segments.map((segment) => {
      const doc = JSON.parse(segment.Document) as { type?: string; metadata?: unknown };
      if (doc.type !== 'subsegment') return segment;
      return { ...segment, Document: JSON.stringify({ ...doc, metadata: undefined }) };
    });
    const spans = parseXraySegments(segments);
    expect(spans[4].serviceName).toBe('payments-authorize');
    const result = compareTrace(expected, spans, { traceId: TRACE_ID });
    expect(result.missing.map((h) => h.label)).toEqual(['Audit']);
  });

  test('X-Ray: documents that are not JSON are left out', () => {
    expect(parseXraySegments([{ Id: 'x', Document: 'not json' }, { Id: 'y' }])).toEqual([]);
  });

  test('Jaeger /api/traces/{id}: processes give the service, CHILD_OF the parent, span.kind the kind', () => {
    const spans = parseJaegerTrace(fixture('jaeger-trace.json'));
    expect(spans).toHaveLength(recorded.size);
    for (const s of spans) {
      const original = recorded.get(s.spanId)!;
      expect([s.traceId, s.parentSpanId, s.name, s.serviceName, s.kind]).toEqual([
        original.traceId,
        original.parentSpanId,
        original.name,
        original.serviceName,
        original.kind,
      ]);
      expect(s.links ?? []).toEqual(original.links ?? []);
    }
    expect(compareTrace(expected, spans, { traceId: TRACE_ID }).ok).toBe(true);
  });

  test('Jaeger ids without leading zeros are padded', () => {
    const [s] = parseJaegerTrace({
      data: [
        {
          spans: [
            {
              traceID: '6b015185523659ce',
              spanID: 'abc',
              operationName: 'x',
              references: [],
              tags: [{ key: 'span.kind', type: 'string', value: 'server' }],
              processID: 'p1',
            },
          ],
          processes: { p1: { serviceName: 'svc' } },
        },
      ],
    });
    expect(s).toMatchObject({
      traceId: '00000000000000006b015185523659ce',
      spanId: '0000000000000abc',
      serviceName: 'svc',
      kind: 'server',
    });
  });

  test('Tempo /api/traces/{id}: OTLP JSON with base64 ids and kind names', () => {
    const spans = parseOtlpTrace(fixture('tempo-trace.json'));
    expect(spans).toHaveLength(recorded.size);
    for (const s of spans) {
      const original = recorded.get(s.spanId)!;
      expect([s.traceId, s.parentSpanId, s.name, s.serviceName, s.kind, s.links]).toEqual([
        original.traceId,
        original.parentSpanId,
        original.name,
        original.serviceName,
        original.kind,
        original.links,
      ]);
    }
    expect(compareTrace(expected, spans, { traceId: TRACE_ID }).ok).toBe(true);
  });

  test("Tempo's v2 answer (trace.resourceSpans) with hex ids reads the same", () => {
    const v1 = parseOtlpTrace(fixture('tempo-trace.json'));
    const hexIds = complete.exports.flatMap(
      (request) => (request as { resourceSpans: unknown[] }).resourceSpans,
    );
    const v2 = parseOtlpTrace({ trace: { resourceSpans: hexIds } }).filter((s) => s.traceId === TRACE_ID);
    expect(v2.map((s) => s.spanId).sort()).toEqual(v1.map((s) => s.spanId).sort());
  });
});
