export * from './collector';
export * from './function';
export * from './messaging';
export * from './settings';
export * from './trace-map';
