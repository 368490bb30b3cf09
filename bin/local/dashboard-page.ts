/**
 * A CloudWatch dashboard's body (the JSON CloudFormation gets as `DashboardBody`) drawn as a
 * self-contained HTML page: each widget a box where the console puts it (24 columns), with its
 * title, its metrics, its query, its markdown and its links. No data: the graphs are a fixed
 * placeholder line, labelled "layout only". For the README's picture of a `FlowDashboard`, and
 * to look at a dashboard before deploying it.
 */

/** The fixed geometry and colours of the page, in CSS pixels, so a test can find every widget. */
export const DASHBOARD_PAGE = {
  margin: 16,
  /** The page's title above the grid. */
  header: 48,
  /** One of the 24 grid columns. */
  column: 52,
  /** One grid row unit. */
  row: 34,
  /** The space between two widgets. */
  gap: 8,
  /** The title bar of a widget. */
  titleBar: 26,
  background: '#f2f3f3',
  widget: '#ffffff',
  titleBarColor: '#e4ecf4',
  line: '#2f6fd6',
  text: '#16191f',
  link: '#0972d3',
} as const;

/** A widget of a dashboard body, as CloudWatch reads it. */
export interface DashboardWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: WidgetProperties;
}

/** The properties of a widget this page reads. */
export interface WidgetProperties {
  readonly title?: string;
  readonly markdown?: string;
  readonly metrics?: unknown[][];
  readonly stat?: string;
  readonly query?: string;
  readonly alarms?: string[];
  readonly [key: string]: unknown;
}

/** A template as this page reads it. */
export interface TemplateJson {
  readonly Resources?: Record<
    string,
    { readonly Type?: string; readonly Properties?: Record<string, unknown> }
  >;
}

/** A dashboard body. */
export interface DashboardBody {
  readonly widgets: DashboardWidget[];
  readonly start?: string;
}

