import { SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
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
