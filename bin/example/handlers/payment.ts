/** An authorized payment, as `authorize` publishes it to the payments topic. */
export interface AuthorizedPayment {
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
  readonly score: number;
  readonly authorizedAt: string;
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
