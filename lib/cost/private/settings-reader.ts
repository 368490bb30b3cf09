import type { IConstruct } from 'constructs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { SETTINGS_ID } from '../../core/constants';
import { mergeDefined } from '../../core/merge';
import type { TracingTraffic } from '../tracing-traffic';

/**
 * What the estimate reads of the tracing settings (the settings import this folder, so it reads
 * them by the child id they are stored under rather than by importing `TracingSettings`).
 */
export interface CostSettings {
  readonly samplingRatio?: number;
  readonly samplingMode?: 'head' | 'collector' | 'tail';
  readonly headSamplingRatio?: number;
  readonly keepErrors?: boolean;
  readonly logRetention?: logs.RetentionDays;
  readonly alwaysKeep?: { readonly kind: string; readonly value: string }[];
  readonly exporter?: {
    readonly kind: string;
    readonly verbosity?: string;
    readonly transactionSearch?: { readonly indexingPercentage?: number; readonly spansRetention?: number };
    readonly gateway?: unknown;
  };
  readonly traffic?: TracingTraffic;
}

/**
 * The settings that apply at a construct, merged from the root down (nearer wins; `alwaysKeep`
 * rules add up), and the traffic with the path of the scope that set it. With `ownOnly`, only the
 * settings stored on the construct itself.
 */
export function readSettings(
  construct: IConstruct,
  ownOnly = false,
): { options: CostSettings; traffic?: { value: TracingTraffic; from: string } } {
  let options: CostSettings = {};
  const alwaysKeep: { kind: string; value: string }[] = [];
  let traffic: { value: TracingTraffic; from: string } | undefined;
  for (const scope of ownOnly ? [construct] : construct.node.scopes) {
    const child = scope.node.tryFindChild(SETTINGS_ID) as { options?: CostSettings } | undefined;
    const own = child?.options;
    if (!own) continue;
    options = mergeDefined(options, own);
    alwaysKeep.push(...(own.alwaysKeep ?? []));
    if (own.traffic) traffic = { value: own.traffic, from: scope.node.path || '<app>' };
  }
  return { options: { ...options, alwaysKeep }, ...(traffic ? { traffic } : {}) };
}
