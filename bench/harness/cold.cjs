// One cold invocation, the way the Lambda runtime does it: load the handler module (any
// --require'd wrapper has already run), invoke it once, report the result and the peak RSS on
// fd 3, exit. The parent times it from spawn to the report.
const fs = require('node:fs');
const [handlerFile, eventFile] = process.argv.slice(2);
const { pathToFileURL } = require('node:url');
const started = Date.now();
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
    fs.writeSync(3, JSON.stringify({ result, maxRssKb: process.resourceUsage().maxRSS }));
    process.exit(0);
  });
