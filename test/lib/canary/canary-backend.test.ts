import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CanaryBackend, CanaryHeaderValue, TraceContinuityCanary, TraceExpectation } from '../../../lib';

// The backends of the canary as its template has them: the role's statements for each, the
// environment the handler reads (never a secret's value), and the checks at synth.

const FIXTURE_MAP = path.join(__dirname, '..', '..', 'layer', 'check', 'fixtures', 'trace-map.json');
const ENTRY_ARN =
  'arn:aws:lambda:eu-west-1:123456789012:function:Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jaeger-token-AbCdEf';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** A canary in a stack of eu-west-1, checking the fixture map's Prod/Payments entry. */
function canaryWith(backend: CanaryBackend, stack?: Stack) {
  const app = stack ? undefined : new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const s = stack ?? new Stack(app, 'Canaries', { env: { account: '123456789012', region: 'eu-west-1' } });
  const entry = lambda.Function.fromFunctionArn(s, 'Authorize', ENTRY_ARN);
  const canary = new TraceContinuityCanary(s, 'Canary', {
    entry,
    backend,
    expected: TraceExpectation.fromTraceMapFile(FIXTURE_MAP, { stack: 'Prod/Payments' }),
  });
  return { app, stack: s, canary };
}

/** The statements of every policy of the canary's role. */
function roleStatements(stack: Stack, canary: TraceContinuityCanary): Statement[] {
  const roleId = stack.getLogicalId(canary.role.node.defaultChild as never);
  return Object.values(
    Template.fromStack(stack).findResources('AWS::IAM::Policy') as Record<
      string,
      { Properties: { Roles: unknown; PolicyDocument: { Statement: Statement[] } } }
    >,
  )
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function environment(stack: Stack, canary: TraceContinuityCanary): Record<string, unknown> {
  const id = stack.getLogicalId(canary.function.node.defaultChild as never);
  return Template.fromStack(stack).toJSON().Resources[id].Properties.Environment.Variables;
}

const logGroupArns = (name: string) => [
  { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:123456789012:log-group:${name}`]] },
  {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:123456789012:log-group:${name}:*`]],
  },
];

describe('CanaryBackend.transactionSearchLogs()', () => {
  test('Logs Insights on aws/spans: StartQuery and GetQueryResults on that log group, StopQuery on *; no X-Ray', () => {
    const { stack, canary } = canaryWith(CanaryBackend.transactionSearchLogs());
    expect(environment(stack, canary).TRACE_CHECK_BACKEND).toBe('logs-insights');
    const statements = roleStatements(stack, canary);
    expect(statements.map((s) => s.Action)).toEqual([
      'lambda:InvokeFunction',
      ['logs:StartQuery', 'logs:GetQueryResults'],
      'logs:StopQuery',
      'cloudwatch:PutMetricData',
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ]);
    // The Service Authorization Reference: StartQuery and GetQueryResults take the log-group
    // resource type (a query is authorized on log-group:<name>:*); StopQuery takes none.
    expect(statements.slice(1, 3)).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:StartQuery', 'logs:GetQueryResults'],
        Resource: logGroupArns('aws/spans'),
      },
      { Effect: 'Allow', Action: 'logs:StopQuery', Resource: '*' },
    ]);
    expect(JSON.stringify(statements)).not.toContain('xray:');
  });

  test('another log group: named in the environment and the statement', () => {
    const { stack, canary } = canaryWith(CanaryBackend.transactionSearchLogs({ logGroupName: '/org/spans' }));
    expect(environment(stack, canary).TRACE_CHECK_BACKEND).toBe('logs-insights=/org/spans');
    expect(roleStatements(stack, canary)[1].Resource).toEqual(logGroupArns('/org/spans'));
  });

  test('a log group name CloudWatch Logs does not allow is a prop error', () => {
    expect(() => canaryWith(CanaryBackend.transactionSearchLogs({ logGroupName: 'spans "x"' }))).toThrow(
      `backend: the log group name 'spans "x"' is not one CloudWatch Logs allows (1 to 512 of a-z A-Z 0-9 . - _ / #)`,
    );
  });

  test("cdk-nag: the log group's :* and StopQuery's * are acknowledged with a reason", () => {
    const app = new App({
      outdir: mkdtempSync(path.join(tmpdir(), 'canary-nag-')),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Canaries', { env: { account: '123456789012', region: 'eu-west-1' } });
    canaryWith(CanaryBackend.transactionSearchLogs(), stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const report = JSON.parse(readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations: unknown[];
        suppressedViolations?: { ruleName: string }[];
      }[];
    };
    const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')!;
    expect(nag.violations).toEqual([]);
    expect(nag.suppressedViolations!.map((v) => v.ruleName).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:eu-west-1:123456789012:log-group:aws/spans:*]',
    ]);
  });
});

