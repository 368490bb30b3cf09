import { Duration, Token } from 'aws-cdk-lib';
import { ExporterHeaderValue, ExporterHeaderValueKind } from '../collector/exporter-header-value';
import { COLLECTOR_VERSION_PATTERN, collectorRegionErrors } from '../collector/private/collector-layers';
import { TracingCollectorKind } from '../collector/tracing-collector';
import { TracingExporterKind } from '../collector/tracing-exporter';
import { DEFAULT_FUNCTION_TIMEOUT } from '../core/function-timeout';
import { controlCharacterAt, HEADER_NAME } from '../core/http-headers';
import { secretInOtherRegion } from '../core/secret-grants';
import { SamplingMode } from '../settings/tracing-options';
import { ResolvedTracingOptions } from './options';

/** What the validation of tracing options needs to know about the function. */
export interface OptionFacts {
  /** The function's timeout. @default - CDK's default, 3 seconds */
  readonly timeout?: Duration;
  /** The sampling budget of the enclosing settings, if any. */
  readonly samplingBudget?: { readonly maxSamplingRatio: number; readonly setBy: string };
  /** The function's region (a token in an environment-agnostic stack). @default - not checked */
  readonly region?: string;
  /** Whether the function is in a VPC. @default - not known (not checked) */
  readonly inVpc?: boolean;
}

/**
 * Every invalid tracing option (whoever applies them: `TracedFunction` or `TracingPolicy`), each
 * message naming the option and the fix.
 */
export function tracingOptionErrors(options: ResolvedTracingOptions, facts: OptionFacts): string[] {
  const errors: string[] = [];
  if (options.serviceName.trim() === '') {
    errors.push('serviceName must not be empty; leave it unset to use the construct id');
  }

  const ratio = options.samplingRatio;
  if (
    !Token.isUnresolved(ratio) &&
    (typeof ratio !== 'number' || Number.isNaN(ratio) || ratio < 0 || ratio > 1)
  ) {
    errors.push(`samplingRatio must be between 0 and 1 (got ${ratio})`);
  } else if (
    facts.samplingBudget &&
    !Token.isUnresolved(ratio) &&
    ratio > facts.samplingBudget.maxSamplingRatio
  ) {
    errors.push(
      `samplingRatio ${ratio} is above the sampling budget maxSamplingRatio ${facts.samplingBudget.maxSamplingRatio} ` +
        `set by TracingSettings on '${facts.samplingBudget.setBy}': lower samplingRatio or raise the budget`,
    );
  }
  if (options.samplingMode === SamplingMode.COLLECTOR) {
    if (options.collector.kind === TracingCollectorKind.NONE) {
      errors.push(
        'samplingMode COLLECTOR needs the collector: use TracingCollector.lambdaLayer(), or SamplingMode.HEAD',
      );
    }
    if (Token.isUnresolved(ratio)) {
      errors.push(
        'samplingRatio must be a number known at synth with samplingMode COLLECTOR (it is written into the collector configuration)',
      );
    }
  } else if (options.samplingMode === SamplingMode.TAIL) {
    if (options.exporter.kind !== TracingExporterKind.GATEWAY) {
      errors.push(
        'samplingMode TAIL needs a gateway that sees whole traces: add a TracingGateway and set ' +
          'exporter: TracingExporter.gateway(gateway), or use SamplingMode.HEAD',
      );
    }
    const head = options.headSamplingRatio;
    if (!Token.isUnresolved(head) && !(typeof head === 'number' && head >= 0 && head <= 1)) {
      errors.push(`headSamplingRatio must be between 0 and 1 (got ${head})`);
    }
  } else if (options.samplingMode !== SamplingMode.HEAD) {
    errors.push(
      `samplingMode must be SamplingMode.HEAD, SamplingMode.COLLECTOR or SamplingMode.TAIL (got '${String(options.samplingMode)}')`,
    );
  }
  if (options.samplingMode !== SamplingMode.TAIL && options.headSamplingRatio !== 1) {
    errors.push(
      `headSamplingRatio is for SamplingMode.TAIL (got ${options.headSamplingRatio} with samplingMode ${String(options.samplingMode).toUpperCase()}): use samplingRatio`,
    );
  }

  const flush = options.flushTimeout;
  const timeout = facts.timeout ?? DEFAULT_FUNCTION_TIMEOUT;
  if (!flush.isUnresolved()) {
    if (flush.toMilliseconds() <= 0) {
      errors.push(`flushTimeout must be positive (got ${flush.toHumanString()})`);
    } else if (!timeout.isUnresolved() && flush.toMilliseconds() >= timeout.toMilliseconds()) {
      errors.push(
        `flushTimeout (${flush.toHumanString()}) must be shorter than the function timeout ` +
          `(${timeout.toHumanString()}): lower flushTimeout or raise timeout`,
      );
    }
  }

  const exporter = options.exporter;
  const collector = options.collector;
  if (exporter.kind === TracingExporterKind.OTLP) {
    const endpoint = exporter.endpoint ?? '';
    if (!Token.isUnresolved(endpoint) && !isHttpUrl(endpoint)) {
      errors.push(`exporter endpoint must be an http:// or https:// URL (got '${endpoint}')`);
    }
    for (const [name, header] of Object.entries(exporter.headers)) {
      if (!HEADER_NAME.test(name)) {
        errors.push(`exporter header name '${name}' is not a valid HTTP header name`);
      }
      if (header.kind === ExporterHeaderValueKind.SECRET && collector.kind === TracingCollectorKind.NONE) {
        errors.push(
          `exporter header '${name}' reads a secret, which needs the collector: use ` +
            'TracingCollector.lambdaLayer() (the collector resolves the secret at start), or a plain header',
        );
      }
      errors.push(...headerValueErrors(name, header, facts.region));
    }
  } else if (exporter.kind === TracingExporterKind.XRAY) {
    errors.push(...xrayExporterErrors(options));
  } else if (exporter.kind === TracingExporterKind.GATEWAY) {
    if (collector.kind === TracingCollectorKind.NONE) {
      errors.push(
        `exporter TracingExporter.gateway(${exporter.gateway?.node.path}) needs the collector (it signs and queues the export): use TracingCollector.lambdaLayer()`,
      );
    }
    if (exporter.gateway?.auth.kind === 'none' && facts.inVpc === false) {
      errors.push(
        `exporter TracingExporter.gateway(${exporter.gateway.node.path}) is reached inside its VPC (GatewayAccess.vpc()): put the function in that VPC (vpc: gateway.vpc), or give the gateway GatewayAccess.iam()`,
      );
    }
  } else if (collector.kind === TracingCollectorKind.NONE) {
    errors.push(
      'exporter TracingExporter.debug() needs the collector: use TracingCollector.lambdaLayer(), ' +
        'or TracingExporter.otlp({ endpoint }) with TracingCollector.none()',
    );
  }

  if (collector.kind === TracingCollectorKind.LAMBDA_LAYER) {
    if (collector.version !== undefined && collector.layerArn !== undefined) {
      errors.push('collector: give either version or layerArn, not both (layerArn is the whole ARN)');
    }
    if (
      collector.version !== undefined &&
      !Token.isUnresolved(collector.version) &&
      !COLLECTOR_VERSION_PATTERN.test(collector.version)
    ) {
      errors.push(`collector version must look like 0.23.0 (got '${collector.version}')`);
    }
    if (
      collector.layerArn !== undefined &&
      !Token.isUnresolved(collector.layerArn) &&
      !/^arn:[^:]+:lambda:[^:]*:\d{12}:layer:[^:]+:\d+$/.test(collector.layerArn)
    ) {
      errors.push(
        `collector layerArn must be a Lambda layer version ARN, arn:aws:lambda:<region>:<account>:layer:<name>:<version> (got '${collector.layerArn}')`,
      );
    }
    errors.push(...collectorRegionErrors(collector, facts.region));
  }
  return errors;
}

