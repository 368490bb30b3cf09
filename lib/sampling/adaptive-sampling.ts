import { Annotations, Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../core/constants';
import { throwIfAny } from '../core/errors';
import { isTracedConstruct, markOptedOut } from '../core/markers';
import { layerPath } from '../core/package-paths';
import { serviceErrorTracesUrl, serviceTracesUrl } from '../dashboard/console-links';
import { runbookDescription, type RunbookLink } from '../dashboard/runbook';
import { SamplingMode } from '../settings/tracing-options';
import { TracingSettings } from '../settings/tracing-settings';
import { flowOf } from '../trace-map/flow';
import { buildTraceMap } from '../trace-map/trace-map';
import { appConfigLayerArn } from './private/appconfig-layers';

/** The shortest and longest boost `AdaptiveSampling` accepts. */
export const MIN_BOOST_DURATION = Duration.minutes(1);
export const MAX_BOOST_DURATION = Duration.hours(6);

/** The AppConfig Agent Lambda extension's variables (AWS AppConfig user guide). */
const EXTENSION_ENV = {
  PREFETCH_LIST: 'AWS_APPCONFIG_EXTENSION_PREFETCH_LIST',
  POLL_INTERVAL_SECONDS: 'AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS',
} as const;

/**
 * The booster's variables: layer/adaptive/booster.ts reads the same names (lib/ and layer/ share
 * no code; a test compares the two).
 */
const BOOSTER_ENV = {
  APPLICATION_ID: 'BOOST_APPLICATION_ID',
  ENVIRONMENT_ID: 'BOOST_ENVIRONMENT_ID',
  PROFILE_ID: 'BOOST_CONFIGURATION_PROFILE_ID',
  STRATEGY_ID: 'BOOST_DEPLOYMENT_STRATEGY_ID',
  RATIO: 'BOOST_RATIO',
  DURATION_SECONDS: 'BOOST_DURATION_SECONDS',
} as const;

/** Props of `AdaptiveSampling`. */
export interface AdaptiveSamplingProps {
  /**
   * The function where the flow starts (behind its API route, say): the default alarms watch the
   * flow from it, and, without `functions`, it is the function that reads the boost.
   *
   * @default - the first of `functions`; one of `entry` and `functions` is required
   */
  readonly entry?: lambda.IFunction;

  /**
   * The traced functions that read the boost (`TracedFunction`s, or Node.js functions a
   * `TracingPolicy` traces). Each gets the AppConfig Agent Lambda extension layer, read access to
   * the flow's configuration, and the variables that tell the runtime where to read the boost.
   * The boost raises the ratio of the traces these functions start; a function called with a
   * context (downstream of a queue, a topic or a traced call) follows its caller's decision, so
   * the flow's entry is enough unless other functions start traces of it too.
   *
   * @default - the entry alone
   */
  readonly functions?: lambda.Function[];

  /**
   * The ratio new traces are sampled at while a boost lasts (the runtime uses the larger of it and
   * the function's own ratio). It may not exceed the sampling budget (`maxSamplingRatio` of
   * `TracingSettings`): a boost is sampling, and the budget holds for it too.
   *
   * @default 1, or the budget when one is set below 1
   */
  readonly boostRatio?: number;

  /**
   * How long a boost lasts after an alarm goes to ALARM; it then ends by itself. A second alarm
   * during a boost extends it. Between 1 minute and 6 hours.
   *
   * @default Duration.minutes(15)
   */
  readonly boostDuration?: Duration;

  /**
   * The alarms whose change to ALARM starts a boost.
   *
   * @default - two CloudWatch anomaly detection alarms: the entry's p99 `Duration`, and the
   * `Errors` (sum) of every function of the flow (the entry and what the trace map shows it
   * reaching, through queues and topics too), above the upper band (2 standard deviations), 3 of
   * 3 one-minute periods for latency, 2 of 2 for errors; missing data is not breaching
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * How often the AppConfig extension in each function polls AppConfig for a new configuration
   * (`AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS`): with the runtime's own 5-second re-read, the
   * longest a warm function takes to see a boost after its deployment. Each poll is an AppConfig
   * configuration request, billed per request. Between 15 seconds and 10 minutes.
   *
   * @default Duration.seconds(45)
   */
  readonly pollInterval?: Duration;

  /**
   * The ARN of the AppConfig Agent Lambda extension layer, for a region the built-in table does not
   * list or to pin another version.
   *
   * @default - the layer of the function's region and architecture from aws-cdk-lib's table
   * (`appconfig.Application.getLambdaLayerVersionArn`); a `Fn::FindInMap` when the region is a token
   */
  readonly extensionLayerArn?: string;

  /**
   * How long the booster's logs are kept.
   *
   * @default - `logRetention` of the enclosing `TracingSettings`, else logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Adaptive sampling for one flow: when one of its alarms (by default anomaly detection on the
 * entry's p99 latency and errors) goes to ALARM, the flow's functions sample new traces at
 * `boostRatio` for `boostDuration`, then fall back by themselves — with no redeploy and no new
 * cold start.
 *
 * How: an AWS AppConfig application, environment and hosted configuration profile hold the boost
 * (`{}` or `{ "boostRatio": 1, "until": "<ISO time>" }`); an EventBridge rule sends the alarms'
 * changes to ALARM to a small booster function (not traced) that writes a new configuration
 * version with `until = now + boostDuration` and deploys it at once; each function reads it
 * through the AppConfig Agent Lambda extension (a layer) on localhost:2772, the runtime re-reading
 * it at most every 5 seconds in the background, never holding an invocation for it.
 *
 * With `SamplingMode.TAIL` the boost raises the share of traces the functions send to the
 * gateway, and the gateway keeps every trace whose root span carries the boost (its
 * `adaptive-boost` policy), whatever its own percentage.
 *
 * @example
 * new AdaptiveSampling(stack, 'CheckoutBoost', {
 *   entry: checkout,
 *   boostRatio: 1,
 *   boostDuration: Duration.minutes(30),
 * });
 */
export class AdaptiveSampling extends Construct {
  /** The AppConfig application, environment and configuration profile that hold the boost. */
  public readonly application: appconfig.Application;
  public readonly environment: appconfig.Environment;
  public readonly configuration: appconfig.HostedConfiguration;
  /** The strategy the booster deploys with: all at once, no bake time. */
  public readonly deploymentStrategy: appconfig.DeploymentStrategy;
  /** The function that starts a boost. */
  public readonly booster: nodejs.NodejsFunction;
  /** The rule that sends the alarms' changes to ALARM to the booster. */
  public readonly rule: events.Rule;
  /** The alarms that start a boost. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The functions that read the boost. */
  public readonly functions: lambda.Function[];
  /** The boost ratio and duration in force. */
  public readonly boostRatio: number;
  public readonly boostDuration: Duration;
  /** `/applications/<id>/environments/<id>/configurations/<id>`, the extension path the runtime reads. */
  public readonly configurationPath: string;

  constructor(scope: Construct, id: string, props: AdaptiveSamplingProps) {
    super(scope, id);
    const budget = TracingSettings.budget(this);
    const boostRatio = props.boostRatio ?? Math.min(1, budget?.maxSamplingRatio ?? 1);
    const boostDuration = props.boostDuration ?? Duration.minutes(15);
    const pollInterval = props.pollInterval ?? Duration.seconds(45);
    throwIfAny(
      `AdaptiveSampling ${this.node.path} has invalid props`,
      adaptiveSamplingErrors(props, { boostRatio, boostDuration, pollInterval, budget }),
    );
    this.boostRatio = boostRatio;
    this.boostDuration = boostDuration;
    const entry = (props.entry ?? props.functions?.[0])!;
    const functions = props.functions ?? [entry as lambda.Function];
    this.functions = functions;

    this.application = new appconfig.Application(this, 'Application', {
      description: `Adaptive sampling of ${this.node.path}`,
    });
    this.environment = new appconfig.Environment(this, 'Environment', { application: this.application });
    this.deploymentStrategy = new appconfig.DeploymentStrategy(this, 'AllAtOnce', {
      description: 'Adaptive sampling boosts: all at once, no bake time',
      rolloutStrategy: appconfig.RolloutStrategy.linear({
        growthFactor: 100,
        deploymentDuration: Duration.minutes(0),
        finalBakeTime: Duration.minutes(0),
      }),
    });
    // `{}` (no boost) deployed with the stack, so the extension has a configuration to serve from
    // the first invocation on.
    this.configuration = new appconfig.HostedConfiguration(this, 'Boost', {
      application: this.application,
      content: appconfig.ConfigurationContent.fromInlineJson('{}'),
      deployTo: [this.environment],
      deploymentStrategy: this.deploymentStrategy,
      description: 'The adaptive sampling boost: {} or { "boostRatio": <0..1>, "until": "<ISO time>" }',
    });
    this.configurationPath =
      `/applications/${this.application.applicationId}/environments/${this.environment.environmentId}` +
      `/configurations/${this.configuration.configurationProfileId}`;

    const logGroup = new logs.LogGroup(this, 'BoosterLogGroup', {
      retention:
        props.logRetention ?? TracingSettings.resolve(this).logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // A role of its own that may write to its log group only (no AWSLambdaBasicExecutionRole, whose
    // logs permission is on every group: cdk-nag AwsSolutions-IAM4), like TracedFunction's.
    const role = new iam.Role(this, 'BoosterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `The adaptive sampling booster of ${this.node.path}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.alarms =
      props.alarms ?? defaultAlarms(this, entry, { ratio: boostRatio, duration: boostDuration, logGroup });

    this.booster = new nodejs.NodejsFunction(this, 'Booster', {
      description: `Starts an adaptive sampling boost of ${this.node.path}`,
      entry: layerPath('adaptive', 'booster.ts'),
      handler: 'handler',
      // The newest Node.js runtime (cdk-nag AwsSolutions-L1), as the canary's; it ships the AWS SDK v3.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      // The AWS SDK v3 comes with the Node.js runtime (NodejsFunction leaves @aws-sdk/* out).
      bundling: { minify: true, sourceMap: false },
      environment: {
        [BOOSTER_ENV.APPLICATION_ID]: this.application.applicationId,
        [BOOSTER_ENV.ENVIRONMENT_ID]: this.environment.environmentId,
        [BOOSTER_ENV.PROFILE_ID]: this.configuration.configurationProfileId,
        [BOOSTER_ENV.STRATEGY_ID]: this.deploymentStrategy.deploymentStrategyId,
        [BOOSTER_ENV.RATIO]: String(boostRatio),
        [BOOSTER_ENV.DURATION_SECONDS]: String(boostDuration.toSeconds()),
      },
    });
    markOptedOut(this.booster, 'the adaptive sampling booster: deployment plumbing, run by alarms');
    // Least privilege: one new version of this profile, one deployment of it to this environment
    // with this strategy (the resource types the Service Authorization Reference lists).
    this.booster.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['appconfig:CreateHostedConfigurationVersion'],
        resources: [this.configuration.configurationProfileArn],
      }),
    );
    this.booster.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['appconfig:StartDeployment'],
        resources: [
          this.configuration.configurationProfileArn,
          this.environment.environmentArn,
          this.deploymentStrategy.deploymentStrategyArn,
        ],
      }),
    );

    this.rule = new events.Rule(this, 'OnAlarm', {
      description: `Starts an adaptive sampling boost of ${this.node.path} when an alarm goes to ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: this.alarms.map((alarm) => alarm.alarmArn),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.LambdaFunction(this.booster, { retryAttempts: 2 })],
    });

    // cdk-nag (Serverless) findings the booster accepts by design, each with its reason.
    const nowOrNever =
      'a boost is worth starting only while its alarm is in ALARM: EventBridge retries the target twice and ' +
      'Lambda retries the asynchronous invocation twice, a boost replayed later from a queue would raise sampling ' +
      "after the anomaly, and the alarm's next change to ALARM starts another";
    Validations.of(this.booster).acknowledge(
      { id: 'Serverless::Serverless-LambdaDLQ', reason: nowOrNever },
      {
        id: 'Serverless::Serverless-LambdaTracing',
        reason:
          'the adaptive sampling booster is deployment plumbing run by alarms, left untraced on purpose: its runs ' +
          'are in its log group and its Lambda metrics',
      },
    );
    Validations.of(this.rule).acknowledge({ id: 'Serverless::Serverless-EventBusDLQ', reason: nowOrNever });

    for (const [i, fn] of functions.entries()) {
      const other = BOOST_READERS.get(fn);
      if (other) {
        throw new Error(
          `AdaptiveSampling ${this.node.path}: ${props.functions ? `functions[${i}]` : 'entry'} ${fn.node.path} already ` +
            `reads the boost of AdaptiveSampling ${other.node.path}, and a function reads one boost: leave it out of ` +
            'one of them (one AdaptiveSampling can list the functions of several flows, with alarms for each)',
        );
      }
      BOOST_READERS.set(fn, this);
      const arn = appConfigLayerArn(fn, fn.architecture, props.extensionLayerArn);
      if (arn === undefined) {
        throw new Error(
          `AdaptiveSampling ${this.node.path}: the AppConfig Agent Lambda extension has no layer listed for ` +
            `${Stack.of(fn).region} (${fn.architecture.name}) in aws-cdk-lib's table: give extensionLayerArn ` +
            '(the AppConfig user guide lists the ARNs), or deploy to a listed region',
        );
      }
      fn.addLayers(
        lambda.LayerVersion.fromLayerVersionArn(fn, `AppConfigExtension${fn.node.addr.slice(0, 8)}`, arn),
      );
      fn.addEnvironment(ENV.ADAPTIVE_CONFIG, this.configurationPath);
      fn.addEnvironment(EXTENSION_ENV.PREFETCH_LIST, this.configurationPath);
      fn.addEnvironment(EXTENSION_ENV.POLL_INTERVAL_SECONDS, String(pollInterval.toSeconds()));
      // What the extension calls, on this profile in this environment only (grantReadConfig
      // would give every configuration of the environment: `/configuration/*`).
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
          resources: [
            `${this.environment.environmentArn}/configuration/${this.configuration.configurationProfileId}`,
          ],
        }),
      );
    }
    // A function must be traced by the time of synth (a TracingPolicy traces at synth).
    this.node.addValidation({
      validate: () =>
        functions.flatMap((fn, i) =>
          isTracedConstruct(fn)
            ? []
            : [
                `AdaptiveSampling ${this.node.path}: ${props.functions ? `functions[${i}]` : 'entry'} ${fn.node.path} is not traced, so nothing ` +
                  'reads the boost: use a TracedFunction, or put the function under a TracingPolicy',
              ],
        ),
    });
  }
}

