import { WARNING_PREFIX } from './constants';

/** A warning for a safe default the user overrode (reported with `Annotations.addWarningV2`). */
export interface TracingWarning {
  readonly id: string;
  readonly message: string;
}

/** A warning with the library's id prefix. */
export function warning(id: string, message: string): TracingWarning {
  return { id: `${WARNING_PREFIX}${id}`, message };
}

/**
 * Throws one error for a list of problems: `<header>: <problem>` for one, a bulleted list for
 * several. Does nothing for an empty list.
 */
export function throwIfAny(header: string, errors: readonly string[]): void {
  if (errors.length === 1) {
    throw new Error(`${header}: ${errors[0]}`);
  }
  if (errors.length > 1) {
    throw new Error(`${header}:\n  - ${errors.join('\n  - ')}`);
  }
}
