export * from './trace-edges';
