import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ENV, SAMPLER, SAMPLER_TAIL_MODE } from '../../core/constants';

/** What a traced function's environment says of its sampling (its own props included). */
export interface FunctionSampling {
  readonly mode?: 'head' | 'tail';
  readonly ratio?: number;
  readonly headSamplingRatio?: number;
  readonly keepErrors?: boolean;
}

/**
 * The sampling a function was given, read from the environment the library wrote into its
 * template (so a function's own props and a `TracingPolicy`'s settings count); empty when it is
 * not known at synth.
 */
export function functionSampling(fn: IConstruct): FunctionSampling {
  const resource = CfnResource.isCfnResource(fn) ? fn : fn.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) return {};
  let environment: { variables?: Record<string, unknown>; Variables?: Record<string, unknown> } | undefined;
  try {
    environment = Stack.of(resource).resolve((resource as unknown as { environment?: unknown }).environment);
  } catch {
    return {};
  }
  const variables = environment?.variables ?? environment?.Variables ?? {};
  const text = (name: string) =>
    typeof variables[name] === 'string' ? (variables[name] as string) : undefined;
  const number = (value: string | undefined) => {
    const parsed = value === undefined ? NaN : Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  const sampler = text(ENV.SAMPLER);
  const arg = number(text(ENV.SAMPLER_ARG));
  const keep = text(ENV.KEEP_ERRORS);
  return {
    ...(sampler === SAMPLER ? { mode: 'head' as const, ...(arg !== undefined ? { ratio: arg } : {}) } : {}),
    ...(sampler === SAMPLER_TAIL_MODE
      ? { mode: 'tail' as const, ...(arg !== undefined ? { headSamplingRatio: arg } : {}) }
      : {}),
    ...(keep === 'true' || keep === 'false' ? { keepErrors: keep === 'true' } : {}),
  };
}
