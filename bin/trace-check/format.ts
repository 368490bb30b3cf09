import type { DrillResult, TraceCheckResult } from '../../layer/check';

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

/**
 * A drill's result for people: the hop it failed at, the error spans found there, which hops of
 * the path were kept beside it, and one summary line.
 */
export function formatDrill(result: DrillResult): string {
  const lines: string[] = [];
  lines.push(
    `trace-check --drill ${result.hop.label} from ${result.entry.node} (function ${result.entry.functionName})`,
  );
  lines.push(
    `trace ${result.traceId} (X-Ray ${result.xrayTraceId}), sent unsampled, read from ${result.backend}; required: ${result.expect}`,
  );
  lines.push('');
  const present = new Map(result.comparison.present.map((hop) => [hop.id, hop]));
  const hops = [...result.comparison.present, ...result.comparison.missing].sort((a, b) => a.index - b.index);
  const rows: string[][] = [['HOP', 'SERVICE', 'KEPT', 'SPAN']];
  for (const hop of hops) {
    const found = present.get(hop.id);
    const failed = hop.id === result.hop.id ? result.failedSpans : [];
    rows.push([
      hop.id === result.hop.id ? `${hop.label} (drilled)` : hop.label,
      hop.serviceName ?? '-',
      failed.length > 0 ? 'failed, kept' : found ? 'kept' : 'not kept',
      failed.length > 0 ? failed[0].name || '(unnamed)' : found ? found.spanName || '(unnamed)' : '-',
    ]);
  }
  lines.push(...table(rows));
  if (result.notes.length > 0) {
    lines.push('', 'notes:');
    for (const note of result.notes) lines.push(`  ${note}`);
  }
  const reads = `${result.polls} ${result.polls === 1 ? 'read' : 'reads'} in ${Math.round(result.waitedMs / 1000)} s`;
  const spans = `${result.failedSpans.length} error ${result.failedSpans.length === 1 ? 'span' : 'spans'} of ${result.hop.label}`;
  switch (result.status) {
    case 'kept':
      lines.push(
        '',
        `OK: the failure at ${result.hop.label} is kept (${spans}; trace ${result.traceId}, ${reads})`,
      );
      break;
    case 'not-kept':
      lines.push(
        '',
        result.failedSpans.length > 0
          ? `FAIL: the failure at ${result.hop.label} is kept, but not the whole trace (${result.comparison.missing.length} hops missing; trace ${result.traceId}, ${reads})`
          : `FAIL: the failure at ${result.hop.label} is not kept (trace ${result.traceId}, ${reads})`,
      );
      break;
    case 'invoke-failed': {
      const { errorType, errorMessage, functionError } = result.invocation;
      const error = [errorType, errorMessage].filter(Boolean).join(': ');
      lines.push(
        '',
        `FAIL: the entry failed (${functionError}${error ? `, ${error}` : ''}) before the request reached ${result.hop.label}; the trace was not read`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
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
