import * as fs from 'fs';
import * as path from 'path';
import { App, AppProps, Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** A fixed environment, so ARNs built from the region and account are concrete strings. */
export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' } as const;

export interface TestStackOptions {
  /** Give the stack a fixed account and region (else it is environment-agnostic). */
  readonly env?: boolean;
  /** Really bundle the functions with esbuild (slow); else bundling is skipped. */
  readonly bundle?: boolean;
  /** Props of the app. */
  readonly appProps?: AppProps;
  /** Props of the stack. */
  readonly stackProps?: StackProps;
}

/**
 * A new app and stack. Bundling is skipped unless asked for (the `aws:cdk:bundling-stacks`
 * context), so tests that only read the template stay fast.
 */
export function newStack(options: TestStackOptions = {}): { app: App; stack: Stack } {
  const app = new App({
    ...options.appProps,
    context: {
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...(options.appProps?.context ?? {}),
    },
  });
  const stack = new Stack(app, 'TestStack', {
    ...(options.env ? { env: TEST_ENV } : {}),
    ...options.stackProps,
  });
  return { app, stack };
}

/** The template of a stack. */
export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** The directory of the handler fixtures. */
export const FIXTURES = path.join(__dirname, '..', 'lib', 'fixtures');

/** The path of a handler fixture. */
export function fixture(name: string): string {
  const file = path.join(FIXTURES, name);
  if (!fs.existsSync(file)) {
    throw new Error(`missing test fixture ${file}`);
  }
  return file;
}

/**
 * The bundled code of a function's asset in a synthesized app: the files of the asset directory
 * whose S3 key the function's `Code` points at.
 */
export function bundledCode(app: App, stack: Stack, functionLogicalId: string): Record<string, string> {
  const assembly = app.synth();
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Properties: { Code: { S3Key: string } } }>;
  };
  const key = template.Resources[functionLogicalId].Properties.Code.S3Key;
  const hash = key.replace(/\.zip$/, '');
  const dir = path.join(assembly.directory, `asset.${hash}`);
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(dir)) {
    files[f] = fs.readFileSync(path.join(dir, f), 'utf8');
  }
  return files;
}

/** A plain `lambda.Function` (not traced), for the checks that want a `TracedFunction`. */
export function plainFunction(
  scope: Construct,
  id: string,
  props: Partial<lambda.FunctionProps> = {},
): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
    ...props,
  });
}
