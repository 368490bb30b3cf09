import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A request as it arrived at the endpoint. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the endpoint answers. */
export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * An HTTP server on 127.0.0.1 that records every request and answers with `handle`: the stand-in
 * for AWS services (real SDK clients are pointed at it with `endpoint`) and for trace query APIs.
 */
export class LocalEndpoint {
  public readonly requests: RecordedRequest[] = [];
  private server?: Server;

  constructor(private readonly handle: (request: RecordedRequest) => Answer) {}

  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(request);
        let answer: Answer;
        try {
          answer = this.handle(request);
        } catch (error) {
          answer = { status: 500, body: String((error as Error).stack) };
        }
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Credentials and region for SDK clients pointed at a local endpoint. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  };
}

/** A fixture of this folder, parsed. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as T;
}

/** A recorded trace: the OTLP export requests of one run of the example flow. */
export interface RecordedTrace {
  /** The trace id the run was started with. */
  readonly traceId: string;
  /** The `traceparent` sent to the entry. */
  readonly traceparent: string;
  /** The OTLP/JSON export requests the functions sent (as the collector received them). */
  readonly exports: unknown[];
}

/** The trace id and root parent span id of the recorded example run (the fixtures carry them). */
export const RECORDED_TRACE_ID = '6b015185523659ce4989be29db0738a3';
export const RECORDED_ROOT_SPAN_ID = '5f7e215938b97350';

/** The recorded X-Ray `BatchGetTraces` answer of the example run. */
export interface RecordedXrayAnswer {
  readonly Traces: { readonly Segments: { readonly Id: string; readonly Document: string }[] }[];
}

/** The trace id and parent span id a Lambda Invoke request's event carries in its `traceparent`. */
export function sentIds(invoke: RecordedRequest): { traceId: string; spanId: string } {
  const event = JSON.parse(invoke.body) as { headers: { traceparent: string } };
  const [, traceId, spanId] = event.headers.traceparent.split('-');
  return { traceId, spanId };
}

/**
 * A recorded answer with the recorded ids replaced by `ids` (in X-Ray's `1-…-…` form or W3C's),
 * so that the trace read back is the one the check's invocation started.
 */
export function withIds(
  text: string,
  ids: { traceId: string; spanId: string },
  form: 'xray' | 'w3c',
): string {
  const xray = (id: string) => `1-${id.slice(0, 8)}-${id.slice(8)}`;
  const from = form === 'xray' ? xray(RECORDED_TRACE_ID) : RECORDED_TRACE_ID;
  const to = form === 'xray' ? xray(ids.traceId) : ids.traceId;
  return text.replaceAll(from, to).replaceAll(RECORDED_ROOT_SPAN_ID, ids.spanId);
}

// ---- X-Ray's trace retrieval API (CloudWatch Transaction Search) ------------------------------

/** The OTLP span kinds by number, as the span documents name them. */
const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

interface OtlpKeyValue {
  readonly key: string;
  readonly value: Record<string, unknown>;
}

function flat(attributes: readonly OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes ?? []) {
    const v = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (v !== undefined) out[key] = typeof v === 'string' && value.intValue !== undefined ? Number(v) : v;
  }
  return out;
}

/**
 * The spans of the recorded example run (`example-trace.otlp.json`, the OTLP exports the functions
 * sent) of the trace `ids.traceId` as `ListRetrievedTraces` returns them in the OTEL format: one
 * `{ Id, Document }` per span,
 * the document one span as Transaction Search keeps it (W3C ids, flat `attributes` and
 * `resource.attributes`, `kind` by name), with the recorded ids replaced by `ids`.
 */
export function retrievedOtelSpans(ids: {
  traceId: string;
  spanId: string;
}): { Id: string; Document: string }[] {
  const recorded = JSON.parse(
    withIds(readFileSync(join(__dirname, 'fixtures', 'example-trace.otlp.json'), 'utf8'), ids, 'w3c'),
  ) as RecordedTrace;
  const out: { Id: string; Document: string }[] = [];
  for (const request of recorded.exports as {
    resourceSpans: {
      resource?: { attributes?: OtlpKeyValue[] };
      scopeSpans: { scope?: unknown; spans: Record<string, unknown>[] }[];
    }[];
  }[]) {
    for (const resourceSpans of request.resourceSpans) {
      for (const scopeSpans of resourceSpans.scopeSpans) {
        for (const span of scopeSpans.spans) {
          // A retrieval returns the spans of the trace asked for (an SQS batch span is a trace of its own).
          if (span.traceId !== ids.traceId) continue;
          const document = {
            resource: { attributes: flat(resourceSpans.resource?.attributes) },
            scope: scopeSpans.scope,
            traceId: span.traceId,
            spanId: span.spanId,
            ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
            flags: span.flags,
            name: span.name,
            kind: KIND_NAMES[span.kind as number] ?? 'UNSPECIFIED',
            startTimeUnixNano: Number(span.startTimeUnixNano),
            endTimeUnixNano: Number(span.endTimeUnixNano),
            attributes: flat(span.attributes as OtlpKeyValue[]),
            links: ((span.links as { traceId: string; spanId: string }[]) ?? []).map((l) => ({
              traceId: l.traceId,
              spanId: l.spanId,
            })),
            status: { code: 'UNSET' },
          };
          out.push({ Id: span.spanId as string, Document: JSON.stringify(document) });
        }
      }
    }
  }
  return out;
}

