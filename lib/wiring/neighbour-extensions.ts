import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { COLLECTOR_OTLP_GRPC_ENDPOINT, COLLECTOR_OTLP_HTTP_ENDPOINT } from '../collector/private/constants';
import { SHIM_HANDLER } from '../core/layer-constants';
import { environmentVariables, literalString } from '../core/resource-values';

/**
 * Other Lambda extensions that bind the ports of the collector's OTLP receiver. Lambda starts
 * every extension of a function side by side in the init phase; when two bind the same local
 * port, the second fails. When that is the collector, the function fails at init
 * (`Extension.InitError`, "bind: address already in use").
 *
 * The Datadog Lambda extension (DataDog/datadog-lambda-extension, `bottlecap/`, read at v99):
 * - it starts its OTLP receiver only when `DD_OTLP_CONFIG_TRACES_ENABLED` is not false (it is
 *   true by default) and `DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT` or
 *   `DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT` is set (`otlp/mod.rs`,
 *   `should_enable_otlp_agent`; the variables have no default, DataDog/serverless-components
 *   `datadog-agent-config`). Only layer version 78 started it without them, on 4318 (issue #678,
 *   fixed in 79 by #680);
 * - each receiver binds `127.0.0.1:<port>`, whatever host the variable names; the port is what
 *   follows the last `:` (an `http://` or `https://` prefix is dropped), 4318 (HTTP) or 4317
 *   (gRPC) when that is not a number (`otlp/agent.rs`, `parse_port`);
 * - a variable may also be spelled `DATADOG_…`; `DD_…` wins (`sources/env.rs`).
 * A `datadog.yaml` in the function's code can set the same, and cannot be read at synth.
 */

/** The accounts that publish the Datadog extension layers: commercial regions, and GovCloud. */
const DATADOG_ACCOUNTS: readonly string[] = ['464622532012', '002406178527'];

/** The names of the Datadog extension layers: x86_64, arm64, and their FIPS builds. */
const DATADOG_EXTENSION_LAYERS: readonly string[] = [
  'Datadog-Extension',
  'Datadog-Extension-ARM',
  'Datadog-Extension-FIPS',
  'Datadog-Extension-ARM-FIPS',
];

/** The one layer version that started the OTLP receiver (on 4318) with no variable set. */
const OTLP_WITHOUT_VARIABLES_VERSION = 78;

/** A port for the message's example fixes, away from both of the collector's. */
const EXAMPLE_PORT = { HTTP: 14318, GRPC: 14317 } as const;

/** Stands for a part of a layer ARN known only at deploy time (has no `:`). */
const DEPLOY_TIME = '<deploy-time>';

/** A Datadog extension layer of a function. */
interface DatadogLayer {
  /** Its ARN, deploy-time parts shown as `<deploy-time>`. */
  readonly arn: string;
  /** Its version, when it is known at synth. */
  readonly version?: number;
}

/** A port Datadog's OTLP receiver binds, and why. */
interface DatadogBinding {
  readonly port: number;
  readonly protocol: 'HTTP' | 'GRPC';
  /** The variable that asks for it (undefined: layer version 78, which binds 4318 unasked). */
  readonly variable?: string;
  readonly value?: string;
}

/**
 * The problems of a traced function's neighbour extensions: an error when the Datadog Lambda
 * extension's OTLP receiver would bind a port the collector binds, naming the ports, the
 * variables and the fixes. Nothing when the layer ARN, its account or its name, or a Datadog
 * variable it depends on is known only at deploy time: it cannot be known.
 *
 * Run at synth (a validation of the function), after every `addLayers` and `addEnvironment`.
 */
export function neighbourExtensionErrors(fn: lambda.Function): string[] {
  const cfn = fn.node.defaultChild;
  if (!(cfn instanceof lambda.CfnFunction)) return [];
  const datadog = datadogExtensionLayer(fn, cfn);
  if (!datadog) return [];
  const environment = environmentVariables(cfn);
  if (environment === undefined) return [];
  const collectorPorts = new Map<number, string>([
    [portOf(COLLECTOR_OTLP_GRPC_ENDPOINT), 'gRPC'],
    [portOf(COLLECTOR_OTLP_HTTP_ENDPOINT), 'HTTP'],
  ]);
  const taken = (datadogOtlpBindings(environment, datadog.version) ?? []).filter((b) =>
    collectorPorts.has(b.port),
  );
  if (taken.length === 0) return [];

  const ports = taken.map((b) => {
    const why = b.variable
      ? `${b.variable}=${b.value}`
      : `layer version ${OTLP_WITHOUT_VARIABLES_VERSION} starts it there unasked`;
    return `127.0.0.1:${b.port} (Datadog's OTLP ${b.protocol === 'GRPC' ? 'gRPC' : 'HTTP'} receiver: ${why}; the collector's OTLP/${collectorPorts.get(b.port)} receiver)`;
  });
  const variables = taken.map(
    (b) => b.variable ?? `DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_${b.protocol}_ENDPOINT`,
  );
  const moved = taken.map((b, i) => `${variables[i]}=localhost:${EXAMPLE_PORT[b.protocol]}`);
  const off = [
    datadog.version === OTLP_WITHOUT_VARIABLES_VERSION
      ? `upgrade the layer (from version ${OTLP_WITHOUT_VARIABLES_VERSION + 1} it starts its receiver only when asked)`
      : `remove ${variables.join(' and ')} (it starts its receiver only when one is set)`,
    'set DD_OTLP_CONFIG_TRACES_ENABLED=false',
  ];
  // A function a TracingPolicy traces runs through the shim; a TracedFunction is always traced.
  const untraced =
    literalString(cfn.handler) === SHIM_HANDLER
      ? `leave the function untraced: TracingPolicy.optOut(fn, 'why it stays untraced')`
      : 'leave the function untraced: a TracedFunction is always traced, so build it as a plain ' +
        "lambda.Function instead (under a TracingPolicy, opted out with TracingPolicy.optOut(fn, 'why it stays untraced'))";
  const fixes = [
    `move Datadog's OTLP receiver to other ports than ${[...collectorPorts.keys()].join(' and ')}: ${moved.join(', ')}`,
    `turn Datadog's OTLP receiver off: ${off.join(', or ')}`,
    untraced,
    'remove one of the two: the Datadog extension layer, or the collector (collector: TracingCollector.none() ' +
      'with exporter: TracingExporter.otlp({ endpoint }): the function exports itself)',
  ];
  return [
    `${fn.node.path} carries the Datadog Lambda extension (layer ${datadog.arn}) and the tracing collector, ` +
      `and both bind ${ports.join(' and ')}. Lambda starts the two side by side and the second cannot bind; ` +
      'when that is the collector, the function fails at init (Extension.InitError: address already in use). ' +
      `Fix, one of: ${fixes.map((fix, i) => `(${i + 1}) ${fix}`).join('; ')}`,
  ];
}

