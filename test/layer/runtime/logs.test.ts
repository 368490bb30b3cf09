import { trace } from '@opentelemetry/api';
import type { Context } from 'aws-lambda';
import { format } from 'node:util';
import { traceLogFields, traced, type TracedHandler } from '../../../layer/runtime';
import { installLogCorrelation } from '../../../layer/runtime/logs';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, lambdaContext, traceparent } from '../../helpers/events';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

const receiver = useReceiver();

const METHODS = ['trace', 'debug', 'info', 'log', 'warn', 'error', 'fatal'] as const;
type Method = (typeof METHODS)[number];
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 } as const;
type Level = keyof typeof LEVELS;
const LEVEL_OF: Record<Method, Level> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  log: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
};
const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const RUNTIME_REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');

type LogMethod = (...args: unknown[]) => void;
const consoleMethods = console as unknown as Record<Method, LogMethod>;

/** What the stand-in Lambda console received: the calls that went to Lambda's own methods. */
interface LambdaConsole {
  /** Calls Lambda would have written. */
  readonly calls: { level: Level; args: unknown[] }[];
  /** Calls below the minimum level, which Lambda's methods drop. */
  readonly dropped: { level: Level; args: unknown[] }[];
  /** The methods it installed, to check they were left as they were. */
  readonly methods: Record<Method, LogMethod>;
}

let savedConsole: Map<Method, PropertyDescriptor | undefined> | undefined;

/**
 * Replaces the console methods as Lambda's Node.js runtime does before it loads the handler: one
 * function per level, `console.log` the same as `console.info`, the levels below the minimum
 * writing nothing. Instead of writing, each records the call.
 */
function lambdaConsole(minimum: Level = 'TRACE'): LambdaConsole {
  savedConsole = new Map(METHODS.map((m) => [m, Object.getOwnPropertyDescriptor(console, m)]));
  const calls: LambdaConsole['calls'] = [];
  const dropped: LambdaConsole['dropped'] = [];
  const methods = {} as Record<Method, LogMethod>;
  for (const method of METHODS) {
    const level = LEVEL_OF[method];
    const into = LEVELS[level] < LEVELS[minimum] ? dropped : calls;
    methods[method] =
      method === 'log' ? methods.info : (...args: unknown[]) => void into.push({ level, args });
    consoleMethods[method] = methods[method];
  }
  return { calls, dropped, methods };
}

function restoreConsole(): void {
  if (!savedConsole) return;
  for (const [method, descriptor] of savedConsole) {
    if (descriptor) Object.defineProperty(console, method, descriptor);
    else delete (console as unknown as Record<string, unknown>)[method];
  }
  savedConsole = undefined;
}

let written: string[];

/** The JSON lines written to stdout, each checked to be exactly one line. */
function stdoutRecords(): Record<string, unknown>[] {
  return written.map((chunk) => {
    expect(chunk.endsWith('\n')).toBe(true);
    expect(chunk.slice(0, -1)).not.toMatch(/[\r\n]/);
    return JSON.parse(chunk) as Record<string, unknown>;
  });
}

/** Invokes the handler as Lambda's runtime does: the request id set for the invocation's length. */
async function invoke<TResult>(
  handler: TracedHandler<unknown, TResult>,
  event: unknown = httpApiEvent(),
  context: Context = lambdaContext(),
): Promise<TResult> {
  const globals = globalThis as unknown as Record<symbol, unknown>;
  globals[RUNTIME_REQUEST_ID] = context.awsRequestId;
  try {
    return await handler(event, context);
  } finally {
    delete globals[RUNTIME_REQUEST_ID];
  }
}

function environment(extra: Record<string, string> = {}): Record<string, string> {
  return lambdaEnvironment(receiver.endpoint, { AWS_LAMBDA_LOG_FORMAT: 'JSON', ...extra });
}

beforeEach(() => {
  written = [];
  jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
});

afterEach(() => {
  jest.restoreAllMocks();
  restoreConsole();
});

const ok = { statusCode: 200, body: 'ok' };

