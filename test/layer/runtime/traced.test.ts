import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { traced } from '../../../layer/runtime';
import { DeferredSpan } from '../../../layer/runtime/deferred-span';
import {
  ACCOUNT,
  FUNCTION_ARN,
  FUNCTION_NAME,
  PARENT_SPAN_ID,
  REGION,
  TRACE_ID,
  albEvent,
  functionUrlEvent,
  httpApiEvent,
  lambdaContext,
  restApiEvent,
  scheduledEvent,
  traceparent,
} from '../../helpers/events';
import { SPAN_KIND, STATUS } from '../../helpers/otlp-receiver';
import { closedPort, freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

const receiver = useReceiver();

beforeEach(async () => {
  await freshRuntime(lambdaEnvironment(receiver.endpoint));
});

const ok = async () => ({ statusCode: 201, body: '{"status":"authorized"}' });

describe('the invocation span', () => {
  test('an HTTP API request: FaaS, cloud and HTTP attributes, SERVER kind, route as name', async () => {
    const handler = traced(ok);
    await handler(httpApiEvent(), lambdaContext());

    const span = receiver.span('POST /payments');
    expect(span.kind).toBe(SPAN_KIND.SERVER);
    expect(span.parentSpanId).toBeUndefined();
    expect(span.attributes).toMatchObject({
      'faas.trigger': 'http',
      'faas.name': FUNCTION_NAME,
      'faas.coldstart': true,
      'cloud.provider': 'aws',
      'cloud.region': REGION,
      'cloud.account.id': ACCOUNT,
      'cloud.resource_id': FUNCTION_ARN,
      'http.request.method': 'POST',
      'http.route': '/payments',
      'url.path': '/payments',
      'url.scheme': 'https',
      'server.address': 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user_agent.original': 'curl/8.5.0',
      'client.address': '203.0.113.7',
      'http.response.status_code': 201,
    });
    expect(span.attributes['faas.invocation_id']).toMatch(/^c6af9ac6-/);
    expect(span.status.code).toBe(STATUS.UNSET);
    expect(span.resource).toMatchObject({
      'service.name': 'authorize',
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_lambda',
      'cloud.region': REGION,
      'faas.name': FUNCTION_NAME,
      'faas.max_memory': 256 * 1024 * 1024,
      'telemetry.sdk.language': 'nodejs',
    });
  });

  test('a REST API request: resource as route, multi-value headers read', async () => {
    const handler = traced(async () => ({ statusCode: 200, body: '' }));
    await handler(
      restApiEvent({ multiValueHeaders: { TraceParent: [traceparent(TRACE_ID, PARENT_SPAN_ID)] } }),
      lambdaContext(),
    );
    const span = receiver.span('GET /payments/{id}');
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_SPAN_ID);
    expect(span.attributes).toMatchObject({
      'http.route': '/payments/{id}',
      'url.path': '/payments/p-42',
      'client.address': '198.51.100.4',
      'server.address': 'api.example.com',
      'http.response.status_code': 200,
    });
  });

  test('an ALB request and a function URL request are HTTP triggers', async () => {
    const handler = traced(async () => ({ statusCode: 204 }));
    await handler(albEvent(), lambdaContext());
    await handler(functionUrlEvent(), lambdaContext());
    expect(receiver.span('PUT').attributes).toMatchObject({
      'faas.trigger': 'http',
      'url.scheme': 'https',
      'client.address': '192.0.2.10',
      'server.address': 'payments.internal',
      'http.response.status_code': 204,
    });
    const url = receiver.span('GET');
    expect(url.attributes).toMatchObject({
      'faas.trigger': 'http',
      'server.address': 'x7y8z9.lambda-url.eu-west-1.on.aws',
      'url.path': '/status',
    });
    expect(url.attributes['http.route']).toBeUndefined();
  });

  test('a scheduled event is a timer trigger named after the function', async () => {
    await traced(async () => 'done')(scheduledEvent(), lambdaContext());
    expect(receiver.span(FUNCTION_NAME).attributes['faas.trigger']).toBe('timer');
  });

  test('faas.coldstart is true on the first invocation only', async () => {
    const handler = traced(ok);
    await handler(httpApiEvent(), lambdaContext());
    await handler(httpApiEvent(), lambdaContext());
    await handler(httpApiEvent(), lambdaContext());
    expect(receiver.spans.map((s) => s.attributes['faas.coldstart'])).toEqual([true, false, false]);
  });
});