/** The AdaptiveSampling each function reads its boost from. */
const BOOST_READERS = new WeakMap<lambda.Function, AdaptiveSampling>();

/** The problems of the props, each naming the prop and the fix. */
function adaptiveSamplingErrors(
  props: AdaptiveSamplingProps,
  resolved: {
    boostRatio: number;
    boostDuration: Duration;
    pollInterval: Duration;
    budget?: { maxSamplingRatio: number; setBy: string };
  },
): string[] {
  const errors: string[] = [];
  const { boostRatio, boostDuration, pollInterval, budget } = resolved;
  if (props.functions !== undefined && props.functions.length === 0) {
    errors.push(
      'functions is empty: list the traced functions that read the boost, or leave it out for the entry alone',
    );
  } else if (props.functions === undefined && props.entry === undefined) {
    errors.push('give entry (the function where the flow starts), or functions');
  } else if (props.functions === undefined && !(props.entry instanceof lambda.Function)) {
    errors.push(
      `entry ${props.entry!.node.path} is not a lambda.Function (an imported one cannot get the extension layer): ` +
        'give functions, the traced functions that read the boost',
    );
  }
  const functions = props.functions ?? (props.entry instanceof lambda.Function ? [props.entry] : []);
  const name = (i: number) => (props.functions ? `functions[${i}]` : 'entry');
  for (const [i, fn] of functions.entries()) {
    if (fn.runtime.family !== lambda.RuntimeFamily.NODEJS) {
      errors.push(
        `${name(i)} ${fn.node.path} runs ${fn.runtime.name}: the tracing runtime (and the boost) is Node.js only`,
      );
    }
    const mode = (fn as { tracingOptions?: { samplingMode?: string } }).tracingOptions?.samplingMode;
    // HEAD: the boost raises the head ratio. TAIL: it raises the share sent to the gateway, and the
    // gateway keeps every trace whose root carries the boost (its adaptive-boost policy).
    // COLLECTOR: the collector's probabilistic_sampler decides span by span, and only the root
    // carries the boost, so a boosted trace would not be kept whole.
    if (mode === SamplingMode.COLLECTOR) {
      errors.push(
        `${name(i)} ${fn.node.path} uses samplingMode collector: its collector decides span by span and would not ` +
          'keep a boosted trace whole; use SamplingMode.HEAD or SamplingMode.TAIL for the flow, or leave the function out',
      );
    }
  }
  if (!Token.isUnresolved(boostRatio) && !(boostRatio > 0 && boostRatio <= 1)) {
    errors.push(`boostRatio must be above 0 and at most 1 (got ${boostRatio})`);
  } else if (budget && boostRatio > budget.maxSamplingRatio) {
    errors.push(
      `boostRatio ${boostRatio} is above the sampling budget maxSamplingRatio ${budget.maxSamplingRatio} set by ` +
        `TracingSettings on '${budget.setBy}': lower boostRatio or raise the budget`,
    );
  }
  if (!boostDuration.isUnresolved()) {
    const seconds = boostDuration.toSeconds();
    if (seconds < MIN_BOOST_DURATION.toSeconds() || seconds > MAX_BOOST_DURATION.toSeconds()) {
      errors.push(
        `boostDuration must be between 1 minute and 6 hours (got ${boostDuration.toHumanString()}): a boost is bounded`,
      );
    }
  }
  if (!pollInterval.isUnresolved()) {
    const seconds = pollInterval.toSeconds();
    if (seconds < 15 || seconds > 600) {
      errors.push(
        `pollInterval must be between 15 seconds and 10 minutes (got ${pollInterval.toHumanString()})`,
      );
    }
  }
  if (props.alarms !== undefined && props.alarms.length === 0) {
    errors.push(
      'alarms is empty, so nothing would start a boost: list the alarms, or leave alarms out for the defaults',
    );
  }
  return errors;
}

