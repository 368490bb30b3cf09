import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  StartDeploymentCommand,
} from '@aws-sdk/client-appconfig';

// The booster of adaptive sampling: an EventBridge rule sends it the state changes of a flow's
// anomaly alarms; on a change to ALARM it writes a new hosted configuration version
// `{ "boostRatio": <ratio>, "until": "<now + duration>" }` to the flow's AppConfig configuration
// profile and deploys it (a strategy with no deployment time and no bake time). The traced
// functions read it through the AppConfig Agent Lambda extension; the boost ends by itself at
// `until`, so nothing has to run when the alarm goes back to OK. Not traced (it is plumbing).

/** The environment variables `AdaptiveSampling` gives the booster. */
export const BOOSTER_ENV = {
  APPLICATION_ID: 'BOOST_APPLICATION_ID',
  ENVIRONMENT_ID: 'BOOST_ENVIRONMENT_ID',
  PROFILE_ID: 'BOOST_CONFIGURATION_PROFILE_ID',
  STRATEGY_ID: 'BOOST_DEPLOYMENT_STRATEGY_ID',
  RATIO: 'BOOST_RATIO',
  DURATION_SECONDS: 'BOOST_DURATION_SECONDS',
} as const;

/** The longest boost the booster writes, whatever it is told (6 hours). */
export const MAX_BOOST_SECONDS = 6 * 60 * 60;

/** The parts of an EventBridge "CloudWatch Alarm State Change" event the booster reads. */
export interface AlarmStateChangeEvent {
  readonly 'detail-type'?: string;
  readonly source?: string;
  readonly resources?: readonly string[];
  readonly detail?: {
    readonly alarmName?: string;
    readonly state?: { readonly value?: string; readonly timestamp?: string };
    readonly previousState?: { readonly value?: string };
  };
}

/** What the booster did. */
export type BoostResult =
  | { readonly boosted: false; readonly reason: string }
  | {
      readonly boosted: true;
      readonly alarm?: string;
      readonly boostRatio: number;
      readonly until: string;
      readonly versionNumber: number;
      readonly deploymentNumber?: number;
    };

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`the booster needs ${name}`);
  return value;
}

/** The booster's handler, for a given client, environment and clock (tests give their own). */
export function boosterHandler(
  options: { client?: AppConfigClient; env?: Env; now?: () => number } = {},
): (event: AlarmStateChangeEvent) => Promise<BoostResult> {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  let client = options.client;
  return async (event) => {
    if (event?.['detail-type'] !== 'CloudWatch Alarm State Change') {
      return { boosted: false, reason: `not an alarm state change: ${String(event?.['detail-type'])}` };
    }
    const state = event.detail?.state?.value;
    if (state !== 'ALARM') return { boosted: false, reason: `the alarm went to ${String(state)}` };

    const applicationId = required(env, BOOSTER_ENV.APPLICATION_ID);
    const profileId = required(env, BOOSTER_ENV.PROFILE_ID);
    const ratio = Number(required(env, BOOSTER_ENV.RATIO));
    const seconds = Math.min(Number(required(env, BOOSTER_ENV.DURATION_SECONDS)), MAX_BOOST_SECONDS);
    if (!(ratio >= 0 && ratio <= 1) || !(seconds > 0)) {
      throw new Error(`the booster's ${BOOSTER_ENV.RATIO} or ${BOOSTER_ENV.DURATION_SECONDS} is not usable`);
    }
    // The boost is measured from now, not from the alarm's timestamp: a retried delivery still
    // gives the whole duration, and a second alarm during a boost extends it.
    const until = new Date(now() + seconds * 1000).toISOString();
    const alarm = event.detail?.alarmName;
    client ??= new AppConfigClient({});
    const version = await client.send(
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: applicationId,
        ConfigurationProfileId: profileId,
        ContentType: 'application/json',
        Content: new TextEncoder().encode(JSON.stringify({ boostRatio: ratio, until, alarm })),
        Description: `adaptive sampling boost: ${alarm ?? 'an alarm'} went to ALARM`.slice(0, 1024),
      }),
    );
    if (version.VersionNumber === undefined)
      throw new Error('CreateHostedConfigurationVersion gave no version number');
    const deployment = await client.send(
      new StartDeploymentCommand({
        ApplicationId: applicationId,
        EnvironmentId: required(env, BOOSTER_ENV.ENVIRONMENT_ID),
        DeploymentStrategyId: required(env, BOOSTER_ENV.STRATEGY_ID),
        ConfigurationProfileId: profileId,
        ConfigurationVersion: String(version.VersionNumber),
        Description: `boost to ${ratio} until ${until}`,
      }),
    );
    const result: BoostResult = {
      boosted: true,
      alarm,
      boostRatio: ratio,
      until,
      versionNumber: version.VersionNumber,
      deploymentNumber: deployment.DeploymentNumber,
    };
    console.log(JSON.stringify({ message: 'adaptive sampling boosted', ...result }));
    return result;
  };
}

export const handler = boosterHandler();
