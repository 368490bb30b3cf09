import * as YAML from 'yaml';
import {
  renderLoadBalancingConfig,
  renderSamplingConfig,
  type GatewayMetricsConfig,
  type GatewayPorts,
  type TailSamplingSettings,
} from '../../lib/gateway/private/gateway-config';
import { collectorPath, CollectorProcess, startOnFreePorts } from './collector';
import { freePorts } from './local-server';

// The tracing gateway on this machine: its two tiers as real `otelcol-gateway` processes (the
// components of the contrib image, built from their Go modules by `npm run collector:build`), each
// with the configuration the library renders, listening on 127.0.0.1. The load-balancing processes
// know the sampling processes by a static list (in a task: DNS), and the sampling processes export
// what they keep over OTLP/HTTP as JSON (to the local OTLP receiver).

/** The name of the gateway's collector in .collector/bin. */
export const GATEWAY_COLLECTOR = 'otelcol-gateway';

/** The header with which each sampling process's exports arrive: its index. */
export const SAMPLER_HEADER = 'x-local-gateway-sampler';

/** The sampling settings of a local run: decisions within seconds. */
export const LOCAL_SAMPLING: TailSamplingSettings = {
  percentage: 10,
  decisionWaitSeconds: 2,
  numTraces: 50_000,
  expectedNewTracesPerSec: 1_000,
  decisionCacheSize: 100_000,
};

/** The metrics settings a local gateway renders when asked for its own metrics (written to its log). */
export const LOCAL_METRICS: GatewayMetricsConfig = {
  namespace: 'ServerlessTracing/Gateway',
  logGroupName: '/local/gateway/metrics',
  region: 'eu-west-1',
};

/** How a local gateway runs. */
export interface LocalGatewayOptions {
  /** Where the sampling processes export what they keep: an OTLP/HTTP base URL (`http://127.0.0.1:PORT`). */
  readonly exporterEndpoint: string;
  /**
   * How many load-balancing processes.
   *
   * @default 2
   */
  readonly lbCount?: number;
  /**
   * How many sampling processes.
   *
   * @default 2
   */
  readonly samplingCount?: number;
  /**
   * What the sampling tier keeps, over LOCAL_SAMPLING.
   *
   * @default LOCAL_SAMPLING (10 %, decisions after 2 s)
   */
  readonly sampling?: Partial<TailSamplingSettings>;
  /**
   * The memory limiter's limit of each process, in MiB.
   *
   * @default 512
   */
  readonly memoryLimitMiB?: number;
  /**
   * How long a load-balancing process retries an export to a sampling process, and a sampling
   * process an export to its backend, before it drops it (the rendered configuration: 30 s).
   *
   * @default - as rendered
   */
  readonly retryMaxElapsedSeconds?: number;
  /**
   * Render the collectors' own metrics (awsemf) and write the EMF events to each process's log
   * instead of CloudWatch Logs, every `telemetryIntervalMs`.
   *
   * @default false (the processes keep no metrics)
   */
  readonly emfToLog?: boolean;
  /**
   * How often the own metrics are read, with `emfToLog` (the rendered configuration: 60 s).
   *
   * @default 1000
   */
  readonly telemetryIntervalMs?: number;
  /**
   * The environment of every process, over PATH.
   *
   * @default - PATH only
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** One collector process of the gateway. */
export interface GatewayMember {
  readonly tier: 'load-balancing' | 'sampling';
  readonly index: number;
  readonly ports: GatewayPorts;
  /** Its rendered configuration, as it runs. */
  readonly yaml: string;
  readonly process: CollectorProcess;
}

/** Free ports of 127.0.0.1 for one process. */
async function memberPorts(withTelemetry: boolean): Promise<GatewayPorts> {
  const [grpc, http, health, telemetry] = await freePorts(withTelemetry ? 4 : 3);
  return { grpc, http, health, ...(withTelemetry ? { telemetry } : {}) };
}

/**
 * A rendered configuration made runnable here: the sampling tier's OTLP/HTTP exporter sends JSON
 * (the local receiver reads JSON), the exporters' retry bound shortened, the own metrics
 * written to the log as EMF and read every `intervalMs`. Everything else stays as rendered.
 */
export function localGatewayConfig(
  renderedYaml: string,
  options: {
    jsonEncoding?: boolean;
    retryMaxElapsedSeconds?: number;
    emfToLog?: boolean;
    telemetryIntervalMs?: number;
  },
): string {
  const doc = YAML.parseDocument(renderedYaml);
  if (options.jsonEncoding && doc.hasIn(['exporters', 'otlp_http'])) {
    doc.setIn(['exporters', 'otlp_http', 'encoding'], 'json');
  }
  if (options.retryMaxElapsedSeconds !== undefined) {
    const seconds = options.retryMaxElapsedSeconds;
    for (const retry of [
      ['exporters', 'load_balancing', 'protocol', 'otlp', 'retry_on_failure'],
      ['exporters', 'otlp_http', 'retry_on_failure'],
    ]) {
      if (!doc.hasIn(retry)) continue;
      // The collector refuses a max_elapsed_time below max_interval (or max_interval below initial_interval).
      doc.setIn([...retry, 'max_elapsed_time'], `${seconds}s`);
      doc.setIn([...retry, 'max_interval'], `${Math.min(5, seconds)}s`);
      doc.setIn([...retry, 'initial_interval'], `${Math.min(1, seconds)}s`);
    }
  }
  if (options.emfToLog && doc.hasIn(['exporters', 'awsemf'])) {
    doc.setIn(['exporters', 'awsemf', 'output_destination'], 'stdout');
    doc.setIn(
      ['service', 'telemetry', 'metrics', 'readers', 0, 'periodic', 'interval'],
      options.telemetryIntervalMs ?? 1000,
    );
  }
  return doc.toString();
}

/**
 * The gateway's two tiers as local processes: `lbCount` load-balancing processes in front of
 * `samplingCount` sampling processes, each a real collector with the rendered configuration.
 */
export class LocalGateway {
  readonly loadBalancers: GatewayMember[] = [];
  readonly samplers: GatewayMember[] = [];

