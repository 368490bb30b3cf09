import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyHandlerV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { traceAwsClient } from 'cdk-serverless-tracing/runtime';
import type { AuthorizedPayment } from './payment';

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
const PAYMENTS_TOPIC_ARN = process.env.PAYMENTS_TOPIC_ARN;

// Created once per execution environment; the middleware puts traceparent into every publish.
const sns = traceAwsClient(new SNSClient({}));

/**
 * POST /payments: scores the payment with the outside fraud API and publishes an authorized
 * payment to the payments topic, then answers 201 (authorized and published), 402 (declined:
 * score too high), 400 (bad request) or 502 (the fraud API or the publish failed).
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

  const authorized: AuthorizedPayment = {
    paymentId: event.requestContext.requestId,
    amount: payment.amount,
    currency: payment.currency,
    score: fraud.score,
    authorizedAt: new Date().toISOString(),
  };
  try {
    await sns.send(
      new PublishCommand({
        TopicArn: PAYMENTS_TOPIC_ARN,
        Message: JSON.stringify(authorized),
        MessageAttributes: { currency: { DataType: 'String', StringValue: payment.currency } },
      }),
    );
  } catch (err) {
    return json(502, { message: `publishing the payment failed: ${(err as Error).message}` });
  }
  return json(201, { status: 'authorized', paymentId: authorized.paymentId, score: fraud.score });
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