describe('the parent', () => {
  test('comes from traceparent and tracestate in any header case', async () => {
    const handler = traced(ok);
    await handler(
      httpApiEvent({
        headers: { TraceParent: traceparent(TRACE_ID, PARENT_SPAN_ID), TraceState: 'vendor=abc' },
      }),
      lambdaContext(),
    );
    const span = receiver.span('POST /payments');
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_SPAN_ID);
    expect(span.traceState).toBe('vendor=abc');
  });

  test('an unsampled W3C parent is followed: nothing is exported for a successful invocation', async () => {
    await traced(ok)(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) } }),
      lambdaContext(),
    );
    expect(receiver.spans).toHaveLength(0);
  });

  test('X-Ray Sampled=0 neither silences nor overrides a W3C parent', async () => {
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0';
    await traced(ok)(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) } }),
      lambdaContext(),
    );
    const span = receiver.span('POST /payments');
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_SPAN_ID);
  });

  test('X-Ray Sampled=0 without a W3C parent does not silence the trace', async () => {
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0';
    await traced(ok)(httpApiEvent(), lambdaContext());
    const span = receiver.span('POST /payments');
    expect(span.traceId).not.toBe('5759e988bd862e3fe1be46a994272793');
    expect(span.parentSpanId).toBeUndefined();
  });

  test('X-Ray Sampled=1 is the parent when there is no W3C parent', async () => {
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await traced(ok)(httpApiEvent(), lambdaContext());
    const span = receiver.span('POST /payments');
    expect(span.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    expect(span.parentSpanId).toBe('53995c3f42cd8ad8');
  });

  test('X-Ray Sampled=1 does not override a W3C parent', async () => {
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await traced(ok)(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) } }),
      lambdaContext(),
    );
    expect(receiver.span('POST /payments').traceId).toBe(TRACE_ID);
  });

  test.each([
    ['wrong length', `00-${TRACE_ID}abcd-${PARENT_SPAN_ID}-01`],
    ['bad hex', `00-${TRACE_ID.replace('4bf9', 'zzzz')}-${PARENT_SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${PARENT_SPAN_ID}-01`],
    ['version 00 with trailing data', `00-${TRACE_ID}-${PARENT_SPAN_ID}-01-extra`],
    ['empty', ''],
    ['garbage', 'not a traceparent at all'],
  ])('a malformed traceparent (%s) starts a new trace; the result is unchanged', async (_case, header) => {
    const result = { statusCode: 201, body: 'kept' };
    const returned = await traced(async () => result)(
      httpApiEvent({ headers: { traceparent: header } }),
      lambdaContext(),
    );
    expect(returned).toBe(result);
    const span = receiver.span('POST /payments');
    expect(span.traceId).not.toBe(TRACE_ID);
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.parentSpanId).toBeUndefined();
  });

  test('a future traceparent version is parsed by its first four fields (W3C forward compatibility)', async () => {
    await traced(ok)(
      httpApiEvent({ headers: { traceparent: `cc-${TRACE_ID}-${PARENT_SPAN_ID}-01-what-comes-next` } }),
      lambdaContext(),
    );
    const span = receiver.span('POST /payments');
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_SPAN_ID);
  });
});

