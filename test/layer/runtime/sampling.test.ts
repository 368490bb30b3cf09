import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { trace } from '@opentelemetry/api';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { processRecords, traceAwsClient, traced } from '../../../layer/runtime';
import {
  PARENT_SPAN_ID,
  TRACE_ID,
  albEvent,
  functionUrlEvent,
  httpApiEvent,
  lambdaContext,
  randomTraceId,
  restApiEvent,
  scheduledEvent,
  traceparent,
} from '../../helpers/events';
import {
  ACCOUNT,
  LocalAws,
  QUEUE_ARN,
  REGION,
  TOPIC_ARN,
  sqsEvent,
  sqsRecord,
} from '../../helpers/local-aws';
import { isSampled, type ReceivedSpan } from '../../helpers/otlp-receiver';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// Sampling as it is seen from outside: what arrives at the OTLP receiver, with which flag, and the
// flag that goes downstream in traceparent (fetch, SQS, SNS), for the head ratio, parent-based
// decisions, keep-errors, always-keep rules and sampling priority.

const receiver = useReceiver();
const PAYMENTS_QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:payments`;
const RULE = 'serverless_tracing.sampling.rule';
const PRIORITY = 'sampling.priority';
/** The entry trace-check starts its traces with. */
const CHECK_ENTRY = 'cdk-serverless-tracing=keep';

/** A fresh runtime at `ratio`, with more variables. */
const atRatio = (ratio: number, extra: Record<string, string> = {}) =>
  freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: String(ratio), ...extra }));

/** An SQS record whose message carries `parent`, from `queueArn`. */
const message = (parent: string, queueArn = QUEUE_ARN, body = 'payment') =>
  sqsRecord({ body, attributes: { traceparent: { DataType: 'String', StringValue: parent } } }, { queueArn });

const invocationId = (span: ReceivedSpan) => span.attributes['faas.invocation_id'];

/** The span of the SQS batch invocation (its records' spans have the same name). */
const batchSpan = () => receiver.spans.find((span) => 'messaging.batch.message_count' in span.attributes)!;

beforeEach(async () => {
  await freshRuntime(lambdaEnvironment(receiver.endpoint));
});

describe('the head ratio', () => {
  const measured: Record<string, number> = {};
  afterAll(() => writeFileSync('/tmp/sampling-fractions.json', `${JSON.stringify(measured, null, 2)}\n`));

  // Binomial(n, ratio): the kept count is within 4 standard deviations of n × ratio (a false
  // failure about once in 16,000 runs); at ratio 1 it is exactly n.
  test.each([
    [0.01, 'random'],
    [0.25, 'random'],
    [0.5, 'random'],
    [1, 'random'],
    [0.25, 'xray'],
  ])('ratio %p (%s ids): the kept fraction of 2000 new traces is the ratio', async (ratio, format) => {
    await atRatio(ratio, { TRACING_ID_FORMAT: format });
    const handler = traced(async () => 'ok');
    const invocations = 2000;
    for (let i = 0; i < invocations; i++) await handler({}, lambdaContext());

    const kept = receiver.spans.length;
    measured[`${ratio} ${format}`] = kept / invocations;
    expect(new Set(receiver.spans.map((span) => span.traceId)).size).toBe(kept);
    expect(receiver.spans.every(isSampled)).toBe(true);
    const deviation = 4 * Math.sqrt(invocations * ratio * (1 - ratio));
    expect(Math.abs(kept - invocations * ratio)).toBeLessThanOrEqual(deviation);
  });
});

describe('the parent decides', () => {
  test('a sampled W3C parent (flag 01) is always kept, even at ratio 0', async () => {
    await atRatio(0);
    const traces = Array.from({ length: 20 }, randomTraceId);
    const handler = traced(async () => ({ statusCode: 200 }));
    for (const traceId of traces) {
      await handler(
        httpApiEvent({ headers: { traceparent: traceparent(traceId, PARENT_SPAN_ID) } }),
        lambdaContext(),
      );
    }
    expect(receiver.spans.map((span) => span.traceId)).toEqual(traces);
    expect(receiver.spans.every((span) => isSampled(span) && span.parentSpanId === PARENT_SPAN_ID)).toBe(
      true,
    );
  });

  test('an unsampled W3C parent (flag 00) is never kept when nothing fails, even at ratio 1', async () => {
    await atRatio(1);
    const handler = traced(async () => ({ statusCode: 200 }));
    for (let i = 0; i < 20; i++) {
      await handler(
        httpApiEvent({ headers: { traceparent: traceparent(randomTraceId(), PARENT_SPAN_ID, false) } }),
        lambdaContext(),
      );
    }
    expect(receiver.spans).toEqual([]);
  });
});

describe('the flag that goes downstream', () => {
  const aws = new LocalAws();
  const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };
  let sqs: SQSClient;
  let sns: SNSClient;
  let server: Server;
  let base: string;
  const fetched: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    await aws.start();
    sqs = traceAwsClient(new SQSClient({ region: REGION, endpoint: aws.endpoint, credentials }));
    sns = traceAwsClient(new SNSClient({ region: REGION, endpoint: aws.endpoint, credentials }));
    server = createServer((req, res) => {
      fetched.push(req.headers);
      res.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    sqs.destroy();
    sns.destroy();
    await aws.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    aws.clear();
    fetched.length = 0;
  });

  /** Sends to SQS, SNS and over fetch from one invocation; returns the three traceparents sent. */
  async function sendAll(event: APIGatewayProxyEventV2): Promise<string[]> {
    await traced(async () => {
      await sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl(), MessageBody: 'payment' }));
      await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'payment' }));
      await (await fetch(`${base}/score`)).text();
      return { statusCode: 200 };
    })(event, lambdaContext());
    const [toSqs, toSns] = aws.calls.map((call) => call.messages[0].attributes.traceparent?.StringValue);
    return [String(toSqs), String(toSns), String(fetched[0]?.traceparent)];
  }

  const flags = (sent: string[]) =>
    sent.map((header) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-(0[01])$/.exec(header)?.[1]);

  test('sampled (ratio 1): 01 to SQS, SNS and fetch, with the ids of the exported spans', async () => {
    await atRatio(1);
    const sent = await sendAll(httpApiEvent());
    expect(flags(sent)).toEqual(['01', '01', '01']);
    const invocation = receiver.span('POST /payments');
    for (const header of sent) {
      const [, traceId, spanId] = header.split('-');
      expect(traceId).toBe(invocation.traceId);
      expect(receiver.spans.find((span) => span.spanId === spanId)?.parentSpanId).toBe(invocation.spanId);
    }
  });

  test('unsampled (ratio 0): 00 everywhere, nothing exported', async () => {
    await atRatio(0);
    expect(flags(await sendAll(httpApiEvent()))).toEqual(['00', '00', '00']);
    expect(receiver.spans).toEqual([]);
  });

  test('an unsampled parent at ratio 1: 00 everywhere, in the parent trace', async () => {
    await atRatio(1);
    const sent = await sendAll(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) } }),
    );
    expect(flags(sent)).toEqual(['00', '00', '00']);
    expect(sent.every((header) => header.includes(TRACE_ID))).toBe(true);
  });

  test('always kept with an unsampled parent: 01 everywhere, in the parent trace', async () => {
    await atRatio(0, { TRACING_ALWAYS_KEEP: 'route:POST /payments' });
    const sent = await sendAll(
      httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) } }),
    );
    expect(flags(sent)).toEqual(['01', '01', '01']);
    expect(sent.every((header) => header.includes(TRACE_ID))).toBe(true);
    expect(receiver.spans).toHaveLength(4);
    expect(receiver.spans.every((span) => span.traceId === TRACE_ID && isSampled(span))).toBe(true);
    expect(receiver.span('POST /payments').attributes[RULE]).toBe('route:POST /payments');
  });

  test("the check's tracestate entry with an unsampled parent at ratio 0: 01 everywhere, and the entry goes on", async () => {
    await atRatio(0);
    const sent = await sendAll(
      httpApiEvent({
        headers: {
          traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false),
          tracestate: `congo=t61rcWkgMzE,${CHECK_ENTRY}`,
        },
      }),
    );
    expect(flags(sent)).toEqual(['01', '01', '01']);
    expect(receiver.spans).toHaveLength(4);
    expect(receiver.spans.every((span) => span.traceId === TRACE_ID && isSampled(span))).toBe(true);
    expect(receiver.span('POST /payments').attributes[RULE]).toBe(`tracestate:${CHECK_ENTRY}`);
    // Every hop after this one gets the entry with the context, and keeps the trace too.
    const states = aws.calls.map((call) => call.messages[0].attributes.tracestate?.StringValue);
    expect([...states, fetched[0]?.tracestate]).toEqual([
      `congo=t61rcWkgMzE,${CHECK_ENTRY}`,
      `congo=t61rcWkgMzE,${CHECK_ENTRY}`,
      `congo=t61rcWkgMzE,${CHECK_ENTRY}`,
    ]);
  });
});

describe("the check's tracestate entry (at ratio 0)", () => {
  test.each([
    ['cdk-serverless-tracing=drop', false],
    ['cdk-serverless-tracing=keep', true],
    ['rojo=00f067aa0ba902b7,cdk-serverless-tracing=keep', true],
    ['cdk-serverless-tracing=keep,', true],
    ['cdk-serverless-tracing = keep', false],
    ['CDK-SERVERLESS-TRACING=keep', false],
  ])('tracestate %p: kept %p', async (state, isKept) => {
    await atRatio(0);
    const headers = { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false), tracestate: state };
    await traced(async () => ({ statusCode: 200 }))(httpApiEvent({ headers }), lambdaContext());
    expect(receiver.spans.map((span) => span.attributes[RULE])).toEqual(
      isKept ? [`tracestate:${CHECK_ENTRY}`] : [],
    );
  });

  test('an SQS record whose message carries the entry is kept, unsampled flag and all; the other records are not', async () => {
    await atRatio(0, { TRACING_KEEP_ERRORS: 'true' });
    const checked = randomTraceId();
    const other = randomTraceId();
    const withState = sqsRecord(
      {
        body: 'payment',
        attributes: {
          traceparent: { DataType: 'String', StringValue: traceparent(checked, PARENT_SPAN_ID, false) },
          tracestate: { DataType: 'String', StringValue: CHECK_ENTRY },
        },
      },
      { queueArn: PAYMENTS_QUEUE },
    );
    const handler = traced(async (event: SQSEvent) =>
      processRecords(event, () => trace.getTracer('test').startActiveSpan('reconcile', (span) => span.end())),
    );
    const result = await handler(
      sqsEvent([withState, message(traceparent(other, PARENT_SPAN_ID, false), PAYMENTS_QUEUE)]),
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(receiver.trace(other)).toEqual([]);
    const [record, child] = ['process payments', 'reconcile'].map((name) =>
      receiver.trace(checked).find((span) => span.name === name)!,
    );
    expect(record).toMatchObject({ parentSpanId: PARENT_SPAN_ID, traceState: CHECK_ENTRY });
    expect(record.attributes[RULE]).toBe(`tracestate:${CHECK_ENTRY}`);
    expect(isSampled(record) && isSampled(child)).toBe(true);
    expect(child.parentSpanId).toBe(record.spanId);
  });

  test('64 overlapping invocations, every other one carrying the entry: exactly those are kept', async () => {
    await atRatio(0);
    const ids = Array.from({ length: 64 }, () => randomTraceId());
    const handler = traced(async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      return { statusCode: 200 };
    });
    await Promise.all(
      ids.map((id, i) =>
        handler(
          httpApiEvent({
            headers: {
              traceparent: traceparent(id, PARENT_SPAN_ID, false),
              ...(i % 2 === 0 ? { tracestate: CHECK_ENTRY } : {}),
            },
          }),
          lambdaContext(),
        ),
      ),
    );
    expect(new Set(receiver.spans.map((span) => span.traceId))).toEqual(
      new Set(ids.filter((_, i) => i % 2 === 0)),
    );
  });
});

describe('keep errors', () => {
  /**
   * At ratio 0, runs HTTP invocations that succeed, throw or answer 5xx and SQS batches that
   * succeed or report a failed record; returns the invocation ids of the failed ones and of all.
   */
  async function mixed(): Promise<{ failed: string[]; all: string[] }> {
    const http = traced(async (event: APIGatewayProxyEventV2) => {
      if (event.headers['x-outcome'] === 'throw') throw new Error('declined');
      return { statusCode: event.headers['x-outcome'] === '5xx' ? 503 : 200 };
    });
    const batch = traced(async (event: SQSEvent) =>
      processRecords(event, async (record) => {
        if (record.body === 'bad') throw new Error('cannot reconcile');
      }),
    );
    const outcomes = [
      'ok',
      'throw',
      'ok',
      '5xx',
      'ok',
      'batch-ok',
      'ok',
      'batch-failed',
      'throw',
      'batch-ok',
      '5xx',
    ];
    const failed: string[] = [];
    const all: string[] = [];
    for (const outcome of outcomes) {
      const context = lambdaContext();
      all.push(context.awsRequestId);
      if (!['ok', 'batch-ok'].includes(outcome)) failed.push(context.awsRequestId);
      if (outcome.startsWith('batch')) {
        const bodies = outcome === 'batch-failed' ? ['good', 'bad'] : ['good', 'good'];
        await batch(sqsEvent(bodies.map((body) => sqsRecord({ body, attributes: {} }))), context);
      } else {
        await http(httpApiEvent({ headers: { 'x-outcome': outcome } }), context).catch(() => undefined);
      }
    }
    return { failed, all };
  }

  test('at ratio 0, exactly the failed invocations are exported, with the unsampled flag', async () => {
    await atRatio(0);
    const { failed } = await mixed();
    const invocations = receiver.spans.filter((span) => invocationId(span) !== undefined);
    expect(invocations.map(invocationId)).toEqual(failed);
    expect(receiver.spans.some(isSampled)).toBe(false);
    // The failed batch's record spans are in its trace, so they are exported with it.
    const batchTrace = invocations.find((span) => span.name === 'process reconciliation')!.traceId;
    expect(receiver.trace(batchTrace)).toHaveLength(3);
  });

  test('with TRACING_KEEP_ERRORS=false, none is exported', async () => {
    await atRatio(0, { TRACING_KEEP_ERRORS: 'false' });
    await mixed();
    expect(receiver.spans).toEqual([]);
  });
});

describe('always-keep rules (at ratio 0)', () => {
  const keep = (rules: string) => atRatio(0, { TRACING_ALWAYS_KEEP: rules });

  test('a route rule keeps the matching HTTP API and REST API requests, and no other', async () => {
    await keep('route:POST /payments;route:GET /payments/{id}');
    const handler = traced(async () => ({ statusCode: 200 }));
    const unsampled = { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) };
    await handler(httpApiEvent({ headers: unsampled }), lambdaContext());
    await handler(httpApiEvent({ method: 'GET', headers: unsampled }), lambdaContext());
    await handler(httpApiEvent({ path: '/refunds', routeKey: 'POST /refunds' }), lambdaContext());
    await handler(restApiEvent(), lambdaContext());
    expect(receiver.spans.map((span) => [span.name, span.attributes[RULE], isSampled(span)])).toEqual([
      ['POST /payments', 'route:POST /payments', true],
      ['GET /payments/{id}', 'route:GET /payments/{id}', true],
    ]);
    expect(receiver.spans[0]).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
  });

  test.each([
    ['route:/payments', 'DELETE /payments (HTTP API)', true, httpApiEvent({ method: 'DELETE' })],
    ['route:ANY /payments', 'PATCH /payments (HTTP API)', true, httpApiEvent({ method: 'PATCH' })],
    ['route:post /payments', 'POST /payments (HTTP API)', true, httpApiEvent()],
    [
      'route:POST /payments',
      'POST /payments under POST /{proxy+}',
      true,
      httpApiEvent({ routeKey: 'POST /{proxy+}' }),
    ],
    [
      'route:ANY /{proxy+}',
      'POST /payments under POST /{proxy+}',
      true,
      httpApiEvent({ routeKey: 'POST /{proxy+}' }),
    ],
    ['route:$default', 'a function URL', true, functionUrlEvent()],
    ['route:GET /status', 'a function URL', true, functionUrlEvent()],
    ['route:PUT /payments/p-42', 'an ALB request', true, albEvent()],
    ['route:GET /payments/p-42', 'a REST API request, by its path', true, restApiEvent()],
    ['route:POST /payments/{id}', 'a REST API GET', false, restApiEvent()],
    ['route:/Payments', 'POST /payments (paths are exact)', false, httpApiEvent()],
    ['route:/payments/', 'POST /payments (paths are exact)', false, httpApiEvent()],
    ['route:$default', 'POST /payments (HTTP API)', false, httpApiEvent()],
    ['route:/payments', 'a scheduled event', false, scheduledEvent()],
    [`queue:${QUEUE_ARN}`, 'an HTTP request', false, httpApiEvent()],
  ])('%s and %s: kept %p', async (rule, _event, kept, event) => {
    await keep(rule);
    await traced(async () => ({ statusCode: 200 }))(event, lambdaContext());
    expect(receiver.spans.map((span) => span.attributes[RULE])).toEqual(kept ? [rule] : []);
  });

  test('a queue rule keeps a batch from that queue, record spans of unsampled messages included', async () => {
    await atRatio(0, { TRACING_ALWAYS_KEEP: `queue:${PAYMENTS_QUEUE}`, TRACING_SAMPLING_PRIORITY: 'true' });
    const traces = [randomTraceId(), randomTraceId()];
    const handler = traced(async (event: SQSEvent) =>
      processRecords(event, () => trace.getTracer('test').startActiveSpan('reconcile', (span) => span.end())),
    );
    const records = traces.map((traceId) =>
      message(traceparent(traceId, PARENT_SPAN_ID, false), PAYMENTS_QUEUE),
    );
    expect(await handler(sqsEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });

    // Sampled, and kept with their messages' traces (sampling priority on here).
    expect(receiver.spans.every((span) => isSampled(span) && span.attributes[PRIORITY] === 1)).toBe(true);
    expect(batchSpan().attributes[RULE]).toBe(`queue:${PAYMENTS_QUEUE}`);
    for (const traceId of traces) {
      const [record, child] = ['process payments', 'reconcile'].map((name) =>
        receiver.trace(traceId).find((span) => span.name === name)!,
      );
      expect(record.parentSpanId).toBe(PARENT_SPAN_ID);
      expect(child.parentSpanId).toBe(record.spanId);
    }
    expect(receiver.spans).toHaveLength(5);

    // Any record of the batch from the queue is enough; a batch from another queue is not kept.
    receiver.clear();
    const other = () => message(traceparent(randomTraceId(), PARENT_SPAN_ID, false));
    await handler(
      sqsEvent([other(), message(traceparent(randomTraceId(), PARENT_SPAN_ID, false), PAYMENTS_QUEUE)]),
      lambdaContext(),
    );
    expect(receiver.spans).toHaveLength(5);
    receiver.clear();
    await handler(sqsEvent([other(), other()]), lambdaContext());
    expect(receiver.spans).toEqual([]);
  });

  test('malformed rules are reported once each and ignored; the handler and the good rules work', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const bad = [
        'no colon',
        'bogus:x',
        'route:',
        'queue:',
        'route:payments',
        'route:POST',
        'queue:reconciliation',
      ];
      await keep([...bad, ' ', 'route:POST /payments'].join(';'));
      const result = { statusCode: 201 };
      const handler = traced(async () => result);
      expect(await handler(httpApiEvent(), lambdaContext())).toBe(result);
      expect(await handler(httpApiEvent({ method: 'GET' }), lambdaContext())).toBe(result);
      expect(receiver.spans.map((span) => span.name)).toEqual(['POST /payments']);
      const warned = warn.mock.calls
        .map(([line]) => (JSON.parse(String(line)) as { message: string }).message)
        .filter((text) => text.includes('TRACING_ALWAYS_KEEP'));
      expect(warned).toHaveLength(bad.length);
      bad.forEach((rule, i) => expect(warned[i]).toContain(`"${rule}"`));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('sampling priority', () => {
  /**
   * Runs an HTTP invocation per outcome (each with a child span) and one SQS batch with a
   * failing record; returns the trace ids that must carry sampling.priority.
   */
  async function run(): Promise<{ kept: Set<string> }> {
    const kept = new Set<string>();
    const http = traced(async (event: APIGatewayProxyEventV2) => {
      trace.getTracer('test').startActiveSpan('work', (span) => span.end());
      if (event.headers['x-outcome'] === 'throw') throw new Error('declined');
      return { statusCode: event.headers['x-outcome'] === '5xx' ? 503 : 200 };
    });
    const request = async (outcome: string, options: { method?: string; path?: string } = {}) => {
      const traceId = randomTraceId();
      const event = httpApiEvent({
        ...options,
        routeKey: `${options.method ?? 'POST'} ${options.path ?? '/payments'}`,
        headers: { 'x-outcome': outcome, traceparent: traceparent(traceId, PARENT_SPAN_ID, false) },
      });
      await http(event, lambdaContext()).catch(() => undefined);
      return traceId;
    };
    // Unsampled parents, so the ratio cannot keep them: what is kept, keep-errors or a rule kept.
    await request('ok');
    kept.add(await request('throw'));
    kept.add(await request('5xx'));
    kept.add(await request('ok', { method: 'POST', path: '/refunds' }));

    // A failed record keeps its message's trace; its sibling's trace is not kept.
    const [good, bad] = [randomTraceId(), randomTraceId()];
    const batch = traced(async (event: SQSEvent) =>
      processRecords(event, (record) => {
        if (record.body === 'bad') throw new Error('cannot reconcile');
      }),
    );
    await batch(
      sqsEvent([
        message(traceparent(good, PARENT_SPAN_ID), QUEUE_ARN, 'good'),
        message(traceparent(bad, PARENT_SPAN_ID, false), QUEUE_ARN, 'bad'),
      ]),
      lambdaContext(),
    );
    kept.add(bad);
    kept.add(batchSpan().traceId);
    return { kept };
  }

  test.each(['1', '0'])(
    'on, at ratio %s: the spans of failed and always-kept traces carry sampling.priority = 1, no other',
    async (ratio) => {
      await atRatio(Number(ratio), {
        TRACING_SAMPLING_PRIORITY: 'true',
        TRACING_ALWAYS_KEEP: 'route:POST /refunds',
      });
      const { kept } = await run();
      const marked = new Set(
        receiver.spans.filter((span) => span.attributes[PRIORITY] === 1).map((s) => s.traceId),
      );
      expect(marked).toEqual(kept);
      for (const span of receiver.spans) {
        expect(span.attributes[PRIORITY]).toBe(kept.has(span.traceId) ? 1 : undefined);
      }
      // Every exported span of a kept trace: the invocation and its child, or the record's.
      expect(receiver.spans.filter((span) => span.name === 'work' && kept.has(span.traceId))).toHaveLength(3);
    },
  );

  test.each([['false'], ['not a boolean'], [undefined]])(
    'TRACING_SAMPLING_PRIORITY=%p: no span carries it',
    async (value) => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        const priority: Record<string, string> =
          value === undefined ? {} : { TRACING_SAMPLING_PRIORITY: value };
        await atRatio(1, { TRACING_ALWAYS_KEEP: 'route:POST /refunds', ...priority });
        await run();
        expect(receiver.spans.length).toBeGreaterThan(0);
        expect(receiver.spans.some((span) => PRIORITY in span.attributes)).toBe(false);
        const warned = warn.mock.calls.some(([line]) => String(line).includes('TRACING_SAMPLING_PRIORITY'));
        expect(warned).toBe(value === 'not a boolean');
      } finally {
        warn.mockRestore();
      }
    },
  );
});
