// Where the collector runs next to a function, and where its configuration is.

/** The account that publishes the upstream OpenTelemetry Lambda layers. */
export const COLLECTOR_LAYER_ACCOUNT = '184161586896';

/** Where the configuration layer puts the collector configuration (layers extract to `/opt`). */
export const COLLECTOR_CONFIG_DIR = 'cdk-serverless-tracing';
export const COLLECTOR_CONFIG_FILE = 'collector.yaml';
export const COLLECTOR_CONFIG_PATH = `/opt/${COLLECTOR_CONFIG_DIR}/${COLLECTOR_CONFIG_FILE}`;

/** The local OTLP/HTTP endpoint of the collector extension. */
export const COLLECTOR_OTLP_HTTP_ENDPOINT = 'localhost:4318';
export const COLLECTOR_OTLP_GRPC_ENDPOINT = 'localhost:4317';
