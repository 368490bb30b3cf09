import { relative } from 'node:path';
import { ROUTE, type LocalRunResult } from './local-run';
import { isSampled } from './otlp-receiver';

/** What `npm start` prints: the stage, what each payment and consumer did, the trace tree. */
export function report(result: LocalRunResult, stage: string): string {
  const { flow } = result;
  const lines = [
    `Stage ${stage}: sampling ratio ${result.samplingRatio}, keep errors ${result.keepErrors ? 'on' : 'off'}; ` +
      'each invocation runs its bundle from the cloud assembly in a fresh Node.js process.',
  ];
  const deliveries = flow.subscriptions
    .map((s) => `${s.queue.label} (${s.rawMessageDelivery ? 'raw delivery' : 'SNS envelope'})`)
    .join(', ');
  for (const p of result.payments) {
    const sampling = p.sampled === undefined ? '' : p.sampled ? ', sampled' : ', not sampled';
    lines.push(
      `${p.label}: ${ROUTE} → ${p.statusCode ?? 'no answer'} ${p.body ?? ''}  (trace ${p.traceId ?? '?'}${sampling})`,
    );
    if (p.statusCode === 201)
      lines.push(`  published to ${flow.topics.map((t) => t.label).join(', ')} → ${deliveries}`);
  }
  for (const c of result.consumers) {
    const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
    lines.push(
      `${c.fn}: ${plural(c.batches, 'batch', 'batches')}, ${plural(c.records, 'record')} from ${c.queue}, ${c.failedRecords} failed`,
    );
  }
  lines.push('');
  if (result.spans.length === 0) {
    lines.push(
      `No span was exported: no trace was sampled (ratio ${result.samplingRatio}) and none failed. ` +
        'Run again, or add --fail to see keep-errors.',
    );
    return lines.join('\n');
  }
  lines.push(result.tree, '');
  if (result.spans.some((s) => !isSampled(s))) {
    lines.push(
      'unsampled: not picked by the sampling ratio, exported because the invocation failed (keep errors).',
      '',
    );
  }
  if (result.collectors && result.collectors.length > 0) {
    const range = (values: number[], unit: string, digits = 0) => {
      const [lo, hi] = [Math.min(...values), Math.max(...values)];
      return lo === hi
        ? `${lo.toFixed(digits)} ${unit}`
        : `${lo.toFixed(digits)}–${hi.toFixed(digits)} ${unit}`;
    };
    const removed = [...new Set(result.collectors.flatMap((c) => c.removed))];
    const rss = result.collectors.flatMap((c) => (c.peakRssKb === undefined ? [] : [c.peakRssKb / 1024]));
    lines.push(
      `Each function exported to its own otelcol-lambda running the configuration its layer holds` +
        (removed.length > 0 ? ` (without ${removed.join(', ')}, which this build lacks)` : '') +
        `: ready in ${range(
          result.collectors.map((c) => c.startupMs),
          'ms',
        )}${rss.length > 0 ? `, peak RSS ${range(rss, 'MB', 1)}` : ''}.`,
    );
  }
  lines.push(`${result.spans.length} spans; the waterfall: ${relative(process.cwd(), result.htmlFile!)}`);
  return lines.join('\n');
}
