import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { XRayClient } from '@aws-sdk/client-xray';
import {
  createBackend,
  expectedHops,
  parseBackendSpec,
  parseHeaderPairs,
  parseTraceMap,
  resolveEntry,
  runCheck,
  runDrill,
  TraceCheckUsageError,
  type DrillExpectation,
  type FetchLike,
} from '../../layer/check';
import { formatDrill, formatResult } from './format';

/** The usage text (`--help`). */
export const USAGE = `Usage: trace-check --stack <stack> [options]

Invokes the entry function of a deployed stack with a known trace id, reads the trace back
and compares it with the trace map that \`cdk synth\` wrote (cdk.out/trace-map.json).

Options:
  --stack <stack>         the stack: its path (Prod/Payments), stack name or artifact id
  --entry <node id>       the entry function's node id (default: the stack's one entry)
  --cdk-out <dir>         the cloud assembly directory (default: cdk.out)
  --function <name>       the entry's function name (default: from the stack, DescribeStackResource)
  --backend <backend>     where the trace is read (default: xray):
                            xray        X-Ray's trace retrieval API (Transaction Search on,
                                        as X-Ray's OTLP endpoint needs)
                            xray-batch  X-Ray's BatchGetTraces (Transaction Search off)
                            logs-insights[=<log group>]  CloudWatch Logs Insights on the
                                        Transaction Search span log group (default aws/spans)
                            jaeger=<url> | tempo=<url>  their query APIs
  --header <name=value>   a header for the Jaeger or Tempo query API (an API token), repeatable;
                          or TRACE_CHECK_HEADERS=name=value,... (values URL-encoded); never printed
  --timeout <seconds>     how long to wait for the trace (default: 120)
  --poll-interval <s>     seconds between two reads of the backend (default: 5)
  --payload <file.json>   the request's JSON body (default: {"source":"trace-check"})
  --drill <hop>           a failure drill instead: sends --payload, a request built to fail at
                          this function (its node id, the end of it or its label), as a request
                          the head sampler did not pick, and checks the failure is kept as a trace
  --expect <what>         what a drill requires kept: failed-hop (default; keep-errors) or
                          whole-trace (every hop, as tail sampling on a gateway keeps)
  --region <region>       the AWS region (default: the stack's, else the SDK's)
  --json                  print the result as JSON
  -h, --help              print this help

Exit status: 0 every expected hop is in the trace (a drill: the failure is kept); 1 a hop is
missing, the trace was not found in time or the entry failed (a drill: the failure is not kept,
or the entry failed before the drilled hop); 2 the check could not run (bad options, unknown
stack or entry, no trace map, AWS errors such as missing credentials).
`;

/** The AWS clients of a run (tests give clients pointed at a local endpoint). */
export interface CliClients {
  readonly lambda: LambdaClient;
  readonly cloudFormation: CloudFormationClient;
  readonly xray: XRayClient;
  /** For `--backend logs-insights` (made for the region when not given). */
  readonly logs?: CloudWatchLogsClient;
}

