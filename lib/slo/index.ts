export * from './burn-rate-window';
export * from './flow-slo';
