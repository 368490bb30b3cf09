import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { controlCharacterAt, HEADER_NAME } from '../core/http-headers';
import { grantSecretRead, secretInOtherRegion } from '../core/secret-grants';
import { CanaryHeaderValue, CanaryHeaderValueKind } from './canary-header-value';
import { CANARY_ENV } from './private/map-slice';

/** The kinds of backend a canary reads traces from. */
export enum CanaryBackendType {
  /** X-Ray's trace retrieval API (CloudWatch Transaction Search on). */
  XRAY = 'xray',
  /** X-Ray's `BatchGetTraces` (Transaction Search off). */
  XRAY_BATCH = 'xray-batch',
  /** CloudWatch Logs Insights on the Transaction Search span log group (`aws/spans`). */
  TRANSACTION_SEARCH_LOGS = 'logs-insights',
  JAEGER = 'jaeger',
  TEMPO = 'tempo',
}

/** The span log group of CloudWatch Transaction Search. */
const SPANS_LOG_GROUP = 'aws/spans';

/** A log group name as CloudWatch Logs allows it (the check's `LOG_GROUP_NAME`). */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/**
 * The length a secret ARN not known at synth is counted at in the environment's size: the ARN of a
 * name CloudFormation generates (logical id and a random suffix) in the longest partition.
 */
const DEPLOY_TIME_SECRET_ARN_LENGTH = 200;

/** Options of a query API backend (Jaeger, Tempo). */
export interface CanaryQueryApiOptions {
  /**
   * Headers sent with every request to the query API (an API token, a tenant id). Secret values
   * are read from Secrets Manager by the canary when it runs; the role may read those secrets.
   *
   * @default - no header but `Accept`
   */
  readonly headers?: Record<string, CanaryHeaderValue>;
}

/** Options of `CanaryBackend.transactionSearchLogs()`. */
export interface CanaryTransactionSearchLogsOptions {
  /**
   * The log group that holds the spans.
   *
   * @default 'aws/spans' - where X-Ray writes every span with Transaction Search on
   */
  readonly logGroupName?: string;
}

/**
 * Where a `TraceContinuityCanary` reads the trace back.
 *
 * @example
 * CanaryBackend.xray(); // the default
 * CanaryBackend.tempo('https://tempo.internal.example.com');
 */
