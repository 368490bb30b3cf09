import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { readConfig, type RuntimeConfig } from './config';
import { warnOnce } from './diagnostics';
import { OtlpJsonExporter, otlpEndpointFromEnv } from './exporter';
import { FetchTracing } from './fetch';
import { PresettableIdGenerator } from './ids';
import type { InvocationState } from './invocation';
import { installLogCorrelation } from './logs';
import { InvocationSpanProcessor } from './processor';
import { w3cPropagator } from './propagation';
import {
  ATTR_CLOUD_PLATFORM,
  ATTR_CLOUD_PROVIDER,
  ATTR_CLOUD_REGION,
  ATTR_FAAS_INSTANCE,
  ATTR_FAAS_MAX_MEMORY,
  ATTR_FAAS_NAME,
  ATTR_FAAS_VERSION,
} from './semconv';

/** The tracing runtime of this process, set up once. */
export interface TracingRuntime {
  readonly config: RuntimeConfig;
  readonly tracer: Tracer;
  readonly processor: InvocationSpanProcessor;
  readonly provider: TracerProvider;
  readonly ids: PresettableIdGenerator;
}

/**
 * The state of the runtime, kept on `globalThis` under a registered symbol so that two copies of
 * this module in one process (a handler that bundles its own copy of the runtime, say) share one
 * tracer provider, one flush and one set of diagnostics-channel subscriptions.
 */
interface RuntimeState {
  runtime?: TracingRuntime;
  setupFailed: boolean;
  coldStart: boolean;
  fetchTracing?: FetchTracing;
}

const STATE_KEY = Symbol.for('cdk-serverless-tracing.runtime');
const state: RuntimeState = ((globalThis as Record<symbol, RuntimeState | undefined>)[STATE_KEY] ??= {
  setupFailed: false,
  coldStart: process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency',
});

/**
 * `faas.coldstart` of the invocation starting now: true for the first one of the process, unless
 * the sandbox was started ahead of time for provisioned concurrency.
 */
export function takeColdStart(): boolean {
  const value = state.coldStart;
  state.coldStart = false;
  return value;
}

/**
 * The runtime, set up on first use from the environment: a tracer provider with the configured
 * sampler, the invocation span processor and the OTLP/HTTP JSON exporter (standard
 * `OTEL_EXPORTER_OTLP_*` variables; default `http://localhost:4318`, the collector extension). No resource detector that does I/O, no instrumentation package. When setup fails,
 * returns undefined and handlers run untraced.
 */
export function tracingRuntime(): TracingRuntime | undefined {
  if (state.runtime || state.setupFailed) return state.runtime;
  try {
    state.runtime = setUp(readConfig(process.env));
  } catch (error) {
    state.setupFailed = true;
    warnOnce('setup', 'tracing could not be set up; the function runs untraced', error);
  }
  return state.runtime;
}

function setUp(config: RuntimeConfig): TracingRuntime {
  const env = process.env;
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const resource = defaultResource().merge(
    resourceFromAttributes(
      withoutUndefined({
        [ATTR_SERVICE_NAME]: config.serviceName,
        [ATTR_CLOUD_PROVIDER]: 'aws',
        [ATTR_CLOUD_PLATFORM]: 'aws_lambda',
        [ATTR_CLOUD_REGION]: env.AWS_REGION,
        [ATTR_FAAS_NAME]: env.AWS_LAMBDA_FUNCTION_NAME,
        [ATTR_FAAS_VERSION]: env.AWS_LAMBDA_FUNCTION_VERSION,
        [ATTR_FAAS_INSTANCE]: env.AWS_LAMBDA_LOG_STREAM_NAME,
        [ATTR_FAAS_MAX_MEMORY]:
          Number.isFinite(memoryMb) && memoryMb > 0 ? memoryMb * 1024 * 1024 : undefined,
      }),
    ),
  );
  const exporter = new OtlpJsonExporter(otlpEndpointFromEnv(env), config.flushTimeoutMs);
  const processor = new InvocationSpanProcessor(exporter, config.flushTimeoutMs);
  const ids = new PresettableIdGenerator(config.idFormat);
  const provider = new TracerProvider({
    resource,
    sampler: config.sampler,
    spanProcessors: [processor],
    idGenerator: ids,
  });

  // Register globally so spans the handler makes with @opentelemetry/api join the trace. If
  // another SDK registered first, the API keeps it and we still use our own objects below.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(w3cPropagator);

  const tracer = provider.getTracer('cdk-serverless-tracing');
  if (!state.fetchTracing) {
    // diagnostics_channel subscriptions live as long as the process: subscribe once.
    state.fetchTracing = new FetchTracing(tracer);
    state.fetchTracing.enable();
  } else {
    state.fetchTracing.useTracer(tracer);
  }
  installLogCorrelation(process.env);
  return { config, tracer, processor, provider, ids };
}

/** Ends the fetch spans an invocation started that are still open at its end. */
export function endOpenClientSpans(invocation: InvocationState): void {
  state.fetchTracing?.endOpenSpans(invocation);
}

/**
 * Shuts the runtime down and forgets it, so the next use sets it up again from the
 * environment (tests only).
 */
export async function resetTracingRuntime(): Promise<void> {
  const current = state.runtime;
  state.runtime = undefined;
  state.setupFailed = false;
  state.coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';
  trace.disable();
  context.disable();
  propagation.disable();
  if (current) await current.provider.shutdown();
}

function withoutUndefined(
  attributes: Record<string, string | number | undefined>,
): Record<string, string | number> {
  const result: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) result[key] = value;
  return result;
}
