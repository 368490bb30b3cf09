import type { APIGatewayProxyHandlerV2, APIGatewayProxyResultV2 } from 'aws-lambda';

/** The fraud API's answer: a risk score from 0 (safe) to 1 (fraud). */
interface FraudScore {
  readonly score: number;
}

interface PaymentRequest {
  readonly amount: number;
  readonly currency: string;
  readonly cardToken: string;
}

const FRAUD_API_URL = process.env.FRAUD_API_URL ?? 'https://fraud.example.com/v1/score';
const FRAUD_THRESHOLD = Number(process.env.FRAUD_THRESHOLD ?? '0.8');
const FRAUD_API_TIMEOUT_MS = 2000;

/**
 * POST /payments: scores the payment with the outside fraud API, then answers
 * 201 (authorized), 402 (declined: score too high), 400 (bad request) or 502 (fraud API failed).
 */
export const handler: APIGatewayProxyHandlerV2 = async (event) => {
  const payment = parsePayment(event.body, event.isBase64Encoded);
  if (!payment) {
    return json(400, { message: 'expected a JSON body with amount, currency and cardToken' });
  }

  let fraud: FraudScore;
  try {
    const response = await fetch(FRAUD_API_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        amount: payment.amount,
        currency: payment.currency,
        cardToken: payment.cardToken,
      }),
      signal: AbortSignal.timeout(FRAUD_API_TIMEOUT_MS),
    });
    if (!response.ok) {
      return json(502, { message: `fraud API answered ${response.status}` });
    }
    fraud = (await response.json()) as FraudScore;
    if (typeof fraud.score !== 'number') {
      return json(502, { message: 'fraud API answered without a score' });
    }
  } catch (err) {
    return json(502, { message: `fraud API failed: ${(err as Error).message}` });
  }

  if (fraud.score >= FRAUD_THRESHOLD) {
    return json(402, { status: 'declined', score: fraud.score });
  }
  // The reconcile function receives authorized payments over SNS/SQS in a later issue.
  return json(201, { status: 'authorized', paymentId: event.requestContext.requestId, score: fraud.score });
};

function parsePayment(body: string | undefined, base64: boolean): PaymentRequest | undefined {
  if (!body) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(
      base64 ? Buffer.from(body, 'base64').toString('utf8') : body,
    ) as Partial<PaymentRequest>;
    if (
      typeof parsed.amount === 'number' &&
      parsed.amount > 0 &&
      typeof parsed.currency === 'string' &&
      typeof parsed.cardToken === 'string'
    ) {
      return parsed as PaymentRequest;
    }
  } catch {
    // not JSON: a bad request
  }
  return undefined;
}

function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
