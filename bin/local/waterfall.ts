import { STATUS, isSampled } from './otlp-receiver';
import { formatDuration, rowLabel, spanNotes, type TreeRow } from './trace-tree';

/**
 * The fixed geometry of the waterfall page, in CSS pixels: every element is absolutely placed
 * from these numbers, so a test can compute where each bar is drawn.
 */
export const WATERFALL = {
  margin: 24,
  /** The title, the legend and the time axis above the rows. */
  header: 112,
  rowHeight: 24,
  barHeight: 12,
  /** The names column, left of the time axis. */
  gutter: 440,
  gap: 16,
  /** The width of the time axis. */
  area: 720,
  /** The durations column, right of the time axis. */
  durations: 88,
  /** A bar is never narrower than this, so a short span is still seen. */
  minBar: 4,
  background: '#ffffff',
  error: '#d93025',
  /** Service colours, in the order the services first appear. */
  palette: ['#2f6fd6', '#17936a', '#8a55d6', '#c9780c', '#1f9bb5', '#b8458f'],
} as const;

/** A span's bar. */
export interface WaterfallBar {
  readonly spanId: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly color: string;
}

/** Where everything of the page is. */
export interface WaterfallLayout {
  readonly width: number;
  readonly height: number;
  readonly bars: WaterfallBar[];
  /** Each row's top, in the order of the rows. */
  readonly rowTops: number[];
  /** The service colours. */
  readonly services: { readonly name: string; readonly color: string }[];
  /** The time the axis starts at (ms since the epoch) and its length (ms). */
  readonly startMs: number;
  readonly spanMs: number;
}

/** The layout of the rows: one row each, spans with a bar placed by start and duration on one time axis. */
export function layoutWaterfall(rows: readonly TreeRow[]): WaterfallLayout {
  const L = WATERFALL;
  const spanRows = rows.flatMap((row) => (row.kind === 'span' ? [row] : []));
  const startMs = Math.min(...spanRows.map((r) => r.node.startMs));
  const endMs = Math.max(...spanRows.map((r) => r.node.startMs + r.node.durationMs));
  const spanMs = Math.max(endMs - startMs, 0.001);
  const scale = L.area / spanMs;
  const axisX = L.margin + L.gutter + L.gap;

  const services: { name: string; color: string }[] = [];
  const colorOf = (service: string): string => {
    let entry = services.find((s) => s.name === service);
    if (!entry) {
      entry = { name: service, color: L.palette[services.length % L.palette.length] };
      services.push(entry);
    }
    return entry.color;
  };

  const rowTops = rows.map((_, i) => L.margin + L.header + i * L.rowHeight);
  const bars: WaterfallBar[] = [];
  rows.forEach((row, i) => {
    if (row.kind !== 'span') return;
    const { span } = row.node;
    const color = colorOf(String(span.resource['service.name'] ?? '?'));
    const width = Math.max(L.minBar, Math.round(row.node.durationMs * scale));
    const x = Math.min(axisX + Math.round((row.node.startMs - startMs) * scale), axisX + L.area - width);
    bars.push({
      spanId: span.spanId,
      x,
      y: rowTops[i] + (L.rowHeight - L.barHeight) / 2,
      width,
      height: L.barHeight,
      color: span.status.code === STATUS.ERROR ? L.error : color,
    });
  });
  return {
    width: axisX + L.area + L.gap + L.durations + L.margin,
    height: L.margin + L.header + rows.length * L.rowHeight + L.margin,
    bars,
    rowTops,
    services,
    startMs,
    spanMs,
  };
}

