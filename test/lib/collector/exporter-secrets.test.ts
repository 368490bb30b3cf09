import { SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ExporterHeaderValue, TracedFunction, TracingExporter } from '../../../lib';
import { fixture, newStack } from '../../helpers/stack';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-key-AbCdEf';

describe('secret exporter headers', () => {
  let stack: Stack;
  let template: Template;
  let imported: TracedFunction;
  let owned: TracedFunction;
  beforeAll(() => {
    ({ stack } = newStack({ env: true }));
    const importedSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'ImportedKey', SECRET_ARN);
    imported = new TracedFunction(stack, 'Imported', {
      entry: fixture('hello.ts'),
      exporter: TracingExporter.otlp({
        endpoint: 'https://otlp.example.com',
        headers: { 'x-api-key': ExporterHeaderValue.fromSecret(importedSecret, 'apiKey') },
      }),
    });
    const ownedSecret = new secretsmanager.Secret(stack, 'OwnedKey', {
      generateSecretString: { passwordLength: 32 },
    });
    owned = new TracedFunction(stack, 'Owned', {
      entry: fixture('hello.ts'),
      exporter: TracingExporter.otlp({
        endpoint: 'https://otlp.example.com',
        headers: { 'x-api-key': ExporterHeaderValue.fromSecret(ownedSecret) },
      }),
    });
    template = Template.fromStack(stack);
  });

  test('the function may read the imported secret', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Effect: 'Allow',
            Resource: SECRET_ARN,
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^ImportedServiceRole') }],
    });
  });

  test('the function may read the secret of the stack', () => {
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: { Ref: secretId },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^OwnedServiceRole') }],
    });
  });

  test('the collector configuration holds the ARN reference', () => {
    expect(imported.collectorConfig?.yaml).toContain(`\${secretsmanager:${SECRET_ARN}#apiKey}`);
    expect(owned.collectorConfig?.yaml).toContain(
      '${secretsmanager:${env:CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0}}',
    );
  });

  test('the template carries the ARN of the stack secret, never its value', () => {
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const fns = template.findResources('AWS::Lambda::Function');
    const ownedEnv = Object.entries(fns).find(([k]) => k.startsWith('Owned'))![1].Properties.Environment
      .Variables;
    expect(ownedEnv.CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0).toEqual({ Ref: secretId });
    const json = JSON.stringify(template.toJSON());
    // no dynamic reference that would resolve the value at deploy time
    expect(json).not.toMatch(/resolve:secretsmanager/);
    for (const [, fn] of Object.entries(fns)) {
      for (const value of Object.values(fn.Properties.Environment.Variables)) {
        expect(JSON.stringify(value)).not.toMatch(/SecretString|resolve:/);
      }
    }
  });

  test('a secret value given in the app never reaches the environment or the collector configuration', () => {
    const { stack: s } = newStack({ env: true });
    const secret = new secretsmanager.Secret(s, 'Literal', {
      secretStringValue: SecretValue.unsafePlainText('do-not-leak-this-value'),
    });
    const f = new TracedFunction(s, 'Fn', {
      entry: fixture('hello.ts'),
      exporter: TracingExporter.otlp({
        endpoint: 'https://otlp.example.com',
        headers: { authorization: ExporterHeaderValue.fromSecret(secret) },
      }),
    });
    const t = Template.fromStack(s);
    const fn = Object.values(t.findResources('AWS::Lambda::Function'))[0];
    expect(JSON.stringify(fn)).not.toContain('do-not-leak-this-value');
    expect(f.collectorConfig?.yaml).not.toContain('do-not-leak-this-value');
  });
});

describe('checks at synth that prevent a failure at run time', () => {
  const otlp = (headers: Record<string, ExporterHeaderValue>) =>
    TracingExporter.otlp({ endpoint: 'https://otlp.example.com', headers });
  const traced = (stack: Stack, exporter: TracingExporter, id = 'Fn') =>
    new TracedFunction(stack, id, { entry: fixture('hello.ts'), exporter });

  test.each([
    ['CR LF', 'Bearer abc\r\nX-Injected: 1'],
    ['LF', 'abc\ndef'],
    ['NUL', 'abc\u0000'],
    ['DEL', 'abc\u007f'],
  ])(
    'a plain header value with %s is a synth error naming the header, never printing the value',
    (_, value) => {
      const { stack } = newStack({ env: true });
      let message = '';
      try {
        traced(stack, otlp({ 'x-api-key': ExporterHeaderValue.plain(value) }));
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/exporter header 'x-api-key' has a character an HTTP header value cannot hold/);
      expect(message).not.toContain(value);
    },
  );

  test('a tab, spaces and $ are allowed in a plain header value', () => {
    const { stack } = newStack({ env: true });
    const f = traced(stack, otlp({ 'x-ok': ExporterHeaderValue.plain('a\tb c $d') }));
    expect(f.collectorConfig?.config.exporters).toEqual({
      otlp_http: { endpoint: 'https://otlp.example.com', headers: { 'x-ok': 'a\tb c $$d' } },
    });
  });

  test.each(['a}b', 'a{b', 'a$b', 'a:-b', ''])(
    "a secret's jsonField %j the collector would misread is a synth error naming the header",
    (field) => {
      const { stack } = newStack({ env: true });
      const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN);
      expect(() =>
        traced(stack, otlp({ 'x-api-key': ExporterHeaderValue.fromSecret(secret, field) })),
      ).toThrow(
        /exporter header 'x-api-key': jsonField must be a non-empty JSON key without \$, \{, \}, :- or control characters/,
      );
    },
  );

  test('a secret in another region than the function is a synth error that says how to fix it', () => {
    const { stack } = newStack({ env: true }); // eu-west-1
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Key',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:otlp-key-AbCdEf',
    );
    expect(() => traced(stack, otlp({ 'x-api-key': ExporterHeaderValue.fromSecret(secret) }))).toThrow(
      /exporter header 'x-api-key' reads secret TestStack\/Key in us-east-1, but the function is in eu-west-1 .*replicate the secret to eu-west-1/,
    );
  });

  test('a secret of another region is not checked when either region is a token', () => {
    const { stack } = newStack(); // environment-agnostic
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN);
    expect(() => traced(stack, otlp({ 'x-api-key': ExporterHeaderValue.fromSecret(secret) }))).not.toThrow();
  });

  test('an imported secret with its customer managed key: the function gets kms:Decrypt through Secrets Manager', () => {
    const { stack } = newStack({ env: true });
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Key', {
      secretCompleteArn: SECRET_ARN,
      encryptionKey: kms.Key.fromKeyArn(stack, 'Cmk', keyArn),
    });
    traced(stack, otlp({ 'x-api-key': ExporterHeaderValue.fromSecret(secret) }));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Resource: keyArn,
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
          }),
        ]),
      },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('encryption key is not known'));
  });

  test('an imported secret whose key is not known: a warning says how to import it with its key', () => {
    const { stack } = newStack({ env: true });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN);
    traced(stack, otlp({ 'x-api-key': ExporterHeaderValue.fromSecret(secret) }));
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Fn',
      Match.stringLikeRegexp(
        'the collector reads the imported secret TestStack/Key, whose encryption key is not known.*fromSecretAttributes.*encryptionKey',
      ),
    );
  });

  test('a secret of the app gives no such warning', () => {
    const { stack } = newStack({ env: true });
    traced(
      stack,
      otlp({ 'x-api-key': ExporterHeaderValue.fromSecret(new secretsmanager.Secret(stack, 'Key')) }),
    );
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('encryption key is not known'));
  });
});