/**
 * The Datadog extension layer of a function, if it has one whose ARN names Datadog's account and
 * an extension layer as literals (the region, partition or version may be deploy-time values).
 *
 * `lambda.Function` keeps its layers in a private field (`_layers` in aws-cdk-lib 2.275; it was
 * `layers` before), so they are read where CDK renders them: the `CfnFunction`'s `layers`,
 * resolved through the stack. At validation time nothing adds layers any more, and resolving is
 * public API: literal ARNs come back as strings, an ARN with a deploy-time part as an `Fn::Join`
 * whose literal parts still say whose layer it is, anything else (a `Ref`, an SSM parameter, an
 * import) as an object, which cannot be read.
 */
function datadogExtensionLayer(fn: lambda.Function, cfn: lambda.CfnFunction): DatadogLayer | undefined {
  let resolved: unknown;
  try {
    resolved = Stack.of(fn).resolve(cfn.layers);
  } catch {
    return undefined; // CDK reports what it cannot resolve itself
  }
  if (!Array.isArray(resolved)) return undefined;
  for (const entry of resolved) {
    const arn = arnText(entry);
    const parts = arn?.split(':');
    if (!arn || !parts || parts.length !== 8 || parts[2] !== 'lambda' || parts[5] !== 'layer') continue;
    if (!DATADOG_ACCOUNTS.includes(parts[4]) || !DATADOG_EXTENSION_LAYERS.includes(parts[6])) continue;
    return { arn, ...(/^\d+$/.test(parts[7]) ? { version: Number(parts[7]) } : {}) };
  }
  return undefined;
}

/** A resolved layer ARN as text, deploy-time parts as `<deploy-time>`; undefined for no ARN text. */
function arnText(value: unknown): string | undefined {
  if (typeof value === 'string') return Token.isUnresolved(value) ? undefined : value;
  const join = (value as { 'Fn::Join'?: unknown } | null)?.['Fn::Join'];
  if (!Array.isArray(join) || join.length !== 2 || typeof join[0] !== 'string' || !Array.isArray(join[1])) {
    return undefined;
  }
  const parts = (join[1] as unknown[]).map((part) => arnText(part) ?? DEPLOY_TIME);
  return parts.some((part) => part !== DEPLOY_TIME) ? parts.join(join[0]) : undefined;
}

/**
 * The ports Datadog's OTLP receiver binds with these variables; undefined when a variable it
 * depends on is a deploy-time value.
 */
function datadogOtlpBindings(
  environment: Record<string, unknown>,
  version: number | undefined,
): DatadogBinding[] | undefined {
  const setting = (name: string): { variable: string; value: unknown } | undefined =>
    [`DD_${name}`, `DATADOG_${name}`]
      .filter((variable) => environment[variable] !== undefined)
      .map((variable) => ({ variable, value: environment[variable] }))[0];

  const enabled = setting('OTLP_CONFIG_TRACES_ENABLED');
  if (enabled) {
    const value = literalString(enabled.value);
    if (value === undefined) return undefined;
    // Read as a boolean ("false", or the number 0); anything else is ignored: the default, true.
    if (['false', '0'].includes(value.trim().toLowerCase())) return [];
  }
  const bindings: DatadogBinding[] = [];
  for (const [protocol, defaultPort] of [
    ['HTTP', 4318],
    ['GRPC', 4317],
  ] as const) {
    const endpoint = setting(`OTLP_CONFIG_RECEIVER_PROTOCOLS_${protocol}_ENDPOINT`);
    if (endpoint) {
      const value = literalString(endpoint.value);
      if (value === undefined) continue; // known at deploy time only
      bindings.push({ port: endpointPort(value, defaultPort), protocol, variable: endpoint.variable, value });
    } else if (protocol === 'HTTP' && version === OTLP_WITHOUT_VARIABLES_VERSION) {
      bindings.push({ port: defaultPort, protocol });
    }
  }
  return bindings;
}

/** The port Datadog's receiver takes from an endpoint: after the last `:`, else the default. */
function endpointPort(endpoint: string, defaultPort: number): number {
  const address = endpoint.replace(/^https?:\/\//, '');
  const port = address.slice(address.lastIndexOf(':') + 1);
  return /^\+?\d{1,5}$/.test(port) && Number(port) <= 65535 ? Number(port) : defaultPort;
}

/** The port of a `host:port` endpoint of the collector. */
function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}
