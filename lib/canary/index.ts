export * from './canary-backend';
export * from './trace-continuity-canary';
export * from './trace-expectation';
