import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { processRecords, traceAwsClient } from 'cdk-serverless-tracing/runtime';
import { parseAuthorizedPayment, PaymentRejectedError, TEST_CURRENCY } from './payment';

const RECONCILED_PAYMENTS_TABLE = process.env.RECONCILED_PAYMENTS_TABLE;

// Created once per execution environment; each call is a CLIENT span (`DynamoDB.PutItem`) under
// the span of the record it is made for.
const dynamodb = traceAwsClient(new DynamoDBClient({}));

/**
 * Reconciles the authorized payments of the reconciliation queue (raw SNS delivery: the body is
 * the payment as `authorize` published it) into the reconciled payments table. Each record is
 * processed in its own span, continuing the trace of the request that authorized it; a record
 * whose body is not a valid payment, is in the test currency `XTS` (the failure drill's payment),
 * or whose write fails, fails alone (reported in `batchItemFailures`, retried, then moved to the
 * dead-letter queue). Writing the same payment
 * again writes the same item: a retried record is harmless.
 */
export const handler = async (event: SQSEvent) =>
  processRecords(event, async (record: SQSRecord) => {
    const payment = parseAuthorizedPayment(record.body);
    if (payment.currency === TEST_CURRENCY) {
      throw new PaymentRejectedError(
        `payment ${payment.paymentId} is in ${TEST_CURRENCY}, the ISO 4217 code for testing: it is never booked`,
      );
    }
    await dynamodb.send(
      new PutItemCommand({
        TableName: RECONCILED_PAYMENTS_TABLE,
        Item: {
          paymentId: { S: payment.paymentId },
          amount: { N: String(payment.amount) },
          currency: { S: payment.currency },
          reconciledAt: { S: new Date().toISOString() },
        },
      }),
    );
    console.log(
      JSON.stringify({
        message: 'reconciled',
        paymentId: payment.paymentId,
        amount: payment.amount,
        currency: payment.currency,
      }),
    );
  });
