import { Duration, Token } from 'aws-cdk-lib';

/** A tier's sizes and counts, defaults applied. */
export interface ResolvedTier {
  /** The tasks at deploy; absent: `minCount`. */
  readonly desiredCount?: number;
  readonly minCount: number;
  readonly maxCount: number;
  readonly cpu: number;
  readonly memoryLimitMiB: number;
}

/** The memory sizes (MiB) Fargate allows with each task CPU size (Linux, platform 1.4.0 and later). */
const FARGATE_SIZES: ReadonlyMap<
  number,
  { readonly min: number; readonly max: number; readonly step: number }
> = new Map([
  [256, { min: 512, max: 2048, step: 512 }],
  [512, { min: 1024, max: 4096, step: 1024 }],
  [1024, { min: 2048, max: 8192, step: 1024 }],
  [2048, { min: 4096, max: 16384, step: 1024 }],
  [4096, { min: 8192, max: 30720, step: 1024 }],
  [8192, { min: 16384, max: 61440, step: 4096 }],
  [16384, { min: 32768, max: 122880, step: 8192 }],
]);

/** The problems of a tier's options (`prop` is its prop name, `loadBalancing` or `sampling`). */
export function tierErrors(prop: string, tier: ResolvedTier): string[] {
  const errors: string[] = [];
  const known = (n: number) => !Token.isUnresolved(n);
  for (const key of ['desiredCount', 'minCount', 'maxCount'] as const) {
    const n = tier[key];
    if (n !== undefined && known(n) && !(Number.isInteger(n) && n >= 1)) {
      errors.push(`${prop}.${key} must be a whole number of tasks, at least 1 (got ${n})`);
    }
  }
  const { desiredCount, minCount, maxCount } = tier;
  if (known(minCount) && known(maxCount) && minCount > maxCount) {
    errors.push(
      `${prop}.minCount (${minCount}) is above ${prop}.maxCount (${maxCount}): raise maxCount or lower minCount`,
    );
  } else if (desiredCount !== undefined && known(desiredCount) && known(minCount) && known(maxCount)) {
    if (desiredCount < minCount || desiredCount > maxCount) {
      errors.push(
        `${prop}.desiredCount (${desiredCount}) must be from ${prop}.minCount (${minCount}) to ${prop}.maxCount ` +
          `(${maxCount}): the autoscaling would move it there at once`,
      );
    }
  }
  const { cpu, memoryLimitMiB } = tier;
  if (known(cpu) && known(memoryLimitMiB)) {
    const sizes = FARGATE_SIZES.get(cpu);
    if (!sizes) {
      errors.push(
        `${prop}.cpu ${cpu} is not a Fargate task size: use ${[...FARGATE_SIZES.keys()].join(', ')} (1024 is one vCPU)`,
      );
    } else if (
      memoryLimitMiB < sizes.min ||
      memoryLimitMiB > sizes.max ||
      (memoryLimitMiB - sizes.min) % sizes.step !== 0
    ) {
      errors.push(
        `${prop}.memoryLimitMiB ${memoryLimitMiB} is not a Fargate memory size for cpu ${cpu}: use ` +
          `${sizes.min} to ${sizes.max} MiB in steps of ${sizes.step}, or another cpu`,
      );
    }
  }
  return errors;
}

/** The sampling options the gateway validates (with their prop names). */
export interface SamplingValues {
  readonly samplingPercentage: number;
  readonly latencyThreshold?: Duration;
  readonly decisionWait: Duration;
  readonly expectedNewTracesPerSecond: number;
  readonly lateSpanWindow: Duration;
  /** The lowest `maxSamplingRatio` of the enclosing `TracingSettings`, and where it was set. */
  readonly budget?: { readonly maxSamplingRatio: number; readonly setBy: string };
}

/** The longest `decisionWait`: traces are held in memory that long. */
export const MAX_DECISION_WAIT = Duration.minutes(10);

/** The shortest `decisionWait`: below it, a trace's spans from one invocation arrive after its decision. */
export const MIN_DECISION_WAIT = Duration.seconds(1);

/** The problems of the sampling options; each is written into the collector configuration, so none may be a token. */
export function samplingErrors(values: SamplingValues): string[] {
  const errors: string[] = [];
  const percentage = values.samplingPercentage;
  if (Token.isUnresolved(percentage)) {
    errors.push(
      'samplingPercentage must be a number known at synth (it is written into the collector configuration)',
    );
  } else if (Number.isNaN(percentage) || percentage < 0 || percentage > 100) {
    errors.push(`samplingPercentage must be from 0 to 100 (got ${percentage})`);
  } else if (values.budget && percentage > values.budget.maxSamplingRatio * 100) {
    errors.push(
      `samplingPercentage ${percentage} is above the sampling budget of ${values.budget.maxSamplingRatio * 100}% ` +
        `(maxSamplingRatio ${values.budget.maxSamplingRatio}, set by TracingSettings on '${values.budget.setBy}'): ` +
        'lower samplingPercentage or raise the budget there',
    );
  }

  const threshold = values.latencyThreshold;
  if (threshold !== undefined) {
    if (threshold.isUnresolved()) {
      errors.push('latencyThreshold must be known at synth (it is written into the collector configuration)');
    } else if (threshold.toMilliseconds() <= 0) {
      errors.push(
        `latencyThreshold must be positive (got ${threshold.toHumanString()}); leave it out for no latency policy`,
      );
    }
  }

  const wait = values.decisionWait;
  if (wait.isUnresolved()) {
    errors.push('decisionWait must be known at synth (it is written into the collector configuration)');
  } else if (
    wait.toMilliseconds() < MIN_DECISION_WAIT.toMilliseconds() ||
    wait.toMilliseconds() > MAX_DECISION_WAIT.toMilliseconds()
  ) {
    errors.push(
      `decisionWait must be from 1 second to 10 minutes (got ${wait.toHumanString()}): shorter decides before ` +
        "an invocation's spans arrive, longer holds every trace in memory that long; late spans are what " +
        'lateSpanWindow is for',
    );
  } else if (wait.toMilliseconds() % 1000 !== 0) {
    errors.push(`decisionWait must be whole seconds (got ${wait.toHumanString()})`);
  }

  const rate = values.expectedNewTracesPerSecond;
  if (Token.isUnresolved(rate)) {
    errors.push(
      'expectedNewTracesPerSecond must be a number known at synth (it sizes the collector configuration)',
    );
  } else if (!(Number.isInteger(rate) && rate >= 1)) {
    errors.push(`expectedNewTracesPerSecond must be a whole number, at least 1 (got ${rate})`);
  }

  const late = values.lateSpanWindow;
  if (late.isUnresolved()) {
    errors.push('lateSpanWindow must be known at synth (it sizes the collector configuration)');
  } else if (late.toMilliseconds() < 0 || late.toMilliseconds() > Duration.days(1).toMilliseconds()) {
    errors.push(
      `lateSpanWindow must be from 0 (no decision cache) to 1 day (got ${late.toHumanString()}): the cache ` +
        'holds one trace id per decided trace for that long',
    );
  }
  return errors;
}
