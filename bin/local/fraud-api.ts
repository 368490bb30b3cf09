import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer } from './local-server';

/** A request the stand-in received. */
export interface FraudRequest {
  /** The `traceparent` header the caller's fetch sent (its CLIENT span and sampling decision). */
  readonly traceparent?: string;
  readonly cardToken?: string;
  /** What the stand-in answered. */
  readonly status: number;
}

/**
 * A local stand-in for the example's outside fraud scoring API: `POST` a payment, get
 * `{"score": 0.12}` back. For the card token it was told to fail, it answers 503, as a fraud API
 * that is down would.
 */
export class FraudApiStandIn extends LocalServer {
  readonly requests: FraudRequest[] = [];

  constructor(private readonly failingCardToken?: string) {
    super();
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    let cardToken: string | undefined;
    try {
      cardToken = (JSON.parse(body) as { cardToken?: string }).cardToken;
    } catch {
      // not JSON: scored all the same
    }
    const status = cardToken !== undefined && cardToken === this.failingCardToken ? 503 : 200;
    this.requests.push({ traceparent: req.headers.traceparent as string | undefined, cardToken, status });
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify(status === 200 ? { score: 0.12 } : { message: 'fraud scoring is unavailable' }));
  }
}
