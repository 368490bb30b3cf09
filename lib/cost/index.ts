export * from './tracing-cost';
export * from './tracing-cost-report';
export { TracingTraffic, TracingTrafficOptions } from './tracing-traffic';