/** A retrieval the stand-in started. */
export interface StandInRetrieval {
  readonly traceIds: string[];
  readonly startTime: number;
  readonly endTime: number;
  /** How many `ListRetrievedTraces` calls it answered. */
  lists: number;
}

/**
 * A stand-in for X-Ray's trace retrieval API as its reference documents it (REST JSON):
 *
 * - `POST /StartTraceRetrieval` `{ TraceIds, StartTime, EndTime }` (all required, times in epoch
 *   seconds) → `{ RetrievalToken }`; a missing field is `InvalidRequestException` (400).
 * - `POST /ListRetrievedTraces` `{ RetrievalToken, TraceFormat?, NextToken? }` →
 *   `{ RetrievalStatus, TraceFormat, Traces: [{ Id, Duration, Spans: [{ Id, Document }] }], NextToken }`;
 *   `RUNNING` (and nothing else) for the first `runningLists` calls of a retrieval, then
 *   `COMPLETE` with the spans in pages of `pageSize`; a token it did not give is
 *   `ResourceNotFoundException` (404).
 *
 * `status` overrides the state a retrieval reaches (`FAILED`, …).
 */
export class XRayRetrievalStandIn {
  public readonly retrievals = new Map<string, StandInRetrieval>();
  public runningLists = 1;
  public pageSize = 4;
  public status = 'COMPLETE';

  /** The spans of a trace (X-Ray id): none unless given. */
  constructor(public spans: (xrayTraceId: string) => { Id: string; Document: string }[]) {}

  public reset(): void {
    this.retrievals.clear();
    this.runningLists = 1;
    this.pageSize = 4;
    this.status = 'COMPLETE';
  }

  /** The answer to a request of the retrieval API; undefined for any other request. */
  public handle(request: RecordedRequest): Answer | undefined {
    if (request.method !== 'POST') return undefined;
    if (request.url === '/StartTraceRetrieval') {
      const body = JSON.parse(request.body || '{}') as {
        TraceIds?: string[];
        StartTime?: number;
        EndTime?: number;
      };
      if (!body.TraceIds?.length || typeof body.StartTime !== 'number' || typeof body.EndTime !== 'number') {
        return error(400, 'InvalidRequestException', 'TraceIds, StartTime and EndTime are required');
      }
      const token = `retrieval-${this.retrievals.size + 1}`;
      this.retrievals.set(token, {
        traceIds: body.TraceIds,
        startTime: body.StartTime,
        endTime: body.EndTime,
        lists: 0,
      });
      return json({ RetrievalToken: token });
    }
    if (request.url === '/ListRetrievedTraces') {
      const body = JSON.parse(request.body || '{}') as {
        RetrievalToken?: string;
        TraceFormat?: string;
        NextToken?: string;
      };
      const retrieval = this.retrievals.get(body.RetrievalToken ?? '');
      if (!retrieval) {
        return error(404, 'ResourceNotFoundException', `Retrieval token ${body.RetrievalToken} not found`);
      }
      retrieval.lists++;
      if (retrieval.lists <= this.runningLists) return json({ RetrievalStatus: 'RUNNING' });
      if (this.status !== 'COMPLETE') return json({ RetrievalStatus: this.status });
      const all = retrieval.traceIds.flatMap((id) => this.spans(id).map((span) => ({ id, span })));
      const start = body.NextToken ? Number(body.NextToken.split(':')[1]) : 0;
      const page = all.slice(start, start + this.pageSize);
      const next =
        start + this.pageSize < all.length ? `${body.RetrievalToken}:${start + this.pageSize}` : undefined;
      const traces = retrieval.traceIds
        .map((id) => ({ Id: id, Duration: 0.25, Spans: page.filter((p) => p.id === id).map((p) => p.span) }))
        .filter((t) => t.Spans.length > 0);
      return json({
        RetrievalStatus: 'COMPLETE',
        TraceFormat: body.TraceFormat ?? 'XRAY',
        Traces: traces,
        ...(next ? { NextToken: next } : {}),
      });
    }
    return undefined;
  }
}

function json(body: unknown): Answer {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function error(status: number, type: string, message: string): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ Message: message }),
  };
}

// ---- CloudWatch Logs Insights (the Transaction Search span log group) --------------------------

/** A query the Logs Insights stand-in started. */
export interface StandInQuery {
  readonly logGroupName: string;
  readonly startTime: number;
  readonly endTime: number;
  readonly queryString: string;
  readonly limit?: number;
  /** The trace ids of its `filter traceId in [...]`. */
  readonly traceIds: string[];
  /** How many `GetQueryResults` calls it answered. */
  reads: number;
  stopped: boolean;
}