export class CanaryBackend {
  /**
   * AWS X-Ray with CloudWatch Transaction Search on, read with its trace retrieval API
   * (`StartTraceRetrieval`, then `ListRetrievedTraces` in the OpenTelemetry format): the canary
   * gets `xray:StartTraceRetrieval` and `xray:ListRetrievedTraces`. This is how traces are read
   * with `TracingExporter.xray()`: its spans reach X-Ray through the OTLP endpoint, which needs
   * Transaction Search, and with Transaction Search on `BatchGetTraces` finds no trace.
   */
  public static xray(): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.XRAY);
  }

  /**
   * AWS X-Ray with Transaction Search off, read with `BatchGetTraces`: the canary gets
   * `xray:BatchGetTraces`. For spans that reach X-Ray as segments some other way.
   */
  public static xrayBatchGetTraces(): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.XRAY_BATCH);
  }

  /**
   * The span log group of CloudWatch Transaction Search (`aws/spans`, where X-Ray writes every
   * span as a log event when Transaction Search is on), read with CloudWatch Logs Insights: each
   * read is one query for the trace id. The canary gets `logs:StartQuery` and
   * `logs:GetQueryResults` on that log group of its account and region, and `logs:StopQuery`
   * (no resource-level permission) to stop a query it gives up on. No X-Ray permission: an
   * alternative to `xray()` where X-Ray's trace retrieval is not allowed, and every span is there,
   * indexed or not. Logs Insights bills the data each query scans.
   */
  public static transactionSearchLogs(options: CanaryTransactionSearchLogsOptions = {}): CanaryBackend {
    return new CanaryBackend(
      CanaryBackendType.TRANSACTION_SEARCH_LOGS,
      undefined,
      undefined,
      options.logGroupName ?? SPANS_LOG_GROUP,
    );
  }

  /**
   * Jaeger's query API (`GET <url>/api/traces/<trace id>`). The canary must reach the URL: a
   * Jaeger inside a VPC is not reachable from the canary, which runs outside any VPC.
   */
  public static jaeger(url: string, options: CanaryQueryApiOptions = {}): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.JAEGER, url, options.headers);
  }

  /** Grafana Tempo's query API (`GET <url>/api/traces/<trace id>`, OTLP JSON); reachable as for Jaeger. */
  public static tempo(url: string, options: CanaryQueryApiOptions = {}): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.TEMPO, url, options.headers);
  }

  private constructor(
    /** The kind of backend. */
    public readonly type: CanaryBackendType,
    /** The query API's base URL (Jaeger and Tempo). */
    public readonly url?: string,
    /** The headers sent to the query API (Jaeger and Tempo). */
    public readonly headers?: Record<string, CanaryHeaderValue>,
    /** The log group of the spans (Transaction Search logs). */
    public readonly logGroupName?: string,
  ) {}

  /**
   * What is wrong with this backend, if anything (`prop` names it; `region` is the canary's, for
   * the secrets' region). Never prints a header value. @internal
   */
  public _errors(prop: string, region?: string): string[] {
    const errors: string[] = [];
    if (this.type === CanaryBackendType.JAEGER || this.type === CanaryBackendType.TEMPO) {
      errors.push(...this.urlErrors(prop));
    }
    const logGroup = this.logGroupName;
    if (logGroup !== undefined && !Token.isUnresolved(logGroup) && !LOG_GROUP_NAME.test(logGroup)) {
      errors.push(
        `${prop}: the log group name '${logGroup}' is not one CloudWatch Logs allows (1 to 512 of a-z A-Z 0-9 . - _ / #)`,
      );
    }
    for (const [name, header] of Object.entries(this.headers ?? {})) {
      errors.push(...headerErrors(prop, name, header, region));
    }
    return errors;
  }

  /**
   * The backend as the canary function reads it: `xray`, `xray-batch`, `logs-insights`
   * (`logs-insights=<log group>` for another log group), `jaeger=<url>`, `tempo=<url>`. @internal
   */
  public _render(): string {
    switch (this.type) {
      case CanaryBackendType.XRAY:
      case CanaryBackendType.XRAY_BATCH:
        return this.type;
      case CanaryBackendType.TRANSACTION_SEARCH_LOGS:
        return this.logGroupName === SPANS_LOG_GROUP ? this.type : `${this.type}=${this.logGroupName}`;
      default:
        return `${this.type}=${this.url}`;
    }
  }

  /**
   * The IAM statements the canary needs to read this backend (none for a query API): X-Ray's read
   * actions on `*` (they have no resource-level permissions); Logs Insights' `StartQuery` and
   * `GetQueryResults` on the log group in `scope`'s account and region (the Service Authorization
   * Reference gives both the `log-group` resource type; a query is authorized against
   * `log-group:<name>:*`), `StopQuery` on `*` (no resource type). @internal
   */
  public _statements(scope: IConstruct): iam.PolicyStatement[] {
    switch (this.type) {
      case CanaryBackendType.XRAY:
        return [
          new iam.PolicyStatement({
            actions: ['xray:StartTraceRetrieval', 'xray:ListRetrievedTraces'],
            resources: ['*'],
          }),
        ];
      case CanaryBackendType.XRAY_BATCH:
        return [new iam.PolicyStatement({ actions: ['xray:BatchGetTraces'], resources: ['*'] })];
      case CanaryBackendType.TRANSACTION_SEARCH_LOGS: {
        const stack = Stack.of(scope);
        const logGroupArn = (resourceName: string) =>
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          });
        return [
          new iam.PolicyStatement({
            actions: ['logs:StartQuery', 'logs:GetQueryResults'],
            resources: [logGroupArn(this.logGroupName!), logGroupArn(`${this.logGroupName}:*`)],
          }),
          new iam.PolicyStatement({ actions: ['logs:StopQuery'], resources: ['*'] }),
        ];
      }
      default:
        return [];
    }
  }

  /**
   * The cdk-nag findings the statements raise beyond `Resource::*`, with why they are right: the
   * `:*` of the log group ARN, which is how CloudWatch Logs names a log group in a request. @internal
   */
  public _acknowledgements(scope: IConstruct): { id: string; reason: string }[] {
    if (this.type !== CanaryBackendType.TRANSACTION_SEARCH_LOGS) return [];
    const stack = Stack.of(scope);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    return [
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${region}:${account}:log-group:${this.logGroupName}:*]`,
        reason: `the ${this.logGroupName} log group as Logs Insights queries name it (log-group:<name>:*), the only log group the canary reads`,
      },
    ];
  }

  /**
   * The canary's environment for the query API's headers: the plain values as `name=value` pairs
   * (URL-encoded), the secret ones as a JSON list of `{ header, secret: <ARN>, field? }`, never a
   * secret's value. With `estimate`, the deploy-time ARNs are counted at their likely longest (for
   * the environment's size). @internal
   */
  public _headerVariables(scope: IConstruct, estimate = false): Record<string, string> {
    const entries = Object.entries(this.headers ?? {});
    const plain = entries
      .filter(([, h]) => h.kind === CanaryHeaderValueKind.PLAIN)
      .map(([name, h]) => {
        const value = h.value ?? '';
        return `${name}=${Token.isUnresolved(value) ? value : encodeURIComponent(value)}`;
      });
    const refs = entries
      .filter(([, h]) => h.kind === CanaryHeaderValueKind.SECRET && h.secret)
      .map(([name, h]) => {
        const arn = h.secret!.secretArn;
        return {
          header: name,
          secret: estimate && Token.isUnresolved(arn) ? 'x'.repeat(DEPLOY_TIME_SECRET_ARN_LENGTH) : arn,
          ...(h.jsonField !== undefined ? { field: h.jsonField } : {}),
        };
      });
    return {
      ...(plain.length > 0 ? { [CANARY_ENV.HEADERS]: plain.join(',') } : {}),
      ...(refs.length > 0
        ? {
            [CANARY_ENV.HEADER_SECRETS]: estimate ? JSON.stringify(refs) : Stack.of(scope).toJsonString(refs),
          }
        : {}),
    };
  }

  /** Lets `grantee` read the secrets of the headers (and decrypt them with an imported key). @internal */
  public _grantHeaderSecrets(grantee: iam.IGrantable, scope: IConstruct): void {
    const secrets = new Set<secretsmanager.ISecret>();
    for (const header of Object.values(this.headers ?? {})) {
      if (header.kind === CanaryHeaderValueKind.SECRET && header.secret) secrets.add(header.secret);
    }
    for (const secret of secrets) grantSecretRead(secret, grantee, scope);
  }

  private urlErrors(prop: string): string[] {
    if (this.url === undefined || Token.isUnresolved(this.url)) return [];
    try {
      const url = new URL(this.url);
      if (url.protocol === 'http:' || url.protocol === 'https:') return [];
    } catch {
      // reported below
    }
    return [`${prop}: the ${this.type} URL must be an http or https URL (got '${this.url}')`];
  }
}

/**
 * The problems of one header, naming the header and never printing a value: a name that is not an
 * HTTP token, a plain value with a character HTTP does not allow, an empty JSON field, a secret in
 * another region than the canary (it reads secrets in its own region).
 */
function headerErrors(
  prop: string,
  name: string,
  header: CanaryHeaderValue,
  region: string | undefined,
): string[] {
  const errors: string[] = [];
  if (!HEADER_NAME.test(name)) {
    errors.push(`${prop}: header name '${name}' is not a valid HTTP header name`);
  }
  if (header.kind === CanaryHeaderValueKind.PLAIN) {
    const value = header.value ?? '';
    const bad = Token.isUnresolved(value) ? -1 : controlCharacterAt(value);
    if (bad !== -1) {
      errors.push(
        `${prop}: header '${name}' has a character an HTTP header value cannot hold (code ${value.charCodeAt(bad)} ` +
          `at position ${bad}; CR and LF among them): every read of the query API would fail; remove it`,
      );
    }
    return errors;
  }
  if (header.jsonField !== undefined && !Token.isUnresolved(header.jsonField) && header.jsonField === '') {
    errors.push(
      `${prop}: header '${name}': jsonField must not be empty; leave it out to send the whole secret string`,
    );
  }
  const secretRegion = secretInOtherRegion(header.secret, region);
  if (secretRegion !== undefined) {
    errors.push(
      `${prop}: header '${name}' reads secret ${header.secret!.node.path} in ${secretRegion}, but the canary is in ` +
        `${region} and reads secrets in its own region: replicate the secret to ${region} (replicaRegions) and use ` +
        'the replica, or create the secret there',
    );
  }
  return errors;
}
