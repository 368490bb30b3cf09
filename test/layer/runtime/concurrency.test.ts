import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { EventBridgeEvent, SQSEvent } from 'aws-lambda';
import { processRecords, traced } from '../../../layer/runtime';
import { SPAN_KIND, STATUS } from '../../helpers/otlp-receiver';
import {
  httpApiEvent,
  lambdaContext,
  PARENT_SPAN_ID,
  randomTraceId,
  traceparent,
  TRACE_ID,
} from '../../helpers/events';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';
import { sqsEvent, sqsRecord } from '../../../bin/local/lambda-events';

// Overlapping invocations in one process (Lambda Managed Instances), response streaming, the
// export's hard deadline, and the edges of batches and events.

const receiver = useReceiver();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A server on 127.0.0.1 that answers each request after `delayMs`; under `/unread/` it sends the
 * headers and a first byte, and the rest of the body only 500 ms later.
 */
async function slowServer(delayMs: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) =>
    setTimeout(() => {
      if (!req.url?.startsWith('/unread/')) {
        res.end('ok');
        return;
      }
      res.writeHead(200).write('x');
      setTimeout(() => res.end('y'), 500);
    }, delayMs),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('overlapping invocations in one process', () => {
  test('64 at once: each keeps its own spans (keep errors) and ends only its own fetch spans', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0' }));
    const { server, url } = await slowServer(5);
    try {
      const handler = traced(async (event: { i: number }) => {
        await sleep((event.i * 7) % 23);
        // Two fetches; the second one's body is never read (its span ends with the invocation).
        await (await fetch(`${url}/read/${event.i}`)).text();
        await fetch(`${url}/unread/${event.i}`);
        await sleep((event.i * 11) % 17);
        if (event.i % 2 === 1) throw new Error(`failed ${event.i}`);
        return event.i;
      });
      const results = await Promise.allSettled(
        Array.from({ length: 64 }, (_, i) => handler({ i }, lambdaContext({ awsRequestId: `request-${i}` }))),
      );
      // The handler's results are unchanged.
      results.forEach((r, i) =>
        i % 2 === 1
          ? expect(r).toMatchObject({ status: 'rejected', reason: { message: `failed ${i}` } })
          : expect(r).toEqual({ status: 'fulfilled', value: i }),
      );
      // Ratio 0: exactly the 32 failed invocations are exported, each with its two fetch spans.
      const invocations = receiver.spans.filter((s) => s.kind === SPAN_KIND.SERVER);
      expect(invocations.map((s) => s.attributes['faas.invocation_id']).sort()).toEqual(
        Array.from({ length: 32 }, (_, k) => `request-${2 * k + 1}`).sort(),
      );
      for (const invocation of invocations) {
        const i = Number(String(invocation.attributes['faas.invocation_id']).split('-')[1]);
        const clients = receiver.trace(invocation.traceId).filter((s) => s.kind === SPAN_KIND.CLIENT);
        expect(clients.map((s) => s.attributes['url.full']).sort()).toEqual([
          `${url}/read/${i}`,
          `${url}/unread/${i}`,
        ]);
        for (const client of clients) expect(client.parentSpanId).toBe(invocation.spanId);
        // The unread one was ended by its own invocation, after the invocation's work.
        const unread = clients.find((s) => String(s.attributes['url.full']).includes('/unread/'))!;
        expect(unread.attributes['serverless_tracing.response_body_read']).toBe(false);
        expect(BigInt(unread.endTimeUnixNano)).toBeLessThanOrEqual(
          BigInt(invocation.endTimeUnixNano) + 5_000_000n,
        );
      }
      expect(receiver.spans).toHaveLength(32 * 3);
    } finally {
      server.close();
    }
  });

  test("without _X_AMZN_TRACE_ID, each invocation's parent comes from its own context.xRayTraceId", async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
    const handler = traced(async () => {
      await sleep(5);
      return 'ok';
    });
    const traces = Array.from({ length: 16 }, () => randomTraceId());
    const xray = (traceId: string) =>
      `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${PARENT_SPAN_ID};Sampled=1`;
    await Promise.all(
      traces.map((traceId, i) =>
        handler(
          { any: 'event' },
          lambdaContext({ awsRequestId: `r-${i}`, xRayTraceId: xray(traceId) } as never),
        ),
      ),
    );
    for (const [i, traceId] of traces.entries()) {
      const span = receiver.spans.find((s) => s.attributes['faas.invocation_id'] === `r-${i}`)!;
      expect(span).toMatchObject({ traceId, parentSpanId: PARENT_SPAN_ID });
    }
  });
});

