// One cold invocation, the way the Lambda runtime does it: load the handler module (any
// --require'd wrapper has already run), invoke it once, report the result and the peak RSS on
// fd 3, exit. The parent times it from spawn to the report.
const fs = require('node:fs');
const [handlerFile, eventFile] = process.argv.slice(2);
const { pathToFileURL } = require('node:url');
// The process's own peak resident set (VmHWM). process.resourceUsage().maxRSS is not it on Linux:
// ru_maxrss survives execve, so a child forked from a larger parent reports the parent's size.
function peakRssKb() {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : process.resourceUsage().maxRSS;
}
const started = Date.now();
const GRACE_MS = 20;
const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
const context = {
  functionName: 'bench',
  functionVersion: '$LATEST',
  awsRequestId: '8f7c2a10-0d4e-4c56-9a43-1c2d3e4f5a6b',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 10000 - (Date.now() - started),
};
// An ES module (the layer's shim, which awaits the original handler at its top level) is
// imported, as the Lambda runtime imports a .mjs handler; anything else is required.
const load = handlerFile.endsWith('.mjs')
  ? import(pathToFileURL(handlerFile).href)
  : Promise.resolve(require(handlerFile));
load
  .then(({ handler }) => handler(event, context))
  .then((result) => {
    fs.writeSync(3, JSON.stringify({ result, maxRssKb: peakRssKb() }));
    // Exit a moment later, as Lambda's runtime keeps the event loop turning after the response:
    // an exporter that sends after the response (the X-Ray SDK's UDP datagram) gets it out.
    setTimeout(() => process.exit(0), GRACE_MS);
  });
