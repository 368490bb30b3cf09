import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRepoFiles, repoFiles, ROOT } from './pack-helpers';

// The README's "Use it in your app": its two code blocks, written as a user would (bin/app.ts and
// src/create-order.ts), synthesized with the package's constructs. The app must come out traced.

const root = ROOT;

function useItBlocks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Use it in your app'),
    readme.indexOf('\n## ', readme.indexOf('## Use it in your app') + 5),
  );
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

test("the README's smallest app synthesizes one traced function exporting to X-Ray", () => {
  const [app, handler] = useItBlocks();
  expect(app).toContain("from 'cdk-serverless-tracing'");
  const work = mkdtempSync(join(tmpdir(), 'readme-app-'));
  try {
    // node_modules as an install makes it: the package itself (its tracked sources: TracedFunction
    // bundles its entry from inside node_modules, under the app's root), the rest linked.
    const modules = join(work, 'node_modules');
    mkdirSync(modules);
    for (const name of readdirSync(join(root, 'node_modules'))) {
      symlinkSync(join(root, 'node_modules', name), join(modules, name));
    }
    copyRepoFiles(repoFiles('lib', 'layer', 'package.json'), join(modules, 'cdk-serverless-tracing'));
    mkdirSync(join(work, 'bin'));
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'bin', 'app.ts'), app);
    writeFileSync(join(work, 'src', 'create-order.ts'), handler);
    // A user's project has its package.json and lock file (NodejsFunction bundles from there).
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'orders', private: true }));
    writeFileSync(
      join(work, 'package-lock.json'),
      JSON.stringify({ name: 'orders', lockfileVersion: 3, packages: {} }),
    );
    // The CDK CLI sets CDK_OUTDIR: the app synthesizes when it exits, as `cdk synth` runs it.
    const outdir = join(work, 'cdk.out');
    execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(work, 'bin', 'app.ts')], {
      cwd: work,
      env: { ...process.env, CDK_OUTDIR: outdir },
      stdio: 'pipe',
      timeout: 120_000,
    });
    const templateFile = readdirSync(outdir).find((f) => f.endsWith('.template.json'))!;
    const template = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Environment?: { Variables: Record<string, unknown> } } }
      >;
    };
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables.OTEL_SERVICE_NAME,
    );
    expect(functions.map((f) => f.Properties.Environment!.Variables)).toEqual([
      expect.objectContaining({ OTEL_SERVICE_NAME: 'CreateOrder', TRACING_ID_FORMAT: 'xray' }),
    ]);
    expect(
      Object.values(template.Resources).some((r) => r.Type === 'AWS::XRay::TransactionSearchConfig'),
    ).toBe(true);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 180_000);
