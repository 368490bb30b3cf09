const warned = new Set<string>();

/**
 * Reports a problem of the tracing runtime once per process, as one JSON log line, and never
 * throws: telemetry must not break the function it observes.
 */
export function warnOnce(key: string, message: string, error?: unknown): void {
  if (warned.has(key)) return;
  warned.add(key);
  try {
    const detail = error instanceof Error ? error.message : error === undefined ? undefined : String(error);
    console.warn(JSON.stringify({ level: 'WARN', source: 'cdk-serverless-tracing', message, error: detail }));
  } catch {
    // Nothing left to do: even the warning could not be written.
  }
}

/** Forgets which warnings were given (tests only). */
export function resetWarnings(): void {
  warned.clear();
}