describe('errors and results', () => {
  test('a thrown error is recorded and the very same error is rethrown', async () => {
    class DeclinedError extends Error {}
    const thrown = new DeclinedError('card declined');
    const handler = traced(async () => {
      throw thrown;
    });
    const caught = await handler(httpApiEvent(), lambdaContext()).catch((error: unknown) => error);
    expect(caught).toBe(thrown);

    const span = receiver.span('POST /payments');
    expect(span.status).toEqual({ code: STATUS.ERROR, message: 'card declined' });
    expect(span.attributes['error.type']).toBe('DeclinedError');
    expect(span.events).toEqual([
      expect.objectContaining({
        name: 'exception',
        attributes: expect.objectContaining({
          'exception.type': 'DeclinedError',
          'exception.message': 'card declined',
        }),
      }),
    ]);
  });

  test('a thrown non-Error value is rethrown as it was', async () => {
    const handler = traced(async () => {
      throw 'plain string';
    });
    await expect(handler(httpApiEvent(), lambdaContext())).rejects.toBe('plain string');
    expect(receiver.span('POST /payments').status.code).toBe(STATUS.ERROR);
  });

  test('a 5xx response is an error; the very same result object is returned', async () => {
    const result = { statusCode: 503, body: 'fraud API down' };
    const returned = await traced(async () => result)(httpApiEvent(), lambdaContext());
    expect(returned).toBe(result);
    expect(returned).toEqual({ statusCode: 503, body: 'fraud API down' });
    const span = receiver.span('POST /payments');
    expect(span.status.code).toBe(STATUS.ERROR);
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
  });

  test('a 4xx response is not an error of the function', async () => {
    await traced(async () => ({ statusCode: 402 }))(httpApiEvent(), lambdaContext());
    expect(receiver.span('POST /payments').status.code).toBe(STATUS.UNSET);
  });

  test('a callback-style handler works, result and error', async () => {
    const good = traced((_event: unknown, _context, callback) =>
      callback(null, { statusCode: 200, body: 'cb' }),
    );
    await expect(good(httpApiEvent(), lambdaContext())).resolves.toEqual({ statusCode: 200, body: 'cb' });
    const failure = new Error('callback failure');
    const bad = traced((_event: unknown, _context, callback) => callback(failure));
    await expect(bad(httpApiEvent(), lambdaContext())).rejects.toBe(failure);
    expect(receiver.spans.map((s) => s.status.code)).toEqual([STATUS.UNSET, STATUS.ERROR]);
  });

  test('a synchronous handler works and its throw is rethrown', async () => {
    expect(await traced(() => 42)({}, lambdaContext())).toBe(42);
    const failure = new Error('sync');
    await expect(
      traced(() => {
        throw failure;
      })({}, lambdaContext()),
    ).rejects.toBe(failure);
  });

  test('traced() refuses what is not a function', () => {
    expect(() => traced(undefined as never)).toThrow(/handler must be a function/);
  });
});

