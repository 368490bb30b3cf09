/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The OpenTelemetry API and the runtime keep their state on globalThis (per test file here);
  // an exporter socket closing after its file ended reads it: not a leak worth a warning.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  snapshotSerializers: ['<rootDir>/test/helpers/asset-hash-serializer.js'],
  // The example's handlers import the runtime as users do; in this repo it is the source.
  moduleNameMapper: { '^cdk-serverless-tracing/runtime$': '<rootDir>/layer/runtime/index.ts' },
  testTimeout: 120000,
};
