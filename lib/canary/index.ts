export * from './canary-backend';
export * from './canary-header-value';
export * from './trace-continuity-canary';
export * from './trace-expectation';
