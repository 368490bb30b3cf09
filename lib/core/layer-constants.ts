// The names the tracing layer, its handler shim and the TracingPolicy Aspect agree on. Plain
// constants only: construct code imports them without importing any runtime code, and the shim
// receives the ones it needs through esbuild `define`s when the layer is built.

/**
 * The directory of this library's files in a layer. Lambda extracts every layer to `/opt`, so
 * the shim is `/opt/cdk-serverless-tracing/handler.mjs`. The collector configuration layer puts
 * `collector.yaml` in the same directory: the layers' files merge, and their names differ.
 */
export const TRACING_LAYER_DIR = 'cdk-serverless-tracing';

/** The module name of the shim: the file is `<dir>/handler.mjs` (ESM, so it can await at init). */
export const SHIM_MODULE = 'handler';
export const SHIM_FILE = `${SHIM_MODULE}.mjs`;

/** The export of the shim that Lambda calls. */
export const SHIM_EXPORT = 'handler';

/** Where the shim is inside Lambda. */
export const SHIM_PATH = `/opt/${TRACING_LAYER_DIR}/${SHIM_FILE}`;

/**
 * The handler to give a function that runs through the shim: an absolute module path.
 *
 * The Lambda Node.js runtime accepts it (aws/aws-lambda-nodejs-runtime-interface-client, read in
 * `src/utils/handler-path.ts`, `src/function/module-loader.ts` and the older `src/UserFunction.js`
 * that the nodejs18.x–22.x runtimes run): the handler string is split at its basename
 * (`handler.handler`, module root `/opt/cdk-serverless-tracing`), the module name is the basename
 * up to its first `.`, and the file is `path.resolve(LAMBDA_TASK_ROOT, moduleRoot, moduleName)`
 * — `path.resolve` drops the task root before an absolute module root — tried with no extension,
 * then `.js`, `.mjs` (loaded with `import()`), `.cjs`. Only a handler containing `..` is rejected.
 * So `/opt/cdk-serverless-tracing/handler.handler` loads `/opt/cdk-serverless-tracing/handler.mjs`
 * as an ES module (awaiting its top-level `await`) and calls its `handler` export.
 */
export const SHIM_HANDLER = `/opt/${TRACING_LAYER_DIR}/${SHIM_MODULE}.${SHIM_EXPORT}`;

/** The environment variable that carries a function's original handler string to the shim. */
export const ORIGINAL_HANDLER_ENV = 'CDK_SERVERLESS_TRACING_HANDLER';

/** The `define`s through which the layer build gives the shim the names above. */
export const SHIM_DEFINES = {
  __CST_ORIGINAL_HANDLER_ENV__: JSON.stringify(ORIGINAL_HANDLER_ENV),
  __CST_SHIM_HANDLER__: JSON.stringify(SHIM_HANDLER),
} as const;
