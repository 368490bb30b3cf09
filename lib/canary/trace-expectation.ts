import * as fs from 'fs';
import * as path from 'path';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { buildTraceMap, type TraceMap } from '../trace-map/trace-map';
import { mapSlice, type MapSlice } from './private/map-slice';

/** Options of `TraceExpectation.fromApp`. */
export interface AppTraceExpectationOptions {
  /**
   * The entry's node id in the app's trace map (a construct path).
   *
   * @default - the construct path of the canary's `entry` function
   */
  readonly entryNodeId?: string;
}

/** Options of `TraceExpectation.fromTraceMapFile`. */
export interface TraceMapFileExpectationOptions {
  /**
   * The stack whose one entry function is checked: its construct path (`Prod/Payments`), stack
   * name or artifact id.
   *
   * @default - the stack is not used to find the entry (`entryNodeId` names it)
   */
  readonly stack?: string;

  /**
   * The entry's node id in the map.
   *
   * @default - the one entry function of `stack`; without `stack`, the construct path of the
   * canary's `entry` function
   */
  readonly entryNodeId?: string;
}

/** What the canary reads at synth, once bound to it. @internal */
export interface BoundTraceExpectation {
  /** Problems found at once (a map file that cannot be read). */
  readonly errors: readonly string[];
  /** The part of the map the check reads, or what is wrong (called at synth, once the app is complete). */
  resolve(): { readonly entryNodeId?: string; readonly slice?: MapSlice; readonly errors: readonly string[] };
}

/**
 * What a `TraceContinuityCanary` expects the trace to reach: the hops of the trace map from the
 * entry (the canary computes them from the part of the map reachable from the entry, with the
 * same code as the `trace-check` command).
 */
export abstract class TraceExpectation {
  /**
   * The trace map of this app, built at synth once every aspect ran: the same map as
   * `cdk.out/trace-map.json`, always current (no file from an earlier synth is read).
   */
  public static fromApp(options: AppTraceExpectationOptions = {}): TraceExpectation {
    return new AppExpectation(options);
  }

  /**
   * A `trace-map.json` read at synth: for a canary in another app than the flow it checks
   * (give `stack` or `entryNodeId`).
   */
  public static fromTraceMapFile(
    file: string,
    options: TraceMapFileExpectationOptions = {},
  ): TraceExpectation {
    return new FileExpectation(file, options);
  }

  /** Binds the expectation to a canary. @internal */
  public abstract _bind(scope: IConstruct, entry: lambda.IFunction, prop: string): BoundTraceExpectation;
}

class AppExpectation extends TraceExpectation {
  constructor(private readonly options: AppTraceExpectationOptions) {
    super();
  }

  public _bind(scope: IConstruct, entry: lambda.IFunction, prop: string): BoundTraceExpectation {
    const entryNodeId = this.options.entryNodeId ?? entry.node.path;
    return {
      errors: [],
      resolve: () => sliceOf(buildTraceMap(scope), entryNodeId, `${prop} (the app's trace map)`),
    };
  }
}

class FileExpectation extends TraceExpectation {
  constructor(
    private readonly file: string,
    private readonly options: TraceMapFileExpectationOptions,
  ) {
    super();
  }

  public _bind(_scope: IConstruct, entry: lambda.IFunction, prop: string): BoundTraceExpectation {
    const file = path.resolve(this.file);
    const where = `${prop} (${file})`;
    let map: TraceMap;
    try {
      map = JSON.parse(fs.readFileSync(file, 'utf8')) as TraceMap;
    } catch (error) {
      return failed(`${where}: cannot read the trace map: ${(error as Error).message}`);
    }
    if (!map || map.version !== 1 || !Array.isArray(map.nodes) || !Array.isArray(map.edges)) {
      return failed(`${where}: not a trace map of version 1`);
    }
    let entryNodeId = this.options.entryNodeId;
    if (entryNodeId === undefined && this.options.stack !== undefined) {
      const stackRef = this.options.stack;
      const stack = map.nodes
        .map((n) => n.stack)
        .find((s) => s && (s.path === stackRef || s.stackName === stackRef || s.artifactId === stackRef));
      if (!stack) return failed(`${where}: no stack '${stackRef}' in the trace map`);
      const entries = map.nodes.filter(
        (n) => n.type === 'function' && n.entry === true && n.stack?.path === stack.path,
      );
      if (entries.length !== 1) {
        return failed(
          `${where}: stack ${stack.path} has ${entries.length} entry functions (${entries
            .map((n) => n.id)
            .join(', ')}); give entryNodeId`,
        );
      }
      entryNodeId = entries[0].id;
    }
    const id = entryNodeId ?? entry.node.path;
    const result = sliceOf(map, id, where);
    return { errors: result.errors, resolve: () => result };
  }
}

function failed(message: string): BoundTraceExpectation {
  return { errors: [message], resolve: () => ({ errors: [message] }) };
}

/** The slice for the entry, or why there is none. */
function sliceOf(
  map: TraceMap,
  entryNodeId: string,
  where: string,
): { entryNodeId?: string; slice?: MapSlice; errors: string[] } {
  const node = map.nodes.find((n) => n.id === entryNodeId);
  if (!node || node.type !== 'function') {
    const entries = map.nodes.filter((n) => n.type === 'function' && n.entry).map((n) => n.id);
    return {
      errors: [
        `${where}: the entry ${entryNodeId} is not a function of the trace map (its entry functions: ${
          entries.join(', ') || 'none'
        }); give entryNodeId`,
      ],
    };
  }
  if (node.traced === false) {
    return {
      errors: [
        `${where}: the entry ${entryNodeId} is not traced, so no span of it can be in the trace; make it a TracedFunction or put it under a TracingPolicy`,
      ],
    };
  }
  return { entryNodeId, slice: mapSlice(map, entryNodeId), errors: [] };
}
