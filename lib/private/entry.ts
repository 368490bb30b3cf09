import * as fs from 'fs';
import * as path from 'path';

/** The module specifier the fixed entry imports the user's handler module by. */
export const USER_HANDLER_MODULE = 'cdk-serverless-tracing-user-handler';

/** The constant the fixed entry reads the name of the handler export from. */
export const HANDLER_EXPORT_DEFINE = '__TRACED_HANDLER_EXPORT__';

/** The export of the fixed entry that Lambda calls. */
export const WRAPPER_EXPORT = 'handler';

/**
 * The path of `layer/entry/traced-entry`: `.ts` when running from source (ts-jest, tsx),
 * `.js` when the package is compiled in place and published without its sources.
 */
export function tracedEntryPath(): string {
  const base = path.join(__dirname, '..', '..', 'layer', 'entry', 'traced-entry');
  for (const ext of ['.ts', '.js']) {
    if (fs.existsSync(base + ext)) {
      return base + ext;
    }
  }
  throw new Error(
    `cdk-serverless-tracing: the traced entry is missing (${base}.ts or .js); reinstall the package`,
  );
}