/** Where a widget is drawn, in pixels. */
export interface WidgetBox {
  readonly title: string;
  readonly type: string;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** The page and where its widgets are. */
export interface DashboardPage {
  readonly html: string;
  readonly width: number;
  readonly height: number;
  readonly boxes: WidgetBox[];
}

/**
 * The dashboard body of a synthesized template: the `DashboardBody` of the dashboard with the
 * logical id (or the template's only dashboard), its `Fn::Join` joined and each reference shown as
 * a placeholder (`<Ref:Front0087DB4F>`, `<GetAtt:WorkQueue.QueueName>`, `<AWS::Region>`).
 */
export function dashboardBodyOf(template: TemplateJson, logicalId?: string): DashboardBody {
  const dashboards = Object.entries(template.Resources ?? {}).filter(
    ([id, r]) => r.Type === 'AWS::CloudWatch::Dashboard' && (logicalId === undefined || id === logicalId),
  );
  if (dashboards.length !== 1) {
    throw new Error(
      logicalId
        ? `no dashboard ${logicalId} in the template`
        : `the template has ${dashboards.length} dashboards; give the logical id of one`,
    );
  }
  return JSON.parse(flatten(dashboards[0][1].Properties?.DashboardBody)) as DashboardBody;
}

/** A CloudFormation value as text, references as placeholders. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const v = (value ?? {}) as Record<string, unknown>;
  const join = v['Fn::Join'] as [string, unknown[]] | undefined;
  if (Array.isArray(join)) return join[1].map(flatten).join(join[0]);
  if (typeof v.Ref === 'string') return v.Ref.startsWith('AWS::') ? `<${v.Ref}>` : `<Ref:${v.Ref}>`;
  if (Array.isArray(v['Fn::GetAtt'])) return `<GetAtt:${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  return `<${Object.keys(v)[0] ?? 'value'}>`;
}

/** The title a widget shows: its title, or the first line of its markdown. */
export function widgetTitle(widget: DashboardWidget): string {
  const p = widget.properties ?? {};
  if (typeof p.title === 'string') return p.title;
  if (typeof p.markdown === 'string') return p.markdown.split('\n')[0].replace(/^#+\s*/, '');
  return widget.type;
}

/** The page of a dashboard body. */
export function renderDashboardPage(body: DashboardBody, title: string): DashboardPage {
  const P = DASHBOARD_PAGE;
  const boxes = body.widgets.map((w) => ({
    title: widgetTitle(w),
    type: w.type,
    left: P.margin + w.x * P.column,
    top: P.margin + P.header + w.y * P.row,
    width: w.width * P.column - P.gap,
    height: w.height * P.row - P.gap,
  }));
  const width = P.margin * 2 + 24 * P.column - P.gap;
  const height = Math.max(...boxes.map((b) => b.top + b.height), P.margin + P.header) + P.margin;
  const widgets = body.widgets.map((w, i) => renderWidget(w, boxes[i])).join('\n');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
  body { margin: 0; background: ${P.background}; font: 12px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: ${P.text}; }
  .page { position: relative; width: ${width}px; height: ${height}px; }
  h1 { position: absolute; left: ${P.margin}px; top: ${P.margin}px; margin: 0; font-size: 18px; line-height: 28px; }
  .note { position: absolute; right: ${P.margin}px; top: ${P.margin + 6}px; color: #5f6b7a; }
  .w { position: absolute; box-sizing: border-box; background: ${P.widget}; border: 1px solid #d1d5db; overflow: hidden; }
  .t { height: ${P.titleBar}px; line-height: ${P.titleBar}px; padding: 0 8px; background: ${P.titleBarColor}; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .c { padding: 6px 8px; }
  .c h1, .c h2, .c h3 { position: static; margin: 0 0 4px; font-size: 14px; line-height: 18px; }
  .c p { margin: 0 0 4px; } .c ul { margin: 0; padding-left: 16px; }
  a { color: ${P.link}; }
  code, pre { font-family: Menlo, Consolas, monospace; font-size: 11px; }
  pre { margin: 0; white-space: pre-wrap; word-break: break-all; color: #414d5c; }
  .legend { list-style: none; margin: 4px 0 0; padding: 0; }
  .legend li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .sw { display: inline-block; width: 10px; height: 3px; margin-right: 6px; vertical-align: middle; }
  .placeholder { color: #8d99a8; font-size: 10px; }
</style>
</head>
<body>
<div class="page">
<h1>${esc(title)}</h1>
<div class="note">layout only: no data (graphs are placeholders)</div>
${widgets}
</div>
</body>
</html>
`;
  return { html, width, height, boxes };
}

const SERIES = ['#2f6fd6', '#d93025', '#c9780c', '#17936a', '#8a55d6'];

function renderWidget(widget: DashboardWidget, box: WidgetBox): string {
  const P = DASHBOARD_PAGE;
  const style = `left:${box.left}px;top:${box.top}px;width:${box.width}px;height:${box.height}px`;
  const inner = box.height - P.titleBar - 14;
  let content: string;
  switch (widget.type) {
    case 'text':
      return `<div class="w" data-widget="${esc(box.title)}" style="${style}"><div class="t">${esc(box.title)}</div><div class="c">${markdown(
        String(widget.properties.markdown ?? '')
          .split('\n')
          .slice(1)
          .join('\n'),
      )}</div></div>`;
    case 'metric': {
      const metrics = widget.properties.metrics ?? [];
      const legend = metrics.map((m, i) => {
        const options = (typeof m[m.length - 1] === 'object' ? m[m.length - 1] : {}) as Record<
          string,
          unknown
        >;
        const name = String(options.label ?? m[1]);
        const stat = String(options.stat ?? widget.properties.stat ?? 'Average');
        return `<li><span class="sw" style="background:${SERIES[i % SERIES.length]}"></span>${esc(name)} <span class="placeholder">${esc(String(m[0]))} · ${esc(stat)}${options.period ? ` · ${Number(options.period) / 60} min` : ''}</span></li>`;
      });
      content = `${sparkline(box.width - 16, Math.max(20, inner - metrics.length * 17 - 4), metrics.length)}<ul class="legend">${legend.join('')}</ul>`;
      break;
    }
    case 'log':
      content = `${sparkline(box.width - 16, Math.max(20, inner - 64), 1)}<pre>${esc(String(widget.properties.query ?? ''))}</pre>`;
      break;
    case 'alarm':
      content = `<ul class="legend">${(widget.properties.alarms ?? [])
        .map(
          (a) =>
            `<li><span class="sw" style="background:#8d99a8"></span>${esc(alarmName(a))} <span class="placeholder">state at run time</span></li>`,
        )
        .join('')}</ul>`;
      break;
    default:
      content = `<pre>${esc(JSON.stringify(widget.properties, null, 1))}</pre>`;
  }
  return `<div class="w" data-widget="${esc(box.title)}" style="${style}"><div class="t">${esc(box.title)}</div><div class="c">${content}</div></div>`;
}

/** A fixed placeholder line per series (the same page every time), labelled as layout only. */
function sparkline(width: number, height: number, series: number): string {
  const lines = Array.from({ length: Math.max(1, series) }, (_, s) => {
    const points = Array.from({ length: 25 }, (_, i) => {
      const x = (i / 24) * width;
      const y =
        height * (0.55 - 0.12 * s) - Math.sin(i / 3 + s) * height * 0.15 - (i % 5 === 0 ? height * 0.08 : 0);
      return `${x.toFixed(1)},${Math.min(height - 2, Math.max(2, y)).toFixed(1)}`;
    }).join(' ');
    return `<polyline fill="none" stroke="${SERIES[s % SERIES.length]}" stroke-width="1.5" points="${points}"/>`;
  }).join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="layout only, no data"><rect x="0" y="0" width="${width}" height="${height}" fill="#fafbfc"/>${lines}<text x="4" y="12" fill="#8d99a8" font-size="10">layout only</text></svg>`;
}

/** The alarm's name from its ARN (or the placeholder of its ARN). */
function alarmName(arn: string): string {
  const m = /^<GetAtt:([^.]+)\.Arn>$/.exec(arn);
  return m ? m[1] : (arn.split(':alarm:')[1] ?? arn);
}

/** The markdown CloudWatch text widgets use, as far as a FlowDashboard writes it. */
function markdown(text: string): string {
  const out: string[] = [];
  let list = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const item = /^[-*] (.*)$/.exec(line);
    if (item && !list) {
      out.push('<ul>');
      list = true;
    } else if (!item && list) {
      out.push('</ul>');
      list = false;
    }
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (item) out.push(`<li>${inline(item[1])}</li>`);
    else if (heading) out.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`);
    else if (line !== '') out.push(`<p>${inline(line)}</p>`);
  }
  if (list) out.push('</ul>');
  return out.join('');
}

function inline(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const link = text[i] === '[' ? linkAt(text, i) : undefined;
    if (link) {
      out += `<a href="${esc(link.url)}">${esc(link.label)}</a>`;
      i = link.end;
      continue;
    }
    const code = text[i] === '`' ? text.indexOf('`', i + 1) : -1;
    if (code > i) {
      out += `<code>${esc(text.slice(i + 1, code))}</code>`;
      i = code + 1;
      continue;
    }
    const bold = text.startsWith('**', i) ? text.indexOf('**', i + 2) : -1;
    if (bold > i) {
      out += `<strong>${esc(text.slice(i + 2, bold))}</strong>`;
      i = bold + 2;
      continue;
    }
    out += esc(text[i]);
    i += 1;
  }
  return out;
}

/** A link `[label](url)` at `start`, its URL's parentheses balanced (as CommonMark reads them). */
function linkAt(text: string, start: number): { label: string; url: string; end: number } | undefined {
  const close = text.indexOf('](', start);
  if (close < 0) return undefined;
  let depth = 1;
  for (let j = close + 2; j < text.length; j++) {
    if (text[j] === '(') depth++;
    else if (text[j] === ')' && --depth === 0) {
      return { label: text.slice(start + 1, close), url: text.slice(close + 2, j), end: j + 1 };
    }
  }
  return undefined;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