describe('response streaming', () => {
  /** What `awslambda.streamifyResponse` does: it marks the handler. */
  const streamify = <T extends object>(handler: T): T =>
    Object.assign(handler, { [Symbol.for('aws.lambda.runtime.handler.streaming')]: 'response' });

  function collectingStream(): { stream: Writable; chunks: string[]; finishedAt: () => bigint | undefined } {
    const chunks: string[] = [];
    let finishedAt: bigint | undefined;
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        setTimeout(done, 5);
      },
    });
    stream.on('finish', () => (finishedAt = process.hrtime.bigint()));
    return { stream, chunks, finishedAt: () => finishedAt };
  }

  test('the marks are kept, the stream is written as the handler writes it, the span ends with the stream', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
    const highWaterMark = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
    const inner = streamify(async (_event: unknown, responseStream: Writable) => {
      responseStream.write('one ');
      await sleep(20);
      responseStream.write('two');
      responseStream.end();
    });
    Object.assign(inner, { [highWaterMark]: 1024 });
    const handler = traced(inner as never) as unknown as (
      e: unknown,
      s: Writable,
      c: unknown,
    ) => Promise<unknown>;
    expect(
      (handler as unknown as Record<symbol, unknown>)[Symbol.for('aws.lambda.runtime.handler.streaming')],
    ).toBe('response');
    expect((handler as unknown as Record<symbol, unknown>)[highWaterMark]).toBe(1024);
    const { stream, chunks } = collectingStream();
    await handler(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) } }),
      stream,
      lambdaContext(),
    );
    expect(chunks).toEqual(['one ', 'two']);
    const span = receiver.span('POST /payments');
    expect(span).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
    expect(
      Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6,
    ).toBeGreaterThanOrEqual(20);
  });

  test('a handler that throws: the error is recorded and rethrown unchanged', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
    const failure = new Error('stream broke');
    const handler = traced(
      streamify(async (_event: unknown, responseStream: Writable) => {
        responseStream.write('partial');
        throw failure;
      }) as never,
    ) as unknown as (e: unknown, s: Writable, c: unknown) => Promise<unknown>;
    const { stream } = collectingStream();
    await expect(handler(httpApiEvent(), stream, lambdaContext())).rejects.toBe(failure);
    expect(receiver.span('POST /payments').status.code).toBe(STATUS.ERROR);
  });
});

describe('the export has a hard deadline', () => {
  /** A receiver that answers with headers at once, then one body byte every 50 ms, forever. */
  async function drippingReceiver(): Promise<{
    server: Server;
    url: string;
    open: () => Promise<number>;
    stop: () => void;
  }> {
    // Its timers, stopped with it: a response queued behind a pipelined one that never finishes
    // is never given the socket, so it is never closed.
    const drips = new Set<NodeJS.Timeout>();
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 50);
      drips.add(drip);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const open = () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
    const stop = () => {
      for (const drip of drips) clearInterval(drip);
      server.closeAllConnections();
      server.close();
    };
    return { server, url, open, stop };
  }

  test.each(['acknowledged', 'sent'])(
    'a receiver that trickles its answer (completion %s): each request is aborted at the deadline, no socket is left',
    async (completion) => {
      const { url, open, stop } = await drippingReceiver();
      try {
        await freshRuntime(
          lambdaEnvironment(url, { TRACING_FLUSH_TIMEOUT_MS: '200', TRACING_EXPORT_COMPLETION: completion }),
        );
        const handler = traced(async () => 'result');
        const started = Date.now();
        for (let i = 0; i < 20; i++) expect(await handler(httpApiEvent(), lambdaContext())).toBe('result');
        // Acknowledged: each invocation waited at most its deadline; sent: it did not wait at all.
        expect(Date.now() - started).toBeLessThan(20 * (200 + 150));
        // Past the last deadline (polled, for a loaded machine): every socket was destroyed.
        const until = Date.now() + 3000;
        while ((await open()) > 0 && Date.now() < until) await sleep(50);
        expect(await open()).toBe(0);
      } finally {
        stop();
      }
    },
  );

  test('the deadline covers serialization: a batch of 2,000 record spans flushes within it', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_FLUSH_TIMEOUT_MS: '5000' }));
    const records = Array.from({ length: 2000 }, (_, i) =>
      sqsRecord({
        body: String(i),
        attributes: {
          traceparent: { DataType: 'String', StringValue: traceparent(randomTraceId(), PARENT_SPAN_ID) },
        },
      }),
    );
    let endedAt = 0;
    const remaining = 60; // the function has 60 ms left after the handler
    const handler = traced(async (event: SQSEvent) => {
      const response = await processRecords(event, () => undefined);
      endedAt = performance.now();
      return response;
    });
    await handler(
      sqsEvent(records),
      lambdaContext({ timeoutMs: 60_000, getRemainingTimeInMillis: () => remaining } as never),
    );
    const flushMs = performance.now() - endedAt;
    // The flush deadline is the remaining time minus 50 ms: 10 ms, less than serializing 2,000
    // spans takes. Serializing stops at the deadline (past it by one chunk of 256 spans at most):
    // what was serialized is sent, the rest dropped with a warning; the handler is not held up.
    expect(flushMs).toBeLessThan(10 + 300); // one chunk past the deadline at most, on a loaded machine
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('the deadline passed while serializing'));
    await receiver.idle(50, 1000);
    expect(receiver.spans.length).toBeLessThan(2001); // not every span: the deadline cut it short
    warn.mockRestore();
  });
});

