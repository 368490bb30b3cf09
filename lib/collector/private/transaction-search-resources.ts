import { Annotations, ArnFormat, CfnResource, Stack, Stage, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as xray from 'aws-cdk-lib/aws-xray';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { TransactionSearch, TransactionSearchKind } from '../transaction-search';
import { WARNING_PREFIX } from '../../core/constants';
import { TracingWarning, warning } from '../../core/errors';

/** The id of the per-stack child that holds the Transaction Search resources. */
export const TRANSACTION_SEARCH_ID = 'CdkServerlessTracingTransactionSearch';

/** The log group where X-Ray stores the spans with Transaction Search (one per account and region). */
export const SPANS_LOG_GROUP = 'aws/spans';

/** The name of the CloudWatch Logs resource policy, as in AWS's CloudFormation setup. */
export const TRANSACTION_SEARCH_POLICY_NAME = 'TransactionSearchAccess';

/** The id of the singleton function of `AwsCustomResource` in a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;

/** The Transaction Search resources of each app, to find two stacks that both turn it on. */
const byApp = new WeakMap<IConstruct, TransactionSearchResources[]>();

/**
 * What a function that exports to X-Ray needs besides the collector configuration: the right to
 * send spans, and the Transaction Search resources of its stack.
 */
export function setUpXrayExport(
  fn: lambda.IFunction,
  transactionSearch: TransactionSearch,
  logRetention: logs.RetentionDays,
): void {
  // The X-Ray OTLP traces endpoint authorises a request as xray:PutTraceSegments, an action that
  // supports no resource-level permissions: '*' is the only resource it can be granted on. A
  // policy of its own, so that this justified wildcard is acknowledged (cdk-nag) on it alone.
  if (fn.role) {
    const policy = new iam.Policy(fn, 'XRayExportPolicy', {
      statements: [new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] })],
    });
    policy.attachToRole(fn.role);
    // Like the role's default policy: in place before the function is created.
    const cfnFunction = fn.node.defaultChild;
    if (cfnFunction instanceof CfnResource) {
      cfnFunction.addResourceDependency(policy.node.defaultChild as CfnResource);
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments (what the X-Ray OTLP endpoint authorizes) has no resource-level permissions; ' +
        'this policy grants nothing else',
    });
  }
  transactionSearchResources(fn, transactionSearch, logRetention);
}

/**
 * The Transaction Search resources of a stack: created by the first function of the stack that
 * exports to X-Ray and shared by the others, which must ask for the same.
 */
export function transactionSearchResources(
  fn: IConstruct,
  transactionSearch: TransactionSearch,
  logRetention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
  /** What `fn` is, for the message: `TracedFunction`, `TracingGateway`. */
  kind = 'TracedFunction',
): TransactionSearchResources {
  const stack = Stack.of(fn);
  const existing = stack.node.tryFindChild(TRANSACTION_SEARCH_ID);
  const problem =
    existing instanceof TransactionSearchResources
      ? sameStackProblem(existing, transactionSearch)
      : otherStacksProblem(stack, transactionSearch);
  if (problem) {
    throw new Error(`${kind} ${fn.node.path} has invalid props:\n  - ${problem}`);
  }
  if (existing instanceof TransactionSearchResources) {
    return existing;
  }
  const caution = otherStagesWarning(stack, transactionSearch);
  const created = new TransactionSearchResources(stack, fn, transactionSearch, logRetention);
  if (caution) {
    Annotations.of(created).addWarningV2(caution.id, caution.message);
  }
  return created;
}

/** The per-stack Transaction Search resources (see `TransactionSearch`). */
export class TransactionSearchResources extends Construct {
  /** What the functions of the stack asked for. */
  public readonly transactionSearch: TransactionSearch;
  /** The path of the function that created these resources (for messages). */
  public readonly firstFunction: string;
  /** The Transaction Search configuration (`enable()` only). */
  public readonly config?: xray.CfnTransactionSearchConfig;
  /** The CloudWatch Logs resource policy that lets X-Ray write the spans (`enable()` only). */
  public readonly policy?: logs.CfnResourcePolicy;

