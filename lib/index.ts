export * from './canary';
export * from './collector';
export * from './function';
export * from './layer';
export * from './messaging';
export * from './policy';
export * from './settings';
export * from './trace-map';
