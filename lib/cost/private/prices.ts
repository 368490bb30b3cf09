// The prices and measured figures the cost estimate uses, each with its source and the date it was
// read. us-east-1 on-demand list prices, USD. Update them here (and the date) when AWS changes them.

import type { TracingCostPrice } from '../tracing-cost-report';

/** The date the prices below were read. */
export const PRICES_AS_OF = '2026-11-27';

/** The region the prices are for. */
export const PRICES_REGION = 'us-east-1';

/** A month, as AWS prices it: 730 hours. */
export const SECONDS_PER_MONTH = 730 * 3600;

/** Days in a month of 730 hours. */
export const DAYS_PER_MONTH = 730 / 24;

export const PRICES = {
  spansIngestedPerGb: {
    id: 'spansIngestedPerGb',
    description:
      'Transaction Search: spans ingested into the aws/spans log group, per GB. The CloudWatch docs say span ingestion is ' +
      'charged separately from log ingestion and point to the CloudWatch pricing page, whose span rate is not in the pages ' +
      'read here; the CloudWatch Logs standard ingestion rate stands in for it.',
    usd: 0.5,
    unit: 'GB',
    asOf: PRICES_AS_OF,
    sources: [
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Transaction-Search-ingesting-span-log-groups.html',
      'https://c3x.dev/blog/cloudwatch-logs-cost-optimization',
    ],
    verified: false,
  },
  indexedSpansPerMillion: {
    id: 'indexedSpansPerMillion',
    description:
      'Transaction Search: spans indexed as X-Ray trace summaries above the 1% indexed for free, per million, at the X-Ray ' +
      'price of traces recorded ($5.00 per million); that indexed spans bill at this rate is an assumption.',
    usd: 5,
    unit: 'million spans',
    asOf: PRICES_AS_OF,
    sources: [
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Enable-TransactionSearch.html',
      'https://aws.amazon.com/xray/pricing/',
    ],
    verified: false,
  },
  logsIngestedPerGb: {
    id: 'logsIngestedPerGb',
    description: 'CloudWatch Logs, standard log class: data ingested, per GB.',
    usd: 0.5,
    unit: 'GB',
    asOf: PRICES_AS_OF,
    sources: [
      'https://aws.amazon.com/cloudwatch/pricing/',
      'https://c3x.dev/blog/cloudwatch-logs-cost-optimization',
    ],
    verified: true,
  },
  logsStoredPerGbMonth: {
    id: 'logsStoredPerGbMonth',
    description:
      'CloudWatch Logs: storage (archive), per GB-month. AWS bills the compressed size; the estimate counts the ingested ' +
      'size (an upper bound).',
    usd: 0.03,
    unit: 'GB-month',
    asOf: PRICES_AS_OF,
    sources: [
      'https://aws.amazon.com/cloudwatch/pricing/',
      'https://c3x.dev/blog/cloudwatch-logs-cost-optimization',
    ],
    verified: true,
  },
  fargateVcpuHour: {
    id: 'fargateVcpuHour',
    description: 'Fargate Linux/x86, per vCPU-hour (BENCHMARKS.md, "What tail sampling costs, on paper").',
    usd: 0.04048,
    unit: 'vCPU-hour',
    asOf: PRICES_AS_OF,
    sources: ['https://aws.amazon.com/fargate/pricing/', 'BENCHMARKS.md'],
    verified: true,
  },
  fargateGbHour: {
    id: 'fargateGbHour',
    description: 'Fargate Linux/x86, per GB-hour of memory (BENCHMARKS.md).',
    usd: 0.004445,
    unit: 'GB-hour',
    asOf: PRICES_AS_OF,
    sources: ['https://aws.amazon.com/fargate/pricing/', 'BENCHMARKS.md'],
    verified: true,
  },
  nlbHour: {
    id: 'nlbHour',
    description: 'Network Load Balancer, per hour (BENCHMARKS.md).',
    usd: 0.0225,
    unit: 'hour',
    asOf: PRICES_AS_OF,
    sources: ['https://aws.amazon.com/elasticloadbalancing/pricing/', 'BENCHMARKS.md'],
    verified: true,
  },
  nlcuHour: {
    id: 'nlcuHour',
    description: 'Network Load Balancer, per NLCU-hour (1 GB processed an hour decides here; BENCHMARKS.md).',
    usd: 0.006,
    unit: 'NLCU-hour',
    asOf: PRICES_AS_OF,
    sources: ['https://aws.amazon.com/elasticloadbalancing/pricing/', 'BENCHMARKS.md'],
    verified: true,
  },
  httpApiPerMillion: {
    id: 'httpApiPerMillion',
    description:
      'API Gateway HTTP API, per million requests (first 300 million a month; the estimate keeps this rate above; ' +
      'BENCHMARKS.md). GatewayAccess.iam() only.',
    usd: 1,
    unit: 'million requests',
    asOf: PRICES_AS_OF,
    sources: ['https://aws.amazon.com/api-gateway/pricing/', 'BENCHMARKS.md'],
    verified: true,
  },
  crossZonePerGb: {
    id: 'crossZonePerGb',
    description: 'Data between availability zones, per GB each way (BENCHMARKS.md).',
    usd: 0.01,
    unit: 'GB',
    asOf: PRICES_AS_OF,
    sources: ['https://aws.amazon.com/ec2/pricing/on-demand/', 'BENCHMARKS.md'],
    verified: true,
  },
} satisfies Record<string, TracingCostPrice>;

/** Figures measured in this repository that the estimate uses. */
export const MEASURED = {
  /**
   * Bytes of one span as X-Ray stores it in aws/spans (one JSON log event per span, with its
   * resource): the example's spans, from the local run, re-encoded as OTLP/JSON with their
   * resource, averaged: 8 spans of one payment in the Dev stage, 994 bytes a span alone, 1,754 with its resource
   * (npm start, 2026-11-27).
   */
  spanJsonBytes: 1754,
  /** Bytes a `debug` exporter (verbosity basic) writes to the function's log per export: one line. */
  debugBasicLineBytes: 150,
  /** Gzip-compressed bytes a span takes in one invocation's export, and in a batch (BENCHMARKS.md). */
  gzipSpanInExportBytes: 127.4,
  gzipSpanInBatchBytes: 45.3,
  /** HTTP headers of one export request (BENCHMARKS.md). */
  exportHeaderBytes: 400,
  /** CPU µs per span: the sampling tier and the load-balancing tier (BENCHMARKS.md, `npm run bench`). */
  samplingCpuMicrosPerSpan: 9.1,
  loadBalancingCpuMicrosPerSpan: 7.1,
  /** A gateway task (1 vCPU / 2 GB), the use it scales out at, and the fewest tasks a tier (BENCHMARKS.md). */
  taskVcpu: 1,
  taskGb: 2,
  taskCpuTarget: 0.6,
  minTasksPerTier: 2,
  /** Share of the load balancers' bytes sent to another zone's sampler (BENCHMARKS.md). */
  crossZoneShare: 0.67,
} as const;
