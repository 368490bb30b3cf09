import { Token } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/** What an always-keep rule matches. */
export enum AlwaysKeepKind {
  /** An HTTP route of API Gateway (HTTP or REST API), an ALB or a function URL. */
  ROUTE = 'route',
  /** The SQS queue a batch comes from. */
  QUEUE = 'queue',
}

/** The HTTP methods a route rule accepts (`ANY` matches every method). */
const METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/**
 * An operation whose traces are always kept, whatever the sampling ratio: an invocation that
 * matches it is sampled even when the ratio or an unsampled parent would drop it, and so is
 * everything it calls or sends downstream (the sampled flag travels with the context).
 *
 * The runtime matches the rule when the invocation starts, against the event: a route against
 * the API Gateway route key (`POST /payments`), the REST resource or the request path; a queue
 * against the ARN of the SQS batch's queue.
 *
 * @example
 * TracingSettings.set(app, {
 *   samplingRatio: 0.01,
 *   alwaysKeep: [AlwaysKeep.route('POST /refunds')],
 * });
 * queue.addConsumer(reconcile, { alwaysKeep: true }); // AlwaysKeep.queue(queue) on reconcile
 */
export class AlwaysKeep {
  /**
   * Keep every trace of a route: `'POST /payments'`, `'/payments'` (any method, same as
   * `'ANY /payments'`), or `'$default'` (the HTTP API default route). The path is the route as
   * declared in API Gateway (`/payments/{id}`), or the request path for an ALB or function URL.
   */
  public static route(route: string): AlwaysKeep {
    const text = String(route ?? '').trim();
    return new AlwaysKeep(AlwaysKeepKind.ROUTE, text, `route '${text}'`, routeProblem(text));
  }

  /** Keep every trace that passes through a queue (the batches its consumers receive). */
  public static queue(queue: sqs.IQueue): AlwaysKeep {
    return new AlwaysKeep(AlwaysKeepKind.QUEUE, queue.queueArn, `queue ${queue.node.path}`, undefined, queue);
  }

  private constructor(
    /** What the rule matches. */
    public readonly kind: AlwaysKeepKind,
    /** The route (`POST /payments`) or the queue ARN (a token until deploy). */
    public readonly value: string,
    /** The rule as people read it, for messages. */
    public readonly description: string,
    /** Why the rule is malformed, if it is (reported at synth with the prop that holds it). */
    public readonly problem?: string,
    /** The queue of a queue rule. */
    public readonly queueConstruct?: sqs.IQueue,
  ) {}

  /** The rule as the runtime reads it from `TRACING_ALWAYS_KEEP` (`route:POST /payments`). */
  public get text(): string {
    return `${this.kind}:${this.value}`;
  }
}

/** The method (upper case, `ANY` when absent) and path of a well-formed route rule. */
export function routeParts(text: string): { method: string; path: string } {
  if (text === '$default') return { method: 'ANY', path: '$default' };
  const parts = text.split(/\s+/);
  return parts.length === 1
    ? { method: 'ANY', path: parts[0] }
    : { method: parts[0].toUpperCase(), path: parts.slice(1).join(' ') };
}

function routeProblem(text: string): string | undefined {
  if (Token.isUnresolved(text)) {
    return `route must be known at synth (got a token: ${text})`;
  }
  if (text === '$default') return undefined;
  const parts = text.split(/\s+/);
  if (text === '' || parts.length > 2) {
    return `route must look like 'POST /payments' or '/payments' (got '${text}')`;
  }
  const { method, path } = routeParts(text);
  if (!METHODS.includes(method)) {
    return `route '${text}' has an unknown method '${parts[0]}'; use one of ${METHODS.join(', ')}`;
  }
  if (!path.startsWith('/') || path.includes(';')) {
    return `route '${text}' must have a path that starts with '/' and has no ';'`;
  }
  return undefined;
}
