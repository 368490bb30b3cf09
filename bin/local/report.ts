import { relative } from 'node:path';
import { ROUTE, type LocalRunResult } from './local-run';
import { isSampled } from './otlp-receiver';

/** What `npm start` prints: the stage, what each payment and consumer did, the trace tree. */
export function report(result: LocalRunResult, stage: string): string {
  const { flow } = result;
  const lines = [
    (result.gateway
      ? `Stage ${stage}: tail sampling on the gateway (every failed or marked trace, ${result.gateway.percentage}% of the others); `
      : `Stage ${stage}: sampling ratio ${result.samplingRatio}, keep errors ${result.keepErrors ? 'on' : 'off'}; `) +
      'each invocation runs its bundle from the cloud assembly in a fresh Node.js process.',
  ];
  const deliveries = flow.subscriptions
    .map((s) => `${s.queue.label} (${s.rawMessageDelivery ? 'raw delivery' : 'SNS envelope'})`)
    .join(', ');
  for (const p of result.payments) {
    const kept = result.spans.some((s) => s.traceId === p.traceId);
    const sampling = result.gateway
      ? kept
        ? ', kept by the gateway'
        : ', dropped by the gateway'
      : p.sampled === undefined
        ? ''
        : p.sampled
          ? ', sampled'
          : ', not sampled';
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
        'Run again, or add --fail-at authorize (or reconcile) to see keep-errors.',
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
        (result.gateway
          ? `, which sent to a local gateway of ${result.gateway.loadBalancers} load-balancing and ${result.gateway.samplers} sampling otelcol-gateway processes (the functions' collectors taking turns over the load balancers)`
          : '') +
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

/** The run as one JSON document (`npm start -- --json`): the stage, the payments and the traces with their spans. */
export function jsonReport(result: LocalRunResult, stage: string): unknown {
  const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  const statuses = ['unset', 'ok', 'error'];
  const traceIds = [...new Set(result.spans.map((s) => s.traceId))];
  return {
    stage,
    payments: result.payments.map((p) => ({
      id: paymentIdOf(p.body) ?? p.label,
      label: p.label,
      status: p.statusCode ?? null,
      traceId: p.traceId ?? null,
    })),
    traces: traceIds.map((traceId) => ({
      traceId,
      spans: result.spans
        .filter((s) => s.traceId === traceId)
        .map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? null,
          name: s.name,
          service: s.resource['service.name'] ?? null,
          kind: kinds[s.kind] ?? String(s.kind),
          status: statuses[s.status.code] ?? String(s.status.code),
          sampled: isSampled(s),
        })),
    })),
    problems: result.problems,
  };
}

/** The payment id authorize answered with, if any. */
function paymentIdOf(body: string | undefined): string | undefined {
  try {
    const id = (JSON.parse(body ?? '') as { paymentId?: unknown }).paymentId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
