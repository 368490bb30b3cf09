// Warm invocations in one process: `warmup` untimed, then `iterations` timed one by one (each
// awaited, as Lambda invokes one at a time), with a turn of the event loop between two (untimed):
// in Lambda the runtime posts the response and asks for the next event over HTTP, so I/O that
// completes after a response (a collector's answer, a background read) is handled between
// invocations. Without the turn, an invocation that does no macrotask (an unsampled one; one that
// only writes to a socket) would run the whole loop in one task, and no answer would ever be read. Reports the per-invocation times in µs on fd 3; with
// a fifth argument `rss`, reports instead the resident set size after the last invocation
// (`process.memoryUsage().rss`, after a full `global.gc()` when Node runs with --expose-gc).
// When _X_AMZN_TRACE_ID is set (the X-Ray peer), each invocation gets its own trace id in it
// before the clock starts, as Lambda's runtime sets one per invocation.
const fs = require('node:fs');
const [handlerFile, eventFile, iterationsArg, warmupArg, mode] = process.argv.slice(2);
const { handler } = require(handlerFile);
const event = fs.readFileSync(eventFile, 'utf8');
const iterations = Number(iterationsArg);
const warmup = Number(warmupArg);
const xrayHeader = process.env._X_AMZN_TRACE_ID;
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const micros = [];
  for (let i = 0; i < warmup + iterations; i++) {
    await turn();
    const deadline = Date.now() + 10000;
    const context = {
      functionName: 'bench',
      functionVersion: '$LATEST',
      awsRequestId: `req-${i}`,
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
      memoryLimitInMB: '256',
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    if (xrayHeader) {
      const root = `1-5759e988-${i.toString(16).padStart(24, '0')}`;
      process.env._X_AMZN_TRACE_ID = xrayHeader.replace(/Root=[^;]+/, `Root=${root}`);
    }
    // A fresh event object each time, as the runtime parses one per invocation.
    const input = JSON.parse(event);
    const start = process.hrtime.bigint();
    await handler(input, context);
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    if (i >= warmup && mode !== 'rss') micros.push(elapsed);
  }
  if (mode === 'rss') {
    if (typeof global.gc === 'function') global.gc();
    fs.writeSync(
      3,
      JSON.stringify({ micros, rss: process.memoryUsage().rss, gc: typeof global.gc === 'function' }),
    );
  } else {
    fs.writeSync(3, JSON.stringify({ micros }));
  }
  // A moment for what is sent after the last response (the X-Ray SDK's UDP datagram).
  setTimeout(() => process.exit(0), 20);
}
main();
