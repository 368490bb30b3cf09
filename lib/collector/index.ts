export * from './exporter-header-value';
export * from './tracing-collector';
export * from './tracing-exporter';
export * from './transaction-search';
