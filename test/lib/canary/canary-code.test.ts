import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  CANARY_BUNDLING,
  CANARY_ESBUILD_OPTIONS,
  CANARY_HANDLER_SOURCE,
  CANARY_RUNTIME,
  CANARY_SDK_CLIENTS,
  canaryCode,
  missingClients,
} from '../../../lib/canary/private/canary-code';

// Where the canary's handler comes from: the package's prebuilt bundle (its AWS SDK clients are
// devDependencies, so a construct user has none), or its source bundled at synth in this repository.

let bundleDir: string;
beforeAll(() => {
  bundleDir = mkdtempSync(path.join(tmpdir(), 'canary-bundle-'));
  writeFileSync(path.join(bundleDir, 'index.js'), 'exports.handler = async () => undefined;\n');
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

test('the compiled constructs deploy the prebuilt bundle as it is', () => {
  const code = canaryCode(false, bundleDir);
  expect(code).toMatchObject({ kind: 'prebuilt', handler: 'index.handler' });
});

test('the TypeScript sources (this repository) bundle the handler at synth', () => {
  expect(canaryCode()).toEqual({
    kind: 'source',
    entry: CANARY_HANDLER_SOURCE,
    handler: 'handler',
    bundling: CANARY_BUNDLING,
  });
  expect(canaryCode(true, bundleDir).kind).toBe('source');
});

test('without the prebuilt bundle the compiled constructs bundle from the sources', () => {
  expect(canaryCode(false, path.join(bundleDir, 'missing')).kind).toBe('source');
});

test('the prebuilt bundle and the synth bundling are the same build, for the canary runtime', () => {
  expect(CANARY_ESBUILD_OPTIONS.target).toBe(`node${CANARY_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, '$1')}`);
  expect(CANARY_BUNDLING).toEqual({
    minify: CANARY_ESBUILD_OPTIONS.minify,
    sourceMap: CANARY_ESBUILD_OPTIONS.sourcemap,
    mainFields: CANARY_ESBUILD_OPTIONS.mainFields,
    externalModules: [],
  });
});

test('the clients the handler needs are found here, and named when they are not', () => {
  expect(missingClients(path.dirname(CANARY_HANDLER_SOURCE))).toEqual([]);
  expect(missingClients(tmpdir())).toEqual([...CANARY_SDK_CLIENTS]);
});
