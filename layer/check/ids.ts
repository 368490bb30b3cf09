import { randomBytes } from 'node:crypto';

/**
 * The `tracestate` entry the runtime honours as an always-keep rule (the runtime's
 * `KEEP_TRACESTATE`, which this folder cannot import; a test checks they are the same).
 */
export const KEEP_TRACESTATE_ENTRY = 'cdk-serverless-tracing=keep';

/** The trace context the check starts a trace with. */
export interface CheckTraceContext {
  /** W3C trace id, 32 hex digits; the first 8 are the Unix time in seconds (valid for X-Ray too). */
  readonly traceId: string;
  /** The span id sent as the parent (no span of that id is recorded: the check is not traced). */
  readonly spanId: string;
  /** `00-<trace id>-<span id>-01`, or `-00` for a drill (a request the head sampler did not pick). */
  readonly traceparent: string;
  /** `cdk-serverless-tracing=keep` for a kept trace; absent for a drill. */
  readonly tracestate?: string;
}

/**
 * A new trace context: a trace id whose first 8 hex digits are `nowMs` in Unix seconds (X-Ray
 * rejects ids whose time is more than 30 days off, and reads this time as the trace's start), the
 * rest random; a random span id.
 *
 * - `kept` (the default): the sampled flag and the always-keep `tracestate` entry are set: a head
 *   sampler follows its parent, and every hop of the library keeps a trace with the entry, so the
 *   check's trace is kept at any sampling ratio, at every hop.
 * - `drill`: neither is set. The request is one the head sampler did not pick, the worst case for
 *   a failure: whether it is kept is up to the stage's sampling (keep-errors, tail sampling).
 */
export function newTraceContext(
  nowMs: number,
  random: (size: number) => Uint8Array = randomBytes,
  mode: 'kept' | 'drill' = 'kept',
): CheckTraceContext {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  const traceId = `${seconds}${hex(random(12))}`;
  let spanId = hex(random(8));
  if (/^0+$/.test(spanId)) spanId = '0000000000000001';
  return mode === 'drill'
    ? { traceId, spanId, traceparent: `00-${traceId}-${spanId}-00` }
    : { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01`, tracestate: KEEP_TRACESTATE_ENTRY };
}

/** `1-<8 hex>-<24 hex>`: the X-Ray form of a W3C trace id. */
export function toXrayTraceId(traceId: string): string {
  if (!/^[0-9a-f]{32}$/i.test(traceId)) {
    throw new Error(`not a W3C trace id (32 hex digits): ${traceId}`);
  }
  const id = traceId.toLowerCase();
  return `1-${id.slice(0, 8)}-${id.slice(8)}`;
}

/** The W3C form (32 hex) of an X-Ray trace id (`1-5f84c7a1-…`); a W3C id is returned as it is. */
export function fromXrayTraceId(id: string): string {
  const match = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/i.exec(id);
  return match ? `${match[1]}${match[2]}`.toLowerCase() : id.toLowerCase();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