/** What the command reads and writes (a test gives its own). */
export interface CliDependencies {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly cwd?: string;
  /** The clients for a region (undefined: the SDK's own). */
  readonly clients?: (region: string | undefined) => CliClients;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The environment (`TRACE_CHECK_HEADERS`). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs the command; resolves to its exit status (0 ok, 1 not ok, 2 could not run). */
export async function main(argv: readonly string[], deps: CliDependencies = {}): Promise<number> {
  const stdout = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = deps.stderr ?? ((text: string) => process.stderr.write(text));
  try {
    const options = readOptions(argv, deps.env);
    if (options.help) {
      stdout(USAGE);
      return 0;
    }
    const cwd = deps.cwd ?? process.cwd();
    const mapFile = path.resolve(cwd, options.cdkOut, 'trace-map.json');
    if (!fs.existsSync(mapFile)) {
      throw new TraceCheckUsageError(
        `no trace map at ${mapFile}: run \`cdk synth\` first (it writes trace-map.json into the cloud assembly), or give --cdk-out`,
      );
    }
    const map = parseTraceMap(fs.readFileSync(mapFile, 'utf8'), mapFile);
    const expected = expectedHops(map, resolveEntry(map, { stack: options.stack, entry: options.entry }));
    const body = options.payload !== undefined ? readPayload(path.resolve(cwd, options.payload)) : undefined;
    const region = options.region ?? expected.entry.stack?.region;
    const backendSpec = parseBackendSpec(options.backend);
    const clients = (deps.clients ?? defaultClients)(region);

    let result;
    let drill;
    try {
      const common = {
        expected,
        functionName: options.functionName,
        cloudFormation: clients.cloudFormation,
        lambda: clients.lambda,
        backend: createBackend(backendSpec, {
          xray: () => clients.xray,
          logs: () => clients.logs ?? new CloudWatchLogsClient(region ? { region } : {}),
          fetch: deps.fetch,
          now: deps.now,
          sleep: deps.sleep,
          headers: options.headers,
        }),
        timeoutMs: options.timeoutSeconds * 1000,
        pollIntervalMs: options.pollIntervalSeconds * 1000,
        now: deps.now,
        sleep: deps.sleep,
      };
      if (options.drill !== undefined) {
        if (body === undefined) {
          throw new TraceCheckUsageError(
            `--drill ${options.drill} needs --payload: a request the entry accepts and ${options.drill} fails on`,
          );
        }
        drill = await runDrill({ ...common, hop: options.drill, expect: options.expect, body });
      } else result = await runCheck({ ...common, body });
    } catch (error) {
      if (error instanceof TraceCheckUsageError) throw error;
      const name = (error as { name?: string }).name ?? 'Error';
      stderr(`trace-check: the check could not run: ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    if (drill) {
      stdout(options.json ? `${JSON.stringify(drill, null, 2)}\n` : formatDrill(drill));
      return drill.kept ? 0 : 1;
    }
    stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result!));
    return result!.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof TraceCheckUsageError) {
      stderr(`trace-check: ${error.message}\nRun trace-check --help for the options.\n`);
      return 2;
    }
    throw error;
  }
}

interface CliOptions {
  readonly help: boolean;
  readonly stack?: string;
  readonly entry?: string;
  readonly cdkOut: string;
  readonly functionName?: string;
  readonly backend: string;
  readonly timeoutSeconds: number;
  readonly pollIntervalSeconds: number;
  readonly payload?: string;
  /** The hop of a failure drill. */
  readonly drill?: string;
  readonly expect?: DrillExpectation;
  readonly region?: string;
  readonly json: boolean;
  /** Headers for the Jaeger or Tempo query API: TRACE_CHECK_HEADERS, then each --header. */
  readonly headers: Record<string, string>;
}

function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: 'string' },
        entry: { type: 'string' },
        'cdk-out': { type: 'string' },
        function: { type: 'string' },
        backend: { type: 'string' },
        timeout: { type: 'string' },
        'poll-interval': { type: 'string' },
        payload: { type: 'string' },
        drill: { type: 'string' },
        expect: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
        header: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new TraceCheckUsageError((error as Error).message);
  }
  const help = values.help === true;
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  if (!help && text('stack') === undefined && text('entry') === undefined) {
    throw new TraceCheckUsageError('give the stack to check: --stack <path, stack name or artifact id>');
  }
  return {
    help,
    stack: text('stack'),
    entry: text('entry'),
    cdkOut: text('cdk-out') ?? 'cdk.out',
    functionName: text('function'),
    backend: text('backend') ?? 'xray',
    timeoutSeconds: seconds('--timeout', text('timeout'), 120, 0),
    pollIntervalSeconds: seconds('--poll-interval', text('poll-interval'), 5, 0.1),
    payload: text('payload'),
    drill: text('drill'),
    expect: drillExpectation(text('expect'), text('drill')),
    region: text('region'),
    json: values.json === true,
    headers: {
      ...parseHeaderPairs(env.TRACE_CHECK_HEADERS ?? '', 'TRACE_CHECK_HEADERS'),
      ...Object.assign(
        {},
        ...((values.header as string[] | undefined) ?? []).map((pair) => parseHeaderPairs(pair, '--header')),
      ),
    },
  };
}

function drillExpectation(text: string | undefined, drill: string | undefined): DrillExpectation | undefined {
  if (text === undefined) return undefined;
  if (drill === undefined) throw new TraceCheckUsageError('--expect is for a drill: give --drill <hop> too');
  if (text === 'failed-hop' || text === 'whole-trace') return text;
  throw new TraceCheckUsageError(`--expect must be failed-hop or whole-trace (got '${text}')`);
}

function seconds(option: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || text.trim() === '') {
    throw new TraceCheckUsageError(
      `${option} must be a number of seconds of at least ${min} (got '${text}')`,
    );
  }
  return value;
}

function readPayload(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new TraceCheckUsageError(`cannot read the payload ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TraceCheckUsageError(`the payload ${file} is not JSON: ${(error as Error).message}`);
  }
}

function defaultClients(region: string | undefined): CliClients {
  const config = region ? { region } : {};
  return {
    lambda: new LambdaClient(config),
    cloudFormation: new CloudFormationClient(config),
    xray: new XRayClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}