  constructor(private readonly options: LocalGatewayOptions) {}

  /** The OTLP/HTTP base URLs of the load-balancing processes (where functions' collectors export). */
  get endpoints(): string[] {
    return this.loadBalancers.map((m) => `http://127.0.0.1:${m.ports.http}`);
  }

  /** The OTLP/HTTP base URLs of the sampling processes (to bypass the load balancers). */
  get samplingEndpoints(): string[] {
    return this.samplers.map((m) => `http://127.0.0.1:${m.ports.http}`);
  }

  /** What each process logged so far, by tier and index. */
  logs(): { loadBalancers: string[]; samplers: string[] } {
    return {
      loadBalancers: this.loadBalancers.map((m) => m.process.log),
      samplers: this.samplers.map((m) => m.process.log),
    };
  }

  /** Starts the sampling processes, then the load balancers that route to them; resolves once all are ready. */
  async start(): Promise<void> {
    const o = this.options;
    const env = { PATH: process.env.PATH, ...o.env };
    const binary = collectorPath(GATEWAY_COLLECTOR);
    const metrics = o.emfToLog ? LOCAL_METRICS : undefined;
    const local = {
      jsonEncoding: true,
      retryMaxElapsedSeconds: o.retryMaxElapsedSeconds,
      emfToLog: o.emfToLog,
      telemetryIntervalMs: o.telemetryIntervalMs,
    };
    try {
      // Each on ports chosen just before it starts (again on others if one was taken meanwhile).
      const member = async (
        tier: GatewayMember['tier'],
        index: number,
        render: (ports: GatewayPorts) => string,
      ): Promise<GatewayMember> => {
        let yaml = '';
        const started = await startOnFreePorts(
          () => memberPorts(metrics !== undefined),
          (ports) => {
            yaml = localGatewayConfig(render(ports), local);
            return new CollectorProcess(yaml, env, binary);
          },
        );
        return { tier, index, ports: started.ports, yaml, process: started.process };
      };
      for (let index = 0; index < (o.samplingCount ?? 2); index++) {
        this.samplers.push(
          await member('sampling', index, (ports) =>
            renderSamplingConfig({
              sampling: { ...LOCAL_SAMPLING, ...o.sampling },
              // Which sampling process exported a request (each trace must come from one).
              exporter: {
                kind: 'otlp',
                endpoint: o.exporterEndpoint,
                headers: { [SAMPLER_HEADER]: String(index) },
              },
              ports,
              memoryLimitMiB: o.memoryLimitMiB ?? 512,
              metrics,
              bindAddress: '127.0.0.1',
            }),
          ),
        );
      }
      const hostnames = this.samplers.map((m) => `127.0.0.1:${m.ports.grpc}`);
      for (let index = 0; index < (o.lbCount ?? 2); index++) {
        this.loadBalancers.push(
          await member('load-balancing', index, (ports) =>
            renderLoadBalancingConfig({
              resolver: { kind: 'static', hostnames },
              ports,
              memoryLimitMiB: o.memoryLimitMiB ?? 512,
              metrics,
              bindAddress: '127.0.0.1',
            }),
          ),
        );
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * Kills one sampling process at once (SIGKILL: no shutdown, whatever it holds is lost), as a
   * task that runs out of memory or is stopped by force. Resolves once it is gone.
   */
  async kill(samplingIndex: number): Promise<void> {
    const member = this.samplers[samplingIndex];
    if (!member) throw new Error(`no sampling process ${samplingIndex} (there are ${this.samplers.length})`);
    const pid = member.process.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    await member.process.stop();
  }

  /**
   * Stops every process: the load balancers first (they flush to the samplers), then the
   * samplers (SIGTERM: each decides what it holds and exports it).
   */
  async stop(): Promise<void> {
    await Promise.all(this.loadBalancers.map((m) => m.process.stop()));
    await Promise.all(this.samplers.map((m) => m.process.stop()));
  }
}
