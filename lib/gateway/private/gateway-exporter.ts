import { Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ExporterHeaderValueKind } from '../../collector/exporter-header-value';
import { TracingExporter, TracingExporterKind } from '../../collector/tracing-exporter';
import { controlCharacterAt, HEADER_NAME } from '../../core/http-headers';
import { GatewayExporterConfig } from './gateway-config';
import { HEADER_ENV_PREFIX } from './constants';

/** What the sampling tier needs to export to a backend. */
export interface GatewayExport {
  /** The exporter of the sampling tier's configuration. */
  readonly config: GatewayExporterConfig;
  /** The secret header values, by the environment variable the configuration reads them from. */
  readonly secrets: Record<string, ecs.Secret>;
  /** The secrets themselves (their read grants, beyond what ECS grants, are the construct's). */
  readonly secretResources: secretsmanager.ISecret[];
  /**
   * The TCP ports the sampling tier sends to (its security group's egress); undefined when the
   * endpoint is a deploy-time value and its port cannot be known at synth.
   */
  readonly ports?: number[];
}

/**
 * The sampling tier's exporter for a library exporter: X-Ray's OTLP endpoint in `region`, an
 * OTLP/HTTP endpoint with its headers (plain values as given, which the renderer writes with `$`
 * escaped; secret values given to the task by ECS from Secrets Manager as environment variables
 * that the configuration reads with `${env:NAME}`), or the debug exporter.
 */
export function gatewayExport(exporter: TracingExporter, region: string): GatewayExport {
  switch (exporter.kind) {
    case TracingExporterKind.XRAY:
      return { config: { kind: 'xray', region }, secrets: {}, secretResources: [], ports: [443] };
    case TracingExporterKind.DEBUG:
      return { config: { kind: 'debug' }, secrets: {}, secretResources: [], ports: [] };
    case TracingExporterKind.OTLP: {
      const secrets: Record<string, ecs.Secret> = {};
      const secretResources: secretsmanager.ISecret[] = [];
      const headers: Record<string, string> = {};
      Object.entries(exporter.headers).forEach(([name, header], i) => {
        if (header.kind === ExporterHeaderValueKind.SECRET && header.secret) {
          const env = `${HEADER_ENV_PREFIX}${i}`;
          secrets[env] = ecs.Secret.fromSecretsManager(header.secret, header.jsonField);
          secretResources.push(header.secret);
          headers[name] = `\${env:${env}}`;
        } else {
          // Written as given: the renderer escapes `$` in a value known at synth.
          headers[name] = header.value ?? '';
        }
      });
      const endpoint = exporter.endpoint ?? '';
      return {
        config: {
          kind: 'otlp',
          endpoint,
          ...(Object.keys(headers).length > 0 ? { headers } : {}),
        },
        secrets,
        secretResources,
        ports: endpointPort(endpoint),
      };
    }
    default:
      throw new Error(`unexpected exporter kind '${String(exporter.kind)}'`);
  }
}

/** The problems of an exporter for the gateway (the prop is `exporter`). */
export function gatewayExporterErrors(exporter: TracingExporter): string[] {
  if (exporter.kind === TracingExporterKind.GATEWAY) {
    return [
      'exporter is a gateway (TracingExporter.gateway): a gateway exports to a backend; give ' +
        'TracingExporter.xray(...), TracingExporter.otlp(...) or TracingExporter.debug()',
    ];
  }
  if (exporter.kind !== TracingExporterKind.OTLP) {
    return [];
  }
  const errors: string[] = [];
  const endpoint = exporter.endpoint ?? '';
  if (!Token.isUnresolved(endpoint) && endpointPort(endpoint) === undefined) {
    errors.push(`exporter endpoint must be an http:// or https:// URL (got '${endpoint}')`);
  }
  for (const [name, header] of Object.entries(exporter.headers)) {
    if (!HEADER_NAME.test(name)) {
      errors.push(`exporter header name '${name}' is not a valid HTTP header name`);
    }
    if (header.kind === ExporterHeaderValueKind.SECRET) {
      if (header.jsonField !== undefined && /[:]/.test(header.jsonField)) {
        errors.push(
          `exporter header '${name}': the JSON field '${header.jsonField}' holds ':', which an ECS secret ` +
            'reference cannot carry: rename the field of the secret',
        );
      }
    } else {
      const value = header.value ?? '';
      if (!Token.isUnresolved(value) && controlCharacterAt(value) >= 0) {
        errors.push(
          `exporter header '${name}' has a control character at ${controlCharacterAt(value)}, which an HTTP header value cannot hold`,
        );
      }
    }
  }
  return errors;
}

/** The TCP port of an http(s) URL (explicit, else 443 or 80); undefined for a token or not a URL. */
function endpointPort(endpoint: string): number[] | undefined {
  if (Token.isUnresolved(endpoint)) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return undefined;
  }
  return [url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80];
}
