import { Duration } from 'aws-cdk-lib';

/**
 * One pair of look-back windows of a multiwindow burn-rate alarm (Google SRE Workbook, "Alerting
 * on SLOs"): the alarm fires when the burn rate over both the long and the short window is above
 * the threshold. The long window says the budget really is being spent; the short one says it
 * still is, so the alarm clears soon after the problem stops.
 *
 * The threshold is derived from the share of the whole error budget that the long window may
 * spend: `burn rate = budgetConsumed / 100 × interval / longWindow` (a burn rate of 1 spends the
 * budget exactly over the SLO's interval).
 */
export interface BurnRateWindow {
  /**
   * The long look-back window. Whole minutes, at most 7 days (the longest look-back window of an
   * Application Signals SLO) and no longer than the SLO's interval.
   */
  readonly longWindow: Duration;

  /** The short look-back window, shorter than `longWindow` (the SRE Workbook uses 1/12). Whole minutes. */
  readonly shortWindow: Duration;

  /**
   * The share of the whole error budget, in percent (0–100], that spending at the threshold burn
   * rate for `longWindow` consumes.
   */
  readonly budgetConsumed: number;

  /**
   * A short name for the pair, used in construct ids and alarm descriptions (letters and digits).
   *
   * @default - from the windows, e.g. `1h5m`
   */
  readonly name?: string;
}

/** Ready-made sets of burn-rate windows. */
export class BurnRateWindows {
  /**
   * The SRE Workbook's recommended set: page at 2% of the budget in 1 h (checked over 5 min),
   * page at 5% in 6 h (30 min), ticket at 10% in 3 days (6 h). Over a 30-day interval these are
   * burn rates of 14.4, 6 and 1.
   */
  public static sreWorkbook(): BurnRateWindow[] {
    return [
      { name: 'fast', longWindow: Duration.hours(1), shortWindow: Duration.minutes(5), budgetConsumed: 2 },
      { name: 'medium', longWindow: Duration.hours(6), shortWindow: Duration.minutes(30), budgetConsumed: 5 },
      { name: 'slow', longWindow: Duration.days(3), shortWindow: Duration.hours(6), budgetConsumed: 10 },
    ];
  }

  /** The two paging pairs of the SRE Workbook's set (1 h / 5 min at 2%, 6 h / 30 min at 5%), without the 3-day ticket. */
  public static paging(): BurnRateWindow[] {
    return BurnRateWindows.sreWorkbook().slice(0, 2);
  }

  private constructor() {}
}