  /**
   * @param logRetention the retention of the log group of the custom resources' function (the
   * `logRetention` of the function that creates these resources)
   */
  constructor(
    stack: Stack,
    fn: IConstruct,
    transactionSearch: TransactionSearch,
    private readonly logRetention: logs.RetentionDays,
  ) {
    super(stack, TRANSACTION_SEARCH_ID);
    this.transactionSearch = transactionSearch;
    this.firstFunction = fn.node.path;
    const registry = byApp.get(stack.node.root) ?? [];
    registry.push(this);
    byApp.set(stack.node.root, registry);

    if (transactionSearch.kind === TransactionSearchKind.ENABLE) {
      // AWS's documented CloudFormation setup of Transaction Search: X-Ray may write the spans
      // (and Application Signals data) of this account to CloudWatch Logs, then the config.
      const { partition, region, account } = stack;
      this.policy = new logs.CfnResourcePolicy(this, 'LogsResourcePolicy', {
        policyName: TRANSACTION_SEARCH_POLICY_NAME,
        policyDocument: stack.toJsonString({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'TransactionSearchXRayAccess',
              Effect: 'Allow',
              Principal: { Service: 'xray.amazonaws.com' },
              Action: 'logs:PutLogEvents',
              Resource: [
                `arn:${partition}:logs:${region}:${account}:log-group:${SPANS_LOG_GROUP}:*`,
                `arn:${partition}:logs:${region}:${account}:log-group:/aws/application-signals/data:*`,
              ],
              Condition: {
                ArnLike: { 'aws:SourceArn': `arn:${partition}:xray:${region}:${account}:*` },
                StringEquals: { 'aws:SourceAccount': account },
              },
            },
          ],
        }),
      });
      this.config = new xray.CfnTransactionSearchConfig(this, 'Config', {
        indexingPercentage: transactionSearch.indexingPercentage,
      });
      this.config.addResourceDependency(this.policy);
    }

    const retention = transactionSearch.spansRetention;
    if (retention === undefined) {
      Annotations.of(this).addWarningV2(
        `${WARNING_PREFIX}spansRetentionUnmanaged`,
        `the retention of the ${SPANS_LOG_GROUP} log group (the spans of Transaction Search) is not managed ` +
          'here: set it where Transaction Search was turned on, or give ' +
          'TransactionSearch.alreadyEnabled({ spansRetention })',
      );
      return;
    }
    if (!Token.isUnresolved(retention) && retention === logs.RetentionDays.INFINITE) {
      Annotations.of(this).addWarningV2(
        `${WARNING_PREFIX}spansRetentionInfinite`,
        `spansRetention is INFINITE: the spans in ${SPANS_LOG_GROUP} are kept (and billed) forever; choose a ` +
          'retention such as RetentionDays.ONE_MONTH',
      );
    }
    this.manageSpansRetention(stack, retention);
  }

  /**
   * The retention of `aws/spans`, which `AWS::XRay::TransactionSearchConfig` does not set: the log
   * group is created when missing, then its retention is put on create and update. Nothing is
   * done on delete: the log group belongs to the whole account and region (X-Ray writes every
   * span there), so it and its retention stay when the stack goes.
   */
  private manageSpansRetention(stack: Stack, retention: logs.RetentionDays): void {
    const logGroupArns = [
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: SPANS_LOG_GROUP,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${SPANS_LOG_GROUP}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    ];
    const only = (action: string) =>
      cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: [action], resources: logGroupArns }),
      ]);
    // The provider function is one per stack, shared by every AwsCustomResource. When this is the
    // first one, the provider is the library's: a log group with a retention, a role that may write
    // to it only (not CDK's default role with AWSLambdaBasicExecutionRole, logs on '*': cdk-nag
    // AwsSolutions-IAM4) and an explicit memory. Else it is the user's, with their settings.
    const ours = !stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    const logGroup = ours
      ? new logs.LogGroup(this, 'ProviderLogGroup', { retention: this.logRetention })
      : undefined;
    const provider: Pick<cr.AwsCustomResourceProps, 'role' | 'memorySize'> = logGroup
      ? { role: providerRole(this, logGroup), memorySize: PROVIDER_MEMORY_SIZE }
      : {};

    const createLogGroup = new cr.AwsCustomResource(this, 'SpansLogGroup', {
      resourceType: 'Custom::SpansLogGroup',
      onCreate: {
        service: 'CloudWatchLogs',
        action: 'createLogGroup',
        parameters: { logGroupName: SPANS_LOG_GROUP },
        physicalResourceId: cr.PhysicalResourceId.of(SPANS_LOG_GROUP),
        // Transaction Search or an earlier deployment may have created it.
        ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
      },
      policy: only('logs:CreateLogGroup'),
      installLatestAwsSdk: false,
      logGroup,
      ...provider,
    });

    const infinite = !Token.isUnresolved(retention) && retention === logs.RetentionDays.INFINITE;
    const call: cr.AwsSdkCall = infinite
      ? {
          service: 'CloudWatchLogs',
          action: 'deleteRetentionPolicy',
          parameters: { logGroupName: SPANS_LOG_GROUP },
          physicalResourceId: cr.PhysicalResourceId.of(`${SPANS_LOG_GROUP}-retention`),
        }
      : {
          service: 'CloudWatchLogs',
          action: 'putRetentionPolicy',
          parameters: { logGroupName: SPANS_LOG_GROUP, retentionInDays: retention },
          physicalResourceId: cr.PhysicalResourceId.of(`${SPANS_LOG_GROUP}-retention`),
        };
    const setRetention = new cr.AwsCustomResource(this, 'SpansRetention', {
      resourceType: 'Custom::SpansRetention',
      onCreate: call,
      onUpdate: call,
      policy: only(infinite ? 'logs:DeleteRetentionPolicy' : 'logs:PutRetentionPolicy'),
      installLatestAwsSdk: false,
      logGroup,
      ...provider,
    });
    if (ours) acknowledgeProvider(stack);
    // cdk-nag names the finding by the ARN as the template has it: the region and the account as
    // pseudo parameters in an environment-agnostic stack, as values in one with an environment.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    for (const resource of [createLogGroup, setRetention]) {
      Validations.of(resource).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${region}:${account}:log-group:${SPANS_LOG_GROUP}:*]`,
        reason: `the log streams of the ${SPANS_LOG_GROUP} log group, the only log group this policy names`,
      });
    }
    setRetention.node.addDependency(createLogGroup);
    if (this.config) {
      setRetention.node.addDependency(this.config);
    }
  }
}

/**
 * The memory of the custom resources' function when the library creates it (MB): Lambda's own
 * default, explicit. It runs during deployments only, for one CloudWatch Logs call each time.
 */
const PROVIDER_MEMORY_SIZE = 128;

/**
 * The role of the custom resources' function when the library creates it: assumed by Lambda, and
 * allowed to write to the function's own log group only; the `AwsCustomResource`s add their calls'
 * permissions to it (here, on `aws/spans` only).
 */
function providerRole(scope: Construct, logGroup: logs.ILogGroup): iam.Role {
  const role = new iam.Role(scope, 'ProviderRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description:
      "The role of CDK's AwsCustomResource function for the aws/spans log group (cdk-serverless-tracing)",
  });
  logGroup.grantWrite(role);
  return role;
}

/**
 * What cdk-nag reports on the custom resources' function the library created, and the library
 * accepts, with the reason.
 */
function acknowledgeProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
  if (!provider) return;
  Validations.of(provider).acknowledge(
    {
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        "CDK's AwsCustomResource function, invoked by CloudFormation during a deployment: a failed call " +
        'fails the deployment (the function reports it to CloudFormation); there is nothing to replay later',
    },
    {
      id: 'Serverless::Serverless-LambdaTracing',
      reason:
        "CDK's AwsCustomResource function runs during deployments only, one CloudWatch Logs call at a time: " +
        'deployment plumbing, left untraced like every CDK custom resource function',
    },
  );
}

/** The functions of one stack share its Transaction Search resources, so they must ask alike. */
function sameStackProblem(
  existing: TransactionSearchResources,
  wanted: TransactionSearch,
): string | undefined {
  if (sameSettings(existing.transactionSearch, wanted)) {
    return undefined;
  }
  return (
    `exporter transactionSearch ${describe(wanted)} differs from ${describe(existing.transactionSearch)} ` +
    `of ${existing.firstFunction} in the same stack: Transaction Search is set up once per stack; give ` +
    'every function of the stack the same (set the exporter once with TracingSettings.set)'
  );
}

/**
 * Transaction Search is one setting per account and region: two stacks of the app that both
 * turn it on (or set the retention of `aws/spans` differently) would fight. Stacks of one stage
 * without a concrete account and region may deploy to the same one, so two `enable()`s are
 * refused there too; stages (dev, prod) are deployed on their own, usually to their own accounts.
 */
function otherStacksProblem(stack: Stack, wanted: TransactionSearch): string | undefined {
  const concrete = (s: Stack) => !Token.isUnresolved(s.account) && !Token.isUnresolved(s.region);
  for (const other of byApp.get(stack.node.root) ?? []) {
    const otherStack = Stack.of(other);
    const sameEnv =
      concrete(otherStack) &&
      concrete(stack) &&
      otherStack.account === stack.account &&
      otherStack.region === stack.region;
    const stacks = `stacks '${otherStack.node.path}' and '${stack.node.path}'`;
    const env = `${stack.account}/${stack.region}`;
    if (
      wanted.kind === TransactionSearchKind.ENABLE &&
      other.transactionSearch.kind === TransactionSearchKind.ENABLE &&
      (sameEnv || ((!concrete(otherStack) || !concrete(stack)) && Stage.of(otherStack) === Stage.of(stack)))
    ) {
      return (
        `exporter transactionSearch: ${stacks} both use TransactionSearch.enable() ` +
        (sameEnv
          ? `for the same account and region (${env})`
          : 'in one stage and at least one of them has no concrete account and region (env), so both may deploy to the same one') +
        ', but Transaction Search exists once per account and region: use TransactionSearch.enable() in one ' +
        'of them and TransactionSearch.alreadyEnabled() in the others'
      );
    }
    const a = other.transactionSearch.spansRetention;
    const b = wanted.spansRetention;
    if (sameEnv && a !== undefined && b !== undefined && a !== b) {
      return (
        `exporter transactionSearch: ${stacks} set different retentions of the ${SPANS_LOG_GROUP} log ` +
        `group (${a} and ${b} days) in the same account and region (${env}), which share that log group: ` +
        'give the same spansRetention, or leave it unset in TransactionSearch.alreadyEnabled()'
      );
    }
  }
  return undefined;
}

/**
 * Two stages without a concrete account and region that each turn Transaction Search on: they
 * deploy wherever the credentials of the deploy point, and when that is one account and region
 * the second deploy fails. Not knowable at synth, so a warning that names both stacks and the fix;
 * an app whose stages go to their own accounts acknowledges it
 * (`Annotations.of(stage).acknowledgeWarning(id, reason)`).
 */
function otherStagesWarning(stack: Stack, wanted: TransactionSearch): TracingWarning | undefined {
  if (wanted.kind !== TransactionSearchKind.ENABLE || !agnostic(stack)) return undefined;
  const other = (byApp.get(stack.node.root) ?? []).find(
    (o) =>
      o.transactionSearch.kind === TransactionSearchKind.ENABLE &&
      agnostic(Stack.of(o)) &&
      Stage.of(Stack.of(o)) !== Stage.of(stack),
  );
  if (!other) return undefined;
  return warning(
    'transactionSearchUnknownAccount',
    `stacks '${Stack.of(other).node.path}' and '${stack.node.path}' both use TransactionSearch.enable() and ` +
      'have no concrete account and region (env): if they deploy to the same account and region, the second ' +
      'deploy fails (Transaction Search exists once per account and region). Give their stages an env ' +
      '({ account, region }), or use TransactionSearch.alreadyEnabled() in one of them',
  );
}

/** A stack without a concrete account or region. */
function agnostic(stack: Stack): boolean {
  return Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region);
}

function sameSettings(a: TransactionSearch, b: TransactionSearch): boolean {
  return (
    a.kind === b.kind &&
    a.indexingPercentage === b.indexingPercentage &&
    a.spansRetention === b.spansRetention
  );
}

function describe(t: TransactionSearch): string {
  const fields = [
    ...(t.indexingPercentage !== undefined ? [`indexingPercentage: ${t.indexingPercentage}`] : []),
    ...(t.spansRetention !== undefined ? [`spansRetention: ${t.spansRetention}`] : []),
  ];
  const method = t.kind === TransactionSearchKind.ENABLE ? 'enable' : 'alreadyEnabled';
  return `TransactionSearch.${method}(${fields.length > 0 ? `{ ${fields.join(', ')} }` : ''})`;
}
