// The shapes of the trace map's edges: what the registry records and the map writes.

/**
 * How a hop of a trace travels:
 *
 * - `api-to-lambda`: an API Gateway route (HTTP API or REST API) invokes a function.
 * - `http`: a function calls a service over HTTP (`fetch`), declared with `declareHttpCall`.
 * - `sqs-send`, `sns-publish`, `eventbridge-put`: a function sends to a queue, publishes to a
 *   topic, puts events on an event bus.
 * - `sns-to-sqs`, `sns-to-lambda`, `sqs-to-lambda`: a subscription or an event source delivers.
 */
export type TraceEdgeKind =
  | 'api-to-lambda'
  | 'http'
  | 'sqs-send'
  | 'sns-publish'
  | 'eventbridge-put'
  | 'sns-to-sqs'
  | 'sns-to-lambda'
  | 'sqs-to-lambda';

/**
 * Where the trace context travels on a hop: `http-headers` (the `traceparent` request header),
 * `message-attributes` (the `traceparent` message attribute), `raw-delivery` (SNS→SQS with raw
 * delivery: the SNS attributes become SQS attributes), `sns-envelope` (SNS→SQS without raw
 * delivery: the attributes are inside the SNS JSON envelope in the message body),
 * `event-detail` (EventBridge: the reserved `detail._tracecontext`).
 */
export type TraceEdgeVia =
  'message-attributes' | 'raw-delivery' | 'sns-envelope' | 'http-headers' | 'event-detail';

/** One hop of the trace map: a call or a message from one construct to another. */
export interface TraceEdge {
  /**
   * The construct path of the sender (a function, a topic, a queue, an API).
   */
  readonly from: string;

  /** The construct path of the receiver (`external:<name>` for a declared outside service). */
  readonly to: string;

  /** How the hop travels. */
  readonly kind: TraceEdgeKind;

  /** Whether the trace context reaches the receiver, so its spans continue the trace. */
  readonly carriesContext: boolean;

  /**
   * Where the trace context travels.
   *
   * @default - not recorded (the edge does not carry the context)
   */
  readonly via?: TraceEdgeVia;

  /**
   * Why the edge does not carry the context (an untraced end, or the reason given with `untraced`).
   *
   * @default - no reason (the edge carries the context)
   */
  readonly reason?: string;

  /**
   * The route of an `api-to-lambda` edge, as API Gateway names it (`POST /payments`, `$default`).
   *
   * @default - no route (not an API edge)
   */
  readonly route?: string;

  /**
   * The batch size of an `sqs-to-lambda` edge's event source mapping: how many messages one
   * invocation can get.
   *
   * @default - not an SQS event source, or its mapping is not in the app
   */
  readonly batchSize?: number;

  /**
   * What the runtime makes of a hop that carries the context only in part: for an SQS event
   * source with batches of more than one message, an invocation continues the trace when its
   * batch's messages belong to one trace, and is only linked to them when a batch mixes traces
   * (`processRecords` continues each message's own trace either way).
   *
   * @default - no note (the hop continues the trace)
   */
  readonly note?: string;
}

/** A service outside the app that a function calls over HTTP. */
export interface ExternalService {
  /** A short, stable name of the service (`fraud-api`): the node of the map is `external:<name>`. */
  readonly name: string;

  /**
   * The URL the function calls (the query string and fragment are left out of the map).
   *
   * @default - no URL in the map
   */
  readonly url?: string;
}
