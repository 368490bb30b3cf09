import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PNG } from 'pngjs';
import { PaymentStack } from '../../../bin/example/payment-stack';
import {
  DASHBOARD_PAGE,
  dashboardBodyOf,
  renderDashboardPage,
  widgetTitle,
  type DashboardPage,
} from '../../../bin/local/dashboard-page';
import { FlowDashboard } from '../../../lib';
import { CHROMIUM, testNeeding } from '../../helpers/requirements';
import { hexColor, screenshotPage } from '../../helpers/screenshot';

// The example's flow dashboard, synthesized, drawn from its DashboardBody as an HTML page, and
// checked in headless Chromium. WRITE_DOCS_PICTURE=1 also writes docs/flow-dashboard.png.

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new PaymentStack(app, 'Payments');
// The example's own dashboard (with its canary and its SLO alarms).
const flow: FlowDashboard = stack.dashboard;
const template = Template.fromStack(stack).toJSON();
const logicalId = stack.getLogicalId(flow.dashboard.node.defaultChild as never);
const body = dashboardBodyOf(template, logicalId);
const page: DashboardPage = renderDashboardPage(body, 'the payment flow (Payments/PaymentsDashboard)');

test('the page has every widget, where the body puts it, and nothing loaded from elsewhere', () => {
  expect(page.html).not.toMatch(/<script|<link|@import|url\(|src=/i);
  expect(body.widgets.length).toBeGreaterThan(10);
  for (const widget of body.widgets) {
    const title = widgetTitle(widget);
    const P = DASHBOARD_PAGE;
    expect(page.html).toContain(
      `data-widget="${title.replace(/"/g, '&quot;')}" style="left:${P.margin + widget.x * P.column}px;top:${P.margin + P.header + widget.y * P.row}px;`,
    );
  }
  expect(page.boxes.map((b) => b.title)).toEqual(
    expect.arrayContaining([
      'Flow of Authorize',
      'Canary: MissingHops',
      'Authorize: duration P50 / P95 / P99',
      'Reconciliation: dead-letter queue depth',
      'Reconcile: cold starts and init duration',
    ]),
  );
  // The markdown's links, with the service's trace query, are anchors.
  expect(page.html).toContain(
    `<a href="https://&lt;AWS::Region&gt;.console.aws.amazon.com/cloudwatch/home?region=&lt;AWS::Region&gt;#xray:traces/query?~(query~(expression~'service*28*22payments-reconcile*22*29')~context~(timeRange~(delta~10800000)))">Traces of payments-reconcile</a>`,
  );
  expect(page.html).toContain('layout only');
});

test('the body of a template with no dashboard, or two, is a clear error', () => {
  expect(() => dashboardBodyOf({ Resources: {} })).toThrow(
    'the template has 0 dashboards; give the logical id of one',
  );
  expect(() => dashboardBodyOf(template, 'Nope')).toThrow('no dashboard Nope in the template');
});

/** The widgets whose title bar is not drawn where the layout puts it, or whose box is not white. */
function missingWidgets(png: PNG, current: DashboardPage): string[] {
  const at = (x: number, y: number) => {
    const i = (png.width * y + x) * 4;
    return [png.data[i], png.data[i + 1], png.data[i + 2]];
  };
  const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 8);
  const problems: string[] = [];
  for (const box of current.boxes) {
    // The title bar's right end (past any title text), and the gap left of the box.
    const bar = [box.left + box.width - 4, box.top + 4];
    if (!near(at(bar[0], bar[1]), hexColor(DASHBOARD_PAGE.titleBarColor)))
      problems.push(`${box.title}: rgb(${at(bar[0], bar[1])}) at its title bar (${bar})`);
    const gap = [box.left - 4, box.top + box.height / 2].map(Math.floor);
    if (box.left > DASHBOARD_PAGE.margin && !near(at(gap[0], gap[1]), hexColor(DASHBOARD_PAGE.background)))
      problems.push(`${box.title}: rgb(${at(gap[0], gap[1])}) left of its box (${gap})`);
  }
  return problems;
}

testNeeding(CHROMIUM, 'the flow dashboard screenshot test')(
  'Chromium draws every widget of the example flow dashboard where its body puts it',
  async () => {
    const shot = await screenshotPage(page.html, page.width, page.height);
    expect([shot.png.width, shot.png.height]).toEqual([page.width, page.height]);
    // Not blank: a good part of the page is neither the background nor white.
    let inked = 0;
    for (let i = 0; i < shot.png.data.length; i += 4) {
      const rgb = [shot.png.data[i], shot.png.data[i + 1], shot.png.data[i + 2]];
      if (rgb.some((v) => v < 200)) inked++;
    }
    expect(inked / (shot.png.width * shot.png.height)).toBeGreaterThan(0.01);
    expect(missingWidgets(shot.png, page)).toEqual([]);
    if (process.env.WRITE_DOCS_PICTURE === '1') {
      writeFileSync(join(__dirname, '..', '..', '..', 'docs', 'flow-dashboard.png'), shot.bytes);
    }

    // The check sees a widget that is not drawn.
    const first = page.boxes[1];
    const broken = page.html.replace(`data-widget="${first.title}"`, `data-widget="${first.title}" hidden`);
    const without = await screenshotPage(broken, page.width, page.height);
    expect(missingWidgets(without.png, page)).toEqual([expect.stringContaining(`${first.title}: rgb(`)]);
  },
  120_000,
);
