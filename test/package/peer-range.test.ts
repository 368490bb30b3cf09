import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRepoFiles, repoFiles, ROOT } from './pack-helpers';

// The peer range holds: the lowest `aws-cdk-lib` and `constructs` that package.json's
// peerDependencies claim (`^2.269.0` → 2.269.0) are installed, exactly, into a copy of the
// repository; lib/ and the example app type-check against them, and the example synthesizes its
// Dev and Prod stacks with traced functions. A range that claims a version the library does not
// work with fails here, with the compiler's or the synth's error.
//
// To see it fail (or to try a version before changing the range), override the versions it
// installs; package.json stays as it is:
//
//   PEER_RANGE_AWS_CDK_LIB=2.268.0 npx jest test/package/peer-range.test.ts
//   PEER_RANGE_CONSTRUCTS=10.4.5 npx jest test/package/peer-range.test.ts
//
// It needs the registry, as `npm ci` does; npm's cache (~/.npm) makes the install a few seconds.

const OVERRIDE = { 'aws-cdk-lib': 'PEER_RANGE_AWS_CDK_LIB', constructs: 'PEER_RANGE_CONSTRUCTS' } as const;
type Peer = keyof typeof OVERRIDE;

/** The lowest version a simple range admits: `^X.Y.Z`, `~X.Y.Z`, `>=X.Y.Z` or `X.Y.Z`. */
function lowestOf(range: string): string {
  const match = /^\s*(?:\^|~|>=)?\s*(\d+\.\d+\.\d+)\s*$/.exec(range);
  if (!match) {
    throw new Error(
      `peer range '${range}': this check reads the lowest version of ^X.Y.Z, ~X.Y.Z, >=X.Y.Z or X.Y.Z only`,
    );
  }
  return match[1];
}

/** The version of a peer the check installs: its override, or the lowest of its claimed range. */
function claimedLowest(peer: Peer): string {
  const override = process.env[OVERRIDE[peer]];
  if (override) return override;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  return lowestOf(pkg.peerDependencies[peer]);
}

/** Runs a command; its output (the end of it) becomes the error when it fails. */
function run(what: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status === 0) return;
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`
    .split('\n')
    .filter(
      (line) => line.trim() !== '' && !/^(Bundling asset |\s*⚡ Done in |\s*\S+\s+[\d.]+[kmg]?b$)/.test(line),
    );
  throw new Error(
    `${what} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}):\n` +
      output.slice(-60).join('\n'),
  );
}

interface Template {
  Resources: Record<
    string,
    {
      Type: string;
      Properties?: { Environment?: { Variables?: Record<string, unknown> }; Layers?: unknown[] };
    }
  >;
}

/** The OTEL_SERVICE_NAMEs of the traced functions of a stage's one stack, and its resource types. */
function stage(outdir: string, name: string): { traced: string[]; types: string[] } {
  const dir = join(outdir, `assembly-${name}`);
  expect(existsSync(dir)).toBe(true);
  const templates = readdirSync(dir).filter((f) => f.endsWith('.template.json'));
  expect(templates).toHaveLength(1);
  const template = JSON.parse(readFileSync(join(dir, templates[0]), 'utf8')) as Template;
  const resources = Object.values(template.Resources);
  const traced = resources.filter(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      r.Properties?.Environment?.Variables?.OTEL_SERVICE_NAME !== undefined &&
      (r.Properties.Layers ?? []).length > 0,
  );
  return {
    traced: traced.map((r) => String(r.Properties!.Environment!.Variables!.OTEL_SERVICE_NAME)).sort(),
    types: resources.map((r) => r.Type),
  };
}

test('the lowest version of a peer range', () => {
  expect(['^2.269.0', '~2.269.1', '>=2.269.0', '2.269.0'].map(lowestOf)).toEqual([
    '2.269.0',
    '2.269.1',
    '2.269.0',
    '2.269.0',
  ]);
  expect(() => lowestOf('^2.269.0 || ^3.0.0')).toThrow(/lowest version of/);
});

test('the lowest aws-cdk-lib and constructs the peer range claims type-check lib/ and synthesize the example', () => {
  const cdk = claimedLowest('aws-cdk-lib');
  const constructs = claimedLowest('constructs');
  const versions = `aws-cdk-lib ${cdk} with constructs ${constructs}`;
  const work = mkdtempSync(join(tmpdir(), 'peer-range-'));
  try {
    const npm = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];

    // 1. As an app installs them: the two together, with npm's peer checks (aws-cdk-lib's own
    // constructs range). A dry run: it only resolves the tree.
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'peer-range-app',
        private: true,
        dependencies: { 'aws-cdk-lib': cdk, constructs },
      }),
    );
    run(
      `npm install of ${versions} in an app`,
      'npm',
      ['install', '--dry-run', '--legacy-peer-deps=false', ...npm],
      app,
    );

    // 2. A copy of the repository with its node_modules (copied, never linked: npm changes it),
    // then exactly those versions in place of the dev ones. cdk-nag, a dev dependency the example
    // runs, may claim a higher floor than the library: legacy peer resolution lets it be.
    const repo = join(work, 'repo');
    copyRepoFiles(
      repoFiles('lib', 'layer', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'cdk.json'),
      repo,
    );
    execFileSync('cp', ['-a', join(ROOT, 'node_modules'), join(repo, 'node_modules')]);
    run(
      `npm install of ${versions} in the repository`,
      'npm',
      [
        'install',
        '--no-save',
        '--legacy-peer-deps',
        ...npm,
        `aws-cdk-lib@${cdk}`,
        `constructs@${constructs}`,
      ],
      repo,
    );
    const installed = (name: string) =>
      (
        JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    expect({ cdk: installed('aws-cdk-lib'), constructs: installed('constructs') }).toEqual({
      cdk,
      constructs,
    });
    // One aws-cdk-lib in the tree: cdk-nag's checks run on the same one as the app.
    expect(existsSync(join(repo, 'node_modules', 'cdk-nag', 'node_modules', 'aws-cdk-lib'))).toBe(false);

    // 3. lib/ and the example type-check.
    writeFileSync(
      join(repo, 'tsconfig.peer-range.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { noEmit: true, types: ['node'] },
        include: ['lib', 'bin/example'],
        exclude: ['node_modules', '**/*.test.ts'],
      }),
    );
    run(
      `type-checking lib/ and bin/example with ${versions}`,
      join(repo, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.peer-range.json'],
      repo,
    );

    // 4. The example app synthesizes (the CDK CLI sets CDK_OUTDIR; the app synthesizes at exit).
    const outdir = join(repo, 'cdk.out');
    run(
      `synthesizing the example (bin/example/app.ts) with ${versions}`,
      join(repo, 'node_modules', '.bin', 'tsx'),
      [join('bin', 'example', 'app.ts')],
      repo,
      { CDK_OUTDIR: outdir },
    );
    const dev = stage(outdir, 'Dev');
    const prod = stage(outdir, 'Prod');
    expect(dev.traced.length).toBeGreaterThan(0);
    expect(prod.traced).toEqual(dev.traced);
    for (const s of [dev, prod]) expect(s.types).toContain('AWS::XRay::TransactionSearchConfig');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 300_000);