/** A self-contained HTML page (inline CSS, no scripts, no fonts or anything else from the network). */
export function renderWaterfall(
  rows: readonly TreeRow[],
  layout: WaterfallLayout,
  title: string,
  subtitle: string,
): string {
  const L = WATERFALL;
  const axisX = L.margin + L.gutter + L.gap;
  const bars = new Map(layout.bars.map((b) => [b.spanId, b]));
  const parts: string[] = [];
  const box = (x: number, y: number, w: number, h: number): string =>
    `left:${x}px;top:${y}px;width:${w}px;height:${h}px`;

  parts.push(
    `<div class="title" style="${box(L.margin, L.margin, layout.width - 2 * L.margin, 28)}">${esc(title)}</div>`,
  );
  parts.push(
    `<div class="sub" style="${box(L.margin, L.margin + 30, layout.width - 2 * L.margin, 20)}">${esc(subtitle)}</div>`,
  );
  let legendX = L.margin;
  for (const service of [...layout.services, { name: 'error', color: L.error }]) {
    parts.push(
      `<div class="legend" style="${box(legendX, L.margin + 56, 200, 18)}"><span class="swatch" style="background:${service.color}"></span>${esc(service.name)}</div>`,
    );
    legendX += 24 + service.name.length * 8;
  }
  const axisTop = L.margin + L.header - 26;
  for (let i = 0; i <= 4; i++) {
    const x = axisX + (L.area * i) / 4;
    parts.push(`<div class="tick" style="${box(x, axisTop + 18, 1, 8)}"></div>`);
    const label = formatDuration((layout.spanMs * i) / 4);
    parts.push(
      `<div class="ticklabel" style="${box(x - 40, axisTop, 80, 16)}">${i === 0 ? '0' : esc(label)}</div>`,
    );
  }
  parts.push(`<div class="axis" style="${box(axisX, axisTop + 25, L.area, 1)}"></div>`);

  rows.forEach((row, i) => {
    const top = layout.rowTops[i];
    if (row.kind !== 'span') {
      parts.push(
        `<div class="row ${row.kind}" style="${box(L.margin, top, layout.width - 2 * L.margin, L.rowHeight)}">${esc(rowLabel(row))}</div>`,
      );
      return;
    }
    const { span } = row.node;
    const bar = bars.get(span.spanId)!;
    const notes = spanNotes(row.node, row).join(', ');
    const tooltip = `${span.name} (${formatDuration(row.node.durationMs)}, ${span.resource['service.name']}, ${notes}) span ${span.spanId} of trace ${span.traceId}`;
    const classes = [
      'name',
      span.status.code === STATUS.ERROR ? 'error' : '',
      isSampled(span) ? '' : 'unsampled',
    ]
      .filter(Boolean)
      .join(' ');
    parts.push(
      `<div class="${classes}" style="${box(L.margin, top, L.gutter, L.rowHeight)}" title="${esc(tooltip)}">${esc(rowLabel(row))} <span class="notes">${esc(notes)}</span></div>`,
    );
    parts.push(
      `<div class="bar" data-span-id="${span.spanId}" data-trace-id="${span.traceId}" style="${box(bar.x, bar.y, bar.width, bar.height)};background:${bar.color}" title="${esc(tooltip)}"></div>`,
    );
    parts.push(
      `<div class="duration" style="${box(axisX + L.area + L.gap, top, L.durations, L.rowHeight)}">${esc(formatDuration(row.node.durationMs))}</div>`,
    );
  });

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=${layout.width}">
<title>${esc(title)}</title>
<style>
html, body { margin: 0; padding: 0; background: ${L.background}; overflow: hidden; }
body { font: 13px/1 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; color: #202124; }
.page { position: relative; width: ${layout.width}px; height: ${layout.height}px; }
.page > div { position: absolute; box-sizing: border-box; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
.title { font: 600 18px/28px system-ui, sans-serif; }
.sub { font: 13px/20px system-ui, sans-serif; color: #5f6368; }
.legend { line-height: 18px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin: 3px 6px 0 0; vertical-align: top; }
.tick, .axis { background: #9aa0a6; }
.ticklabel { text-align: center; line-height: 16px; color: #5f6368; font-size: 11px; }
.row, .name, .duration { line-height: ${L.rowHeight}px; }
.trace { font-weight: 600; }
.linked, .link { color: #5f6368; }
.notes { color: #80868b; font-size: 11px; }
.name.error { color: ${L.error}; }
.duration { text-align: right; }
.bar { border-radius: 0; }
</style>
</head>
<body>
<div class="page">
${parts.join('\n')}
</div>
</body>
</html>
`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
