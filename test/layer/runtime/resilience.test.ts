import { traced } from '../../../layer/runtime';
import { httpApiEvent, lambdaContext } from '../../helpers/events';
import { closedPort, freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// Bad input and a broken collector never change the handler's result, never throw out of the
// wrapper, and cost at most the flush deadline.

const receiver = useReceiver();
const result = { statusCode: 201, body: '{"status":"authorized"}' };
const handler = () => traced(async () => result);

/** Runs one invocation and measures how long the caller waited for it. */
async function timed(run: () => Promise<unknown>): Promise<{ value: unknown; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await run();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

let warn: jest.SpyInstance;

beforeEach(() => {
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => warn.mockRestore());

describe('a collector that is not well', () => {
  test('refuses connections: the result is unchanged and the invocation does not wait', async () => {
    await freshRuntime(lambdaEnvironment(`http://127.0.0.1:${await closedPort()}`));
    const { value, ms } = await timed(() => handler()(httpApiEvent(), lambdaContext()));
    expect(value).toBe(result);
    expect(ms).toBeLessThan(1000);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('exporting spans failed'));
  });

  test('hangs: the invocation ends at the flush deadline with its result', async () => {
    receiver.mode = 'hang';
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_FLUSH_TIMEOUT_MS: '300' }));
    const { value, ms } = await timed(() => handler()(httpApiEvent(), lambdaContext()));
    expect(value).toBe(result);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(300 + 700);
    expect(receiver.requests).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/longer than 300 ms|within its deadline \(300 ms\)/),
    );
  });

  test('hangs near the function timeout: the deadline comes from the remaining time', async () => {
    receiver.mode = 'hang';
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_FLUSH_TIMEOUT_MS: '5000' }));
    const { value, ms } = await timed(() => handler()(httpApiEvent(), lambdaContext({ timeoutMs: 250 })));
    expect(value).toBe(result);
    // 250 ms left, minus the 50 ms kept back for the runtime to return the response.
    expect(ms).toBeLessThan(250 + 500);
  });

  test('with no time left, nothing is exported and the result is returned at once', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
    const value = await handler()(httpApiEvent(), lambdaContext({ timeoutMs: 10 }));
    expect(value).toBe(result);
    expect(receiver.requests).toHaveLength(0);
  });

  test('answers 503: the result is unchanged, the error rethrown unchanged', async () => {
    receiver.mode = 'fail';
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_FLUSH_TIMEOUT_MS: '500' }));
    expect(await handler()(httpApiEvent(), lambdaContext())).toBe(result);
    const failure = new Error('declined');
    await expect(
      traced(async () => {
        throw failure;
      })(httpApiEvent(), lambdaContext()),
    ).rejects.toBe(failure);
  });
});

describe('events of shapes the runtime does not know', () => {
  beforeEach(async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint));
  });

  test.each([
    ['a string', 'hello'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an array', [1, 2, 3]],
    ['an empty object', {}],
    ['an object with odd fields', { Records: 'not-an-array', requestContext: 7, headers: ['x'] }],
    ['records of unknown source', { Records: [{ eventSource: 'aws:unknown' }, null] }],
    ['HTTP-looking without headers', { version: '2.0', requestContext: { http: { method: 7 } } }],
  ])('%s: handler runs, result unchanged, an "other" span exported', async (_name, event) => {
    const seen: unknown[] = [];
    const value = await traced(async (e: unknown) => {
      seen.push(e);
      return result;
    })(event, lambdaContext());
    expect(value).toBe(result);
    expect(seen).toEqual([event]);
    expect(receiver.spans).toHaveLength(1);
  });

  test('a missing context object does not break the wrapper', async () => {
    const value = await traced(async () => result)({}, undefined as never);
    expect(value).toBe(result);
    expect(receiver.spans[0].attributes['faas.trigger']).toBe('other');
  });
});

describe('configuration that cannot be used', () => {
  test('an endpoint neither http: nor https:: the handler runs untraced, its result unchanged, the endpoint named', async () => {
    await freshRuntime(lambdaEnvironment('ftp://127.0.0.1:2121'));
    expect(await handler()(httpApiEvent(), lambdaContext())).toBe(result);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('tracing could not be set up'));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ftp://127.0.0.1:2121'));
    expect(receiver.requests).toHaveLength(0);
  });

  test('an unknown sampler, a bad ratio and a bad flush timeout fall back to defaults, once each', async () => {
    await freshRuntime(
      lambdaEnvironment(receiver.endpoint, {
        OTEL_TRACES_SAMPLER: 'jaeger_remote',
        OTEL_TRACES_SAMPLER_ARG: '1.5',
        TRACING_FLUSH_TIMEOUT_MS: 'soon',
        TRACING_KEEP_ERRORS: 'maybe',
      }),
    );
    const wrapped = handler();
    expect(await wrapped(httpApiEvent(), lambdaContext())).toBe(result);
    expect(await wrapped(httpApiEvent(), lambdaContext())).toBe(result);
    expect(receiver.spans).toHaveLength(2);
    const messages = warn.mock.calls.map(([line]) => JSON.parse(line as string).message as string);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('OTEL_TRACES_SAMPLER="jaeger_remote" is not supported'),
        expect.stringContaining('TRACING_FLUSH_TIMEOUT_MS="soon"'),
        expect.stringContaining('TRACING_KEEP_ERRORS="maybe"'),
      ]),
    );
    expect(new Set(messages).size).toBe(messages.length);
  });

  test('a bad ratio for the ratio sampler falls back to 1', async () => {
    await freshRuntime(
      lambdaEnvironment(receiver.endpoint, {
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '-2',
      }),
    );
    expect(await handler()(httpApiEvent(), lambdaContext())).toBe(result);
    expect(receiver.spans).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('OTEL_TRACES_SAMPLER_ARG=\\"-2\\"'));
  });
});
