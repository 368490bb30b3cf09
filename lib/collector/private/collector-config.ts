import * as fs from 'fs';
import { Token, Tokenization } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as YAML from 'yaml';
import { ExporterHeaderValueKind } from '../exporter-header-value';
import { TracingExporter, TracingExporterKind } from '../tracing-exporter';
import { ENV } from '../../core/constants';
import { layerPath } from '../../core/package-paths';
import { COLLECTOR_OTLP_GRPC_ENDPOINT, COLLECTOR_OTLP_HTTP_ENDPOINT } from './constants';

/** The components and configuration providers of a collector distribution. */
export interface CollectorDistribution {
  readonly version: string;
  /** The regions the upstream layer of this version is published to. */
  readonly regions: readonly string[];
  /** Exporter names the collector still accepts as aliases (with a warning), each with the name to use. */
  readonly deprecatedExporterNames: Readonly<Record<string, string>>;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
  readonly extensions: readonly string[];
  readonly confmapProviders: readonly string[];
}

/** Where the pinned distribution's component list lives (data, read at synth). */
export const DISTRIBUTION_FILE = layerPath('collector', 'distribution.json');

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

/** What the collector configuration holds besides the exporter. */
export interface CollectorRenderOptions {
  /**
   * Sample in the collector too: the percentage of traces (0 to 100) its `probabilistic_sampler`
   * keeps, decided by a hash of the trace id.
   *
   * @default - no sampling in the collector
   */
  readonly samplingPercentage?: number;
}

/** The X-Ray OTLP traces endpoint; the region comes from the function's `AWS_REGION`. */
export const XRAY_TRACES_ENDPOINT = 'https://xray.${env:AWS_REGION}.amazonaws.com/v1/traces';

/**
 * Render the collector configuration for an exporter, and validate it against the pinned
 * distribution. The content depends only on the exporter's shape, never on deploy-time values,
 * so functions with the same settings share one configuration layer.
 */
