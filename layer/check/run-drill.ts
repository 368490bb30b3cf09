import { compareTrace } from './compare';
import { TraceCheckUsageError } from './errors';
import { expectedFromMap, readUntil, startTrace, type CheckRun, type RunCheckOptions } from './run-check';
import type { ExpectedHop, ExpectedTrace, NormalisedSpan, TraceComparison } from './types';

/**
 * What a drill requires to be kept:
 *
 * - `failed-hop`: the spans of the failed invocation, with their error (what keep-errors keeps:
 *   the function that failed exports its own spans, whatever the head sampler decided);
 * - `whole-trace`: every hop of the trace as well (what tail sampling on a gateway keeps).
 */
export type DrillExpectation = 'failed-hop' | 'whole-trace';

/** Options of `runDrill`: those of `runCheck`, with the hop to fail at and the request that fails there. */
export interface RunDrillOptions extends RunCheckOptions {
  /** The hop the request is built to fail at: a function's node id, the end of it, or its label. */
  readonly hop: string;
  /** The request (an HTTP entry's JSON body, or the event) that fails at `hop`. */
  readonly body: unknown;
  /** What must be kept. @default 'failed-hop' */
  readonly expect?: DrillExpectation;
}

/** How a drill ended. */
export type DrillStatus =
  /** The failure is in the backend, as `expect` requires. */
  | 'kept'
  /** It is not (or only in part) within the timeout. */
  | 'not-kept'
  /** The entry failed although the drill fails further on: the request is not built for this hop. */
  | 'invoke-failed';

/** The result of a drill. */
export interface DrillResult extends CheckRun {
  readonly status: DrillStatus;
  /** The failure is kept as `expect` requires. */
  readonly kept: boolean;
  readonly expect: DrillExpectation;
  /** The hop the request was built to fail at. */
  readonly hop: ExpectedHop;
  /** The spans of that hop's service in the trace whose status is an error. */
  readonly failedSpans: readonly { readonly spanId: string; readonly name: string }[];
  /** The trace as kept, compared with the whole path (which hops were kept beside the failure). */
  readonly comparison: TraceComparison;
}

/**
 * A failure drill: checks that a request that fails at a chosen hop is kept as a trace under the
 * stage's sampling.
 *
 * 1. starts a trace with a known id, sent as a request the head sampler did not pick (the sampled
 *    flag off, no always-keep entry): whether its failure is kept is up to the stage's sampling;
 * 2. invokes the entry with `body`, a request built to fail at `hop` (the example's payment in
 *    the test currency `XTS`, which reconcile rejects);
 * 3. reads the trace until the failed hop's error spans are there (and, for `whole-trace`, every
 *    hop), or `timeoutMs` passed.
 *
 * An entry that fails when the drill is for a hop after it ends the drill (`invoke-failed`): the
 * request does not reach the hop it was built for.
 */
export async function runDrill(options: RunDrillOptions): Promise<DrillResult> {
  const expect = options.expect ?? 'failed-hop';
  const expected = options.expected ?? expectedFromMap(options);
  const hop = drilledHop(expected, options.hop);
  const { context, base: started, timing } = await startTrace({ ...options, expected }, 'drill');
  const base = { expect, hop, ...started };
  const { invocation } = started;
  const notes: string[] = [];
  const atEntry = hop.kind === 'entry';

  if (invocation.functionError && !atEntry) {
    const error = [invocation.errorType, invocation.errorMessage].filter(Boolean).join(': ');
    const comparison = compareTrace(expected, undefined, {
      traceId: context.traceId,
      notFoundWhy: `not read: the entry failed (${invocation.functionError}${error ? `, ${error}` : ''}) before the request reached ${hop.label}`,
    });
    return {
      ...base,
      status: 'invoke-failed',
      kept: false,
      failedSpans: [],
      comparison,
      polls: 0,
      waitedMs: 0,
      notes,
    };
  }
  if (!atEntry && invocation.responseStatus !== undefined && invocation.responseStatus >= 400) {
    notes.push(
      `the entry answered ${invocation.responseStatus}: the request may not reach ${hop.label} (give a body the entry accepts and ${hop.label} rejects)`,
    );
  }
  if (
    atEntry &&
    !invocation.functionError &&
    !(invocation.responseStatus !== undefined && invocation.responseStatus >= 500)
  ) {
    notes.push(
      `the entry did not fail (${invocation.responseStatus ?? 'no status'}): a drill at the entry needs a request it fails on (an error, or a 5xx answer)`,
    );
  }

  const read = await readUntil(options.backend, context, timing, (spans) => {
    const comparison = compareTrace(expected, spans, {
      traceId: context.traceId,
      rootSpanId: context.spanId,
    });
    const failedSpans = failuresOf(hop, comparison, spans ?? []);
    const kept = failedSpans.length > 0 && (expect === 'failed-hop' || comparison.ok);
    return { done: kept, value: { comparison, failedSpans, kept } };
  });
  const failedSpans = read.value?.failedSpans ?? [];
  const kept = read.value?.kept ?? false;
  let comparison = read.value?.comparison ?? compareTrace(expected, undefined, { traceId: context.traceId });
  if (!comparison.found) {
    comparison = compareTrace(expected, undefined, {
      traceId: context.traceId,
      notFoundWhy: `no span of the drill's trace in ${started.backend} within ${Math.round(timing.timeoutMs / 1000)} s (${read.polls} reads)`,
    });
  }
  if (!kept && comparison.found && failedSpans.length === 0) {
    notes.push(`the trace holds spans, but none of ${hop.label} with an error status`);
  }
  return {
    ...base,
    status: kept ? 'kept' : 'not-kept',
    kept,
    failedSpans,
    comparison,
    polls: read.polls,
    waitedMs: read.waitedMs,
    notes,
  };
}

/**
 * The hop a drill fails at: an entry or consumer hop (a function) named by its node id, the end
 * of it (`Reconcile`, `Payments/Reconcile`) or its label, case aside.
 *
 * @throws TraceCheckUsageError naming the functions that can be drilled when none or several match.
 */
export function drilledHop(expected: ExpectedTrace, name: string): ExpectedHop {
  const candidates = expected.hops.filter((h) => h.kind === 'entry' || h.kind === 'consumer');
  const wanted = name.trim().toLowerCase();
  const matches = candidates.filter((h) => {
    const id = h.id.toLowerCase();
    return id === wanted || id.endsWith(`/${wanted}`) || h.label.toLowerCase() === wanted;
  });
  const exact = matches.filter((h) => h.id.toLowerCase() === wanted);
  if (exact.length === 1) return exact[0];
  if (matches.length === 1) return matches[0];
  const list = candidates.map((h) => `${h.id} (${h.label})`).join(', ');
  throw new TraceCheckUsageError(
    matches.length === 0
      ? `--drill ${name}: no function on the path from ${expected.entry.node} has that name; drill one of: ${list}`
      : `--drill ${name}: several functions match (${matches.map((h) => h.id).join(', ')}); give the node id`,
  );
}

/** The spans of the hop's service (or matched to the hop) whose status is an error. */
function failuresOf(
  hop: ExpectedHop,
  comparison: TraceComparison,
  spans: readonly NormalisedSpan[],
): { spanId: string; name: string }[] {
  const matched = new Set(comparison.present.find((p) => p.id === hop.id)?.spanIds ?? []);
  return spans
    .filter(
      (s) =>
        s.status === 'error' &&
        (matched.has(s.spanId) || (hop.serviceName !== undefined && s.serviceName === hop.serviceName)),
    )
    .map((s) => ({ spanId: s.spanId, name: s.name }));
}