describe('keep errors', () => {
  const unsampled = () => ({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) } });

  test('spans of a failed invocation are exported even when the trace was not sampled', async () => {
    const handler = traced(async () => {
      throw new Error('boom');
    });
    await expect(handler(httpApiEvent(unsampled()), lambdaContext())).rejects.toThrow('boom');
    const span = receiver.span('POST /payments');
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.status.code).toBe(STATUS.ERROR);
  });

  test('a 5xx of an unsampled trace is kept; a success of the same trace is not', async () => {
    let status = 200;
    const handler = traced(async () => ({ statusCode: status }));
    await handler(httpApiEvent(unsampled()), lambdaContext());
    status = 500;
    await handler(httpApiEvent(unsampled()), lambdaContext());
    expect(receiver.spans).toHaveLength(1);
    expect(receiver.spans[0].attributes['http.response.status_code']).toBe(500);
  });

  test('the ratio sampler drops successes and keeps failures', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0' }));
    const handler = traced(async (event: { fail?: boolean }) => {
      if (event.fail) throw new Error('declined');
      return 'ok';
    });
    for (let i = 0; i < 5; i++) await handler({}, lambdaContext());
    await expect(handler({ fail: true }, lambdaContext())).rejects.toThrow('declined');
    expect(receiver.spans).toHaveLength(1);
    expect(receiver.spans[0].status.code).toBe(STATUS.ERROR);
  });

  // An unsampled invocation's span is held back (no SDK span) and made only if its trace fails:
  // it must then be the span its children and downstream calls already named as their parent,
  // with everything done to it while it ran.
  test('a failed unsampled invocation: its span made after the fact is the parent its children named, whole', async () => {
    const seen: { traceparent?: string } = {};
    const handler = traced(async () => {
      const active = trace.getActiveSpan()!;
      active.setAttribute('payment.id', 'p-1');
      active.addEvent('fraud check started', { 'fraud.score': 12 });
      seen.traceparent = `00-${active.spanContext().traceId}-${active.spanContext().spanId}-0${active.spanContext().traceFlags}`;
      await trace.getTracer('user').startActiveSpan('charge card', async (child) => {
        await new Promise((r) => setTimeout(r, 5));
        child.end();
      });
      throw new TypeError('declined');
    });
    await expect(handler(httpApiEvent(unsampled()), lambdaContext())).rejects.toThrow('declined');
    const span = receiver.span('POST /payments');
    const child = receiver.span('charge card');
    expect(seen.traceparent).toBe(`00-${TRACE_ID}-${span.spanId}-00`);
    expect(child.parentSpanId).toBe(span.spanId);
    expect(span.parentSpanId).toBe(PARENT_SPAN_ID);
    expect(span.flags! & 1).toBe(0);
    expect(span.attributes).toMatchObject({
      'faas.trigger': 'http',
      'faas.coldstart': true,
      'cloud.resource_id': FUNCTION_ARN,
      'http.route': '/payments',
      'payment.id': 'p-1',
      'error.type': 'TypeError',
    });
    expect(span.events.map((e) => e.name)).toEqual(['fraud check started', 'exception']);
    expect(span.events[0].attributes).toEqual({ 'fraud.score': 12 });
    expect(span.status).toMatchObject({ code: STATUS.ERROR, message: 'declined' });
    // Started before its child, ended after it: the times of when it ran, not of when it was made.
    // Both are stamped as the SDK stamps a span (a start from Date.now(), whole milliseconds, and
    // the performance clock's elapsed time after it), so an end may read up to 1 ms early.
    expect(BigInt(span.startTimeUnixNano)).toBeLessThanOrEqual(BigInt(child.startTimeUnixNano));
    expect(BigInt(span.endTimeUnixNano) + 1_000_000n).toBeGreaterThanOrEqual(BigInt(child.endTimeUnixNano));
    expect(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)).toBeGreaterThanOrEqual(4_000_000n); // the child waited 5 ms (a timer may fire a little early)
    expect(receiver.spans).toHaveLength(2);
  });

  test('a failed unsampled new trace keeps the trace id its children carry; a success exports nothing', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0' }));
    const ids: string[] = [];
    const handler = traced(async (event: { fail?: boolean }) => {
      ids.push(trace.getActiveSpan()!.spanContext().traceId);
      trace.getTracer('user').startSpan('step').end();
      if (event.fail) throw new Error('declined');
      return 'ok';
    });
    await handler({}, lambdaContext());
    expect(receiver.spans).toHaveLength(0);
    await expect(handler({ fail: true }, lambdaContext())).rejects.toThrow('declined');
    expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set([ids[1]]));
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(
      ['bench', 'step'].map((n) => (n === 'bench' ? FUNCTION_NAME : n)).sort(),
    );
    expect(receiver.spans.find((s) => s.name === FUNCTION_NAME)!.parentSpanId).toBeUndefined();
  });

  test('if making the held-back span fails, the handler fails as it did and the spans under it still go out', async () => {
    const broken = jest.spyOn(DeferredSpan.prototype, 'replayOnto').mockImplementation(() => {
      throw new Error('replay broke');
    });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const handler = traced(async () => {
        trace.getTracer('user').startSpan('charge card').end();
        throw new TypeError('declined');
      });
      await expect(handler(httpApiEvent(unsampled()), lambdaContext())).rejects.toThrow(
        new TypeError('declined'),
      );
      expect(receiver.spans.map((s) => s.name)).toEqual(['charge card']);
      expect(receiver.span('charge card').traceId).toBe(TRACE_ID);
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringContaining(
          "making a failed invocation's span failed; the spans under it are still exported",
        ),
      ]);
    } finally {
      broken.mockRestore();
      warn.mockRestore();
    }
  });

  test('with keep errors off, an unsampled failure is not exported', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_KEEP_ERRORS: 'false' }));
    const handler = traced(async () => {
      throw new Error('boom');
    });
    await expect(handler(httpApiEvent(unsampled()), lambdaContext())).rejects.toThrow('boom');
    expect(receiver.spans).toHaveLength(0);
  });
});

