/**
 * Attribute names of the incubating FaaS and cloud semantic conventions.
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

/** Values of `faas.trigger`. */
export type FaasTrigger = 'http' | 'pubsub' | 'datasource' | 'timer' | 'other';