export function renderCollectorConfig(
  exporter: TracingExporter,
  options: CollectorRenderOptions = {},
  distribution: CollectorDistribution = pinnedDistribution(),
): RenderedCollectorConfig {
  const environment: Record<string, string> = {};
  const secrets: secretsmanager.ISecret[] = [];

  /**
   * A value for the file: known at synth, written with every `$` doubled (the collector's
   * configuration resolver expands `${...}` in every value and reads `$$` as one `$`, so the
   * value arrives as written); a deploy-time value (a token) goes through an environment variable
   * read with `${env:...}`.
   */
  const literal = (value: string): string => {
    if (!Token.isUnresolved(value)) {
      return escapeConfigValue(value);
    }
    const name = `${ENV.COLLECTOR_VALUE_PREFIX}${Object.keys(environment).length}`;
    environment[name] = value;
    return `\${env:${name}}`;
  };

  let exporterName: string;
  let exporterConfig: Record<string, unknown>;
  let extensions: Record<string, unknown> | undefined;
  if (exporter.kind === TracingExporterKind.XRAY) {
    // The region is read when the collector starts (Lambda sets AWS_REGION), so the file is the
    // same in every region and functions share one configuration layer.
    extensions = { sigv4auth: { region: '${env:AWS_REGION}', service: 'xray' } };
    exporterName = 'otlp_http';
    exporterConfig = { traces_endpoint: XRAY_TRACES_ENDPOINT, auth: { authenticator: 'sigv4auth' } };
  } else if (exporter.kind === TracingExporterKind.OTLP) {
    exporterName = 'otlp_http';
    const headers: Record<string, string> = {};
    for (const [name, header] of Object.entries(exporter.headers)) {
      if (header.kind === ExporterHeaderValueKind.SECRET && header.secret) {
        secrets.push(header.secret);
        // The reference is the collector's own syntax: not escaped. The ARN is made of characters
        // that need no escaping (or is a token, read from a variable); the JSON field is checked
        // at synth to hold no `$`, `{` or `}`.
        const arn = Token.isUnresolved(header.secret.secretArn)
          ? literal(header.secret.secretArn)
          : header.secret.secretArn;
        const field = header.jsonField ? `#${header.jsonField}` : '';
        headers[name] = `\${secretsmanager:${arn}${field}}`;
      } else {
        headers[name] = literal(header.value ?? '');
      }
    }
    exporterConfig = {
      endpoint: literal(exporter.endpoint ?? ''),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    };
  } else if (exporter.kind === TracingExporterKind.GATEWAY && exporter.gateway) {
    // The gateway's load-balancing tier takes OTLP/HTTP. Its address is known at deploy (a
    // variable); through its HTTPS endpoint the request is signed for API Gateway (execute-api).
    const auth = exporter.gateway.auth;
    exporterName = 'otlp_http';
    if (auth.kind === 'sigv4') {
      // A deploy-time region (an environment-agnostic stack) is the function's own: read when the
      // collector starts, as for X-Ray.
      const region = Token.isUnresolved(auth.region) ? '${env:AWS_REGION}' : literal(auth.region);
      extensions = { sigv4auth: { region, service: auth.service } };
    }
    exporterConfig = {
      traces_endpoint: literal(exporter.gateway.tracesUrl),
      ...(auth.kind === 'sigv4' ? { auth: { authenticator: 'sigv4auth' } } : {}),
    };
  } else {
    exporterName = 'debug';
    exporterConfig = { verbosity: exporter.verbosity ?? 'basic' };
  }

  const sampler: Record<string, unknown> = {};
  const percentage = options.samplingPercentage;
  if (percentage !== undefined) {
    if (!Token.isUnresolved(percentage) && !(percentage >= 0 && percentage <= 100)) {
      throw new Error(`samplingPercentage must be between 0 and 100 (got ${percentage})`);
    }
    // Every collector hashes the trace id with the default hash_seed (mode hash_seed), so all
    // functions of a trace keep or drop it alike and a trace stays whole. A span whose attribute
    // sampling.priority is above 0 (the runtime sets it on failed and always-kept traces) passes
    // whatever the hash.
    sampler.probabilistic_sampler = {
      sampling_percentage: Token.isUnresolved(percentage)
        ? literal(Tokenization.stringifyNumber(percentage))
        : percentage,
    };
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
      ...sampler,
      batch: {},
      // Forwards after the invocation returns, so the caller does not wait for the backend.
      decouple: {},
    },
    exporters: { [exporterName]: exporterConfig },
    ...(extensions ? { extensions } : {}),
    service: {
      ...(extensions ? { extensions: Object.keys(extensions) } : {}),
      pipelines: {
        traces: {
          receivers: ['otlp'],
          // The sampler comes first (nothing is batched that is then dropped); decouple must come
          // last: the upstream distribution appends it after batch otherwise.
          processors: [...Object.keys(sampler), 'batch', 'decouple'],
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
      const current = section === 'exporters' ? distribution.deprecatedExporterNames?.[type] : undefined;
      if (current !== undefined) {
        problems.push(
          `${section.slice(0, -1)} '${type}' is a deprecated name in the collector distribution ${distribution.version}: use '${current}'`,
        );
      } else if (!available[section].includes(type)) {
        problems.push(
          `${section.slice(0, -1)} '${type}' is not in the collector distribution ${distribution.version} ` +
            `(available: ${available[section].join(', ')})`,
        );
      }
    }
  }

  const service = asRecord(config.service);
  const enabledExtensions = asArray(service.extensions).map(String);
  for (const ext of enabledExtensions) {
    if (!(ext in asRecord(config.extensions))) {
      problems.push(`service.extensions names '${ext}', which is not configured under extensions`);
    }
  }
  for (const section of ['receivers', 'exporters'] as const) {
    for (const [id, component] of Object.entries(asRecord(config[section]))) {
      for (const name of authenticators(component)) {
        if (!(name in asRecord(config.extensions))) {
          problems.push(
            `${section.slice(0, -1)} '${id}' authenticates with '${name}', which is not configured under extensions`,
          );
        } else if (!enabledExtensions.includes(name)) {
          problems.push(
            `${section.slice(0, -1)} '${id}' authenticates with '${name}', which is not listed in service.extensions`,
          );
        }
      }
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

/**
 * The extensions a component authenticates with: every `auth.authenticator` in its configuration
 * (an exporter's `auth`, a receiver's `protocols.http.auth`, ...).
 */
function authenticators(component: unknown): string[] {
  const names: string[] = [];
  const visit = (v: unknown): void => {
    const record = asRecord(v);
    for (const [key, child] of Object.entries(record)) {
      const authenticator = asRecord(child).authenticator;
      if (key === 'auth' && authenticator !== undefined) {
        names.push(String(authenticator));
      }
      visit(child);
    }
  };
  visit(component);
  return names;
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

/**
 * A plain value as the collector's configuration resolver must read it to return it unchanged:
 * every `$` doubled (`$$` is the resolver's escape for one `$`), so no `${...}` in it is expanded.
 */
export function escapeConfigValue(value: string): string {
  return value.replace(/\$/g, '$$$$');
}
