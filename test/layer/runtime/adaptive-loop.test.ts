import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { BOOSTER_ENV, boosterHandler, type AlarmStateChangeEvent } from '../../../layer/adaptive/booster';
import { traced } from '../../../layer/runtime';
import { ENV_ADAPTIVE_CONFIG } from '../../../layer/runtime/adaptive';
import { ATTR_SAMPLING_BOOST } from '../../../layer/runtime/semconv';
import { LocalAppConfig } from '../../../bin/local/local-appconfig';
import { ACCOUNT, REGION, httpApiEvent, lambdaContext } from '../../helpers/events';
import { isSampled } from '../../helpers/otlp-receiver';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// The whole adaptive-sampling loop with local stand-ins: an EventBridge "CloudWatch Alarm State
// Change" event → the booster's real handler, calling AppConfig with the real AWS SDK v3 client on
// a local endpoint → the deployed configuration, served by the extension stand-in → a traced
// handler in a warm sandbox samples new traces at the boost ratio (counted at a local OTLP
// receiver) → after `until`, back to its own ratio, with no new deployment.

const APP = 'abc1234';
const ENV = 'env5678';
const PROFILE = 'prof901';
const STRATEGY = 'strt234';
const ALARM_ARN = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:checkout-p99-anomaly`;

const appconfig = new LocalAppConfig();
const receiver = useReceiver();
let client: AppConfigClient;

beforeAll(async () => {
  await appconfig.start();
  client = new AppConfigClient({
    region: REGION,
    endpoint: appconfig.endpoint,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client.destroy();
  await appconfig.stop();
});

/** The event EventBridge delivers when the alarm changes state (the CloudWatch user guide's example's shape). */
function alarmEvent(state: 'ALARM' | 'OK', previous: 'ALARM' | 'OK'): AlarmStateChangeEvent {
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [ALARM_ARN],
    detail: {
      alarmName: 'checkout-p99-anomaly',
      state: { value: state, reason: 'Thresholds Crossed', timestamp: new Date().toISOString() },
      previousState: { value: previous, timestamp: new Date().toISOString() },
      configuration: { description: 'p99 duration above its anomaly detection band' },
    },
  } as AlarmStateChangeEvent;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Within 4 binomial standard deviations of n × ratio. */
const near = (kept: number, n: number, ratio: number) =>
  Math.abs(kept - n * ratio) <= 4 * Math.sqrt(n * ratio * (1 - ratio));

test('alarm in, boost ratio out, and back to the base ratio by itself', async () => {
  const BASE = 0.1;
  const BOOST_SECONDS = 9;
  // What CloudFormation deploys with the stack: no boost.
  appconfig.deploy(APP, ENV, PROFILE, '{}');
  await freshRuntime(
    lambdaEnvironment(receiver.endpoint, {
      OTEL_TRACES_SAMPLER_ARG: String(BASE),
      [ENV_ADAPTIVE_CONFIG]: appconfig.extensionUrl(APP, ENV, PROFILE),
    }),
  );
  const handler = traced(async () => ({ statusCode: 200 }));
  const invoke = async (n: number) => {
    receiver.clear();
    for (let i = 0; i < n; i++) await handler(httpApiEvent(), lambdaContext());
    return receiver.spans.filter(isSampled);
  };

  // Before: the base ratio.
  const before = await invoke(400);
  expect(near(before.length, 400, BASE)).toBe(true);
  expect(before.some((span) => ATTR_SAMPLING_BOOST in span.attributes)).toBe(false);

  // The alarm: OK changes nothing; ALARM boosts.
  const boost = boosterHandler({
    client,
    env: {
      [BOOSTER_ENV.APPLICATION_ID]: APP,
      [BOOSTER_ENV.ENVIRONMENT_ID]: ENV,
      [BOOSTER_ENV.PROFILE_ID]: PROFILE,
      [BOOSTER_ENV.STRATEGY_ID]: STRATEGY,
      [BOOSTER_ENV.RATIO]: '1',
      [BOOSTER_ENV.DURATION_SECONDS]: String(BOOST_SECONDS),
    },
  });
  await expect(boost(alarmEvent('OK', 'ALARM'))).resolves.toEqual({
    boosted: false,
    reason: 'the alarm went to OK',
  });
  expect(appconfig.versions).toEqual([]);
  const result = await boost(alarmEvent('ALARM', 'OK'));
  if (!result.boosted) throw new Error(result.reason);
  expect(result).toMatchObject({
    boosted: true,
    alarm: 'checkout-p99-anomaly',
    boostRatio: 1,
    versionNumber: 1,
    deploymentNumber: 1,
  });

  // What reached AppConfig, as the SDK sent it.
  expect(appconfig.versions).toHaveLength(1);
  expect(appconfig.versions[0]).toMatchObject({
    applicationId: APP,
    profileId: PROFILE,
    contentType: 'application/json',
  });
  expect(JSON.parse(appconfig.versions[0].content)).toEqual({
    boostRatio: 1,
    until: result.until,
    alarm: 'checkout-p99-anomaly',
  });
  expect(appconfig.deployments).toEqual([
    {
      applicationId: APP,
      environmentId: ENV,
      profileId: PROFILE,
      strategyId: STRATEGY,
      versionNumber: 1,
      deploymentNumber: 1,
    },
  ]);

  // The warm sandbox sees it at its next background re-read (at most 5 s), with no new cold start.
  const seen = Date.now();
  for (;;) {
    const spans = await invoke(5);
    if (spans.some((span) => span.attributes[ATTR_SAMPLING_BOOST] === 1)) break;
    if (Date.now() - seen > 7000) throw new Error('the boost never reached the runtime');
    await sleep(100);
  }
  const during = await invoke(200);
  expect(during).toHaveLength(200);
  expect(receiver.spans.every((span) => span.attributes['faas.coldstart'] === false)).toBe(true);

  // After until: back to the base ratio, by itself (no second version, no second deployment).
  await sleep(Math.max(0, Date.parse(result.until) - Date.now() + 50));
  const after = await invoke(400);
  expect(near(after.length, 400, BASE)).toBe(true);
  expect(after.some((span) => ATTR_SAMPLING_BOOST in span.attributes)).toBe(false);
  expect(appconfig.versions).toHaveLength(1);
  expect(appconfig.deployments).toHaveLength(1);
});

test('the booster ignores other events and fails loudly (for EventBridge to retry) when AppConfig refuses', async () => {
  appconfig.clear();
  const env = {
    [BOOSTER_ENV.APPLICATION_ID]: APP,
    [BOOSTER_ENV.ENVIRONMENT_ID]: ENV,
    [BOOSTER_ENV.PROFILE_ID]: PROFILE,
    [BOOSTER_ENV.STRATEGY_ID]: STRATEGY,
    [BOOSTER_ENV.RATIO]: '0.5',
    [BOOSTER_ENV.DURATION_SECONDS]: String(7 * 3600),
  };
  const now = Date.parse('2026-11-27T12:00:00Z');
  const boost = boosterHandler({ client, env, now: () => now });
  await expect(boost({ 'detail-type': 'Scheduled Event' })).resolves.toMatchObject({ boosted: false });
  // The duration is capped at 6 hours whatever the variable says.
  const result = await boost(alarmEvent('ALARM', 'OK'));
  expect(result).toMatchObject({ boosted: true, boostRatio: 0.5, until: '2026-11-27T18:00:00.000Z' });
  // A deployment of a version that does not exist: the stand-in answers 404 as AppConfig does.
  const broken = boosterHandler({
    client: new AppConfigClient({
      region: REGION,
      endpoint: `${appconfig.endpoint}/nowhere`,
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    }),
    env,
  });
  await expect(broken(alarmEvent('ALARM', 'OK'))).rejects.toThrow();
  await expect(boosterHandler({ client, env: {} })(alarmEvent('ALARM', 'OK'))).rejects.toThrow(
    'the booster needs BOOST_APPLICATION_ID',
  );
});
