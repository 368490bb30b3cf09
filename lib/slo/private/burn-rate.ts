import { Duration, Token } from 'aws-cdk-lib';
import type { BurnRateWindow } from '../burn-rate-window';

/** The longest look-back window of an Application Signals SLO burn-rate configuration (7 days). */
export const MAX_LOOK_BACK_MINUTES = 10080;

/** A burn-rate window pair with its minutes and threshold worked out. */
export interface ResolvedBurnRateWindow {
  readonly name: string;
  readonly longMinutes: number;
  readonly shortMinutes: number;
  readonly budgetConsumed: number;
  /** The burn rate both windows must exceed. */
  readonly threshold: number;
}

/**
 * The burn rate at which `longMinutes` spends `budgetConsumed` percent of the error budget of an
 * interval of `intervalMinutes`: `budgetConsumed / 100 × interval / longWindow`, rounded to 4
 * decimals (1 h at 2% of 30 days: 14.4).
 */
export function burnRateThreshold(
  budgetConsumed: number,
  intervalMinutes: number,
  longMinutes: number,
): number {
  return Math.round(((budgetConsumed / 100) * intervalMinutes * 10000) / longMinutes) / 10000;
}

/** `1h5m`-style label for a window pair. */
export function windowLabel(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

function wholeMinutes(duration: Duration): number | undefined {
  if (Token.isUnresolved(duration.toSeconds())) return undefined;
  const seconds = duration.toSeconds();
  return seconds > 0 && seconds % 60 === 0 ? seconds / 60 : undefined;
}

/**
 * Checks the window pairs against the SLO interval and works out their thresholds. Problems are
 * pushed to `errors` (each names the prop and the fix).
 */
export function resolveBurnRateWindows(
  windows: readonly BurnRateWindow[],
  intervalMinutes: number,
  errors: string[],
): ResolvedBurnRateWindow[] {
  if (windows.length === 0) {
    errors.push(
      'burnRateWindows is empty: give at least one window pair, or leave it out for BurnRateWindows.sreWorkbook()',
    );
  }
  const resolved: ResolvedBurnRateWindow[] = [];
  const names = new Set<string>();
  windows.forEach((window, index) => {
    const at = `burnRateWindows[${index}]`;
    const longMinutes = wholeMinutes(window.longWindow);
    const shortMinutes = wholeMinutes(window.shortWindow);
    let ok = true;
    if (longMinutes === undefined) {
      errors.push(`${at}.longWindow must be a whole number of minutes above 0 (e.g. Duration.hours(1))`);
      ok = false;
    } else if (longMinutes > MAX_LOOK_BACK_MINUTES) {
      errors.push(
        `${at}.longWindow is ${longMinutes} minutes: an SLO's look-back window is at most ${MAX_LOOK_BACK_MINUTES} minutes (7 days); shorten it`,
      );
      ok = false;
    } else if (longMinutes > intervalMinutes) {
      errors.push(
        `${at}.longWindow (${longMinutes} minutes) is longer than the SLO interval (${intervalMinutes} minutes); shorten the window or lengthen interval`,
      );
      ok = false;
    }
    if (shortMinutes === undefined) {
      errors.push(`${at}.shortWindow must be a whole number of minutes above 0 (e.g. Duration.minutes(5))`);
      ok = false;
    } else if (longMinutes !== undefined && shortMinutes >= longMinutes) {
      errors.push(
        `${at}.shortWindow (${shortMinutes} minutes) must be shorter than longWindow (${longMinutes} minutes); the SRE Workbook uses 1/12 of it`,
      );
      ok = false;
    }
    if (
      !Number.isFinite(window.budgetConsumed) ||
      window.budgetConsumed <= 0 ||
      window.budgetConsumed > 100
    ) {
      errors.push(
        `${at}.budgetConsumed is ${window.budgetConsumed}: give the percent of the error budget the long window may spend, above 0 and at most 100 (e.g. 2)`,
      );
      ok = false;
    }
    if (window.name !== undefined && !/^[A-Za-z0-9]{1,32}$/.test(window.name)) {
      errors.push(`${at}.name "${window.name}" must be 1–32 letters or digits`);
      ok = false;
    }
    if (!ok || longMinutes === undefined || shortMinutes === undefined) return;
    const name = window.name ?? `${windowLabel(longMinutes)}${windowLabel(shortMinutes)}`;
    if (names.has(name)) {
      errors.push(`${at}: a window pair named "${name}" is already there; give each pair its own name`);
      return;
    }
    names.add(name);
    resolved.push({
      name,
      longMinutes,
      shortMinutes,
      budgetConsumed: window.budgetConsumed,
      threshold: burnRateThreshold(window.budgetConsumed, intervalMinutes, longMinutes),
    });
  });
  return resolved;
}

/** Every look-back window the pairs use, each once, shortest first. */
export function lookBackWindows(windows: readonly ResolvedBurnRateWindow[]): number[] {
  return [...new Set(windows.flatMap((w) => [w.shortMinutes, w.longMinutes]))].sort((a, b) => a - b);
}