/**
 * The most functions whose errors one alarm sums: an alarm's metric math may read at most 10
 * metrics (PutMetricAlarm `Metrics`: up to 10 `MetricStat` and 10 `Expression` queries).
 */
export const MAX_FLOW_ERROR_METRICS = 10;

/**
 * An anomaly detection alarm whose metrics are read at synth (the flow comes from the trace map):
 * CloudWatch's `CfnAlarm` under an `AlarmBase`, so it is an `IAlarm` whose description a
 * `FlowDashboard` can add its link to, as it does for any alarm of the library.
 */
class FlowAnomalyAlarm extends cloudwatch.AlarmBase {
  public readonly alarmArn: string;
  public readonly alarmName: string;

  constructor(scope: Construct, id: string, props: cloudwatch.CfnAlarmProps) {
    super(scope, id);
    const cfn = new cloudwatch.CfnAlarm(this, 'Resource', props);
    this.alarmArn = cfn.attrArn;
    this.alarmName = cfn.ref;
  }
}

/** Anomaly detection alarms on the entry's p99 duration and on the errors of its flow. */
function defaultAlarms(
  scope: Construct,
  entry: lambda.IFunction,
  boost: { ratio: number; duration: Duration; logGroup: logs.ILogGroup },
): cloudwatch.IAlarm[] {
  const region = Stack.of(scope).region;
  const band = (label: string): cloudwatch.CfnAlarm.MetricDataQueryProperty => ({
    id: 'band',
    expression: 'ANOMALY_DETECTION_BAND(m1, 2)',
    label,
    returnData: true,
  });
  const lambdaMetric = (
    id: string,
    fn: lambda.IFunction,
    metricName: string,
    stat: string,
    returnData: boolean,
  ): cloudwatch.CfnAlarm.MetricDataQueryProperty => ({
    id,
    returnData,
    metricStat: {
      metric: {
        namespace: 'AWS/Lambda',
        metricName,
        dimensions: [{ name: 'FunctionName', value: fn.functionName }],
      },
      period: 60,
      stat,
    },
  });

  // The flow, from the trace map once the app is complete (a TracingPolicy traces at synth): its
  // functions, the entry first then in flow order, and the entry's service name.
  let known: { functions: lambda.IFunction[]; entryService?: string } | undefined;
  const flow = () => {
    if (known) return known;
    const result = flowOf(buildTraceMap(scope), entry.node.path);
    if (!result.flow) throw new Error(`AdaptiveSampling ${scope.node.path}: ${result.error}`);
    const byPath = new Map(scope.node.root.node.findAll().map((c) => [c.node.path, c]));
    known = {
      functions: result.flow.nodes
        .filter((n) => n.type === 'function')
        .map((n) => byPath.get(n.id))
        .filter((c): c is lambda.IFunction => c !== undefined && 'functionName' in c),
      entryService: result.flow.nodes[0]?.serviceName,
    };
    return known;
  };
  scope.node.addValidation({
    validate: () => {
      let all: lambda.IFunction[];
      try {
        all = flow().functions;
      } catch (error) {
        return [(error as Error).message];
      }
      if (all.length > MAX_FLOW_ERROR_METRICS) {
        Annotations.of(scope).addWarningV2(
          'cdk-serverless-tracing:adaptiveFlowErrors',
          `the default errors alarm sums the errors of the first ${MAX_FLOW_ERROR_METRICS} of the flow's ` +
            `${all.length} functions (an alarm reads at most ${MAX_FLOW_ERROR_METRICS} metrics); it leaves out ` +
            `${all
              .slice(MAX_FLOW_ERROR_METRICS)
              .map((fn) => fn.node.path)
              .join(', ')}: give alarms to watch them`,
        );
      }
      return [];
    },
  });
  const service = () => {
    try {
      return flow().entryService;
    } catch {
      return undefined;
    }
  };

  // The runbook: what the boost did, where the booster says so, and the traces it keeps.
  const boosted =
    `new traces of the flow are sampled at ${boost.ratio} for ${boost.duration.toHumanString()} ` +
    '(adaptive sampling), then sampling falls back by itself; nothing pages on this alarm.';
  const firstQuery =
    `Logs Insights on ${boost.logGroup.logGroupName}: fields @timestamp, @message ` +
    '| filter @message like /adaptive sampling boosted|ERROR/ | sort @timestamp desc | limit 20 ' +
    '(whether the boost started, until when, or why it failed)';
  const anomaly = (
    id: string,
    meaning: string,
    traces: RunbookLink,
    evaluationPeriods: number,
    metrics: () => cloudwatch.CfnAlarm.MetricDataQueryProperty[],
  ) =>
    new FlowAnomalyAlarm(scope, id, {
      alarmDescription: runbookDescription({
        meaning: `${meaning}: ${boosted}`,
        firstQuery,
        links: [traces],
      }),
      comparisonOperator: 'GreaterThanUpperThreshold',
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      thresholdMetricId: 'band',
      treatMissingData: 'notBreaching',
      metrics: Lazy.any({ produce: metrics }),
    });

  return [
    anomaly(
      'LatencyAnomaly',
      `The p99 duration of ${entry.node.path} is above its anomaly detection band`,
      {
        label: 'Traces of the entry',
        url: () => {
          const name = service();
          return name === undefined ? undefined : serviceTracesUrl(region, name);
        },
      },
      3,
      () => [lambdaMetric('m1', entry, 'Duration', 'p99', true), band('p99 duration (expected)')],
    ),
    anomaly(
      'ErrorsAnomaly',
      `The errors of the flow of ${entry.node.path} (its functions' Lambda Errors, summed) are above their anomaly detection band`,
      {
        label: 'Error traces of the entry',
        url: () => {
          const name = service();
          return name === undefined ? undefined : serviceErrorTracesUrl(region, name);
        },
      },
      2,
      () => {
        // Without a flow (the entry unknown to the trace map) the validation fails the synth; the
        // entry's own errors stand in until then.
        let fns: lambda.IFunction[];
        try {
          fns = flow().functions.slice(0, MAX_FLOW_ERROR_METRICS);
        } catch {
          fns = [entry];
        }
        if (fns.length === 1)
          return [lambdaMetric('m1', fns[0], 'Errors', 'Sum', true), band('errors (expected)')];
        // A function without invocations in a minute has no datapoint: FILL makes it 0, so the
        // sum is there for every minute any function of the flow ran.
        return [
          ...fns.map((fn, i) => lambdaMetric(`e${i}`, fn, 'Errors', 'Sum', false)),
          {
            id: 'm1',
            expression: `SUM([${fns.map((_, i) => `FILL(e${i}, 0)`).join(', ')}])`,
            label: 'errors of the flow',
            returnData: true,
          },
          band('errors (expected)'),
        ];
      },
    ),
  ];
}