describe('inside an invocation, with the JSON log format', () => {
  beforeEach(async () => {
    await freshRuntime(environment());
  });

  test("console.log writes Lambda's JSON line with the invocation span's trace_id and span_id", async () => {
    const lambda = lambdaConsole();
    const context = lambdaContext();
    const handler = traced(async () => {
      console.log('x');
      return ok;
    });
    await invoke(handler, httpApiEvent(), context);

    const span = receiver.span('POST /payments');
    const [record, ...rest] = stdoutRecords();
    expect(rest).toHaveLength(0);
    expect(record).toEqual({
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
      level: 'INFO',
      requestId: context.awsRequestId,
      message: 'x',
      trace_id: span.traceId,
      span_id: span.spanId,
      trace_flags: '01',
    });
    expect(lambda.calls).toHaveLength(0);
  });

  test("inside a child span, span_id is the child's", async () => {
    lambdaConsole();
    const handler = traced(async () => {
      console.warn('before');
      trace.getTracer('test').startActiveSpan('charge card', (child) => {
        console.warn('in the child');
        child.end();
      });
      return ok;
    });
    await invoke(handler);

    const invocation = receiver.span('POST /payments');
    const child = receiver.span('charge card');
    const [before, inChild] = stdoutRecords();
    expect(before).toMatchObject({ level: 'WARN', message: 'before', span_id: invocation.spanId });
    expect(inChild).toMatchObject({
      level: 'WARN',
      message: 'in the child',
      trace_id: invocation.traceId,
      span_id: child.spanId,
    });
  });

  test("errors keep Lambda's fields: one error as the message, the first error among several arguments", async () => {
    lambdaConsole();
    const boom = new Error('boom');
    const declined = new TypeError('card declined');
    const handler = traced(async () => {
      console.error(boom);
      console.log('a %s', 'b', declined);
      console.debug('total %d', 3, { currency: 'EUR' });
      return ok;
    });
    await invoke(handler);

    const span = receiver.span('POST /payments');
    const [single, several, noError] = stdoutRecords();
    expect(single).toMatchObject({
      level: 'ERROR',
      message: { errorType: 'Error', errorMessage: 'boom', stackTrace: boom.stack!.split('\n') },
      span_id: span.spanId,
    });
    expect(several).toMatchObject({
      level: 'INFO',
      message: format('a %s', 'b', declined),
      errorType: 'TypeError',
      errorMessage: 'card declined',
      stackTrace: declined.stack!.split('\n'),
      span_id: span.spanId,
    });
    expect((several.message as string).startsWith('a b TypeError: card declined')).toBe(true);
    expect(noError).toMatchObject({ level: 'DEBUG', message: "total 3 { currency: 'EUR' }" });
    expect(noError).not.toHaveProperty('errorType');
  });

  test('a single object stays structured', async () => {
    lambdaConsole();
    const handler = traced(async () => {
      console.info({ orderId: 'o-1', amount: 1250, lines: [{ sku: 'A' }] });
      return ok;
    });
    await invoke(handler);
    const [record] = stdoutRecords();
    expect(record.message).toEqual({ orderId: 'o-1', amount: 1250, lines: [{ sku: 'A' }] });
    expect(record.trace_id).toBe(receiver.span('POST /payments').traceId);
  });

  test('a circular object is written as util.format prints it; the handler result is unchanged', async () => {
    lambdaConsole();
    const order: Record<string, unknown> = { orderId: 'o-1' };
    order.self = order;
    const handler = traced(async () => {
      console.log(order);
      return ok;
    });
    await expect(invoke(handler)).resolves.toBe(ok);
    const [record] = stdoutRecords();
    expect(record.message).toBe(format(order));
    expect(record.span_id).toBe(receiver.span('POST /payments').spanId);
  });

  test("a line that cannot be built goes to Lambda's own method, with one warning", async () => {
    const lambda = lambdaConsole();
    const odd = new Error('odd');
    (odd as unknown as { message: unknown }).message = 10n; // JSON cannot hold a BigInt
    const handler = traced(async () => {
      console.log('failed with', odd);
      console.log('failed again with', odd);
      return ok;
    });
    await expect(invoke(handler)).resolves.toBe(ok);
    expect(written).toHaveLength(0);
    expect(lambda.calls.filter((c) => c.level === 'INFO')).toEqual([
      { level: 'INFO', args: ['failed with', odd] },
      { level: 'INFO', args: ['failed again with', odd] },
    ]);
    const warnings = lambda.calls.filter((c) => c.level === 'WARN');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].args[0])).toContain('could not be joined to its trace');
  });

  test('an unsampled invocation gets ids too (trace_flags 00); they match the span keep-errors exports', async () => {
    lambdaConsole();
    const handler = traced(async () => {
      console.error('declined');
      throw new Error('declined');
    });
    await expect(
      invoke(
        handler,
        httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) } }),
      ),
    ).rejects.toThrow('declined');

    const span = receiver.span('POST /payments');
    const [record] = stdoutRecords();
    expect(record).toMatchObject({ trace_id: TRACE_ID, span_id: span.spanId, trace_flags: '00' });
    expect(span.spanId).not.toBe(PARENT_SPAN_ID);
  });

  test('traceLogFields() gives the active ids inside a span and undefined outside', async () => {
    lambdaConsole();
    let inside: unknown;
    const handler = traced(async () => {
      inside = traceLogFields();
      return ok;
    });
    expect(traceLogFields()).toBeUndefined();
    await invoke(handler);
    const span = receiver.span('POST /payments');
    expect(inside).toEqual({ trace_id: span.traceId, span_id: span.spanId, trace_flags: '01' });
    expect(traceLogFields()).toBeUndefined();
  });

  test("outside an invocation (at init) Lambda's own method is called and nothing is added", async () => {
    const lambda = lambdaConsole();
    const handler = traced(async () => ok);
    console.log('init', { phase: 'init' });
    await invoke(handler);
    console.error('after');
    expect(written).toHaveLength(0);
    expect(lambda.calls).toEqual([
      { level: 'INFO', args: ['init', { phase: 'init' }] },
      { level: 'ERROR', args: ['after'] },
    ]);
  });

  test("the request id: Lambda's InvokeStore first, else faas.invocation_id of the invocation span", async () => {
    lambdaConsole();
    const handler = traced(async () => {
      console.log('x');
      return ok;
    });
    const globals = globalThis as unknown as { awslambda?: unknown };
    globals.awslambda = {
      InvokeStore: { getRequestId: () => 'from-invoke-store', getTenantId: () => 'acme' },
    };
    try {
      await invoke(handler);
    } finally {
      delete globals.awslambda;
    }
    const context = lambdaContext();
    await handler(httpApiEvent(), context); // no request id from a runtime at all

    const [fromStore, fromSpan] = stdoutRecords();
    expect(fromStore).toMatchObject({ requestId: 'from-invoke-store', tenantId: 'acme' });
    expect(fromSpan.requestId).toBe(context.awsRequestId);
    expect(fromSpan).not.toHaveProperty('tenantId');
  });

  test('set up twice, or by a second copy of the runtime, the console is wrapped once', async () => {
    lambdaConsole();
    const handler = traced(async () => {
      console.log('once');
      return ok;
    });
    const wrapped = { ...consoleMethods };
    installLogCorrelation(process.env);
    await jest.isolateModulesAsync(async () => {
      const copy = await import('../../../layer/runtime/logs');
      copy.installLogCorrelation(process.env);
    });
    for (const method of METHODS) expect(consoleMethods[method]).toBe(wrapped[method]);
    await invoke(handler);
    expect(stdoutRecords()).toHaveLength(1);
  });
});

