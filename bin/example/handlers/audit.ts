import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { processRecords } from 'cdk-serverless-tracing/runtime';
import { parseAuthorizedPayment } from './payment';

/** The part of the SNS envelope the audit reads (the subscription has no raw delivery). */
interface SnsEnvelope {
  readonly Type?: string;
  readonly MessageId?: string;
  readonly TopicArn?: string;
  readonly Message?: string;
  readonly Timestamp?: string;
}

/**
 * Writes an audit line for every authorized payment. Its queue receives the SNS envelope (no raw
 * delivery): the payment is the envelope's `Message`, and the runtime reads the trace context
 * from the envelope's `MessageAttributes`. A record that is not an envelope of a valid payment
 * fails alone.
 */
export const handler = async (event: SQSEvent) =>
  processRecords(event, async (record: SQSRecord) => {
    let envelope: SnsEnvelope;
    try {
      envelope = JSON.parse(record.body) as SnsEnvelope;
    } catch {
      throw new Error('the message body is not an SNS envelope (not JSON)');
    }
    if (envelope?.Type !== 'Notification' || typeof envelope.Message !== 'string') {
      throw new Error('the message body is not an SNS notification envelope');
    }
    const payment = parseAuthorizedPayment(envelope.Message);
    console.log(
      JSON.stringify({
        message: 'audit',
        paymentId: payment.paymentId,
        amount: payment.amount,
        currency: payment.currency,
        score: payment.score,
        snsMessageId: envelope.MessageId,
        publishedAt: envelope.Timestamp,
      }),
    );
  });
