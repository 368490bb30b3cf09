import { traced } from '../../../layer/runtime';
import { otlpEndpointFromEnv } from '../../../layer/runtime/exporter';
import { httpApiEvent, lambdaContext } from '../../helpers/events';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

describe('the OTLP endpoint from the standard variables', () => {
  test('defaults to the collector extension on localhost, completion "sent"', () => {
    const endpoint = otlpEndpointFromEnv({});
    expect(endpoint.url.href).toBe('http://localhost:4318/v1/traces');
    expect(endpoint.completion).toBe('sent');
    expect(endpoint.headers).toEqual({});
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces; a traces endpoint is used as given', () => {
    expect(otlpEndpointFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/' }).url.href).toBe(
      'https://otlp.example.com/v1/traces',
    );
    expect(
      otlpEndpointFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom',
      }).url.href,
    ).toBe('https://traces.example.com/custom');
  });

  test('a remote endpoint waits for the answer; TRACING_EXPORT_COMPLETION overrides', () => {
    expect(otlpEndpointFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com' }).completion).toBe(
      'acknowledged',
    );
    expect(otlpEndpointFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).completion).toBe(
      'sent',
    );
    expect(
      otlpEndpointFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
        TRACING_EXPORT_COMPLETION: 'acknowledged',
      }).completion,
    ).toBe('acknowledged');
    expect(otlpEndpointFromEnv({ TRACING_EXPORT_COMPLETION: 'whenever' }).completion).toBe('sent');
  });

  test('headers from OTEL_EXPORTER_OTLP_HEADERS and the traces-specific variable (which wins)', () => {
    const endpoint = otlpEndpointFromEnv({
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D,x-team=payments',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces',
    });
    expect(endpoint.headers).toEqual({ 'x-api-key': 'abc=', 'x-team': 'traces' });
  });
});

describe('export on the wire', () => {
  const receiver = useReceiver();
  const result = { statusCode: 200, body: 'ok' };

  test('JSON OTLP to /v1/traces with the configured headers', async () => {
    await freshRuntime(
      lambdaEnvironment(receiver.endpoint, { OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret-for-test' }),
    );
    await traced(async () => result)(httpApiEvent(), lambdaContext());
    expect(receiver.requests).toEqual([
      expect.objectContaining({
        path: '/v1/traces',
        contentType: 'application/json',
        headers: expect.objectContaining({ 'x-api-key': 'secret-for-test' }),
      }),
    ]);
    expect(receiver.spans).toHaveLength(1);
  });

  test('completion "sent": the invocation does not wait for the answer, and the spans still arrive', async () => {
    receiver.mode = 'hang';
    await freshRuntime(
      lambdaEnvironment(receiver.endpoint, {
        TRACING_EXPORT_COMPLETION: 'sent',
        TRACING_FLUSH_TIMEOUT_MS: '2000',
      }),
    );
    const start = Date.now();
    expect(await traced(async () => result)(httpApiEvent(), lambdaContext())).toBe(result);
    // Well under the 2 s deadline a waiting export would have taken.
    expect(Date.now() - start).toBeLessThan(1000);
    await receiver.idle();
    expect(receiver.spans.map((s) => s.name)).toEqual(['POST /payments']);
  });
});
