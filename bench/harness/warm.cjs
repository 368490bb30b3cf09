// Warm invocations in one process: `warmup` untimed, then `iterations` timed one by one (each
// awaited, as Lambda invokes one at a time). Reports the per-invocation times in µs on fd 3.
const fs = require('node:fs');
const [handlerFile, eventFile, iterationsArg, warmupArg] = process.argv.slice(2);
const { handler } = require(handlerFile);
const event = fs.readFileSync(eventFile, 'utf8');
const iterations = Number(iterationsArg);
const warmup = Number(warmupArg);

async function main() {
  const micros = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const deadline = Date.now() + 10000;
    const context = {
      functionName: 'bench',
      functionVersion: '$LATEST',
      awsRequestId: `req-${i}`,
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
      memoryLimitInMB: '256',
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    // A fresh event object each time, as the runtime parses one per invocation.
    const input = JSON.parse(event);
    const start = process.hrtime.bigint();
    await handler(input, context);
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    if (i >= warmup) micros.push(elapsed);
  }
  fs.writeSync(3, JSON.stringify({ micros }));
  process.exit(0);
}
main();
