/**
 * The types of the trace continuity check. This folder runs on a developer's machine (the
 * `trace-check` command) and inside Lambda (the canary): plain TypeScript and the AWS SDK, no CDK.
 */

// ---- The trace map, as `cdk.out/trace-map.json` holds it (version 1) -------------------------
// A structural copy of `TraceMap` from `lib/trace-map/trace-map.ts`, which imports the CDK; a test
// checks that the map the library writes is assignable to it.

/** The kind of a node of the trace map. */
export type TraceMapNodeType = 'function' | 'queue' | 'topic' | 'api' | 'event-bus' | 'external';

/** The stack of a node's resource. */
export interface TraceMapStackRef {
  readonly artifactId: string;
  readonly stackName?: string;
  readonly path: string;
  readonly templateFile?: string;
  readonly account?: string;
  readonly region?: string;
}

/** A node of the trace map. */
export interface TraceMapNodeRef {
  readonly id: string;
  readonly type: TraceMapNodeType;
  readonly label?: string;
  readonly stack?: TraceMapStackRef;
  readonly logicalId?: string;
  readonly resourceType?: string;
  readonly physicalName?: string;
  readonly serviceName?: string;
  readonly traced?: boolean;
  readonly entry?: boolean;
  readonly url?: string;
}

/** An edge of the trace map. */
export interface TraceMapEdgeRef {
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  readonly route?: string;
  readonly carriesContext: boolean;
  readonly via?: string;
  readonly reason?: string;
  /** The batch size of an SQS event source. */
  readonly batchSize?: number;
  /** What the runtime makes of a hop that carries the context only in part (batches that mix traces). */
  readonly note?: string;
}

/** The trace map (`trace-map.json`, version 1). */
export interface TraceMapDocument {
  readonly version: 1;
  readonly nodes: readonly TraceMapNodeRef[];
  readonly edges: readonly TraceMapEdgeRef[];
}

// ---- What the check expects ------------------------------------------------------------------

/**
 * What a hop expects to find in the trace:
 *
 * - `entry`: the entry function continued the trace it was sent: a span of its service (the
 *   invocation span, `POST /payments` behind an HTTP route, whose parent is the span id the check
 *   put into `traceparent`).
 * - `producer`: a function sent to a queue, topic or event bus on the way: a PRODUCER span of the
 *   sender's service (`publish <topic>`, `send <queue>`). Queues and topics record no span of
 *   their own; this is the evidence the message left with the context.
 * - `call`: a function called an outside service over HTTP: a CLIENT span of the caller's service
 *   (the outside service may not trace at all; the hop is the call leaving with `traceparent`).
 * - `consumer`: a function reached through queues and topics continued the trace: a span of its
 *   service in this trace (an SQS consumer's per-record span `process <queue>`, an SNS
 *   subscriber's invocation span). An SQS batch span is a trace of its own that links to the
 *   messages; the record span is the one in this trace.
 */
export type HopKind = 'entry' | 'producer' | 'call' | 'consumer';

/** The span kinds, as the check names them. */
export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** One hop of the path the map says the request takes. */
export interface ExpectedHop {
  /** `Prod/Payments/Audit` for a function, `<sender> -> <target>` for a producer or a call. */
  readonly id: string;
  /** Its place on the path, breadth first from the entry (0). */
  readonly index: number;
  readonly kind: HopKind;
  /** A short name for people: `Audit`, `Authorize → Payments`. */
  readonly label: string;
  /** The function whose spans are expected (the sender, for a producer or a call). */
  readonly node: string;
  /** The queue, topic, event bus or outside service a producer or a call goes to. */
  readonly target?: string;
  /** The target's type. */
  readonly targetType?: TraceMapNodeType;
  /** The target's physical name, when the map knows it (checked against the span's destination). */
  readonly targetName?: string;
  /** The outside service's URL (checked against the CLIENT span's host). */
  readonly targetUrl?: string;
  /** The `service.name` of the spans expected; absent when the map does not know it. */
  readonly serviceName?: string;
  /** The span kind expected (preferred when several spans match). */
  readonly spanKind?: SpanKindName;
  /** The name of the span expected, when the map determines it (`POST /payments`); preferred, not required. */
  readonly expectedSpanName?: string;
  /** The hop this one follows (absent for the entry). */
  readonly after?: string;
  /** How the context travels to this hop from the one before: `sns-publish`, `sns-to-sqs (sns-envelope)`, … */
  /** The trace map's note on the hop into this consumer (batches that mix traces are only linked). */
  readonly note?: string;
  readonly via: readonly string[];
}

