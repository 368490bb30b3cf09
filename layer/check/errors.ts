/**
 * A check that cannot run as asked: an unknown stack or entry, a map that is not a trace map, an
 * entry whose function name cannot be found. The command prints the message and exits with 2.
 */
export class TraceCheckUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceCheckUsageError';
  }
}
