/** `base` overridden by every key of `override` whose value is not undefined. */
export function mergeDefined<T extends object>(base: T, override: Partial<T>): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(override)) {
    if (v !== undefined) {
      out[k] = v;
    }
  }
  return out as T;
}
