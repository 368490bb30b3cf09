import * as fs from 'fs';
import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ExporterHeaderValueKind } from '../collector/exporter-header-value';
import { TracingCollectorKind } from '../collector/tracing-collector';
import { TracingExporterKind } from '../collector/tracing-exporter';
import { WARNING_PREFIX } from './constants';
import { COLLECTOR_VERSION_PATTERN } from './collector-layers';
import { SamplingMode } from '../settings/tracing-options';
import { DEFAULT_FUNCTION_TIMEOUT, ResolvedTracingOptions } from './defaults';

/** What the validation of a traced function needs besides the tracing options. */
export interface FunctionFacts {
  readonly entry?: string;
  readonly handler?: string;
  readonly hasCode: boolean;
  readonly runtime: lambda.Runtime;
  readonly timeout?: Duration;
  readonly loggingFormat?: lambda.LoggingFormat;
  readonly hasOwnLogGroup: boolean;
  readonly logRetentionGiven: boolean;
  /** Our variables that the user's `environment` sets to another value. */
  readonly overriddenEnvironment: readonly string[];
  /** The sampling budget of the enclosing settings, if any. */
  readonly samplingBudget?: { readonly maxSamplingRatio: number; readonly setBy: string };
}

/** A warning for a safe default the user overrode. */
export interface TracingWarning {
  readonly id: string;
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Every invalid prop of a traced function, each message naming the prop and the fix. */
export function tracedFunctionErrors(options: ResolvedTracingOptions, facts: FunctionFacts): string[] {
  const errors: string[] = [];

  if (facts.hasCode) {
    errors.push('code is not supported: TracedFunction bundles entry with the tracing runtime; remove code');
  }
  if (!facts.entry) {
    errors.push('entry is required: give the path of the file that exports your handler');
  } else if (!fs.existsSync(facts.entry)) {
    errors.push(`entry file not found: ${facts.entry} (give the path of the file that exports your handler)`);
  }
  if (facts.handler !== undefined && !IDENTIFIER.test(facts.handler)) {
    errors.push(
      `handler must be the name of the exported function, a JavaScript identifier (got '${facts.handler}')`,
    );
  }
  if (facts.runtime.family !== lambda.RuntimeFamily.NODEJS) {
    errors.push(
      `runtime must be a Node.js runtime (got ${facts.runtime.name}); use e.g. lambda.Runtime.NODEJS_24_X`,
    );
  }

  errors.push(...tracingOptionErrors(options, facts));
  return errors;
}

/** What the validation of tracing options needs to know about the function. */
export type OptionFacts = Pick<FunctionFacts, 'timeout' | 'samplingBudget'>;

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
  } else if (options.samplingMode !== SamplingMode.HEAD) {
    errors.push(
      `samplingMode must be SamplingMode.HEAD or SamplingMode.COLLECTOR (got '${String(options.samplingMode)}')`,
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
    }
  } else if (exporter.kind === TracingExporterKind.XRAY) {
    errors.push(...xrayExporterErrors(options));
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
      errors.push(`collector version must look like 0.22.0 (got '${collector.version}')`);
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

/** Warnings for the safe defaults a user overrode. */
export function tracedFunctionWarnings(
  options: ResolvedTracingOptions,
  facts: FunctionFacts,
): TracingWarning[] {
  const warnings: TracingWarning[] = [];
  const warn = (id: string, message: string) => warnings.push({ id: `${WARNING_PREFIX}${id}`, message });

  if (facts.hasOwnLogGroup) {
    if (facts.logRetentionGiven) {
      warn(
        'logRetentionIgnored',
        'logRetention is ignored because logGroup is given: set the retention on your log group',
      );
    }
  } else if (options.logRetention === logs.RetentionDays.INFINITE) {
    warn(
      'logRetentionInfinite',
      'logRetention is INFINITE: logs are kept (and billed) forever; choose a retention such as RetentionDays.ONE_MONTH',
    );
  }
  if (options.keepErrors === false) {
    warn(
      'keepErrorsDisabled',
      'keepErrors is false: failed invocations are exported only when their trace is sampled',
    );
  }
  if (!Token.isUnresolved(options.samplingRatio) && options.samplingRatio === 0) {
    warn(
      'samplingRatioZero',
      'samplingRatio is 0: no new trace is sampled' +
        (options.keepErrors ? ' (failed invocations are still exported)' : ' and no span is exported'),
    );
  }
  if (facts.loggingFormat === lambda.LoggingFormat.TEXT) {
    warn(
      'loggingFormatText',
      'loggingFormat is TEXT: log lines cannot be joined to traces by field; use lambda.LoggingFormat.JSON',
    );
  }
  if (facts.overriddenEnvironment.length > 0) {
    warn(
      'environmentOverride',
      `environment overrides ${facts.overriddenEnvironment.join(', ')}, which TracedFunction sets from its ` +
        'tracing options; set the matching option instead',
    );
  }
  const endpoint = options.exporter.kind === TracingExporterKind.OTLP ? options.exporter.endpoint : undefined;
  if (endpoint && !Token.isUnresolved(endpoint) && isInsecureRemote(endpoint)) {
    warn(
      'insecureEndpoint',
      `exporter endpoint ${endpoint} is plain http:// to a remote host: spans and headers travel unencrypted; use https://`,
    );
  }
  return warnings;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isInsecureRemote(value: string): boolean {
  try {
    const url = new URL(value);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return url.protocol === 'http:' && !['localhost', '127.0.0.1', '::1'].includes(host);
  } catch {
    return false;
  }
}
