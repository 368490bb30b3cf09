import * as fs from 'fs';
import { layerPath } from '../../core/package-paths';

/** The module specifier the fixed entry imports the user's handler module by. */
export const USER_HANDLER_MODULE = 'cdk-serverless-tracing-user-handler';

/** The constant the fixed entry reads the name of the handler export from. */
export const HANDLER_EXPORT_DEFINE = '__TRACED_HANDLER_EXPORT__';

/** The module specifier of the runtime API that handlers import (`traceAwsClient`, `processRecords`). */
export const RUNTIME_MODULE = 'cdk-serverless-tracing/runtime';

/** The export of the fixed entry that Lambda calls. */
export const WRAPPER_EXPORT = 'handler';

/**
 * The path of `layer/entry/traced-entry.ts`. The runtime ships as TypeScript sources with no
 * compiled `.js` beside them: inside `node_modules` esbuild prefers a `.js` sibling over the
 * `.ts`, and compiled CommonJS would not tree-shake (about 180 KB instead of 74 KB).
 */
export function tracedEntryPath(): string {
  const file = layerPath('entry', 'traced-entry.ts');
  if (!fs.existsSync(file)) {
    throw new Error(`cdk-serverless-tracing: the traced entry is missing (${file}); reinstall the package`);
  }
  return file;
}

/**
 * The path of `layer/runtime/index.ts`, the TypeScript sources of the runtime. A handler's
 * `import ... from 'cdk-serverless-tracing/runtime'` is aliased to it, so the handler and the
 * wrapper share one runtime instance (the package export `dist/runtime` would be a second copy,
 * compiled to CommonJS that does not tree-shake).
 */
export function runtimeIndexPath(): string {
  const file = layerPath('runtime', 'index.ts');
  if (!fs.existsSync(file)) {
    throw new Error(
      `cdk-serverless-tracing: the runtime sources are missing (${file}); reinstall the package`,
    );
  }
  return file;
}
