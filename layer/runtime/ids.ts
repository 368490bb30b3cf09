import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace';

/**
 * Random trace and span ids, as the SDK makes them, with one addition: the id of the next span
 * can be chosen. `processRecords` uses it to record the span of an unsampled record only when
 * the record fails, with the id its children and its downstream messages already carry (see
 * `records.ts`). The SDK asks for exactly one span id per `startSpan`, synchronously, so a
 * preset id goes to the span started right after it is set.
 */
export class PresettableIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private next: string | undefined;

  generateTraceId(): string {
    return this.random.generateTraceId();
  }

  generateSpanId(): string {
    const preset = this.next;
    if (preset === undefined) return this.random.generateSpanId();
    this.next = undefined;
    return preset;
  }

  /** A new random span id, not used by any span yet. */
  newSpanId(): string {
    return this.random.generateSpanId();
  }

  /** Makes `spanId` the id of the next span started. */
  presetNextSpanId(spanId: string): void {
    this.next = spanId;
  }
}
