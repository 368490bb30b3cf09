export * from './trace-edges';
export * from './trace-map';
