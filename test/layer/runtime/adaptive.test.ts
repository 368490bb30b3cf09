import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { traced } from '../../../layer/runtime';
import {
  AdaptiveBoost,
  ENV_ADAPTIVE_CONFIG,
  adaptiveConfigUrl,
  parseBoost,
} from '../../../layer/runtime/adaptive';
import { decisionSampler, markRecordOnly, runtimeSampler } from '../../../layer/runtime/sampler';
import { ATTR_SAMPLING_BOOST } from '../../../layer/runtime/semconv';
import { LocalAppConfig } from '../../../bin/local/local-appconfig';
import {
  PARENT_SPAN_ID,
  httpApiEvent,
  lambdaContext,
  randomTraceId,
  traceparent,
} from '../../helpers/events';
import { isSampled } from '../../helpers/otlp-receiver';
import { closedPort, freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// Adaptive sampling in the runtime: the boost read from a local stand-in of the AppConfig Agent
// Lambda extension on 127.0.0.1 (answering, slow, failing, down, malformed), cached and refreshed
// in the background, ending by itself at `until`; and the ratio a traced handler then applies.

const APP = 'app1';
const ENV = 'env1';
const PROFILE = 'prof1';
const appconfig = new LocalAppConfig();
const receiver = useReceiver();

beforeAll(async () => {
  await appconfig.start();
});
afterAll(async () => {
  await appconfig.stop();
});
beforeEach(() => appconfig.clear());

const url = () => new URL(appconfig.extensionUrl(APP, ENV, PROFILE));
const boostFor = (ratio: number, ms: number) =>
  JSON.stringify({ boostRatio: ratio, until: new Date(Date.now() + ms).toISOString() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('parseBoost', () => {
  test.each([
    ['{}', undefined],
    ['{"other":1}', undefined],
    [
      '{"boostRatio":0.5,"until":"2030-01-01T00:00:00Z"}',
      { ratio: 0.5, untilMs: Date.parse('2030-01-01T00:00:00Z') },
    ],
    ['{"boostRatio":1.5,"until":"2030-01-01T00:00:00Z"}', 'invalid'],
    ['{"boostRatio":"1","until":"2030-01-01T00:00:00Z"}', 'invalid'],
    ['{"boostRatio":1}', 'invalid'],
    ['{"boostRatio":1,"until":"soon"}', 'invalid'],
    ['[]', 'invalid'],
    ['null', 'invalid'],
    ['{"boostRatio": 1, "until": ', 'invalid'],
  ])('%s', (body, expected) => {
    expect(parseBoost(body)).toEqual(expected);
  });
});

describe('adaptiveConfigUrl', () => {
  test('absent or empty: off', () => {
    expect(adaptiveConfigUrl({})).toBeUndefined();
    expect(adaptiveConfigUrl({ [ENV_ADAPTIVE_CONFIG]: ' ' })).toBeUndefined();
  });
  test('an extension path goes to localhost:2772, or the port the extension is told', () => {
    const path = '/applications/a/environments/e/configurations/p';
    expect(adaptiveConfigUrl({ [ENV_ADAPTIVE_CONFIG]: path })?.href).toBe(`http://localhost:2772${path}`);
    expect(
      adaptiveConfigUrl({ [ENV_ADAPTIVE_CONFIG]: path, AWS_APPCONFIG_EXTENSION_HTTP_PORT: '2999' })?.href,
    ).toBe(`http://localhost:2999${path}`);
  });
  test('a full http:// URL is used as it is; anything else is off', () => {
    expect(adaptiveConfigUrl({ [ENV_ADAPTIVE_CONFIG]: 'http://127.0.0.1:1/x' })?.href).toBe(
      'http://127.0.0.1:1/x',
    );
    expect(adaptiveConfigUrl({ [ENV_ADAPTIVE_CONFIG]: 'app/env/profile' })).toBeUndefined();
  });
});

describe('AdaptiveBoost against the extension stand-in', () => {
  test('no boost before the first read; the deployed boost after it', async () => {
    appconfig.deploy(APP, ENV, PROFILE, boostFor(0.5, 60_000));
    const boost = new AdaptiveBoost(url());
    expect(boost.ratio()).toBeUndefined(); // never waits: the read runs in the background
    await boost.refresh();
    expect(boost.ratio()).toBe(0.5);
    expect(appconfig.reads).toHaveLength(1);
  });

  test('{} is no boost; a boost ends by itself at until, with no new read or deployment', async () => {
    let now = Date.now();
    const boost = new AdaptiveBoost(url(), { now: () => now, refreshMs: 60_000 });
    appconfig.deploy(APP, ENV, PROFILE, '{}');
    await boost.refresh();
    expect(boost.ratio()).toBeUndefined();
    appconfig.deploy(
      APP,
      ENV,
      PROFILE,
      JSON.stringify({ boostRatio: 1, until: new Date(now + 1000).toISOString() }),
    );
    await boost.refresh();
    expect(boost.ratio()).toBe(1);
    now += 999;
    expect(boost.ratio()).toBe(1);
    now += 1;
    expect(boost.ratio()).toBeUndefined();
    expect(appconfig.reads).toHaveLength(2);
  });

  test('re-reads at most once per refresh interval, one read at a time under concurrent calls', async () => {
    let now = Date.now();
    appconfig.deploy(APP, ENV, PROFILE, boostFor(0.2, 60_000));
    const boost = new AdaptiveBoost(url(), { now: () => now, refreshMs: 5000 });
    const answers = Array.from({ length: 100 }, () => boost.ratio());
    expect(answers.every((a) => a === undefined)).toBe(true);
    await boost.refresh(); // the read under way, not a second one
    expect(appconfig.reads).toHaveLength(1);
    for (let i = 0; i < 100; i++) boost.ratio();
    now += 4999;
    boost.ratio();
    await sleep(20);
    expect(appconfig.reads).toHaveLength(1);
    now += 1;
    boost.ratio();
    await boost.refresh();
    expect(appconfig.reads).toHaveLength(2);
  });

  test.each(['slow', 'error', 'malformed'] as const)(
    'a %s answer keeps the last value and never throws',
    async (mode) => {
      appconfig.deploy(APP, ENV, PROFILE, boostFor(0.3, 60_000));
      const boost = new AdaptiveBoost(url(), { timeoutMs: 50 });
      await boost.refresh();
      expect(boost.ratio()).toBe(0.3);
      appconfig.mode = mode;
      appconfig.slowMs = 500;
      const started = Date.now();
      await boost.refresh();
      expect(Date.now() - started).toBeLessThan(400); // bounded by the timeout, not the 500 ms answer
      expect(boost.ratio()).toBe(0.3);
    },
  );

  test('the extension down: no boost, no error', async () => {
    const boost = new AdaptiveBoost(
      new URL(`http://127.0.0.1:${await closedPort()}/applications/a/environments/e/configurations/p`),
    );
    await expect(boost.refresh()).resolves.toBeUndefined();
    expect(boost.ratio()).toBeUndefined();
  });

  test('404 before the first deployment: no boost', async () => {
    const boost = new AdaptiveBoost(url());
    await boost.refresh();
    expect(boost.ratio()).toBeUndefined();
  });
});

describe('the ratio a traced handler applies', () => {
  const ok = () => traced(async () => ({ statusCode: 200 }));

  /** A fresh runtime at head ratio `ratio` reading the stand-in; waits for its first read. */
  async function runtimeAt(ratio: number): Promise<ReturnType<typeof ok>> {
    await freshRuntime(
      lambdaEnvironment(receiver.endpoint, {
        OTEL_TRACES_SAMPLER_ARG: String(ratio),
        [ENV_ADAPTIVE_CONFIG]: appconfig.extensionUrl(APP, ENV, PROFILE),
      }),
    );
    const handler = traced(async () => ({ statusCode: 200 }));
    await handler(httpApiEvent(), lambdaContext()); // sets the runtime up: the first read starts
    for (let i = 0; i < 50 && appconfig.reads.length === 0; i++) await sleep(5);
    await sleep(20);
    receiver.clear();
    return handler;
  }

  test('without the variable nothing is read and the head ratio applies', async () => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0.5' }));
    const handler = ok();
    for (let i = 0; i < 100; i++) await handler(httpApiEvent(), lambdaContext());
    expect(receiver.spans.length).toBeGreaterThan(0);
    expect(receiver.spans.length).toBeLessThan(100);
    expect(receiver.spans.some((span) => ATTR_SAMPLING_BOOST in span.attributes)).toBe(false);
    expect(appconfig.reads).toEqual([]);
  });

  test('head ratio 0, boost 1: every new trace is sampled and says it was boosted', async () => {
    appconfig.deploy(APP, ENV, PROFILE, boostFor(1, 60_000));
    const handler = await runtimeAt(0);
    for (let i = 0; i < 30; i++) await handler(httpApiEvent(), lambdaContext());
    expect(receiver.spans).toHaveLength(30);
    expect(
      receiver.spans.every((span) => isSampled(span) && span.attributes[ATTR_SAMPLING_BOOST] === 1),
    ).toBe(true);
  });

  test('head ratio 0, boost 0.5: about half (4 binomial standard deviations)', async () => {
    appconfig.deploy(APP, ENV, PROFILE, boostFor(0.5, 60_000));
    const handler = await runtimeAt(0);
    const n = 400;
    for (let i = 0; i < n; i++) await handler(httpApiEvent(), lambdaContext());
    expect(Math.abs(receiver.spans.length - n * 0.5)).toBeLessThanOrEqual(4 * Math.sqrt(n * 0.25));
  });

  test('a boost below the head ratio changes nothing (max of the two)', async () => {
    appconfig.deploy(APP, ENV, PROFILE, boostFor(0, 60_000));
    const handler = await runtimeAt(1);
    for (let i = 0; i < 20; i++) await handler(httpApiEvent(), lambdaContext());
    expect(receiver.spans).toHaveLength(20);
  });

  test('a parent decides for its trace: an unsampled W3C parent stays unsampled under a boost', async () => {
    appconfig.deploy(APP, ENV, PROFILE, boostFor(1, 60_000));
    const handler = await runtimeAt(0);
    for (let i = 0; i < 10; i++) {
      await handler(
        httpApiEvent({ headers: { traceparent: traceparent(randomTraceId(), PARENT_SPAN_ID, false) } }),
        lambdaContext(),
      );
    }
    expect(receiver.spans).toEqual([]);
  });

  test('the boost ends at until without a new deployment: back to the head ratio', async () => {
    appconfig.deploy(APP, ENV, PROFILE, boostFor(1, 400));
    const handler = await runtimeAt(0);
    for (let i = 0; i < 10; i++) await handler(httpApiEvent(), lambdaContext());
    expect(receiver.spans).toHaveLength(10);
    await sleep(450);
    receiver.clear();
    for (let i = 0; i < 10; i++) await handler(httpApiEvent(), lambdaContext());
    expect(receiver.spans).toEqual([]);
    expect(appconfig.deployments).toEqual([]);
  });

  test('the extension slow, failing or down never changes the result or fails the handler', async () => {
    appconfig.mode = 'slow';
    appconfig.slowMs = 1000;
    const handler = await runtimeAt(0);
    const started = Date.now();
    for (let i = 0; i < 10; i++)
      await expect(handler(httpApiEvent(), lambdaContext())).resolves.toEqual({ statusCode: 200 });
    expect(Date.now() - started).toBeLessThan(400); // no invocation waited for the 1 s answer
    appconfig.mode = 'error';
    for (let i = 0; i < 5; i++)
      await expect(handler(httpApiEvent(), lambdaContext())).resolves.toEqual({ statusCode: 200 });
    await freshRuntime(
      lambdaEnvironment(receiver.endpoint, {
        OTEL_TRACES_SAMPLER_ARG: '0',
        [ENV_ADAPTIVE_CONFIG]: `http://127.0.0.1:${await closedPort()}/applications/a/environments/e/configurations/p`,
      }),
    );
    const down = ok();
    for (let i = 0; i < 5; i++)
      await expect(down(httpApiEvent(), lambdaContext())).resolves.toEqual({ statusCode: 200 });
    expect(receiver.spans).toEqual([]); // head ratio 0, no boost
    await sleep(600); // the abandoned background read of the slow answer ends (500 ms timeout)
  });

  test('concurrent invocations share one read and all apply the boost', async () => {
    appconfig.deploy(APP, ENV, PROFILE, boostFor(1, 60_000));
    const handler = await runtimeAt(0);
    const reads = appconfig.reads.length;
    await Promise.all(Array.from({ length: 25 }, () => handler(httpApiEvent(), lambdaContext())));
    expect(receiver.spans).toHaveLength(25);
    expect(appconfig.reads.length - reads).toBeLessThanOrEqual(1);
  });
});

describe('a span made after the fact for a trace decided unsampled', () => {
  // The held-back invocation span and a failed unsampled record are made when the invocation ends;
  // a boost that started since must not turn them into sampled spans their children are not.
  test('is recorded and not sampled, whatever the boost says now; other spans follow the boost', () => {
    const boost = { ratio: () => 1 } as unknown as AdaptiveBoost;
    const sampler = runtimeSampler(new TraceIdRatioBasedSampler(0), { keepErrors: true, boost });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const now = sampler.shouldSample(ROOT_CONTEXT, traceId, 'invocation', SpanKind.SERVER, {}, []);
    expect(now.decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    const after = sampler.shouldSample(
      markRecordOnly(ROOT_CONTEXT),
      traceId,
      'invocation',
      SpanKind.SERVER,
      {},
      [],
    );
    expect(after.decision).toBe(SamplingDecision.RECORD);
    const decision = decisionSampler(new TraceIdRatioBasedSampler(0), { boost });
    expect(decision.shouldSample(ROOT_CONTEXT, traceId, 'invocation', SpanKind.SERVER, {}, []).decision).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
  });
});
