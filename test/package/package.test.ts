import * as fs from 'fs';
import * as path from 'path';

// The published layout: the constructs compiled in place, the runtime compiled to dist/runtime
// for `cdk-serverless-tracing/runtime`, and the runtime's TypeScript sources shipped with no
// compiled `.js` beside them, so TracedFunction's esbuild bundles the tree-shakeable sources.

const root = path.join(__dirname, '..', '..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const pkg = read('package.json');

test('main, types and the runtime subpath export', () => {
  expect(pkg.main).toBe('lib/index.js');
  expect(pkg.types).toBe('lib/index.d.ts');
  expect(pkg.exports['.']).toEqual({ types: './lib/index.d.ts', default: './lib/index.js' });
  expect(pkg.exports['./runtime']).toEqual({
    types: './dist/runtime/index.d.ts',
    default: './dist/runtime/index.js',
  });
});

test('the build compiles lib/ in place and the runtime to dist/runtime, never next to layer/ sources', () => {
  expect(read('tsconfig.build.json').include).toEqual(['lib']);
  const runtime = read('tsconfig.runtime.json');
  expect(runtime.include).toEqual(['layer/runtime']);
  expect(runtime.compilerOptions).toMatchObject({ rootDir: 'layer/runtime', outDir: 'dist/runtime' });
  expect(pkg.scripts.prepack).toBe('npm run build');
});

test('files ship the layer sources and data, the compiled runtime, and no tests', () => {
  expect(pkg.files).toEqual(
    expect.arrayContaining([
      'layer/**/*.ts',
      'layer/collector/*.json',
      'dist/runtime/**/*.js',
      '!**/*.test.*',
    ]),
  );
  expect(pkg.files.filter((f: string) => f.startsWith('layer/') && f.endsWith('.js'))).toEqual([]);
  expect(pkg.files.some((f: string) => f.startsWith('test') || f.startsWith('bin'))).toBe(false);
});

test('every @opentelemetry package is pinned exactly, on the 2.x line', () => {
  const otel = Object.entries(pkg.dependencies as Record<string, string>).filter(([name]) =>
    name.startsWith('@opentelemetry/'),
  );
  expect(otel.length).toBeGreaterThanOrEqual(7);
  for (const [name, version] of otel) {
    expect(`${name}@${version}`).toMatch(/@\d+\.\d+\.\d+$/);
    if (['@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/sdk-trace'].includes(name)) {
      expect(version).toBe('2.12.1');
    }
  }
});

test('typesVersions give module resolution node10 (module: commonjs) the types of each subpath export', () => {
  for (const subpath of ['runtime', 'check']) {
    expect(pkg.typesVersions['*'][subpath]).toEqual([pkg.exports[`./${subpath}`].types.replace(/^\.\//, '')]);
  }
});

test('a construct user installs no AWS SDK client: the check bundles them or takes them as optional peers', () => {
  expect(Object.keys(pkg.dependencies).filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
  const peers = Object.keys(pkg.peerDependencies).filter((name) => name.startsWith('@aws-sdk/'));
  expect(peers.length).toBeGreaterThan(0);
  for (const name of peers) {
    expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
    expect(pkg.devDependencies[name]).toBeDefined();
  }
  expect(pkg.scripts.build).toMatch(/&& tsx bin\/setup\/build-bundles\.ts$/);
});
