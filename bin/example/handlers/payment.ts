/** An authorized payment, as `authorize` publishes it to the payments topic. */
export interface AuthorizedPayment {
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
  readonly score: number;
  readonly authorizedAt: string;
}

/**
 * ISO 4217's code "for testing purposes": a payment in it is authorized like any other and
 * rejected by reconcile, which never books one. The failure drill of the trace check sends one
 * (`DRILL_PAYMENT`) to check that a payment failing in reconcile is kept as a trace.
 */
export const TEST_CURRENCY = 'XTS';

/** The canary's payment: one authorize accepts and reconcile books (a test card token). */
export const CANARY_PAYMENT = { amount: 1, currency: 'EUR', cardToken: 'tok_canary' } as const;

/** The request of the failure drill: a payment authorize accepts and reconcile rejects. */
export const DRILL_PAYMENT = { amount: 1, currency: TEST_CURRENCY, cardToken: 'tok_drill' } as const;

/** A payment reconcile will not book (retrying does not change that). */
export class PaymentRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentRejectedError';
  }
}

/** The payment in a message body, or an error that says what is wrong with it. */
export function parseAuthorizedPayment(body: string): AuthorizedPayment {
  let parsed: Partial<AuthorizedPayment>;
  try {
    parsed = JSON.parse(body) as Partial<AuthorizedPayment>;
  } catch {
    throw new Error('the message body is not JSON');
  }
  if (
    typeof parsed?.paymentId !== 'string' ||
    typeof parsed.amount !== 'number' ||
    !(parsed.amount > 0) ||
    typeof parsed.currency !== 'string'
  ) {
    throw new Error('the message body is not an authorized payment (paymentId, amount > 0, currency)');
  }
  return parsed as AuthorizedPayment;
}