/** An edge on the way that the map says does not carry the context: not expected, reported. */
export interface KnownBreak {
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  readonly label: string;
  readonly reason?: string;
}

/** The entry function of a check. */
export interface ExpectedEntry {
  /** The node id (construct path). */
  readonly node: string;
  readonly label: string;
  readonly serviceName?: string;
  readonly stack?: TraceMapStackRef;
  readonly logicalId?: string;
  readonly physicalName?: string;
  /** The API route in front of it (`POST /payments`), when there is one. */
  readonly route?: string;
  /** The kind of API in front of it: an HTTP API (payload 2.0) or a REST API (payload 1.0). */
  readonly api?: 'http-api' | 'rest-api';
}

/** What the trace started at the entry should reach, from the trace map. */
export interface ExpectedTrace {
  readonly entry: ExpectedEntry;
  /** In the order the request reaches them (breadth first from the entry). */
  readonly hops: readonly ExpectedHop[];
  readonly knownBreaks: readonly KnownBreak[];
  /** Every service name the map names (functions and outside services): others are `extra`. */
  readonly knownServices: readonly string[];
}

// ---- Spans, as every backend gives them -----------------------------------------------------

/** A span read back from a backend, in the one form the comparison reads. */
export interface NormalisedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** The resource's `service.name`; absent when the backend did not say. */
  readonly serviceName?: string;
  readonly kind?: SpanKindName;
  readonly links?: readonly { readonly traceId: string; readonly spanId: string }[];
  /** Span attributes the backend returned (flat, dotted keys); used to tell hops apart. */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
  /** `error` when the span's status is an error (X-Ray: a fault); absent when the backend did not say. */
  readonly status?: SpanStatusName;
}

/** A span's status, as the check names it. */
export type SpanStatusName = 'unset' | 'ok' | 'error';

/** Where traces are read back from. */
export interface TraceBackend {
  /** A short name for reports (`xray`, `jaeger http://…`). */
  readonly name?: string;
  /** The spans of a trace (W3C id, 32 hex), or undefined when the backend has none (yet). */
  getTrace(traceId: string): Promise<NormalisedSpan[] | undefined>;
}

// ---- Results --------------------------------------------------------------------------------

/** A hop found in the trace. */
export interface PresentHop extends ExpectedHop {
  /** The ids of the spans that match, the best first. */
  readonly spanIds: readonly string[];
  /** The name of the best matching span. */
  readonly spanName: string;
}

/** A hop not found in the trace, and why. */
export interface MissingHop extends ExpectedHop {
  readonly why: string;
}

/** A service in the trace that the map does not name. */
export interface ExtraService {
  readonly serviceName: string;
  readonly spanIds: readonly string[];
  readonly spanNames: readonly string[];
}

/** The comparison of a trace with what the map expects. */
export interface TraceComparison {
  /** Nothing missing (and the trace was found). Extra services do not fail a check. */
  readonly ok: boolean;
  readonly traceId: string;
  /** Whether the backend returned any span of the trace. */
  readonly found: boolean;
  readonly present: readonly PresentHop[];
  readonly missing: readonly MissingHop[];
  /**
   * Services that are in the trace but not in the map. Reported, not a failure: the question is
   * whether the trace reached every place the map says it goes; a service the map does not know
   * (an undeclared HTTP call, another app continuing the trace, segments AWS adds) means the map
   * is incomplete, not that the trace broke.
   */
  readonly extra: readonly ExtraService[];
  readonly knownBreaks: readonly KnownBreak[];
  /** Spans with no service name (not counted anywhere). */
  readonly unattributedSpans: number;
}
