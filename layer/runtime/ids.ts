import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace';

/**
 * How new trace ids are made (`TRACING_ID_FORMAT`): `random` (128 random bits), or `xray`: the
 * first 8 hex digits are the current Unix time in seconds, the rest random, as X-Ray requires (it
 * rejects a trace id whose time is more than 30 days old). Both are valid W3C trace ids, and a
 * trace that arrives with a parent keeps its id whatever the format.
 */
export type IdFormat = 'random' | 'xray';

/**
 * Trace and span ids in the configured format, with one addition: the ids of the next span can be
 * chosen. `processRecords` and the invocation use it to record the span of an unsampled record or
 * invocation only when it fails, with the ids its children and its downstream messages already
 * carry (see `records.ts`, `deferred-span.ts`). The SDK asks for exactly one span id per `startSpan`, synchronously, so a preset
 * id goes to the span started right after it is set.
 *
 * The X-Ray format comes from `@opentelemetry/id-generator-aws-xray`: its build imports nothing
 * from `@opentelemetry/sdk-trace-base` but a type, so no second SDK is bundled.
 */
export class PresettableIdGenerator implements IdGenerator {
  private readonly ids: IdGenerator;
  private next: string | undefined;
  private nextTrace: string | undefined;

  constructor(format: IdFormat = 'random') {
    this.ids = format === 'xray' ? new AWSXRayIdGenerator() : new RandomIdGenerator();
  }

  generateTraceId(): string {
    const preset = this.nextTrace;
    if (preset === undefined) return this.ids.generateTraceId();
    this.nextTrace = undefined;
    return preset;
  }

  /** A new trace id, not used by any span yet. */
  newTraceId(): string {
    return this.ids.generateTraceId();
  }

  /**
   * Makes `traceId` the trace id of the next root span started (the SDK asks for a trace id only
   * for a span without a valid parent, right before its span id).
   */
  presetNextTraceId(traceId: string): void {
    this.nextTrace = traceId;
  }

  /** Forgets the presets (after a span that should have taken them failed to start). */
  clearPresets(): void {
    this.next = undefined;
    this.nextTrace = undefined;
  }

  generateSpanId(): string {
    const preset = this.next;
    if (preset === undefined) return this.ids.generateSpanId();
    this.next = undefined;
    return preset;
  }

  /** A new span id, not used by any span yet. */
  newSpanId(): string {
    return this.ids.generateSpanId();
  }

  /** Makes `spanId` the id of the next span started. */
  presetNextSpanId(spanId: string): void {
    this.next = spanId;
  }
}
