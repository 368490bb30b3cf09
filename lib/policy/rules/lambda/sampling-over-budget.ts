import { IConstruct } from 'constructs';
import { ENV } from '../../../core/constants';
import { TracingSettings } from '../../../settings/tracing-settings';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, RuleResult, TracingRule } from '../../rule';
import { environmentVariables, functionTarget, literalString } from '../../../core/resource-values';

/** The id of the rule {@link samplingOverBudget}. */
export const SAMPLING_OVER_BUDGET = 'CST-SamplingOverBudget';

/**
 * `CST-SamplingOverBudget`: a function whose `OTEL_TRACES_SAMPLER_ARG` (a literal number) is above
 * the sampling budget (`maxSamplingRatio`) of the `TracingSettings` of its scopes. Not applicable
 * without a budget, without the variable, or when its value is a token or not a number.
 */
export const samplingOverBudget: TracingRule = {
  id: SAMPLING_OVER_BUDGET,
  level: RuleLevel.ERROR,
  summary: `A function's sampling ratio (${ENV.SAMPLER_ARG}) is above the maxSamplingRatio budget of its TracingSettings.`,
  fix: `Lower the function's samplingRatio (or ${ENV.SAMPLER_ARG}) to the budget, or raise maxSamplingRatio in TracingSettings`,
  evaluate(node: IConstruct): RuleResult {
    const fn = functionTarget(node);
    if (!fn) {
      return NOT_APPLICABLE;
    }
    const text = literalString(environmentVariables(fn.resource)?.[ENV.SAMPLER_ARG]);
    const ratio = text === undefined || text.trim() === '' ? NaN : Number(text);
    const budget = TracingSettings.budget(fn.construct);
    if (!budget || Number.isNaN(ratio)) {
      return NOT_APPLICABLE;
    }
    if (ratio <= budget.maxSamplingRatio) {
      return COMPLIANT;
    }
    return nonCompliant(
      `function ${fn.construct.node.path} samples ${ratio} of new traces (${ENV.SAMPLER_ARG}), above the ` +
        `sampling budget maxSamplingRatio ${budget.maxSamplingRatio} set by TracingSettings on '${budget.setBy}'`,
    );
  },
};