describe('edges', () => {
  test('a batch of messages of one trace continues it; a batch that mixes traces is only linked', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
    const other = randomTraceId();
    const record = (traceId: string) =>
      sqsRecord({
        body: 'x',
        attributes: {
          traceparent: { DataType: 'String', StringValue: traceparent(traceId, PARENT_SPAN_ID) },
        },
      });
    const handler = traced(async () => ({ batchItemFailures: [] }));
    await handler(sqsEvent([record(TRACE_ID), record(TRACE_ID)]), lambdaContext({ awsRequestId: 'one' }));
    await handler(sqsEvent([record(TRACE_ID), record(other)]), lambdaContext({ awsRequestId: 'mixed' }));
    const one = receiver.spans.find((s) => s.attributes['faas.invocation_id'] === 'one')!;
    const mixed = receiver.spans.find((s) => s.attributes['faas.invocation_id'] === 'mixed')!;
    expect(one).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
    expect(one.links).toHaveLength(2);
    expect(mixed.parentSpanId).toBeUndefined();
    expect([TRACE_ID, other]).not.toContain(mixed.traceId);
    expect(mixed.links.map((l) => l.traceId)).toEqual([TRACE_ID, other]);
  });

  test('a null or non-object record is skipped alone; the others are processed and reported', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
    const good = sqsRecord({ body: 'good', attributes: {} });
    const bad = sqsRecord({ body: 'bad', attributes: {} });
    const seen: string[] = [];
    const handler = traced(async (event: SQSEvent) =>
      processRecords(event, (r) => {
        seen.push(r.body);
        if (r.body === 'bad') throw new Error('bad');
      }),
    );
    const event = { Records: [good, null, 'text', 42, bad] } as unknown as SQSEvent;
    expect(await handler(event, lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: bad.messageId }],
    });
    expect(seen).toEqual(['good', 'bad']);
  });

  test("EventBridge: only the library's own well-formed _tracecontext is read and removed", async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
    const details: unknown[] = [];
    const handler = traced(async (event: EventBridgeEvent<string, Record<string, unknown>>) => {
      details.push(structuredClone(event.detail));
    });
    const event = (field: unknown) => ({
      version: '0',
      id: 'e-1',
      'detail-type': 'PaymentAuthorized',
      source: 'payments',
      account: '123456789012',
      time: '2026-11-27T00:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: { paymentId: 'p-1', _tracecontext: field },
    });
    const ours = { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) };
    await handler(event(ours) as never, lambdaContext({ awsRequestId: 'ours' }));
    const users = [
      'a string of the user',
      { traceparent: 'not-a-traceparent' },
      { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID), owner: 'someone else' },
      null,
    ];
    for (const [i, field] of users.entries())
      await handler(event(field) as never, lambdaContext({ awsRequestId: `u${i}` }));
    expect(details[0]).toEqual({ paymentId: 'p-1' });
    expect(receiver.spans.find((s) => s.attributes['faas.invocation_id'] === 'ours')).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: PARENT_SPAN_ID,
    });
    users.forEach((field, i) => {
      expect(details[i + 1]).toEqual({ paymentId: 'p-1', _tracecontext: field });
      expect(
        receiver.spans.find((s) => s.attributes['faas.invocation_id'] === `u${i}`)!.parentSpanId,
      ).toBeUndefined();
    });
  });
});
