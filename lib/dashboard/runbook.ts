import { IResolvable, Lazy, Token, Tokenization } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** CloudWatch's limit on an alarm's description (`AlarmDescription`), in characters. */
export const MAX_ALARM_DESCRIPTION = 1024;

/**
 * What an unresolved token is counted as: the longest value of a pseudo parameter (a region, an
 * account), else 96 (a name CloudFormation generates, `<stack>-<logical id>-<suffix>`, or one of
 * Lambda's 64 characters).
 */
const TOKEN_LENGTH = 96;
const PSEUDO_LENGTHS: Readonly<Record<string, number>> = {
  'AWS::Region': 16,
  'AWS::AccountId': 12,
  'AWS::Partition': 16,
  'AWS::URLSuffix': 16,
  'AWS::StackName': 128,
};

/** A link of a runbook. */
export interface RunbookLink {
  /** What it opens (`Dashboard`, `Traces of payments-authorize`). */
  readonly label: string;

  /**
   * The URL: a string (tokens allowed), or a function called at synth when the app is complete
   * (for what only the trace map knows, such as a function's service name). A function that
   * returns `undefined` leaves the link out.
   */
  readonly url: string | (() => string | undefined);
}

/** What an alarm's description says: its runbook. */
export interface Runbook {
  /** What the alarm going off means, in one or two sentences. */
  readonly meaning: string;

  /**
   * The first query to run: a CloudWatch Logs Insights query (say on which log group) or a trace
   * filter expression.
   *
   * @default - no query
   */
  readonly firstQuery?: string;

  /**
   * Links: the flow's dashboard, its traces. A `FlowDashboard` adds its own link to the runbooks
   * of the alarms it is given.
   *
   * @default - no link
   */
  readonly links?: RunbookLink[];
}

/** The runbooks behind descriptions made by `runbookDescription`, by their token. */
const RUNBOOKS = new Map<string, { runbook: Runbook; links: RunbookLink[] }>();

/**
 * An alarm's description that is its runbook: what it means, the first query to run and the
 * links, in this form:
 *
 * ```text
 * <meaning>
 * First query: <query>
 * Dashboard: <url>
 * Traces of payments-authorize: <url>
 * ```
 *
 * It is rendered at synth (links given as functions are called then, and links added later with
 * `addRunbookLink` are included) and always fits CloudWatch's 1024 characters, unresolved tokens
 * counted at their likely longest (a region as 16, a generated name as 96): links are dropped from the last, then the query and the meaning are shortened
 * with `…`. Give it as `alarmDescription`.
 *
 * @example
 * new cloudwatch.Alarm(this, 'Errors', {
 *   alarmDescription: runbookDescription({
 *     meaning: 'Authorize fails more than 1% of payments.',
 *     firstQuery: 'Logs Insights on /aws/lambda/authorize: filter level = "ERROR" | stats count(*) by message',
 *     links: [{ label: 'Traces', url: serviceTracesUrl(Stack.of(this).region, 'payments-authorize') }],
 *   }),
 *   ...
 * });
 */
export function runbookDescription(runbook: Runbook): string {
  const state = { runbook, links: [...(runbook.links ?? [])] };
  const token = Lazy.string(
    { produce: () => renderRunbook(state.runbook, state.links) },
    { displayHint: 'runbook' },
  );
  RUNBOOKS.set(token, state);
  return token;
}

/**
 * Adds a link to the runbook of an alarm whose description came from `runbookDescription`
 * (a `FlowDashboard` adds itself this way). Returns `false`, and changes nothing, for an alarm
 * whose description is not a runbook.
 */
export function addRunbookLink(alarm: IConstruct, link: RunbookLink): boolean {
  const cfn = (alarm.node.defaultChild ?? alarm) as { alarmDescription?: unknown };
  const description = cfn.alarmDescription;
  const state = typeof description === 'string' ? RUNBOOKS.get(description) : undefined;
  if (!state) return false;
  if (!state.links.some((l) => l.label === link.label)) state.links.push(link);
  return true;
}

/** The length CloudWatch will see, each token counted at its likely longest (see `TOKEN_LENGTH`). */
export function estimatedLength(text: string): number {
  if (!Token.isUnresolved(text)) return text.length;
  const literals = text.replace(/\$\{Token\[[^\]]+\]\}/g, '').length;
  return Tokenization.reverseString(text).tokens.reduce((sum, token) => sum + tokenLength(token), literals);
}

function tokenLength(token: IResolvable): number {
  const value = (token as { value?: unknown }).value;
  const ref = value && typeof value === 'object' ? (value as { Ref?: unknown }).Ref : undefined;
  return (typeof ref === 'string' ? PSEUDO_LENGTHS[ref] : undefined) ?? TOKEN_LENGTH;
}

/** The runbook as text within `limit` characters (see `runbookDescription`). */
export function renderRunbook(
  runbook: Runbook,
  links: readonly RunbookLink[],
  limit = MAX_ALARM_DESCRIPTION,
): string {
  const resolved = links.flatMap((link) => {
    const url = typeof link.url === 'function' ? link.url() : link.url;
    return url === undefined ? [] : [`${link.label}: ${url}`];
  });
  let meaning = oneLine(runbook.meaning);
  let query = runbook.firstQuery !== undefined ? `First query: ${oneLine(runbook.firstQuery)}` : undefined;
  const text = () => [meaning, query, ...resolved].filter((l): l is string => l !== undefined).join('\n');
  while (estimatedLength(text()) > limit && resolved.length > 0) resolved.pop();
  if (query !== undefined && estimatedLength(text()) > limit) {
    query = shorten(query, Math.max(0, estimatedLength(query) - (estimatedLength(text()) - limit)));
    if (query === '') query = undefined;
  }
  if (estimatedLength(text()) > limit) meaning = shorten(meaning, limit);
  return text();
}

/** Text on one line (CloudWatch shows the description in notifications as it is). */
function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

/** The text cut to `max` characters with `…`, never inside a token. */
function shorten(text: string, max: number): string {
  if (estimatedLength(text) <= max) return text;
  if (max <= 1) return '';
  const parts = text.split(/(\$\{Token\[[^\]]+\]\})/);
  let out = '';
  for (const part of parts) {
    const isToken = part.startsWith('${Token[');
    if (estimatedLength(out) + estimatedLength(part) <= max - 1) {
      out += part;
      continue;
    }
    if (!isToken) out += part.slice(0, Math.max(0, max - 1 - estimatedLength(out)));
    break;
  }
  return `${out}…`;
}
