import { App } from 'aws-cdk-lib';
import { buildTraceMap } from '../../../lib';
import {
  estimateGateway,
  flowSpans,
  keptFraction,
  mapEntries,
  monthsStored,
} from '../../../lib/cost/private/model';
import { paymentApp } from '../../../bin/example/payment-app';

// The model's pure parts, checked by hand.

describe('the gateway reproduces BENCHMARKS.md ("What tail sampling costs, on paper")', () => {
  // A request there is one invocation's export of 5 spans.
  test.each([
    // requests/s, Fargate, NLB, HTTP API, cross-zone, gateway with an NLB (the table's columns)
    [100, 144, 20.8, 263, 0.79, 166],
    [1000, 144, 32.78, 2232, 7.94, 185],
    [10000, 144, 180, 21154, 79.44, 404],
  ])('%d requests/s', (rps, fargate, nlb, httpApi, crossZone, withNlb) => {
    const g = estimateGateway('G', 'iam', rps * 5, rps);
    expect(g.loadBalancingTasks).toBe(2);
    expect(g.samplingTasks).toBe(2);
    expect(Math.abs(g.costUsd.fargate - fargate)).toBeLessThan(0.5);
    expect(Math.abs(g.costUsd.loadBalancer - nlb) / nlb).toBeLessThan(0.01);
    // The table's HTTP API column applies the lower rates above 300 million requests a month;
    // the estimate keeps $1.00 (within 1% at 100/s, an upper bound above).
    if (rps === 100) expect(Math.abs(g.costUsd.httpApi - httpApi) / httpApi).toBeLessThan(0.01);
    else expect(g.costUsd.httpApi).toBeGreaterThanOrEqual(httpApi);
    expect(Math.abs(g.costUsd.crossZone - crossZone) / crossZone).toBeLessThan(0.02);
    const vpc = estimateGateway('G', 'vpc', rps * 5, rps);
    expect(vpc.costUsd.httpApi).toBe(0);
    expect(Math.abs(vpc.costUsd.total - withNlb)).toBeLessThan(1);
  });

  test('more spans than two tasks a tier carry scale the tiers out', () => {
    // 200,000 spans/s × 9.1 µs = 1.82 vCPU at 60% = 3.03 → 4 sampling tasks; × 7.1 µs = 1.42 / 0.6 → 3.
    const g = estimateGateway('G', 'vpc', 200_000, 40_000);
    expect(g.samplingTasks).toBe(4);
    expect(g.loadBalancingTasks).toBe(3);
  });
});

describe('kept fraction', () => {
  const base = {
    mode: 'head' as const,
    ratio: 0.1,
    keepErrors: true,
    errorRate: 0.02,
    headSamplingRatio: 1,
    alwaysKept: false,
  };
  test('head: ratio plus the failures outside it', () => {
    expect(keptFraction(base).kept).toBeCloseTo(0.1 + 0.9 * 0.02, 10); // 0.118
    expect(keptFraction({ ...base, keepErrors: false }).kept).toBe(0.1);
    expect(keptFraction({ ...base, alwaysKept: true })).toEqual({ kept: 1, exported: 1 });
  });
  test('tail: the functions send the head ratio, the gateway keeps failures and the ratio of the rest', () => {
    const tail = { ...base, mode: 'tail' as const, headSamplingRatio: 0.5 };
    // 0.5 × (0.1 + 0.9 × 0.02) + 0.5 × 0.02 = 0.059 + 0.01 = 0.069; sent: 0.5 + 0.5 × 0.02 = 0.51.
    expect(keptFraction(tail).kept).toBeCloseTo(0.069, 10);
    expect(keptFraction(tail).exported).toBeCloseTo(0.51, 10);
  });
});

test('months stored in a steady state', () => {
  expect(monthsStored(30)).toBeCloseTo(30 / (730 / 24), 10);
  expect(monthsStored(undefined)).toBe(12);
});

test("the example's payment flow: 7 spans a payment by the map (the local run sees 8, one a DynamoDB call)", () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  paymentApp(app);
  const map = buildTraceMap(app);
  const entries = mapEntries(map).filter((e) => e.fn.startsWith('Prod/'));
  expect(entries.map((e) => e.entry)).toContain('POST /payments');
  const payments = entries.find((e) => e.entry === 'POST /payments')!;
  const flow = flowSpans(map, payments.fn);
  // Authorize 3 (invocation, producer to Payments, client to fraud-api); Audit 2; Reconcile 2.
  expect(flow.spans).toBe(7);
  expect(flow.invocations).toBe(3);
  expect(flow.lines).toEqual([
    'Authorize: 3 (invocation span, producer span to Payments, client span to fraud-api)',
    'Audit: 2 (invocation + record span)',
    'Reconcile: 2 (invocation + record span)',
  ]);
});
