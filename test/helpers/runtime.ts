import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resetWarnings } from '../../layer/runtime/diagnostics';
import { resetTracingRuntime } from '../../layer/runtime/tracing';
import { ACCOUNT, FUNCTION_NAME, REGION } from './events';
import { OtlpReceiver } from './otlp-receiver';

/** The environment Lambda gives a function, plus what TracedFunction sets. */
export function lambdaEnvironment(
  endpoint: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AWS_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/21/[$LATEST]2e3b1c2a3e1d4f0c9e8d7c6b5a493827',
    AWS_ACCOUNT_ID: ACCOUNT,
    OTEL_SERVICE_NAME: 'authorize',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    TRACING_KEEP_ERRORS: 'true',
    TRACING_FLUSH_TIMEOUT_MS: '1000',
    // Wait for the receiver's answer, so the spans are there when the invocation returns; the
    // default for a localhost endpoint ('sent') has its own tests.
    TRACING_EXPORT_COMPLETION: 'acknowledged',
    ...extra,
  };
}

const KEYS = new Set<string>();

/**
 * Sets the environment (removing what an earlier call set) and forgets the tracing runtime so
 * the next `traced()` sets it up again from this environment, as a new Lambda sandbox would.
 */
export async function freshRuntime(env: Record<string, string>): Promise<void> {
  await resetTracingRuntime();
  resetWarnings();
  for (const key of KEYS) delete process.env[key];
  KEYS.clear();
  delete process.env._X_AMZN_TRACE_ID;
  for (const [key, value] of Object.entries(env)) {
    process.env[key] = value;
    KEYS.add(key);
  }
}

/** A port of 127.0.0.1 that nothing listens on (and that fetch does not block as a bad port). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * An OTLP receiver for a runtime test file: started before the file's tests, emptied and set to
 * accept before each test, stopped (with the runtime shut down) after the file.
 */
export function useReceiver(): OtlpReceiver {
  const receiver = new OtlpReceiver();
  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => {
    await freshRuntime({});
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.mode = 'accept';
    receiver.clear();
  });
  return receiver;
}