/** The problems of `TracingExporter.xray()`, each naming the prop and the fix. */
function xrayExporterErrors(options: ResolvedTracingOptions): string[] {
  const errors: string[] = [];
  if (options.collector.kind === TracingCollectorKind.NONE) {
    errors.push(
      'exporter TracingExporter.xray() needs the collector (it signs the export with SigV4): use ' +
        'TracingCollector.lambdaLayer(), or TracingExporter.otlp({ endpoint }) with TracingCollector.none()',
    );
  }
  const search = options.exporter.transactionSearch;
  if (!search) {
    errors.push(
      'exporter TracingExporter.xray() needs transactionSearch: TransactionSearch.enable() in one stack of ' +
        'the account and region, TransactionSearch.alreadyEnabled() in the others',
    );
    return errors;
  }
  const percentage = search.indexingPercentage;
  if (
    percentage !== undefined &&
    !Token.isUnresolved(percentage) &&
    !(typeof percentage === 'number' && percentage >= 0 && percentage <= 100)
  ) {
    errors.push(
      `exporter transactionSearch indexingPercentage must be between 0 and 100 (got ${percentage})`,
    );
  }
  return errors;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Whether a JSON field can be read by the collector's `${secretsmanager:<arn>#<field>}`. */
function readableSecretField(field: string): boolean {
  return (
    field !== '' &&
    !/[${}]/.test(field) &&
    !field.includes(':-') &&
    controlCharacterAt(field) === -1 &&
    !field.includes('\t')
  );
}

/**
 * The problems of one header value, naming the header and never printing a value: a plain value
 * with a character HTTP does not allow (every export would fail at run time), a secret's JSON
 * field the collector would misread, a secret in another region than the function (the
 * collector's `secretsmanager` provider reads in the function's own region).
 */
function headerValueErrors(name: string, header: ExporterHeaderValue, region: string | undefined): string[] {
  const errors: string[] = [];
  if (header.kind === ExporterHeaderValueKind.PLAIN) {
    const value = header.value ?? '';
    const bad = Token.isUnresolved(value) ? -1 : controlCharacterAt(value);
    if (bad !== -1) {
      errors.push(
        `exporter header '${name}' has a character an HTTP header value cannot hold (code ${value.charCodeAt(bad)} ` +
          `at position ${bad}; CR and LF among them): every export would fail; remove it`,
      );
    }
    return errors;
  }
  const field = header.jsonField;
  if (field !== undefined && !Token.isUnresolved(field) && !readableSecretField(field)) {
    errors.push(
      `exporter header '${name}': jsonField must be a non-empty JSON key without $, {, }, :- or control characters ` +
        '(the collector reads the secret through ${secretsmanager:<arn>#<jsonField>}); rename the key in the secret',
    );
  }
  const secretRegion = secretInOtherRegion(header.secret, region);
  if (secretRegion !== undefined) {
    errors.push(
      `exporter header '${name}' reads secret ${header.secret!.node.path} in ${secretRegion}, but the function is in ` +
        `${region} and its collector reads secrets in its own region: replicate the secret to ${region} ` +
        '(replicaRegions) and use the replica, or create the secret there',
    );
  }
  return errors;
}
