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
 * Trace and span ids in the configured format, with one addition: the id of the next span can be
 * chosen. `processRecords` uses it to record the span of an unsampled record only when the
 * record fails, with the id its children and its downstream messages already carry (see
 * `records.ts`). The SDK asks for exactly one span id per `startSpan`, synchronously, so a preset
 * id goes to the span started right after it is set.
 *
 * The X-Ray format comes from `@opentelemetry/id-generator-aws-xray`: its build imports nothing
 * from `@opentelemetry/sdk-trace-base` but a type, so no second SDK is bundled.
 */
export class PresettableIdGenerator implements IdGenerator {
  private readonly ids: IdGenerator;
  private next: string | undefined;

  constructor(format: IdFormat = 'random') {
    this.ids = format === 'xray' ? new AWSXRayIdGenerator() : new RandomIdGenerator();
  }

  generateTraceId(): string {
    return this.ids.generateTraceId();
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
