export * from './always-keep';
export * from './tracing-options';
export { TracingSettings, TracingSettingsProps } from './tracing-settings';