/**
 * A stand-in for CloudWatch Logs Insights as the CloudWatch Logs API reference documents it (JSON
 * 1.1: `POST /`, `X-Amz-Target: Logs_20140328.<action>`; errors as `{ __type, message }`):
 *
 * - `StartQuery` `{ logGroupName, startTime, endTime, queryString, limit? }` (times in epoch
 *   seconds) → `{ queryId }`; a log group it does not hold is `ResourceNotFoundException`, a query
 *   without `filter traceId in [...]` is `MalformedQueryException`, the first `limitExceeded`
 *   calls are `LimitExceededException`.
 * - `GetQueryResults` `{ queryId }` → `{ status, results, statistics }`: the statuses of `pending`
 *   in turn (`Scheduled`, then `Running`, with no rows), then `status` (`Complete` with the rows:
 *   one `[{ field: '@message', value }, { field: '@ptr', value }]` per span document, at most
 *   `limit`; `statistics.recordsMatched` counts them all). A query id it did not give is
 *   `ResourceNotFoundException`.
 * - `StopQuery` `{ queryId }` → `{ success }` (true while the query was not complete).
 *
 * It does not filter by time: the windows are checked by the tests.
 */
export class LogsInsightsStandIn {
  public readonly queries = new Map<string, StandInQuery>();
  public logGroups = ['aws/spans'];
  public pending = ['Scheduled', 'Running'];
  public status = 'Complete';
  public limitExceeded = 0;

  /** The span documents (`@message`) of a trace id as the query names it: none unless given. */
  constructor(public spans: (traceId: string) => string[]) {}

  public reset(): void {
    this.queries.clear();
    this.logGroups = ['aws/spans'];
    this.pending = ['Scheduled', 'Running'];
    this.status = 'Complete';
    this.limitExceeded = 0;
  }

  /** The answer to a CloudWatch Logs request; undefined for any other request. */
  public handle(request: RecordedRequest): Answer | undefined {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith('Logs_20140328.')) return undefined;
    const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
    switch (target.slice('Logs_20140328.'.length)) {
      case 'StartQuery': {
        const { logGroupName, startTime, endTime, queryString, limit } = body as {
          logGroupName?: string;
          startTime?: number;
          endTime?: number;
          queryString?: string;
          limit?: number;
        };
        if (typeof startTime !== 'number' || typeof endTime !== 'number' || !queryString) {
          return logsError('InvalidParameterException', 'startTime, endTime and queryString are required');
        }
        if (!logGroupName || !this.logGroups.includes(logGroupName)) {
          return logsError('ResourceNotFoundException', 'The specified log group does not exist.');
        }
        if (this.limitExceeded > 0) {
          this.limitExceeded--;
          return logsError(
            'LimitExceededException',
            'Account maximum query concurrency limit of [100] reached.',
          );
        }
        const filter = /\|\s*filter traceId in \[([^\]]*)\]/.exec(queryString);
        if (!queryString.startsWith('fields @message') || !filter) {
          return logsError('MalformedQueryException', 'unexpected symbol found in the query');
        }
        const traceIds = [...filter[1].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
        const queryId = `00000000-0000-4000-8000-${String(this.queries.size + 1).padStart(12, '0')}`;
        this.queries.set(queryId, {
          logGroupName,
          startTime,
          endTime,
          queryString,
          limit,
          traceIds,
          reads: 0,
          stopped: false,
        });
        return logsJson({ queryId });
      }
      case 'GetQueryResults': {
        const query = this.queries.get(String(body.queryId));
        if (!query) return logsError('ResourceNotFoundException', 'The specified query could not be found.');
        query.reads++;
        if (query.stopped) return logsJson({ status: 'Cancelled', results: [] });
        if (query.reads <= this.pending.length) {
          return logsJson({ status: this.pending[query.reads - 1], results: [] });
        }
        if (this.status !== 'Complete') return logsJson({ status: this.status, results: [] });
        const documents = [...new Set(query.traceIds.flatMap((id) => this.spans(id)))];
        const rows = documents.slice(0, query.limit ?? 10_000).map((value, i) => [
          { field: '@message', value },
          { field: '@ptr', value: `ptr-${i}` },
        ]);
        return logsJson({
          status: 'Complete',
          results: rows,
          statistics: {
            recordsMatched: documents.length,
            recordsScanned: documents.length * 10,
            bytesScanned: documents.join('').length * 10,
          },
        });
      }
      case 'StopQuery': {
        const query = this.queries.get(String(body.queryId));
        if (!query) return logsError('ResourceNotFoundException', 'The specified query could not be found.');
        const running = !query.stopped && query.reads <= this.pending.length;
        query.stopped = true;
        return logsJson({ success: running });
      }
      default:
        return logsError('UnknownOperationException', `The action ${target} is not valid for this endpoint.`);
    }
  }
}

/**
 * The spans of the recorded example run of the trace `ids.traceId` as the `aws/spans` log group
 * holds them: the `@message` of each span's log event (W3C ids, flat `attributes` and
 * `resource.attributes`, `kind` by name).
 */
export function spanLogEvents(ids: { traceId: string; spanId: string }): string[] {
  return retrievedOtelSpans(ids).map((span) => span.Document);
}

function logsJson(body: unknown): Answer {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(body),
  };
}

function logsError(type: string, message: string): Answer {
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ __type: type, message }),
  };
}
