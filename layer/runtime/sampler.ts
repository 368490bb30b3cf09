import { createContextKey, isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import {
  SamplingDecision,
  TraceIdRatioBasedSampler,
  createAlwaysRecordSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';
import type { AdaptiveBoost } from './adaptive';
import { warnOnce } from './diagnostics';
import type { EventShape } from './event';
import { ATTR_SAMPLING_BOOST } from './semconv';

/**
 * An always-keep rule: one of `TRACING_ALWAYS_KEEP` — `route:[<METHOD> ]<path>` (no method, or
 * `ANY`, is any method) or `queue:<queue ARN>` — or the `tracestate` entry of the trace check
 * (`KEEP_TRACESTATE`). `text` is the rule as written, for `serverless_tracing.sampling.rule`.
 */
export type AlwaysKeepRule =
  | { readonly kind: 'route'; readonly text: string; readonly method?: string; readonly path: string }
  | { readonly kind: 'queue'; readonly text: string; readonly arn: string }
  | { readonly kind: 'tracestate'; readonly text: string };

/**
 * The `tracestate` entry that keeps a trace whatever the sampling: `trace-check` and the canary
 * start their traces with it, so a check at a 1% sampling ratio still finds every hop. It travels
 * with the trace context (HTTP headers, message attributes) to every hop, and each hop honours it.
 * A caller that can send it can also send `traceparent` with the sampled flag, which the default
 * parent-based sampler follows: it opens nothing a `traceparent` does not.
 */
export const KEEP_TRACESTATE = { key: 'cdk-serverless-tracing', value: 'keep' } as const;

const TRACESTATE_RULE: AlwaysKeepRule = {
  kind: 'tracestate',
  text: `tracestate:${KEEP_TRACESTATE.key}=${KEEP_TRACESTATE.value}`,
};

/** The rule of a trace context whose `tracestate` has the check's entry (`KEEP_TRACESTATE`). */
export function tracestateRule(parent: Context): AlwaysKeepRule | undefined {
  const state = trace.getSpanContext(parent)?.traceState;
  return state?.get(KEEP_TRACESTATE.key) === KEEP_TRACESTATE.value ? TRACESTATE_RULE : undefined;
}

/**
 * Parses `TRACING_ALWAYS_KEEP`: rules separated by `;`, each `<kind>:<value>` split at its first
 * colon (a queue ARN has colons of its own). A rule that cannot be used (no colon, an unknown
 * kind, an empty value, a path that does not start with `/`, a queue that is not an SQS ARN) is
 * reported once and ignored.
 */
export function parseAlwaysKeep(raw: string | undefined): AlwaysKeepRule[] {
  const rules: AlwaysKeepRule[] = [];
  for (const part of (raw ?? '').split(';')) {
    const text = part.trim();
    if (text === '') continue;
    const rule = parseRule(text);
    if (rule) rules.push(rule);
    else {
      warnOnce(
        `always-keep:${text}`,
        `TRACING_ALWAYS_KEEP rule "${text}" is neither route:[METHOD ]/path nor queue:<SQS queue ARN>; it is ignored`,
      );
    }
  }
  return rules;
}

function parseRule(text: string): AlwaysKeepRule | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const kind = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (kind === 'queue') return /^arn:[^:]+:sqs:/.test(value) ? { kind, text, arn: value } : undefined;
  if (kind !== 'route') return undefined;
  const space = value.search(/\s/);
  const method = space < 0 ? undefined : value.slice(0, space).toUpperCase();
  const path = space < 0 ? value : value.slice(space).trim();
  if (!path.startsWith('/') && path !== '$default') return undefined;
  return { kind, text, method: method === 'ANY' ? undefined : method, path };
}

/**
 * The first rule the event matches, checked when the invocation starts: a route rule against the
 * request's method (any case) and its paths (an HTTP API's route key, `$default` included, a REST
 * API's resource, the path as requested), exactly; a queue rule against the queue of any record
 * of an SQS batch.
 */
export function matchAlwaysKeep(
  rules: readonly AlwaysKeepRule[],
  shape: EventShape,
): AlwaysKeepRule | undefined {
  if (rules.length === 0) return undefined;
  const { route, queueArns } = shape;
  const method = route?.method?.toUpperCase();
  return rules.find((rule) =>
    rule.kind === 'route'
      ? route !== undefined &&
        (rule.method === undefined || rule.method === method) &&
        route.paths.includes(rule.path)
      : rule.kind === 'queue' && queueArns !== undefined && queueArns().includes(rule.arn),
  );
}

const ALWAYS_KEEP = createContextKey('cdk-serverless-tracing always keep');

/**
 * Marks a context as always kept by `rule`: every span started under it is sampled. The mark is
 * put on the parent context of the invocation span and on the context the handler runs in, so the
 * spans started inside the invocation (records, fetch, AWS clients, the handler's own) carry it.
 */
export function markAlwaysKeep(context: Context, rule: AlwaysKeepRule | undefined): Context {
  return rule ? context.setValue(ALWAYS_KEEP, rule) : context;
}

/** The always-keep rule a context is marked with, if any. */
export function alwaysKeepRuleOf(context: Context): AlwaysKeepRule | undefined {
  return context.getValue(ALWAYS_KEEP) as AlwaysKeepRule | undefined;
}

const SAMPLED: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };

