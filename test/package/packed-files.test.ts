import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// What a user installs: `npm pack` of the repository's files (tracked, and new ones git does not ignore), as `npm publish` would make
// it (its `prepack` builds lib/, dist/runtime and dist/check). Packed in a copy, so the build's
// output never lands next to the sources the other tests run.

const root = join(__dirname, '..', '..');
let files: string[];
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'packed-'));
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '');
  for (const file of tracked) {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    cpSync(join(root, file), join(work, file));
  }
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const out = execFileSync('npm', ['pack', '--dry-run', '--json'], {
    cwd: work,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the package holds the license, the readme, the compiled constructs, runtime and check, and the layer sources', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'LICENSE',
      'README.md',
      'package.json',
      'lib/index.js',
      'lib/index.d.ts',
      'lib/function/traced-function.js',
      'lib/gateway/tracing-gateway.js',
      'dist/runtime/index.js',
      'dist/runtime/index.d.ts',
      'dist/check/bin/trace-check.js',
      'dist/check/layer/check/canary-handler.js',
      'layer/runtime/index.ts',
      'layer/shim/handler.ts',
      'layer/check/canary-handler.ts',
      'layer/collector/distribution.json',
    ]),
  );
});

test('nothing of the repository only: no tests, example, tools, benchmarks, collector builds or docs sources', () => {
  const unwanted = files.filter(
    (f) =>
      /^(test|bin|bench|docs|collector|local-run|cdk\.out|\.collector|\.ci)\//.test(f) ||
      /\.test\.[jt]s$/.test(f) ||
      // The layer ships TypeScript sources only: the constructs bundle them at synth.
      (/^layer\//.test(f) && /\.js$/.test(f)),
  );
  expect(unwanted).toEqual([]);
});
