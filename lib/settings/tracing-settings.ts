import { Construct, IConstruct } from 'constructs';
import { SETTINGS_ID, TRACED_CONSTRUCT } from '../private/constants';
import { mergeDefined } from '../private/merge';
import { TracingOptions } from './tracing-options';

/**
 * Tracing settings for every traced function under a scope (an app, a stage, a stack or any
 * construct). Settings of a nearer scope override those of an outer one; a function's own props
 * override them all.
 *
 * Call `TracingSettings.set` before you create the functions it applies to.
 *
 * @example
 * const app = new App();
 * TracingSettings.set(app, { samplingRatio: 0.1, logRetention: logs.RetentionDays.TWO_WEEKS });
 * const stack = new Stack(app, 'Payments');
 * TracingSettings.set(stack, { samplingRatio: 0.5 });
 */
export class TracingSettings extends Construct {
  /**
   * Store tracing settings on a scope. Throws when the scope already has settings, or when a
   * traced function already exists under it.
   */
  public static set(scope: Construct, options: TracingOptions): TracingSettings {
    if (scope.node.tryFindChild(SETTINGS_ID)) {
      throw new Error(
        `TracingSettings.set was already called on '${scope.node.path || '<app>'}': call it once per scope ` +
          'with all the options, or set the overrides on a nearer scope or on the function itself',
      );
    }
    const existing = scope.node
      .findAll()
      .find((c) => (c as unknown as Record<symbol, unknown>)[TRACED_CONSTRUCT]);
    if (existing) {
      throw new Error(
        `TracingSettings.set('${scope.node.path || '<app>'}') must be called before the traced functions it ` +
          `applies to are created (found '${existing.node.path}')`,
      );
    }
    return new TracingSettings(scope, SETTINGS_ID, options);
  }

  /** The settings stored on exactly this scope, if any. */
  public static of(scope: IConstruct): TracingOptions | undefined {
    const child = scope.node.tryFindChild(SETTINGS_ID);
    return child instanceof TracingSettings ? child.options : undefined;
  }

  /**
   * The settings that apply under a scope, merged from the root to the scope itself (nearer
   * wins; an option left undefined on a nearer scope does not erase the outer one).
   */
  public static resolve(scope: IConstruct): TracingOptions {
    let merged: TracingOptions = {};
    for (const s of scope.node.scopes) {
      const options = TracingSettings.of(s);
      if (options) {
        merged = mergeDefined(merged, options);
      }
    }
    return merged;
  }

  private constructor(
    scope: Construct,
    id: string,
    /** The options stored on this scope. */
    public readonly options: TracingOptions,
  ) {
    super(scope, id);
  }
}
