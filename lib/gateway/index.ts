export * from './gateway-access';
export * from './tracing-gateway';
