export * from './tracing-options';
export { TracingSettings } from './tracing-settings';