describe('left as Lambda wrote them', () => {
  test.each([
    ['the log format is Text', { AWS_LAMBDA_LOG_FORMAT: 'Text' }],
    ['TRACING_LOG_CORRELATION is false', { TRACING_LOG_CORRELATION: 'false' }],
  ])('when %s', async (_, extra) => {
    await freshRuntime(environment(extra));
    const lambda = lambdaConsole();
    const handler = traced(async () => {
      console.log('x');
      return ok;
    });
    for (const method of METHODS) expect(consoleMethods[method]).toBe(lambda.methods[method]);
    await invoke(handler);
    expect(written).toHaveLength(0);
    expect(lambda.calls).toEqual([{ level: 'INFO', args: ['x'] }]);
  });

  test('the log format is matched in any case', async () => {
    await freshRuntime(environment({ AWS_LAMBDA_LOG_FORMAT: 'json' }));
    lambdaConsole();
    await invoke(
      traced(async () => {
        console.log('x');
        return ok;
      }),
    );
    expect(stdoutRecords()).toHaveLength(1);
  });

  test("below AWS_LAMBDA_LOG_LEVEL a call goes to Lambda's method, which writes nothing", async () => {
    await freshRuntime(environment({ AWS_LAMBDA_LOG_LEVEL: 'WARN' }));
    const lambda = lambdaConsole('WARN');
    const handler = traced(async () => {
      console.info('hidden');
      console.debug('hidden too');
      console.warn('shown');
      return ok;
    });
    expect(consoleMethods.info).toBe(lambda.methods.info);
    expect(consoleMethods.log).toBe(lambda.methods.log);
    expect(consoleMethods.warn).not.toBe(lambda.methods.warn);
    await invoke(handler);

    expect(lambda.dropped).toEqual([
      { level: 'INFO', args: ['hidden'] },
      { level: 'DEBUG', args: ['hidden too'] },
    ]);
    expect(lambda.calls).toHaveLength(0);
    const [record, ...rest] = stdoutRecords();
    expect(rest).toHaveLength(0);
    expect(record).toMatchObject({ level: 'WARN', message: 'shown' });
    expect(record.span_id).toBe(receiver.span('POST /payments').spanId);
  });
});
