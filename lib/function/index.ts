export * from './traced-function';
