import type { Handler } from 'aws-lambda';

/** An authorized payment to reconcile with the ledger. */
export interface ReconcileEvent {
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
}

/** The outcome of one reconciliation. */
export interface ReconcileResult {
  readonly paymentId: string;
  readonly reconciled: boolean;
}

/**
 * Reconciles an authorized payment. For now it is invoked directly; the SNS topic and SQS queue
 * between `authorize` and `reconcile` arrive in a later issue (TracedTopic / TracedQueue).
 */
export const handler: Handler<ReconcileEvent, ReconcileResult> = async (event) => {
  if (!event?.paymentId) {
    throw new Error('reconcile: the event has no paymentId');
  }
  return { paymentId: event.paymentId, reconciled: event.amount > 0 };
};