describe('query API headers', () => {
  test('plain values and secret ARNs in the environment, never a value; the role reads exactly those secrets', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Canaries', { env: { account: '123456789012', region: 'eu-west-1' } });
    const token = new secretsmanager.Secret(stack, 'JaegerToken');
    const imported = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Tenant', SECRET_ARN);
    const { canary } = canaryWith(
      CanaryBackend.jaeger('https://jaeger.example.com', {
        headers: {
          Authorization: CanaryHeaderValue.fromSecret(token, 'authorization'),
          'X-Api-Key': CanaryHeaderValue.fromSecret(imported),
          'X-Scope-OrgID': CanaryHeaderValue.plain('payments, prod'),
        },
      }),
      stack,
    );
    const env = environment(stack, canary);
    const tokenId = stack.getLogicalId(token.node.defaultChild as never);
    expect(env.TRACE_CHECK_HEADERS).toBe('X-Scope-OrgID=payments%2C%20prod');
    expect(stack.resolve(env.TRACE_CHECK_HEADER_SECRETS_REF)).toEqual({
      'Fn::Join': [
        '',
        [
          '[{"header":"Authorization","secret":"',
          { Ref: tokenId },
          `","field":"authorization"},{"header":"X-Api-Key","secret":"${SECRET_ARN}"}]`,
        ],
      ],
    });
    // Only those two variables name the headers; no value is read at synth.
    expect(Object.keys(env).filter((k) => k.includes('HEADER'))).toEqual([
      'TRACE_CHECK_HEADERS',
      'TRACE_CHECK_HEADER_SECRETS_REF',
    ]);
    expect(JSON.stringify(env)).not.toContain('resolve:secretsmanager');

    const statements = roleStatements(stack, canary);
    const reads = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(reads).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: tokenId },
      },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: SECRET_ARN,
      },
    ]);
  });

  test('an imported secret with its imported key: kms:Decrypt on the key through Secrets Manager in the region', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Canaries', { env: { account: '123456789012', region: 'eu-west-1' } });
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-2222-bbbb-3333-cccc4444dddd';
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Token', {
      secretCompleteArn: SECRET_ARN,
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', keyArn),
    });
    const { canary } = canaryWith(
      CanaryBackend.tempo('https://tempo.example.com', {
        headers: { Authorization: CanaryHeaderValue.fromSecret(secret) },
      }),
      stack,
    );
    expect(roleStatements(stack, canary).filter((s) => JSON.stringify(s.Action).includes('kms:'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      },
    ]);
  });

  test('bad headers fail the synth, naming backend and the header, never the value', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Canaries', { env: { account: '123456789012', region: 'eu-west-1' } });
    const elsewhere = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Elsewhere',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:jaeger-token-AbCdEf',
    );
    let message = '';
    try {
      canaryWith(
        CanaryBackend.jaeger('https://jaeger.example.com', {
          headers: {
            'Bad Name': CanaryHeaderValue.plain('x'),
            'X-Tenant': CanaryHeaderValue.plain('s3cr3t\r\nX-Injected: 1'),
            Authorization: CanaryHeaderValue.fromSecret(elsewhere, ''),
          },
        }),
        stack,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      [
        'TraceContinuityCanary Canaries/Canary has invalid props:',
        "  - backend: header name 'Bad Name' is not a valid HTTP header name",
        "  - backend: header 'X-Tenant' has a character an HTTP header value cannot hold (code 13 at position 6; CR and LF among them): every read of the query API would fail; remove it",
        "  - backend: header 'Authorization': jsonField must not be empty; leave it out to send the whole secret string",
        "  - backend: header 'Authorization' reads secret Canaries/Elsewhere in us-east-1, but the canary is in eu-west-1 and reads secrets in its own region: replicate the secret to eu-west-1 (replicaRegions) and use the replica, or create the secret there",
      ].join('\n'),
    );
    expect(message).not.toContain('s3cr3t');
  });

  test('the headers count in the size of the environment (a deploy-time ARN at its likely length)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Canaries', { env: { account: '123456789012', region: 'eu-west-1' } });
    const secret = new secretsmanager.Secret(stack, 'Token');
    const headers: Record<string, CanaryHeaderValue> = {};
    for (let i = 0; i < 16; i++) headers[`X-Header-${i}`] = CanaryHeaderValue.fromSecret(secret, `field${i}`);
    canaryWith(CanaryBackend.jaeger('https://jaeger.example.com', { headers }), stack);
    expect(() => Template.fromStack(stack)).toThrow(
      /its environment would take \d+ bytes, more than the 4096 Lambda allows/,
    );
  });
});