describe('sampling', () => {
  test('parent-based: a sampled parent is followed even when the ratio is 0', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0' }));
    await traced(ok)(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, true) } }),
      lambdaContext(),
    );
    expect(receiver.span('POST /payments').traceId).toBe(TRACE_ID);
  });

  test('the trace-id ratio keeps about that fraction of new traces', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0.25' }));
    const handler = traced(async () => 'ok');
    const invocations = 2000;
    for (let i = 0; i < invocations; i++) await handler({}, lambdaContext());
    // Binomial(2000, 0.25): standard deviation ~19; 5 sigma either way.
    expect(receiver.spans.length).toBeGreaterThan(500 - 100);
    expect(receiver.spans.length).toBeLessThan(500 + 100);
  });
});

describe('fetch', () => {
  let server: Server;
  let seen: IncomingHttpHeaders[];
  let base: string;

  beforeAll(async () => {
    seen = [];
    server = createServer((req, res) => {
      seen.push(req.headers);
      const status = req.url === '/down' ? 503 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"score":12}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  test('an outgoing fetch is a CLIENT span, child of the invocation, and carries traceparent', async () => {
    const handler = traced(async () => {
      const response = await fetch(`${base}/v1/score?card=4111`, { method: 'POST', body: '{}' });
      return { statusCode: 200, body: await response.text() };
    });
    const result = await handler(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) } }),
      lambdaContext(),
    );
    expect(result).toEqual({ statusCode: 200, body: '{"score":12}' });

    const server = receiver.span('POST /payments');
    const client = receiver.span('POST');
    expect(client.kind).toBe(SPAN_KIND.CLIENT);
    expect(client.traceId).toBe(TRACE_ID);
    expect(client.parentSpanId).toBe(server.spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.full': `${base}/v1/score`,
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    expect(seen[0].traceparent).toBe(`00-${TRACE_ID}-${client.spanId}-01`);
  });

  test('a fetch answered 5xx is an error span; a body never read still ends the span', async () => {
    const handler = traced(async () => {
      const response = await fetch(`${base}/down`);
      return { statusCode: response.status === 503 ? 502 : 200 };
    });
    await handler(httpApiEvent(), lambdaContext());
    const client = receiver.span('GET');
    expect(client.status.code).toBe(STATUS.ERROR);
    expect(client.attributes['http.response.status_code']).toBe(503);
  });

  test('a fetch that cannot connect is recorded and the handler sees the same error', async () => {
    const closed = await closedPort();
    const handler = traced(async () => {
      try {
        await fetch(`http://127.0.0.1:${closed}/refused`);
        return 'reached';
      } catch (error) {
        return (error as Error).name;
      }
    });
    expect(await handler({}, lambdaContext())).toBe('TypeError');
    const client = receiver.span('GET');
    expect(client.status.code).toBe(STATUS.ERROR);
    expect(client.events[0]?.name).toBe('exception');
  });

  test('a fetch outside an invocation is not traced and gets no traceparent', async () => {
    await fetch(`${base}/outside`).then((r) => r.text());
    expect(seen[0].traceparent).toBeUndefined();
  });

  test('a traceparent the handler set itself is kept', async () => {
    const own = traceparent('11111111111111111111111111111111', '2222222222222222');
    await traced(async () => (await fetch(`${base}/own`, { headers: { traceparent: own } })).text())(
      {},
      lambdaContext(),
    );
    expect(seen[0].traceparent).toBe(own);
  });
});
