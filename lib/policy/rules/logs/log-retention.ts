import { findMissingRetention } from '../../../settings/private/log-retention-check';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, TracingRule } from '../../rule';

/** The id of the rule {@link logRetention}. */
export const LOG_RETENTION = 'CST-LogRetention';

/**
 * `CST-LogRetention`: a log group without retention, or a function that is not traced and writes
 * to the log group Lambda creates for it (kept forever).
 */
export const logRetention: TracingRule = {
  id: LOG_RETENTION,
  level: RuleLevel.WARNING,
  summary:
    'A log group without retention, or a function without a log group of its own (Lambda creates ' +
    '/aws/lambda/<name> without retention), keeps and bills its logs forever.',
  fix:
    'Set the retention of the log group (e.g. logs.RetentionDays.ONE_MONTH); give a function its own, ' +
    "logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }), or trace it " +
    '(a TracingPolicy gives the functions it traces a log group)',
  evaluate(node, context) {
    const finding = findMissingRetention(node, (fn) => context.isTraced(fn));
    if (finding.compliance === 'non-compliant') {
      return nonCompliant(finding.message);
    }
    return finding.compliance === 'compliant' ? COMPLIANT : NOT_APPLICABLE;
  },
};