/** Samples every span whose parent context is marked always kept; asks `delegate` otherwise. */
class AlwaysKeepSampler implements Sampler {
  constructor(private readonly delegate: Sampler) {}

  shouldSample(...args: Parameters<Sampler['shouldSample']>): SamplingResult {
    return alwaysKeepRuleOf(args[0]) ? SAMPLED : this.delegate.shouldSample(...args);
  }

  toString(): string {
    return `AlwaysKeep{${this.delegate.toString()}}`;
  }
}

/**
 * Adaptive sampling: while a boost is in force, a new trace (a span with no valid parent) is
 * sampled when a trace-id ratio sampler at the boost ratio samples it, and otherwise as the head
 * sampler decides. Trace-id ratio decisions are nested (a trace kept at ratio r is kept at every
 * ratio above r), so the effective ratio is max(head ratio, boost), and every hop that hashes the
 * same trace id agrees. A span with a parent follows the head sampler (the parent's decision):
 * the boost applies where traces start, and the flag carries it downstream.
 */
class AdaptiveSampler implements Sampler {
  private ratioSampler: { ratio: number; sampler: Sampler } | undefined;

  constructor(
    private readonly delegate: Sampler,
    private readonly boost: AdaptiveBoost,
  ) {}

  shouldSample(...args: Parameters<Sampler['shouldSample']>): SamplingResult {
    const parent = trace.getSpanContext(args[0]);
    if (parent && isSpanContextValid(parent)) return this.delegate.shouldSample(...args);
    const ratio = this.boost.ratio();
    if (ratio === undefined) return this.delegate.shouldSample(...args);
    if (this.ratioSampler?.ratio !== ratio) {
      this.ratioSampler = { ratio, sampler: new TraceIdRatioBasedSampler(ratio) };
    }
    const boosted = this.ratioSampler.sampler.shouldSample(...args);
    return boosted.decision === SamplingDecision.RECORD_AND_SAMPLED
      ? { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { [ATTR_SAMPLING_BOOST]: ratio } }
      : this.delegate.shouldSample(...args);
  }

  toString(): string {
    return `Adaptive{${this.delegate.toString()}}`;
  }
}

const RECORD_ONLY = createContextKey('cdk-serverless-tracing record only');

/**
 * Marks a context whose span is made after the fact for a trace already decided as not sampled
 * (a deferred span, a failed unsampled record): the span is recorded, not sampled, whatever the
 * sampler would say now (an adaptive boost may have started since).
 */
export function markRecordOnly(context: Context): Context {
  return context.setValue(RECORD_ONLY, true);
}

const RECORDED: SamplingResult = { decision: SamplingDecision.RECORD };

/** Records, unsampled, a span started under `markRecordOnly`; asks `delegate` otherwise. */
class RecordOnlySampler implements Sampler {
  constructor(private readonly delegate: Sampler) {}

  shouldSample(...args: Parameters<Sampler['shouldSample']>): SamplingResult {
    return args[0].getValue(RECORD_ONLY) === true ? RECORDED : this.delegate.shouldSample(...args);
  }

  toString(): string {
    return this.delegate.toString();
  }
}

/**
 * The sampler of the tracer provider: the head sampler (`OTEL_TRACES_SAMPLER`), raised for new
 * traces while an adaptive boost is in force (`boost`, when `TRACING_ADAPTIVE_CONFIG` is set),
 * overruled by the always-keep mark (a rule, or the check's `tracestate` entry), and, with
 * keep-errors on, wrapped so that what it does not sample is still recorded (unsampled), to be
 * exported if the invocation fails.
 */
export function runtimeSampler(
  head: Sampler,
  options: { keepErrors: boolean; boost?: AdaptiveBoost },
): Sampler {
  const decision = decisionSampler(head, options);
  return new RecordOnlySampler(options.keepErrors ? createAlwaysRecordSampler(decision) : decision);
}

/**
 * The decision of `runtimeSampler` before keep-errors records what it does not sample: whether a
 * span is sampled. The invocation asks it first, to hold back the span of an unsampled trace.
 */
export function decisionSampler(head: Sampler, options: { boost?: AdaptiveBoost }): Sampler {
  const adaptive = options.boost ? new AdaptiveSampler(head, options.boost) : head;
  return new AlwaysKeepSampler(adaptive);
}
