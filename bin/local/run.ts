import { runLocal } from './local-run';
import { jsonReport, report } from './report';

const USAGE = `npm start -- [--stage Dev|Prod] [--fail-at authorize|reconcile] [--canary] [--json]

Synthesizes the example app and runs its payment flow on this machine: POST /payments to
authorize (its fetch to a local stand-in for the fraud API, its SNS publish to a local endpoint),
then the two queues' batches to reconcile and audit. Prints the trace as a tree and writes the
waterfall to local-run/trace.html.

  --stage Dev   every trace kept (the default)
  --stage Prod  every failed trace kept whole and 1% of the others, by the tail-sampling gateway
                (two load-balancing and two sampling collectors on 127.0.0.1)
  --fail-at authorize
                a second payment fails in authorize: the fraud API answers 503, so authorize
                answers 502 (--fail is the same)
  --fail-at reconcile
                a second payment fails in reconcile: it is in XTS, the test currency, which
                authorize accepts and reconcile rejects
  --json        print one JSON document instead of the tree: the stage, the payments and the
                traces with their spans
  --canary      also what the canary sends: its payment, started as trace-check starts a trace
                (kept at every hop whatever the sampling), and its failure drill, a payment
                reconcile rejects, sent as a request the head sampler dropped`;

/** `npm start`: parses the arguments, runs, prints; the exit code says whether the flow ran. */
export async function main(argv: readonly string[]): Promise<number> {
  let stage = 'Dev';
  let failAt: 'authorize' | 'reconcile' | undefined;
  let canary = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--fail') {
      failAt = 'authorize';
    } else if (arg === '--fail-at' || arg.startsWith('--fail-at=')) {
      const value = arg.includes('=') ? arg.slice('--fail-at='.length) : argv[++i];
      if (value !== 'authorize' && value !== 'reconcile') {
        console.error(`--fail-at must be authorize or reconcile (got '${value ?? ''}')\n\n${USAGE}`);
        return 2;
      }
      failAt = value;
    } else if (arg === '--canary') {
      canary = true;
    } else if (arg === '--json') {
      json = true;
    } else if (arg === '--stage' || arg.startsWith('--stage=')) {
      stage = arg.includes('=') ? arg.slice('--stage='.length) : (argv[++i] ?? '');
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`unknown argument '${arg}'\n\n${USAGE}`);
      return 2;
    }
  }
  try {
    const result = await runLocal({ stage, failAt, canary, progress: (line) => console.error(`· ${line}`) });
    console.log(json ? JSON.stringify(jsonReport(result, stage), null, 2) : report(result, stage));
    if (result.problems.length > 0) {
      console.error(
        `\nThe flow did not run as it should:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    console.error(`\nThe local run failed: ${(error as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
