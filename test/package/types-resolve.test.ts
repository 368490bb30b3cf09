import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consumerOf, packRepo, remove, ROOT, type Packed } from './pack-helpers';

// The package's types, as a TypeScript consumer resolves them: the constructs, the runtime
// (`cdk-serverless-tracing/runtime`) and the check (`cdk-serverless-tracing/check`), under the
// classic CDK configuration (`module: commonjs`, which resolves as node10 and ignores "exports")
// as under node16, nodenext and bundler. Each import must come with its real types, not `any`.

const IMPORTS = `import { App, Stack } from 'aws-cdk-lib';
import { TracedFunction, TracingPolicy } from 'cdk-serverless-tracing';
import { processRecords, traceAwsClient, traced, type TracedHandler } from 'cdk-serverless-tracing/runtime';
import { runCheck, type RunCheckOptions } from 'cdk-serverless-tracing/check';

type IsAny<T> = 0 extends 1 & T ? true : false;
export const notAny: [
  IsAny<typeof TracedFunction>,
  IsAny<typeof TracingPolicy>,
  IsAny<typeof traced>,
  IsAny<typeof processRecords>,
  IsAny<typeof traceAwsClient>,
  IsAny<TracedHandler<unknown, unknown>>,
  IsAny<typeof runCheck>,
  IsAny<RunCheckOptions['lambda']>,
] = [false, false, false, false, false, false, false, false];

export const handler = traced(async (event: { amount: number }) => ({
  statusCode: 200,
  body: String(event.amount),
}));
export const stack = new Stack(new App(), 'Orders');
`;

/**
 * The compiler options of each configuration, with `skipLibCheck` on (checking
 * aws-cdk-lib's declarations takes most of a minute): a declaration that does not resolve would
 * then be silently `any`, which `notAny` catches.
 */
const CONFIGURATIONS: Record<string, Record<string, string>> = {
  // What `cdk init app --language typescript` long wrote: module commonjs, no moduleResolution.
  commonjs: { module: 'commonjs' },
  node16: { module: 'node16' },
  nodenext: { module: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

let packed: Packed;
let consumer: string;

beforeAll(() => {
  packed = packRepo();
  consumer = consumerOf(packed.tarball!);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'orders', private: true }));
  writeFileSync(join(consumer, 'app.ts'), IMPORTS);
  // The same imports from an ES module (node16 and nodenext read the package's "exports" as `import`).
  writeFileSync(join(consumer, 'app-esm.mts'), IMPORTS);
}, 300_000);

afterAll(() => {
  remove(consumer);
  remove(packed?.work);
});

function compile(name: string, files: string[]): string {
  const config = join(consumer, `tsconfig.${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        ...CONFIGURATIONS[name],
        target: 'ES2022',
        lib: ['ES2022', 'esnext.disposable'],
        types: ['node'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
      },
      files,
    }),
  );
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', config], {
      cwd: consumer,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

test.each(['commonjs', 'node16', 'nodenext', 'bundler'])(
  'a consumer compiled with module %s resolves the constructs, the runtime and the check',
  (name) => {
    expect(compile(name, ['app.ts'])).toBe('');
  },
  120_000,
);

test.each(['node16', 'nodenext'])(
  'an ES module consumer compiled with module %s resolves them too',
  (name) => {
    expect(compile(name, ['app-esm.mts'])).toBe('');
  },
  120_000,
);
