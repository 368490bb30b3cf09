import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The function timeout CDK uses when none is given. */
export const DEFAULT_FUNCTION_TIMEOUT = Duration.seconds(3);

/** The timeout of a function, when it is known at synth. */
export function functionTimeout(fn: lambda.IFunction): Duration | undefined {
  if (!(fn instanceof lambda.Function)) {
    return undefined; // an imported function: its timeout is not known at synth
  }
  const timeout = fn.timeout ?? DEFAULT_FUNCTION_TIMEOUT;
  return timeout.isUnresolved() ? undefined : timeout;
}
