import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as YAML from 'yaml';
import { freePorts } from './local-server';

// The real OpenTelemetry Collector on this machine: `otelcol-lambda`, built from its Go modules
// with the components of the upstream Lambda layer (`npm run collector:build`). It loads the
// configuration the library rendered for a function and runs as a plain process (the Lambda
// extension lifecycle is not part of it).

/** Where `npm run collector:build` puts the collectors. */
export const COLLECTOR_BIN = resolve(__dirname, '..', '..', '.collector', 'bin');

/** The path of a built collector (`otelcol-lambda`). */
export function collectorPath(name = 'otelcol-lambda'): string {
  return join(COLLECTOR_BIN, name);
}

/** Whether the collector was built on this machine. */
export function hasCollector(name = 'otelcol-lambda'): boolean {
  return existsSync(collectorPath(name));
}

/** The component types a collector binary contains, by kind. */
export interface CollectorComponents {
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
  readonly extensions: readonly string[];
  readonly providers: readonly string[];
}

const componentCache = new Map<string, CollectorComponents>();

/** What `<collector> components` lists. */
export function collectorComponents(binary = collectorPath()): CollectorComponents {
  const known = componentCache.get(binary);
  if (known) return known;
  const out = spawnSync(binary, ['components'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${binary} components failed: ${out.stderr}`);
  const parsed = YAML.parse(out.stdout) as Record<string, { name?: string; scheme?: string }[] | undefined>;
  const names = (kind: string) => (parsed[kind] ?? []).map((c) => String(c.name));
  const components = {
    receivers: names('receivers'),
    processors: names('processors'),
    exporters: names('exporters'),
    extensions: names('extensions'),
    providers: (parsed.providers ?? []).map((p) => String(p.scheme)),
  };
  componentCache.set(binary, components);
  return components;
}

/** How the local collector differs from the one in Lambda. */
export interface LocalCollectorOptions {
  /** The port of the OTLP/HTTP receiver on 127.0.0.1 (Lambda: localhost:4318). */
  readonly httpPort: number;
  /** The port of the OTLP/gRPC receiver on 127.0.0.1 (Lambda: localhost:4317). */
  readonly grpcPort: number;
  /**
   * Point the exporter at this URL instead of its backend (its `endpoint`, or `traces_endpoint`
   * for the X-Ray exporter, which names the whole path).
   *
   * @default - the exporter as rendered
   */
  readonly exporterEndpoint?: string;
  /**
   * Export OTLP/JSON instead of protobuf (the local receiver reads JSON).
   *
   * @default false
   */
  readonly jsonEncoding?: boolean;
}

/** Two distinct free ports of 127.0.0.1 for a local collector's OTLP receiver. */
export async function collectorPorts(): Promise<{ httpPort: number; grpcPort: number }> {
  const [httpPort, grpcPort] = await freePorts(2);
  return { httpPort, grpcPort };
}

/** A rendered configuration made runnable on this machine, and what had to change. */
export interface LocalCollectorConfig {
  readonly yaml: string;
  /** The processors the built collector does not have, taken out of the configuration and its pipelines. */
  readonly removed: readonly string[];
}

/**
 * The configuration a function's collector runs with in Lambda, made runnable here: the
 * processors this collector lacks (`decouple`: its module is not served by the Go module proxy,
 * and it needs the Lambda extension lifecycle) are taken out; the receiver listens on the given
 * ports of 127.0.0.1; the collector's own metrics are off (every collector would bind :8888).
 * Everything else stays as rendered, values included.
 */
export function localCollectorConfig(
  renderedYaml: string,
  options: LocalCollectorOptions,
  components: CollectorComponents = collectorComponents(),
): LocalCollectorConfig {
  const doc = YAML.parseDocument(renderedYaml);
  const removed: string[] = [];
  const processors = doc.get('processors') as YAML.YAMLMap | undefined;
  for (const item of [...(processors?.items ?? [])]) {
    const id = String((item.key as YAML.Scalar).value);
    if (!components.processors.includes(id.split('/')[0])) {
      removed.push(id);
      processors!.delete(id);
    }
  }
  const pipelines = doc.getIn(['service', 'pipelines']) as YAML.YAMLMap | undefined;
  for (const pipeline of pipelines?.items ?? []) {
    const list = (pipeline.value as YAML.YAMLMap).get('processors') as YAML.YAMLSeq | undefined;
    if (list) list.items = list.items.filter((p) => !removed.includes(String((p as YAML.Scalar).value)));
  }
  doc.setIn(['receivers', 'otlp', 'protocols', 'http', 'endpoint'], `127.0.0.1:${options.httpPort}`);
  doc.setIn(['receivers', 'otlp', 'protocols', 'grpc', 'endpoint'], `127.0.0.1:${options.grpcPort}`);
  doc.setIn(['service', 'telemetry', 'metrics', 'level'], 'none');
  const exporters = doc.get('exporters') as YAML.YAMLMap | undefined;
  for (const item of exporters?.items ?? []) {
    const id = String((item.key as YAML.Scalar).value);
    if (id.split('/')[0] !== 'otlp_http') continue;
    const exporter = item.value as YAML.YAMLMap;
    if (options.exporterEndpoint !== undefined) {
      if (exporter.has('traces_endpoint')) {
        exporter.set('traces_endpoint', `${options.exporterEndpoint}/v1/traces`);
      } else {
        exporter.set('endpoint', options.exporterEndpoint);
      }
    }
    if (options.jsonEncoding) exporter.set('encoding', 'json');
  }
  return { yaml: doc.toString(), removed };
}

/** What a collector said when it loaded (or ran) a configuration. */
export interface CollectorOutcome {
  readonly ok: boolean;
  readonly output: string;
}

/**
 * `<collector> validate`: loads the configuration, resolving every `${...}` (secrets included),
 * without running it. Asynchronous: the stand-ins it may call run in this process.
 */
export async function validateCollectorConfig(
  yaml: string,
  env: NodeJS.ProcessEnv,
  binary = collectorPath(),
): Promise<CollectorOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'otelcol-'));
  try {
    const file = join(dir, 'collector.yaml');
    writeFileSync(file, yaml);
    return await new Promise<CollectorOutcome>((resolveOutcome, reject) => {
      const child = spawn(binary, ['validate', `--config=${file}`], {
        env: localEnvironment(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolveOutcome({ ok: code === 0, output: signal ? `${output}(killed: ${signal})` : output });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A collector process running one configuration, as the extension runs next to a function: it
 * is ready once it logs "Everything is ready", and stops on SIGTERM, flushing what it holds.
 */
export class CollectorProcess {
  private child?: ChildProcess;
  private dir?: string;
  private logText = '';
  private exited?: Promise<number | null>;
  /** Milliseconds from spawn to "Everything is ready". */
  startupMs?: number;

  constructor(
    private readonly yaml: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly binary = collectorPath(),
  ) {}

  /** Everything the collector logged so far. */
  get log(): string {
    return this.logText;
  }

  /** The process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the collector and resolves once it is ready; rejects with its log when it exits first. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'otelcol-'));
    const file = join(this.dir, 'collector.yaml');
    writeFileSync(file, this.yaml);
    const started = process.hrtime.bigint();
    const child = spawn(this.binary, [`--config=${file}`], {
      env: localEnvironment(this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // 'close', not 'exit': the process's output is all read by then (its last log lines too).
    this.exited = new Promise((resolveExit) => child.on('close', (code) => resolveExit(code)));
    await new Promise<void>((resolveReady, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`collector not ready in ${timeoutMs} ms:\n${this.logText}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        this.logText += chunk.toString();
        if (this.startupMs === undefined && this.logText.includes('Everything is ready')) {
          this.startupMs = Number(process.hrtime.bigint() - started) / 1e6;
          clearTimeout(timer);
          resolveReady();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (this.startupMs === undefined)
          reject(new Error(`collector exited with ${code}:\n${this.logText}`));
      });
    });
  }

  /** The peak resident set size of the process so far, in kilobytes (Linux: VmHWM). */
  peakRssKb(): number | undefined {
    if (!this.child?.pid) return undefined;
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      return match ? Number(match[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops it (SIGTERM: the collector shuts down its pipelines, exporting what it holds). */
  async stop(): Promise<number | null | undefined> {
    const child = this.child;
    if (!child) return undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(killer);
    this.child = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    return code;
  }
}

/**
 * The environment a collector runs with here: never the instance metadata service (an AWS SDK
 * without credentials would ask 169.254.169.254; only 127.0.0.1 is reached from here).
 */
function localEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true' };
}

/** Log lines in which the collector warns about a deprecated component name. */
export function deprecationWarnings(log: string): string[] {
  return log.split('\n').filter((line) => /deprecated/i.test(line));
}

/**
 * Starts a collector on ports chosen just before: when one of them was taken in between (another
 * process of the machine, a test running beside, bound it first), the collector cannot start, and
 * it is made again on other ports, up to `attempts` times.
 */
export async function startOnFreePorts<P>(
  choose: () => Promise<P>,
  make: (ports: P) => CollectorProcess,
  attempts = 5,
): Promise<{ process: CollectorProcess; ports: P }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await choose();
    const collector = make(ports);
    try {
      await collector.start();
      return { process: collector, ports };
    } catch (error) {
      await collector.stop();
      if (attempt >= attempts || !/address already in use/.test(String((error as Error).message)))
        throw error;
    }
  }
}
