import type { TraceCheckResult } from '../../layer/check';

/**
 * The result for people: a header, a table of the hops (hop, service, status, span), why each
 * missing hop is missing, the known breaks, the extra services, and one summary line.
 */
export function formatResult(result: TraceCheckResult): string {
  const lines: string[] = [];
  lines.push(`trace-check ${result.entry.node} (function ${result.entry.functionName})`);
  lines.push(`trace ${result.traceId} (X-Ray ${result.xrayTraceId}), read from ${result.backend}`);
  lines.push('');

  const rows: string[][] = [['HOP', 'SERVICE', 'STATUS', 'SPAN']];
  const present = new Map(result.present.map((hop) => [hop.id, hop]));
  const hops = [...result.present, ...result.missing].sort((a, b) => a.index - b.index);
  for (const hop of hops) {
    const found = present.get(hop.id);
    rows.push([
      hop.label,
      hop.serviceName ?? '-',
      found ? 'present' : 'missing',
      found ? found.spanName || '(unnamed)' : '-',
    ]);
  }
  for (const brk of result.knownBreaks) {
    rows.push([brk.label, '-', 'known break', '-']);
  }
  lines.push(...table(rows));

  if (result.missing.length > 0) {
    lines.push('', 'missing:');
    for (const hop of result.missing) lines.push(`  ${hop.label}: ${hop.why}`);
  }
  if (result.knownBreaks.length > 0) {
    lines.push('', 'known breaks (the map says these edges do not carry the context; not expected):');
    for (const brk of result.knownBreaks) {
      lines.push(`  ${brk.label} (${brk.kind})${brk.reason ? `: ${brk.reason}` : ''}`);
    }
  }
  if (result.extra.length > 0) {
    lines.push('', 'extra services (in the trace, not in the map; reported, not a failure):');
    for (const extra of result.extra) {
      const spans = extra.spanIds.length === 1 ? '1 span' : `${extra.spanIds.length} spans`;
      lines.push(`  ${extra.serviceName}: ${spans} (${extra.spanNames.join(', ')})`);
    }
  }
  if (result.notes.length > 0) {
    lines.push('', 'notes:');
    for (const note of result.notes) lines.push(`  ${note}`);
  }
  lines.push('', summaryLine(result));
  return `${lines.join('\n')}\n`;
}

/** One line: OK or FAIL, the counts, and the trace. */
export function summaryLine(result: TraceCheckResult): string {
  const total = result.present.length + result.missing.length;
  const counts = [
    `${result.present.length} of ${total} hops present`,
    `${result.missing.length} missing`,
    `${result.knownBreaks.length} known ${result.knownBreaks.length === 1 ? 'break' : 'breaks'}`,
    `${result.extra.length} extra ${result.extra.length === 1 ? 'service' : 'services'}`,
  ].join(', ');
  const reads = `${result.polls} ${result.polls === 1 ? 'read' : 'reads'} in ${Math.round(result.waitedMs / 1000)} s`;
  switch (result.status) {
    case 'complete':
      return `OK: ${counts} (trace ${result.traceId}, ${reads})`;
    case 'incomplete':
      return `FAIL: ${counts} (trace ${result.traceId}, ${reads})`;
    case 'not-found':
      return `FAIL: trace ${result.traceId} not found in ${result.backend} (${reads}); ${total} hops missing`;
    case 'invoke-failed': {
      const error = [result.invocation.errorType, result.invocation.errorMessage].filter(Boolean).join(': ');
      return `FAIL: the entry function failed (${result.invocation.functionError}${error ? `, ${error}` : ''}); the trace was not read`;
    }
  }
}

/** Rows as columns padded to the widest cell (the last column is not padded). */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}
