import * as fs from 'fs';
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TracingExporterKind } from '../../collector/tracing-exporter';
import { TracingWarning, warning } from '../../core/errors';
import { ResolvedTracingOptions } from '../../wiring/options';
import { OptionFacts, tracingOptionErrors } from '../../wiring/validate-options';

/** What the validation of a traced function needs besides the tracing options. */
export interface FunctionFacts extends OptionFacts {
  readonly entry?: string;
  readonly handler?: string;
  readonly hasCode: boolean;
  readonly runtime: lambda.Runtime;
  readonly loggingFormat?: lambda.LoggingFormat;
  readonly hasOwnLogGroup: boolean;
  readonly logRetentionGiven: boolean;
  /** Our variables that the user's `environment` sets to another value. */
  readonly overriddenEnvironment: readonly string[];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

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

/** Warnings for the safe defaults a user overrode. */
export function tracedFunctionWarnings(
  options: ResolvedTracingOptions,
  facts: FunctionFacts,
): TracingWarning[] {
  const warnings: TracingWarning[] = [];
  const warn = (id: string, message: string) => warnings.push(warning(id, message));

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

function isInsecureRemote(value: string): boolean {
  try {
    const url = new URL(value);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return url.protocol === 'http:' && !['localhost', '127.0.0.1', '::1'].includes(host);
  } catch {
    return false;
  }
}
