import { Token } from 'aws-cdk-lib';

/**
 * Links into the AWS console, for dashboards and alarm descriptions. Each takes the region (a
 * literal or a token such as `Stack.of(this).region`) and gives a URL; tokens stay tokens.
 */

/** The console host of a region: `https://<region>.console.aws.amazon.com`. */
function consoleHost(region: string): string {
  return `https://${region}.console.aws.amazon.com`;
}

/**
 * The CloudWatch console's encoding of a value inside its URL fragment (the one its own links
 * use): letters, digits, `-`, `_` and `.` as they are, every other character as `*` and its two
 * hex digits (`"` → `*22`, space → `*20`). Tokens are left whole.
 */
export function cloudWatchFragmentValue(text: string): string {
  if (Token.isUnresolved(text)) {
    // Only the literal parts are encoded; a token's value (a name or a region) needs no encoding.
    return text
      .split(/(\$\{Token\[[^\]]+\]\})/)
      .map((part) => (part.startsWith('${Token[') ? part : cloudWatchFragmentValue(part)))
      .join('');
  }
  return [...text]
    .map((c) =>
      /[A-Za-z0-9\-_.]/.test(c)
        ? c
        : [...Buffer.from(c, 'utf8')].map((b) => `*${b.toString(16).padStart(2, '0')}`).join(''),
    )
    .join('');
}

/**
 * The CloudWatch console's X-Ray trace query (Application Signals → Traces; with Transaction
 * Search, the spans of the same query) for a filter expression, over the last `hours` hours:
 * `…/cloudwatch/home?region=<r>#xray:traces/query?~(query~(expression~'<expression>')~context~(timeRange~(delta~<ms>)))`.
 */
export function traceQueryUrl(region: string, filterExpression: string, hours = 3): string {
  return (
    `${consoleHost(region)}/cloudwatch/home?region=${region}#xray:traces/query?~(query~(expression~'` +
    `${cloudWatchFragmentValue(filterExpression)}')~context~(timeRange~(delta~${hours * 3_600_000})))`
  );
}

/** The traces of one service (`service("<name>")`, the `service.name` its spans carry). */
export function serviceTracesUrl(region: string, serviceName: string, hours = 3): string {
  return traceQueryUrl(region, `service(${JSON.stringify(serviceName)})`, hours);
}

/** The traces of one service that have an error or a fault. */
export function serviceErrorTracesUrl(region: string, serviceName: string, hours = 3): string {
  return traceQueryUrl(
    region,
    `service(${JSON.stringify(serviceName)}) { error = true OR fault = true }`,
    hours,
  );
}

/** A CloudWatch dashboard: `…/cloudwatch/home?region=<r>#dashboards/dashboard/<name>`. */
export function dashboardUrl(region: string, dashboardName: string): string {
  return `${consoleHost(region)}/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboardName}`;
}

/** A Lambda function's page in the Lambda console (its monitoring and logs are a tab away). */
export function functionConsoleUrl(region: string, functionName: string): string {
  return `${consoleHost(region)}/lambda/home?region=${region}#/functions/${functionName}`;
}
