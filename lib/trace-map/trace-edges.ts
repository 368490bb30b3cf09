import * as fs from 'fs';
import * as path from 'path';
import { attachCustomSynthesis, Token } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { EDGES_ID } from '../core/constants';
import { coveredByPolicy, isTracedConstruct } from '../core/markers';
import type { ExternalService, TraceEdge } from './trace-edge';
import { buildTraceMap, renderMermaid, TRACE_MAP_FILE, TRACE_MAP_MERMAID_FILE } from './trace-map';

/** The prefix of the node id of a declared outside service. */
const EXTERNAL_PREFIX = 'external:';

/**
 * The edges of the trace map of an app: every hop that the constructs of this library wired,
 * recorded at synth, and the outside HTTP calls declared with `declareHttpCall` (one registry
 * per app, a child of the root with a fixed id).
 *
 * At synth it writes the trace map of the whole app into the cloud assembly directory (the
 * root's, so it covers the stacks of every stage): `trace-map.json` (see `TraceMap`) and
 * `trace-map.mmd` (a Mermaid flowchart). The map holds these edges and the ones found in the
 * construct tree: API routes to functions, event source mappings, and what the functions' IAM
 * policies let them send to queues, topics and event buses.
 *
 * @example
 * TraceEdges.of(stack).declareHttpCall(authorize, { name: 'fraud-api', url: 'https://fraud.example.com/v1/score' });
 * const broken = TraceEdges.of(stack).edges.filter((e) => !e.carriesContext);
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

  /**
   * The edges in the order they were added; a function stands for an edge whose traced state is
   * known only at synth (a producer a `TracingPolicy` added later will trace), read when asked.
   */
  private readonly recorded: (TraceEdge | (() => TraceEdge))[] = [];
  private readonly services = new Map<string, ExternalService>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    // At synth, after the aspects of every stage ran, the map of the whole app goes into the
    // root's assembly directory (this construct is a child of the root, which is synthesized
    // after its nested stages).
    attachCustomSynthesis(this, {
      onSynthesize: (session) => writeTraceMap(this.node.root, session.outdir),
    });
  }

  /** The recorded edges, in the order they were added (an edge equal to an earlier one once). */
  public get edges(): readonly TraceEdge[] {
    const edges: TraceEdge[] = [];
    for (const entry of this.recorded) {
      const edge = typeof entry === 'function' ? entry() : entry;
      if (!edges.some((e) => sameEdge(e, edge))) edges.push({ ...edge });
    }
    return edges;
  }

  /** The outside services declared with `declareHttpCall`, in the order they were declared. */
  public get externalServices(): readonly ExternalService[] {
    return [...this.services.values()];
  }

  /** Record an edge. An edge equal to a recorded one is not added twice. */
  public add(edge: TraceEdge): void {
    this.recorded.push({ ...edge });
  }

  /**
   * Record an edge whose traced state is read at synth, when every `TracingPolicy` has run:
   * `edge` is called each time the edges are read (so a policy added after the wiring counts).
   *
   * @internal
   */
  public _addDeferred(edge: () => TraceEdge): void {
    this.recorded.push(edge);
  }

  /**
   * Declare that a function calls a service outside the app over HTTP (`fetch`): the map gets
   * the node `external:<name>` and the edge `http` from the function to it, which carries the
   * context when the function is traced (its fetch spans send `traceparent`). The same service
   * may be called by several functions; its URL must then be the same.
   *
   * @example
   * TraceEdges.of(this).declareHttpCall(authorize, { name: 'fraud-api', url: fraudApiUrl });
   */
  public declareHttpCall(caller: lambda.IFunction, service: ExternalService): TraceEdge {
    const errors: string[] = [];
    const name = typeof service.name === 'string' ? service.name.trim() : '';
    if (name === '' || Token.isUnresolved(name)) {
      errors.push('name must be a non-empty string known at synth (like fraud-api)');
    }
    const url =
      service.url === undefined || Token.isUnresolved(service.url) ? undefined : mapUrl(service.url);
    const known = this.services.get(name);
    if (known && url !== undefined && known.url !== undefined && known.url !== url) {
      errors.push(
        `service '${name}' was declared with the URL ${known.url}, not ${url}: give it another name`,
      );
    }
    if (errors.length > 0) {
      throw new Error(`TraceEdges.declareHttpCall from ${caller.node.path}: ${errors.join('; ')}`);
    }
    this.services.set(name, { name, url: url ?? known?.url });
    // Traced now, or by a TracingPolicy that runs at synth (added before or after this call).
    const edge = (): TraceEdge => ({
      from: caller.node.path,
      to: `${EXTERNAL_PREFIX}${name}`,
      kind: 'http',
      ...(isTracedConstruct(caller) || coveredByPolicy(caller)
        ? { carriesContext: true, via: 'http-headers' as const }
        : {
            carriesContext: false,
            reason: `${caller.node.path} is not traced, so its calls carry no traceparent`,
          }),
    });
    this._addDeferred(edge);
    return edge();
  }

  /** The edges that start at the construct with this path. */
  public from(path: string): TraceEdge[] {
    return this.edges.filter((e) => e.from === path);
  }

  /** The edges that end at the construct with this path. */
  public to(path: string): TraceEdge[] {
    return this.edges.filter((e) => e.to === path);
  }
}

function sameEdge(a: TraceEdge, b: TraceEdge): boolean {
  return (
    a.from === b.from &&
    a.to === b.to &&
    a.kind === b.kind &&
    a.carriesContext === b.carriesContext &&
    a.via === b.via &&
    a.reason === b.reason &&
    a.route === b.route
  );
}

/** A URL without its query string and fragment (they often carry secrets). */
function mapUrl(url: string): string {
  return url.replace(/[?#].*$/, '');
}

/** Writes `trace-map.json` and `trace-map.mmd` of the app into `outdir`. */
function writeTraceMap(root: IConstruct, outdir: string): void {
  const map = buildTraceMap(root);
  fs.mkdirSync(outdir, { recursive: true });
  fs.writeFileSync(path.join(outdir, TRACE_MAP_FILE), `${JSON.stringify(map, undefined, 2)}\n`);
  fs.writeFileSync(path.join(outdir, TRACE_MAP_MERMAID_FILE), renderMermaid(map));
}
