import { Annotations, Token, Tokenization } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ExporterHeaderValueKind } from '../collector/exporter-header-value';
import { TracingCollectorKind } from '../collector/tracing-collector';
import { TracingExporterKind } from '../collector/tracing-exporter';
import { renderCollectorConfig, RenderedCollectorConfig } from '../collector/private/collector-config';
import { collectorConfigLayer, collectorLayerArn } from '../collector/private/collector-layers';
import { COLLECTOR_CONFIG_PATH, COLLECTOR_OTLP_HTTP_ENDPOINT } from '../collector/private/constants';
import { setUpXrayExport } from '../collector/private/transaction-search-resources';
import { ENV, SAMPLER, SAMPLER_COLLECTOR_MODE, SAMPLER_TAIL_MODE, WARNING_PREFIX } from '../core/constants';
import { grantSecretRead } from '../core/secret-grants';
import { SamplingMode } from '../settings/tracing-options';
import { neighbourExtensionErrors } from './neighbour-extensions';
import { ResolvedTracingOptions } from './options';

/**
 * What makes a function traced, whoever built it (`TracedFunction`, or `TracingPolicy` on a
 * function it did not build): the collector configuration, the environment the runtime and the
 * collector read, and the collector's layers and permissions.
 */

/** The collector configuration of a function (undefined with `TracingCollector.none()`). */
export function renderFunctionCollectorConfig(
  options: ResolvedTracingOptions,
): RenderedCollectorConfig | undefined {
  if (options.collector.kind !== TracingCollectorKind.LAMBDA_LAYER) return undefined;
  const collectorSampling =
    options.samplingMode === SamplingMode.COLLECTOR &&
    !Token.isUnresolved(options.samplingRatio) &&
    options.samplingRatio >= 0 &&
    options.samplingRatio <= 1;
  return renderCollectorConfig(options.exporter, {
    samplingPercentage: collectorSampling ? options.samplingRatio * 100 : undefined,
  });
}

/** The environment variables the runtime and the collector read. */
export function tracingEnvironment(
  options: ResolvedTracingOptions,
  collectorConfig: RenderedCollectorConfig | undefined,
): Record<string, string> {
  const env: Record<string, string> = { [ENV.SERVICE_NAME]: options.serviceName };
  if (options.samplingMode === SamplingMode.COLLECTOR) {
    // The function keeps every trace (still following an unsampled parent) and marks the spans
    // of failed and always-kept traces with sampling.priority; its collector samples the rest.
    env[ENV.SAMPLER] = SAMPLER_COLLECTOR_MODE;
    env[ENV.SAMPLING_PRIORITY] = 'true';
  } else if (options.samplingMode === SamplingMode.TAIL) {
    // Every trace (or headSamplingRatio of them, by trace id) goes to the gateway, which decides.
    env[ENV.SAMPLER] = SAMPLER_TAIL_MODE;
    env[ENV.SAMPLER_ARG] = Token.isUnresolved(options.headSamplingRatio)
      ? Tokenization.stringifyNumber(options.headSamplingRatio)
      : String(options.headSamplingRatio);
  } else {
    env[ENV.SAMPLER] = SAMPLER;
    env[ENV.SAMPLER_ARG] = Token.isUnresolved(options.samplingRatio)
      ? Tokenization.stringifyNumber(options.samplingRatio)
      : String(options.samplingRatio);
  }
  env[ENV.KEEP_ERRORS] = String(options.keepErrors);
  env[ENV.FLUSH_TIMEOUT_MS] = String(options.flushTimeout.toMilliseconds());
  if (options.logCorrelation === false) {
    env[ENV.LOG_CORRELATION] = 'false';
  }
  if (
    options.exporter.kind === TracingExporterKind.XRAY ||
    options.exporter.kind === TracingExporterKind.GATEWAY
  ) {
    // X-Ray accepts only trace ids whose first 8 hex digits are the Unix time (a gateway may
    // export to X-Ray; such ids are valid W3C ids for any other backend too).
    env[ENV.ID_FORMAT] = 'xray';
  }
  if (collectorConfig) {
    env[ENV.OTLP_ENDPOINT] = `http://${COLLECTOR_OTLP_HTTP_ENDPOINT}`;
    env[ENV.COLLECTOR_CONFIG_URI] = COLLECTOR_CONFIG_PATH;
    Object.assign(env, collectorConfig.environment);
  } else if (options.exporter.kind === TracingExporterKind.OTLP) {
    env[ENV.OTLP_ENDPOINT] = options.exporter.endpoint ?? '';
    const headers = Object.entries(options.exporter.headers)
      .filter(([, h]) => h.kind === ExporterHeaderValueKind.PLAIN)
      .map(([name, h]) => {
        const value = h.value ?? '';
        return `${name}=${Token.isUnresolved(value) ? value : encodeURIComponent(value)}`;
      });
    if (headers.length > 0) {
      env[ENV.OTLP_HEADERS] = headers.join(',');
    }
  }
  return env;
}

/**
 * The collector next to a function: the upstream collector layer for its architecture, the
 * configuration layer, read access to the secrets the configuration names, and the X-Ray
 * permission and Transaction Search resources with the X-Ray exporter; a synth error when another
 * extension of the function would bind the collector's ports (`neighbourExtensionErrors`).
 */
export function attachCollector(
  fn: lambda.Function,
  options: ResolvedTracingOptions,
  collectorConfig: RenderedCollectorConfig | undefined,
): void {
  if (!collectorConfig) return;
  const collectorLayer = lambda.LayerVersion.fromLayerVersionArn(
    fn,
    'CollectorLayer',
    collectorLayerArn(fn, options.collector, fn.architecture),
  );
  fn.addLayers(collectorLayer, collectorConfigLayer(fn, collectorConfig));
  // Another extension binding the collector's ports: checked at synth, once every layer and
  // variable is there (a TracedFunction's user adds them after construction).
  fn.node.addValidation({ validate: () => neighbourExtensionErrors(fn) });
  for (const secret of collectorConfig.secrets) {
    // With kms:Decrypt on an imported key, through Secrets Manager in the function's region only.
    grantSecretRead(secret, fn, fn);
    if (!(secret instanceof secretsmanager.Secret) && secret.encryptionKey === undefined) {
      Annotations.of(fn).addWarningV2(
        `${WARNING_PREFIX}importedSecretKeyUnknown`,
        `the collector reads the imported secret ${secret.node.path}, whose encryption key is not known: if a ` +
          'customer managed key encrypts it, import it with secretsmanager.Secret.fromSecretAttributes(this, id, ' +
          '{ secretCompleteArn, encryptionKey }) so the function gets kms:Decrypt; without it the collector cannot ' +
          'read the secret and the function fails at init',
      );
    }
  }
  if (options.exporter.kind === TracingExporterKind.XRAY && options.exporter.transactionSearch) {
    setUpXrayExport(fn, options.exporter.transactionSearch, options.logRetention);
  }
  // The gateway's endpoint: execute-api:Invoke on its route (through its HTTPS endpoint).
  options.exporter.gateway?.grantExport(fn);
}
