export * from './collector';
export * from './function';
export * from './settings';
