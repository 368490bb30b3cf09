/**
 * Attribute names of the incubating FaaS, cloud, messaging and RPC semantic conventions.
 *
 * `@opentelemetry/semantic-conventions` keeps these in its `incubating` entry point, which is
 * not covered by its stability guarantee; they are copied here (as opentelemetry-js-contrib does)
 * so an upstream rename cannot break the runtime. Stable names are imported from the package.
 */
export const ATTR_FAAS_TRIGGER = 'faas.trigger';
export const ATTR_FAAS_INVOCATION_ID = 'faas.invocation_id';
export const ATTR_FAAS_COLDSTART = 'faas.coldstart';
export const ATTR_FAAS_NAME = 'faas.name';
export const ATTR_FAAS_VERSION = 'faas.version';
export const ATTR_FAAS_INSTANCE = 'faas.instance';
export const ATTR_FAAS_MAX_MEMORY = 'faas.max_memory';
export const ATTR_CLOUD_PROVIDER = 'cloud.provider';
export const ATTR_CLOUD_PLATFORM = 'cloud.platform';
export const ATTR_CLOUD_REGION = 'cloud.region';
export const ATTR_CLOUD_ACCOUNT_ID = 'cloud.account.id';
export const ATTR_CLOUD_RESOURCE_ID = 'cloud.resource_id';

export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';

/** This project's own attributes (not in the semantic conventions), under one namespace. */
export const ATTR_BATCH_ITEM_FAILURES = 'serverless_tracing.batch_item_failures';
export const ATTR_RESPONSE_BODY_READ = 'serverless_tracing.response_body_read';
export const ATTR_CONTEXT_SOURCE = 'serverless_tracing.context_source';
export const EVENT_CONTEXT_NOT_INJECTED = 'serverless_tracing.context_not_injected';
/** The always-keep rule (`TRACING_ALWAYS_KEEP`) that sampled the invocation, as written. */
export const ATTR_SAMPLING_RULE = 'serverless_tracing.sampling.rule';
/**
 * The ratio of the adaptive sampling boost that sampled a new trace, on its root span. A
 * `TracingGateway` keeps every trace with it (its `adaptive-boost` policy), so a boost works in
 * `SamplingMode.TAIL` too.
 */
export const ATTR_SAMPLING_BOOST = 'serverless_tracing.sampling.boost';

/**
 * `sampling.priority`, from the OpenTracing conventions: the collector's `probabilistic_sampler`
 * keeps a span whose value is above 0 whatever its trace id hashes to (and drops one at 0).
 */
export const ATTR_SAMPLING_PRIORITY = 'sampling.priority';

/** Values of `faas.trigger`. */
export type FaasTrigger = 'http' | 'pubsub' | 'datasource' | 'timer' | 'other';

/**
 * Attribute names of the incubating AWS SDK conventions (`aws.*`), copied from
 * `@opentelemetry/semantic-conventions/incubating` 1.45.0 for the same reason as above. `http.response.status_code` and `error.type` are stable and come
 * from the package.
 */
export const ATTR_AWS_REQUEST_ID = 'aws.request_id';
export const ATTR_AWS_EXTENDED_REQUEST_ID = 'aws.extended_request_id';
export const ATTR_AWS_DYNAMODB_TABLE_NAMES = 'aws.dynamodb.table_names';
export const ATTR_AWS_DYNAMODB_INDEX_NAME = 'aws.dynamodb.index_name';
export const ATTR_AWS_DYNAMODB_CONSISTENT_READ = 'aws.dynamodb.consistent_read';
export const ATTR_AWS_DYNAMODB_LIMIT = 'aws.dynamodb.limit';
export const ATTR_AWS_DYNAMODB_PROJECTION = 'aws.dynamodb.projection';
export const ATTR_AWS_DYNAMODB_SELECT = 'aws.dynamodb.select';
export const ATTR_AWS_DYNAMODB_SCAN_FORWARD = 'aws.dynamodb.scan_forward';
export const ATTR_AWS_DYNAMODB_SEGMENT = 'aws.dynamodb.segment';
export const ATTR_AWS_DYNAMODB_TOTAL_SEGMENTS = 'aws.dynamodb.total_segments';
export const ATTR_AWS_DYNAMODB_CONSUMED_CAPACITY = 'aws.dynamodb.consumed_capacity';
export const ATTR_AWS_DYNAMODB_COUNT = 'aws.dynamodb.count';
export const ATTR_AWS_DYNAMODB_SCANNED_COUNT = 'aws.dynamodb.scanned_count';
export const ATTR_AWS_S3_BUCKET = 'aws.s3.bucket';
export const ATTR_AWS_S3_KEY = 'aws.s3.key';
export const ATTR_AWS_SECRETSMANAGER_SECRET_ARN = 'aws.secretsmanager.secret.arn';
export const ATTR_AWS_SQS_QUEUE_URL = 'aws.sqs.queue.url';
export const ATTR_AWS_SNS_TOPIC_ARN = 'aws.sns.topic.arn';

/**
 * A span event of this project: an SQS message's attribute budget was full, so its context went
 * into the `AWSTraceHeader` message system attribute (X-Ray format) instead of `traceparent`.
 */
export const EVENT_CONTEXT_IN_AWS_TRACE_HEADER = 'serverless_tracing.context_in_aws_trace_header';
