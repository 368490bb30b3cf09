export * from './console-links';
export * from './flow-dashboard';
export * from './runbook';
