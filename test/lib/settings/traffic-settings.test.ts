import { App, Lazy, Stack } from 'aws-cdk-lib';
import { TracingSettings, TracingTraffic } from '../../../lib';

// The traffic option of TracingSettings: validated when set, with one message per problem.

function set(traffic: TracingTraffic): () => void {
  return () => TracingSettings.set(new Stack(new App(), 'S'), { traffic });
}

describe('TracingSettings traffic', () => {
  test('a valid figure is accepted', () => {
    expect(set(TracingTraffic.requestsPerSecond(50))).not.toThrow();
    expect(set(TracingTraffic.perEntry({ 'POST /payments': 50, 'Prod/Payments/Nightly': 0 }))).not.toThrow();
  });

  test.each([
    [
      TracingTraffic.requestsPerSecond(-1),
      'traffic requestsPerSecond must be a finite number of requests per second, 0 or more (got -1)',
    ],
    [
      TracingTraffic.requestsPerSecond(NaN),
      'traffic requestsPerSecond must be a finite number of requests per second, 0 or more (got NaN)',
    ],
    [TracingTraffic.requestsPerSecond(Infinity), '(got Infinity)'],
    [
      TracingTraffic.requestsPerSecond(Lazy.number({ produce: () => 5 })),
      'traffic requestsPerSecond must be a number known at synth, not a deploy-time value (a token)',
    ],
    [
      TracingTraffic.perEntry({ 'POST /payments': -5 }),
      "traffic perEntry['POST /payments'] must be a finite number",
    ],
    [TracingTraffic.perEntry({}), 'traffic perEntry names no entry'],
    [TracingTraffic.perEntry({ ' ': 1 }), 'traffic perEntry keys must be routes'],
    [
      TracingTraffic.requestsPerSecond(1, { errorRate: 2 }),
      'traffic errorRate must be between 0 and 1 (got 2)',
    ],
  ])('%# is refused', (traffic, message) => {
    expect(set(traffic)).toThrow(message);
    expect(set(traffic)).toThrow("TracingSettings.set('S') has invalid options");
  });

  test('a plain object is refused with the way to make one', () => {
    expect(set({ requestsPerSecond: 5 } as unknown as TracingTraffic)).toThrow(
      'traffic must be made with TracingTraffic.requestsPerSecond(n) or TracingTraffic.perEntry({ ... })',
    );
  });
});
