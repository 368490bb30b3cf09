// One cold invocation from an ES module, as Lambda's Node.js runtime (the runtime interface
// client, /var/runtime/index.mjs, itself an ES module) runs one: the handler module loaded with
// import() (a CommonJS bundle or an ES module alike), invoked once, the result and the peak RSS
// reported on fd 3, exit. Otherwise the same as cold.cjs; the parent times it from spawn to the
// report, so the ES-module loader's start-up is in every variant's figure.
import { readFileSync, writeSync } from 'node:fs';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';

const [handlerFile, eventFile] = process.argv.slice(2);
// The process's own peak resident set (VmHWM). process.resourceUsage().maxRSS is not it on Linux:
// ru_maxrss survives execve, so a child forked from a larger parent reports the parent's size.
function peakRssKb() {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : process.resourceUsage().maxRSS;
}
const started = Date.now();
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = {
  functionName: 'bench',
  functionVersion: '$LATEST',
  awsRequestId: '8f7c2a10-0d4e-4c56-9a43-1c2d3e4f5a6b',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 10000 - (Date.now() - started),
};
const { handler } = await import(pathToFileURL(handlerFile).href);
const result = await handler(event, context);
writeSync(3, JSON.stringify({ result, maxRssKb: peakRssKb() }));
// Exit a moment later, as Lambda's runtime keeps the event loop turning after the response: an
// exporter that sends after the response (the X-Ray SDK's UDP datagram) gets it out.
setTimeout(() => process.exit(0), 20);
