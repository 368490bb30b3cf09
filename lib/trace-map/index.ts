export * from './trace-edge';
export * from './trace-edges';
export * from './trace-map';
