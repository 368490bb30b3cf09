import { Construct, IConstruct } from 'constructs';
import { EDGES_ID } from '../private/constants';

/** How a hop of a trace travels. */
export type TraceEdgeKind =
  'http' | 'sqs-send' | 'sns-publish' | 'sns-to-sqs' | 'sns-to-lambda' | 'sqs-to-lambda';

/**
 * Where the trace context travels on a hop: `message-attributes` (the `traceparent` message
 * attribute), `raw-delivery` (SNS→SQS with raw delivery: the SNS attributes become SQS
 * attributes), `sns-envelope` (SNS→SQS without raw delivery: the attributes are inside the SNS
 * JSON envelope in the message body).
 */
export type TraceEdgeVia = 'message-attributes' | 'raw-delivery' | 'sns-envelope' | 'http-headers';

/** One hop of the trace map: a call or a message from one construct to another. */
export interface TraceEdge {
  /** The construct path of the sender (a function, a topic, a queue, an API). */
  readonly from: string;

  /** The construct path of the receiver. */
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
}

/**
 * The edges of the trace map of an app: every hop that the constructs of this library wired,
 * recorded at synth (one registry per app, a child of the root with a fixed id).
 *
 * @example
 * const edges = TraceEdges.of(stack).edges;
 * const broken = edges.filter((e) => !e.carriesContext);
 */
export class TraceEdges extends Construct {
  /** The registry of the app that `scope` belongs to (created on first use). */
  public static of(scope: IConstruct): TraceEdges {
    const root = scope.node.root;
    const existing = root.node.tryFindChild(EDGES_ID);
    if (existing instanceof TraceEdges) {
      return existing;
    }
    if (existing) {
      throw new Error(
        `cdk-serverless-tracing: the id '${EDGES_ID}' on the app root is taken by another construct`,
      );
    }
    return new TraceEdges(root as Construct, EDGES_ID);
  }

  private readonly recorded: TraceEdge[] = [];

  private constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /** The recorded edges, in the order they were added. */
  public get edges(): readonly TraceEdge[] {
    return [...this.recorded];
  }

  /** Record an edge. An edge equal to a recorded one is not added twice. */
  public add(edge: TraceEdge): void {
    const same = (e: TraceEdge) =>
      e.from === edge.from &&
      e.to === edge.to &&
      e.kind === edge.kind &&
      e.carriesContext === edge.carriesContext &&
      e.via === edge.via &&
      e.reason === edge.reason;
    if (!this.recorded.some(same)) {
      this.recorded.push({ ...edge });
    }
  }

  /** The edges that start at the construct with this path. */
  public from(path: string): TraceEdge[] {
    return this.recorded.filter((e) => e.from === path);
  }

  /** The edges that end at the construct with this path. */
  public to(path: string): TraceEdge[] {
    return this.recorded.filter((e) => e.to === path);
  }
}
