import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The execution role of a traced function given no `role`: assumed by Lambda and allowed to write
 * to the function's own log group only (`logs:CreateLogStream` and `logs:PutLogEvents` on the
 * group's `:*` ARN; the group exists, so no `logs:CreateLogGroup`), in place of CDK's default role
 * with `AWSLambdaBasicExecutionRole` (those actions and `logs:CreateLogGroup` on `*`).
 *
 * CDK adds no managed policy to a role it is given, so this role keeps the ones CDK's default role
 * would have had beyond logging: `AWSLambdaVPCAccessExecutionRole` in a VPC (the ENI actions, which
 * have no resource-level scope and which Lambda checks when it creates the function) and, for a
 * durable function, `AWSLambdaBasicDurableExecutionRolePolicy` (in place of the basic one, as CDK
 * does). What CDK and the library add later (X-Ray, dead-letter and event-source grants, Lambda
 * Insights) goes to this role like to CDK's.
 */
export function tracedExecutionRole(
  scope: Construct,
  id: string,
  logGroup: logs.ILogGroup,
  props: Pick<lambda.FunctionOptions, 'vpc' | 'durableConfig'>,
): iam.Role {
  const managedPolicies: iam.IManagedPolicy[] = [];
  if (props.durableConfig !== undefined) {
    managedPolicies.push(
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicDurableExecutionRolePolicy'),
    );
  }
  if (props.vpc !== undefined) {
    managedPolicies.push(
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
    );
  }
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies,
  });
  logGroup.grantWrite(role);
  return role;
}
