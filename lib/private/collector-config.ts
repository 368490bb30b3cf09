import * as fs from 'fs';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as YAML from 'yaml';
import { ExporterHeaderValueKind } from '../collector/exporter-header-value';
import { TracingExporter, TracingExporterKind } from '../collector/tracing-exporter';
import { COLLECTOR_OTLP_GRPC_ENDPOINT, COLLECTOR_OTLP_HTTP_ENDPOINT, ENV } from './constants';

/** The components and configuration providers of a collector distribution. */
export interface CollectorDistribution {
  readonly version: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
  readonly extensions: readonly string[];
  readonly confmapProviders: readonly string[];
}

/** Where the pinned distribution's component list lives (data, read at synth). */
export const DISTRIBUTION_FILE = path.join(__dirname, '..', '..', 'layer', 'collector', 'distribution.json');

let pinned: CollectorDistribution | undefined;

/** The components of the pinned upstream collector layer (`layer/collector/distribution.json`). */
export function pinnedDistribution(): CollectorDistribution {
  pinned ??= JSON.parse(fs.readFileSync(DISTRIBUTION_FILE, 'utf8')) as CollectorDistribution;
  return pinned;
}

/** A rendered collector configuration and what the function needs to run it. */
export interface RenderedCollectorConfig {
  /** The configuration as an object. */
  readonly config: Record<string, unknown>;
  /** The configuration as YAML, the content of the configuration layer. */
  readonly yaml: string;
  /**
   * Deploy-time values (tokens) that cannot be written into the file: the file reads them with
   * `${env:NAME}` and the function gets them as environment variables.
   */
  readonly environment: Record<string, string>;
  /** The secrets the collector reads at start (the function must be granted read access). */
  readonly secrets: secretsmanager.ISecret[];
}

type Section = 'receivers' | 'processors' | 'exporters' | 'extensions';
const SECTIONS: readonly Section[] = ['receivers', 'processors', 'exporters', 'extensions'];

/**
 * Render the collector configuration for an exporter, and validate it against the pinned
 * distribution. The content depends only on the exporter's shape, never on deploy-time values,
 * so functions with the same settings share one configuration layer.
 */
export function renderCollectorConfig(
  exporter: TracingExporter,
  distribution: CollectorDistribution = pinnedDistribution(),
): RenderedCollectorConfig {
  const environment: Record<string, string> = {};
  const secrets: secretsmanager.ISecret[] = [];

  /** A value for the file: literal when known at synth, else an `${env:...}` reference. */
  const literal = (value: string): string => {
    if (!Token.isUnresolved(value)) {
      return value;
    }
    const name = `${ENV.COLLECTOR_VALUE_PREFIX}${Object.keys(environment).length}`;
    environment[name] = value;
    return `\${env:${name}}`;
  };

  let exporterName: string;
  let exporterConfig: Record<string, unknown>;
  if (exporter.kind === TracingExporterKind.OTLP) {
    exporterName = 'otlphttp';
    const headers: Record<string, string> = {};
    for (const [name, header] of Object.entries(exporter.headers)) {
      if (header.kind === ExporterHeaderValueKind.SECRET && header.secret) {
        secrets.push(header.secret);
        const field = header.jsonField ? `#${header.jsonField}` : '';
        headers[name] = `\${secretsmanager:${literal(header.secret.secretArn)}${field}}`;
      } else {
        headers[name] = literal(header.value ?? '');
      }
    }
    exporterConfig = {
      endpoint: literal(exporter.endpoint ?? ''),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    };
  } else {
    exporterName = 'debug';
    exporterConfig = { verbosity: exporter.verbosity ?? 'basic' };
  }

  const config: Record<string, unknown> = {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: COLLECTOR_OTLP_GRPC_ENDPOINT },
          http: { endpoint: COLLECTOR_OTLP_HTTP_ENDPOINT },
        },
      },
    },
    processors: {
      batch: {},
      // Forwards after the invocation returns, so the caller does not wait for the backend.
      decouple: {},
    },
    exporters: { [exporterName]: exporterConfig },
    service: {
      pipelines: {
        traces: {
          receivers: ['otlp'],
          // decouple must come last: the upstream distribution appends it after batch otherwise.
          processors: ['batch', 'decouple'],
          exporters: [exporterName],
        },
      },
    },
  };

  validateCollectorConfig(config, distribution);
  const yaml =
    `# Rendered by cdk-serverless-tracing for the OpenTelemetry Collector Lambda layer ${distribution.version}.\n` +
    YAML.stringify(config);
  return { config, yaml, environment, secrets };
}

/**
 * Check that a collector configuration only uses components and configuration providers that
 * the distribution contains, and that its pipelines only name configured components. Throws
 * one error listing every problem.
 */
export function validateCollectorConfig(
  config: Record<string, unknown>,
  distribution: CollectorDistribution = pinnedDistribution(),
): void {
  const problems: string[] = [];
  const available: Record<Section, readonly string[]> = {
    receivers: distribution.receivers,
    processors: distribution.processors,
    exporters: distribution.exporters,
    extensions: distribution.extensions,
  };

  for (const section of SECTIONS) {
    const components = asRecord(config[section]);
    for (const id of Object.keys(components)) {
      const type = id.split('/')[0];
      if (!available[section].includes(type)) {
        problems.push(
          `${section.slice(0, -1)} '${type}' is not in the collector distribution ${distribution.version} ` +
            `(available: ${available[section].join(', ')})`,
        );
      }
    }
  }

  const service = asRecord(config.service);
  for (const ext of asArray(service.extensions)) {
    if (!(String(ext) in asRecord(config.extensions))) {
      problems.push(`service.extensions names '${String(ext)}', which is not configured under extensions`);
    }
  }
  for (const [pipeline, value] of Object.entries(asRecord(service.pipelines))) {
    const p = asRecord(value);
    for (const section of ['receivers', 'processors', 'exporters'] as const) {
      for (const id of asArray(p[section])) {
        if (!(String(id) in asRecord(config[section]))) {
          problems.push(
            `pipeline '${pipeline}' names ${section.slice(0, -1)} '${String(id)}', which is not configured under ${section}`,
          );
        }
      }
    }
    const processors = asArray(p.processors).map(String);
    const decouple = processors.findIndex((id) => id.split('/')[0] === 'decouple');
    if (decouple !== -1 && decouple !== processors.length - 1) {
      problems.push(`pipeline '${pipeline}': the decouple processor must be the last processor`);
    }
  }

  for (const scheme of providerSchemes(config)) {
    if (!distribution.confmapProviders.includes(scheme)) {
      problems.push(
        `configuration provider '\${${scheme}:...}' is not in the collector distribution ${distribution.version} ` +
          `(available: ${distribution.confmapProviders.join(', ')})`,
      );
    }
  }

  if (problems.length > 0) {
    throw new Error(`Invalid collector configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Every `${scheme:...}` provider referenced in a string of the configuration (keys and values). */
function providerSchemes(value: unknown): Set<string> {
  const schemes = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([A-Za-z][A-Za-z0-9+.-]*):/g)) {
        schemes.add(m[1]);
      }
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        visit(k);
        visit(child);
      }
    }
  };
  visit(value);
  return schemes;
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
