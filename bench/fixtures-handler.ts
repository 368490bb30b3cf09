// The handler every variant runs: the shape of the example's authorize function, without I/O.
export const handler = async (event: { body?: string }) => {
  const payment = JSON.parse(event.body ?? '{}') as { amount?: number };
  return { statusCode: 201, body: JSON.stringify({ status: 'authorized', amount: payment.amount ?? 0 }) };
};
