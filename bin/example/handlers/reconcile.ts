import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { processRecords } from 'cdk-serverless-tracing/runtime';
import { parseAuthorizedPayment } from './payment';

/**
 * Reconciles the authorized payments of the reconciliation queue (raw SNS delivery: the body is
 * the payment as `authorize` published it). Each record is processed in its own span, continuing
 * the trace of the request that authorized it; a record whose body is not a valid payment fails
 * alone (reported in `batchItemFailures`, retried, then moved to the dead-letter queue).
 */
export const handler = async (event: SQSEvent) =>
  processRecords(event, async (record: SQSRecord) => {
    const payment = parseAuthorizedPayment(record.body);
    console.log(
      JSON.stringify({
        message: 'reconciled',
        paymentId: payment.paymentId,
        amount: payment.amount,
        currency: payment.currency,
      }),
    );
  });
