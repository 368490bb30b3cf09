export * from './tracing-layer';
