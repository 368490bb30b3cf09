import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TraceEdges } from '../../../lib';

describe('TraceEdges', () => {
  test('one registry per app, found from any scope, on the root with a fixed id', () => {
    const app = new App();
    const a = new Stack(app, 'A');
    const b = new Stack(app, 'B');
    const registry = TraceEdges.of(a);
    expect(TraceEdges.of(new Construct(b, 'Deep'))).toBe(registry);
    expect(registry.node.scope).toBe(app);
    expect(registry.node.id).toBe('CdkServerlessTracingEdges');
  });

  test('records edges in order, once each, and finds them by end', () => {
    const { node } = new App();
    const edges = TraceEdges.of(node.root);
    edges.add({ from: 'S/Api', to: 'S/Fn', kind: 'http', carriesContext: true, via: 'http-headers' });
    edges.add({
      from: 'S/Fn',
      to: 'S/Topic',
      kind: 'sns-publish',
      carriesContext: true,
      via: 'message-attributes',
    });
    edges.add({
      from: 'S/Fn',
      to: 'S/Topic',
      kind: 'sns-publish',
      carriesContext: true,
      via: 'message-attributes',
    });
    expect(edges.edges.map((e) => e.kind)).toEqual(['http', 'sns-publish']);
    expect(edges.from('S/Fn')).toHaveLength(1);
    expect(edges.to('S/Fn')).toEqual([
      { from: 'S/Api', to: 'S/Fn', kind: 'http', carriesContext: true, via: 'http-headers' },
    ]);
  });

  test('the list handed out is a copy', () => {
    const app = new App();
    const edges = TraceEdges.of(app);
    (edges.edges as unknown[]).push('x');
    expect(edges.edges).toEqual([]);
  });

  test('the fixed id taken by another construct is an error', () => {
    const app = new App();
    new Construct(app, 'CdkServerlessTracingEdges');
    expect(() => TraceEdges.of(app)).toThrow(/the id 'CdkServerlessTracingEdges' on the app root is taken/);
  });
});
