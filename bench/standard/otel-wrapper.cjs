// The standard OpenTelemetry setup on Lambda, as the upstream OpenTelemetry Lambda layer's
// wrapper (nodejs/packages/layer/src/wrapper.ts) sets it up, built from the official npm
// packages: a Node tracer provider with resource detection from the environment and the process,
// the OTLP/HTTP exporter behind a batch span processor, W3C trace-context and baggage
// propagation, and the AWS SDK and AWS Lambda instrumentations plus the default HTTP ones (http,
// and undici for fetch) registered with that provider. It is loaded with `node --require`, as the
// layer's AWS_LAMBDA_EXEC_WRAPPER loads it. The Lambda instrumentation patches the handler module
// named by _HANDLER in LAMBDA_TASK_ROOT when it is loaded, and force-flushes the provider before
// each invocation returns.
const {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} = require('@opentelemetry/core');
const { detectResources, envDetector, processDetector } = require('@opentelemetry/resources');
const { BatchSpanProcessor, NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { AwsInstrumentation } = require('@opentelemetry/instrumentation-aws-sdk');
const { AwsLambdaInstrumentation } = require('@opentelemetry/instrumentation-aws-lambda');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');

const tracerProvider = new NodeTracerProvider({
  resource: detectResources({ detectors: [envDetector, processDetector] }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
});
tracerProvider.register({
  propagator: new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
});
registerInstrumentations({
  tracerProvider,
  instrumentations: [
    new AwsInstrumentation({ suppressInternalInstrumentation: true }),
    new AwsLambdaInstrumentation(),
    new HttpInstrumentation(),
    new UndiciInstrumentation(),
  ],
});
