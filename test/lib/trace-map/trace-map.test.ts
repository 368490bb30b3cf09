import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import {
  buildTraceMap,
  renderMermaid,
  TracedFunction,
  TracedQueue,
  TracedTopic,
  TraceEdge,
  TraceEdges,
  TraceMap,
  TraceMapNode,
} from '../../../lib';
import { paymentApp } from '../../../bin/example/payment-app';
import { PaymentStack } from '../../../bin/example/payment-stack';
import { fixture, newStack, plainFunction } from '../../helpers/stack';

/** The note on an SQS event source that takes batches of 10 (Lambda's default). */
const BATCH_NOTE =
  "batches of up to 10 messages: the invocation continues the trace when a batch's messages share one, " +
  "and is only linked to them when a batch mixes traces; processRecords continues each message's own trace";

/** An app whose functions are not bundled, writing its assembly to a new directory. */
function newApp(): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'trace-map-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
}

function tracedFunction(stack: Stack, id: string, props: { serviceName?: string } = {}): TracedFunction {
  return new TracedFunction(stack, id, {
    entry: fixture('hello.ts'),
    timeout: Duration.seconds(10),
    ...props,
  });
}

function logicalId(construct: IConstruct): string {
  const resource = (
    CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild
  ) as CfnResource;
  return Stack.of(resource).resolve(resource.logicalId);
}

function node(map: TraceMap, id: string): TraceMapNode {
  const found = map.nodes.find((n) => n.id === id);
  if (!found) {
    throw new Error(`no node ${id} in ${map.nodes.map((n) => n.id).join(', ')}`);
  }
  return found;
}

function readMap(app: App): { json: TraceMap; mermaid: string } {
  return {
    json: JSON.parse(fs.readFileSync(path.join(app.outdir, 'trace-map.json'), 'utf8')),
    mermaid: fs.readFileSync(path.join(app.outdir, 'trace-map.mmd'), 'utf8'),
  };
}

describe('the example app', () => {
  let app: App;
  let prod: PaymentStack;
  let dev: PaymentStack;
  let map: TraceMap;
  beforeAll(() => {
    app = newApp();
    ({ prod, dev } = paymentApp(app));
    app.synth();
    map = readMap(app).json;
  });

  const fraudApi = 'https://fraud.example.com/v1/score';

  test('every edge of Prod/Payments, each carrying the context', () => {
    const p = 'Prod/Payments';
    expect(map.edges.filter((e) => e.from.startsWith(`${p}/`) || e.to.startsWith(`${p}/`))).toEqual([
      {
        from: `${p}/AuditQueue`,
        to: `${p}/Audit`,
        kind: 'sqs-to-lambda',
        carriesContext: true,
        via: 'message-attributes',
        batchSize: 10,
        note: BATCH_NOTE,
      },
      {
        from: `${p}/Authorize`,
        to: `${p}/Payments`,
        kind: 'sns-publish',
        carriesContext: true,
        via: 'message-attributes',
      },
      {
        from: `${p}/Authorize`,
        to: 'external:fraud-api',
        kind: 'http',
        carriesContext: true,
        via: 'http-headers',
      },
      {
        from: `${p}/Payments`,
        to: `${p}/AuditQueue`,
        kind: 'sns-to-sqs',
        carriesContext: true,
        via: 'sns-envelope',
      },
      {
        from: `${p}/Payments`,
        to: `${p}/Reconciliation`,
        kind: 'sns-to-sqs',
        carriesContext: true,
        via: 'raw-delivery',
      },
      {
        from: `${p}/PaymentsApi`,
        to: `${p}/Authorize`,
        kind: 'api-to-lambda',
        route: 'POST /payments',
        carriesContext: true,
        via: 'http-headers',
      },
      {
        from: `${p}/Reconciliation`,
        to: `${p}/Reconcile`,
        kind: 'sqs-to-lambda',
        carriesContext: true,
        via: 'message-attributes',
        batchSize: 10,
        note: BATCH_NOTE,
      },
    ]);
  });

  test('the Dev stage has the same edges, among its own nodes (same logical ids, other stack)', () => {
    const prodEdges = map.edges.filter((e) => e.from.startsWith('Prod/'));
    const devEdges = map.edges.filter((e) => e.from.startsWith('Dev/'));
    const rename = (e: TraceEdge) => JSON.parse(JSON.stringify(e).replace(/"Prod\//g, '"Dev/'));
    expect(devEdges).toEqual(prodEdges.map(rename));
    expect(map.edges).toHaveLength(prodEdges.length + devEdges.length);
  });

  test('functions: stack, logical id, service name, traced; authorize is the entry point', () => {
    const stack = {
      artifactId: prod.artifactId,
      stackName: 'Prod-Payments',
      path: 'Prod/Payments',
      templateFile: `assembly-Prod/${prod.artifactId}.template.json`,
    };
    expect(node(map, 'Prod/Payments/Authorize')).toEqual({
      id: 'Prod/Payments/Authorize',
      type: 'function',
      label: 'Authorize',
      stack,
      logicalId: logicalId(prod.authorize),
      resourceType: 'AWS::Lambda::Function',
      serviceName: 'payments-authorize',
      traced: true,
      entry: true,
    });
    for (const [fn, serviceName] of [
      [prod.reconcile, 'payments-reconcile'],
      [prod.audit, 'payments-audit'],
    ] as const) {
      expect(node(map, fn.node.path)).toEqual({
        id: fn.node.path,
        type: 'function',
        label: fn.node.id,
        stack,
        logicalId: logicalId(fn),
        resourceType: 'AWS::Lambda::Function',
        serviceName,
        traced: true,
      });
    }
    expect(map.nodes.filter((n) => n.entry).map((n) => n.id)).toEqual([
      'Dev/Payments/Authorize',
      'Prod/Payments/Authorize',
    ]);
  });

  test('the topic, the queues, the API and the fraud API', () => {
    expect(node(map, 'Prod/Payments/Payments')).toMatchObject({
      type: 'topic',
      logicalId: logicalId(prod.payments.topic),
      resourceType: 'AWS::SNS::Topic',
    });
    expect(node(map, 'Prod/Payments/Reconciliation')).toMatchObject({
      type: 'queue',
      logicalId: logicalId(prod.reconciliation.queue),
      resourceType: 'AWS::SQS::Queue',
    });
    expect(node(map, 'Prod/Payments/AuditQueue')).toMatchObject({
      type: 'queue',
      logicalId: logicalId(prod.auditQueue.queue),
    });
    expect(node(map, 'Prod/Payments/PaymentsApi')).toMatchObject({
      type: 'api',
      logicalId: logicalId(prod.api),
      resourceType: 'AWS::ApiGatewayV2::Api',
      physicalName: 'PaymentsApi',
    });
    expect(node(map, 'external:fraud-api')).toEqual({
      id: 'external:fraud-api',
      type: 'external',
      label: 'fraud-api',
      url: fraudApi,
    });
    expect(node(map, 'Dev/Payments/Authorize').stack).toMatchObject({
      artifactId: dev.artifactId,
      templateFile: `assembly-Dev/${dev.artifactId}.template.json`,
    });
  });

  test('the logical ids are those of the synthesized templates', () => {
    const template = JSON.parse(
      fs.readFileSync(
        path.join(app.outdir, node(map, 'Prod/Payments/Authorize').stack!.templateFile),
        'utf8',
      ),
    );
    for (const n of map.nodes.filter((x) => x.stack?.path === 'Prod/Payments')) {
      expect(template.Resources[n.logicalId!]?.Type).toBe(n.resourceType);
    }
  });

  test('both files are in the root assembly directory and hold the map of the tree', () => {
    const written = readMap(app);
    expect(written.json).toEqual(JSON.parse(JSON.stringify(buildTraceMap(app))));
    expect(written.json.version).toBe(1);
    expect(written.mermaid).toBe(renderMermaid(written.json));
    expect(fs.existsSync(path.join(app.outdir, 'assembly-Prod', 'trace-map.json'))).toBe(false);
  });

  test('the Mermaid diagram: one subgraph per stack, every edge solid', () => {
    const { mermaid } = readMap(app);
    expect(mermaid).toContain('  subgraph Prod_Payments["Prod/Payments"]\n');
    expect(mermaid).toContain('  Prod_Payments_PaymentsApi -->|"POST /payments"| Prod_Payments_Authorize\n');
    expect(mermaid).toContain('  Prod_Payments_Authorize -->|"http-headers"| external_fraud_api\n');
    expect(mermaid).toContain('  external_fraud_api(("fraud-api"))\n');
    expect(mermaid).not.toContain('-.->');
  });
});

describe('one broken edge', () => {
  test('an untraced consumer accepted with untraced: exactly that edge breaks, dotted, with the reason', () => {
    const app = newApp();
    const stack = new Stack(app, 'Shop');
    const producer = tracedFunction(stack, 'Checkout');
    const queue = new TracedQueue(stack, 'Orders', { visibilityTimeout: Duration.minutes(1) });
    queue.grantSend(producer);
    const legacy = plainFunction(stack, 'Legacy', { timeout: Duration.seconds(10) });
    queue.addConsumer(legacy, { untraced: { reason: 'the legacy billing code, replaced in Q3' } });
    app.synth();
    const { json, mermaid } = readMap(app);

    expect(json.edges).toEqual([
      {
        from: 'Shop/Checkout',
        to: 'Shop/Orders',
        kind: 'sqs-send',
        carriesContext: true,
        via: 'message-attributes',
      },
      {
        from: 'Shop/Orders',
        to: 'Shop/Legacy',
        kind: 'sqs-to-lambda',
        carriesContext: false,
        reason: 'the legacy billing code, replaced in Q3',
      },
    ]);
    expect(node(json, 'Shop/Legacy')).toMatchObject({ type: 'function', traced: false });
    expect(node(json, 'Shop/Legacy').entry).toBeUndefined();
    expect(node(json, 'Shop/Checkout').entry).toBe(true);
    expect(mermaid.split('\n').filter((l) => l.includes('-.->'))).toEqual([
      '  Shop_Orders -.->|"breaks: the legacy billing code, replaced in Q3"| Shop_Legacy',
    ]);
    expect(mermaid).toContain('  Shop_Checkout -->|"message-attributes"| Shop_Orders\n');
  });

  test('a plain event source mapping to an untraced function is found and breaks', () => {
    const app = newApp();
    const stack = new Stack(app, 'Jobs');
    const queue = new sqs.Queue(stack, 'Work');
    const worker = plainFunction(stack, 'Worker');
    worker.addEventSource(new SqsEventSource(queue));
    const traced = tracedFunction(stack, 'Traced');
    traced.addEventSource(new SqsEventSource(queue));
    const map = buildTraceMap(app);
    expect(map.edges).toEqual([
      {
        from: 'Jobs/Work',
        to: 'Jobs/Traced',
        kind: 'sqs-to-lambda',
        carriesContext: true,
        via: 'message-attributes',
        batchSize: 10,
        note: BATCH_NOTE,
      },
      {
        from: 'Jobs/Work',
        to: 'Jobs/Worker',
        kind: 'sqs-to-lambda',
        carriesContext: false,
        reason: 'Jobs/Worker is not traced, so it does not read the trace context of the messages',
      },
    ]);
    expect(node(map, 'Jobs/Work')).toMatchObject({ type: 'queue', logicalId: logicalId(queue) });
  });

  test('a function a TracingPolicy left untraced gives its reason', () => {
    const app = newApp();
    const stack = new Stack(app, 'Jobs');
    const worker = plainFunction(stack, 'Worker');
    // What TracingPolicy.optOut leaves on the function: the reason.
    (worker as unknown as Record<symbol, string>)[Symbol.for('cdk-serverless-tracing.opted-out')] =
      'a vendor binary';
    worker.addEventSource(new SqsEventSource(new sqs.Queue(stack, 'Work')));
    expect(buildTraceMap(app).edges[0].reason).toBe(
      'Jobs/Worker is not traced (a vendor binary), so it does not read the trace context of the messages',
    );
  });
});

describe('edges found in the construct tree', () => {
  test('REST API methods with Lambda integrations, with their routes', () => {
    const app = newApp();
    const stack = new Stack(app, 'Rest');
    const orders = tracedFunction(stack, 'Orders');
    const legacy = plainFunction(stack, 'Legacy');
    const api = new apigateway.RestApi(stack, 'Api');
    const order = api.root.addResource('orders').addResource('{id}');
    order.addMethod('GET', new apigateway.LambdaIntegration(orders));
    api.root.addMethod('ANY', new apigateway.LambdaIntegration(legacy));
    expect(buildTraceMap(app).edges).toEqual([
      {
        from: 'Rest/Api',
        to: 'Rest/Legacy',
        kind: 'api-to-lambda',
        route: 'ANY /',
        carriesContext: false,
        reason: 'Rest/Legacy is not traced, so it does not continue the trace from the request headers',
      },
      {
        from: 'Rest/Api',
        to: 'Rest/Orders',
        kind: 'api-to-lambda',
        route: 'GET /orders/{id}',
        carriesContext: true,
        via: 'http-headers',
      },
    ]);
  });

  test('HTTP API routes to an alias of a function', () => {
    const app = newApp();
    const stack = new Stack(app, 'Http');
    const fn = tracedFunction(stack, 'Fn');
    const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
    const api = new apigwv2.HttpApi(stack, 'Api');
    api.addRoutes({
      path: '/a',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('A', alias),
    });
    expect(buildTraceMap(app).edges).toEqual([
      {
        from: 'Http/Api',
        to: 'Http/Fn',
        kind: 'api-to-lambda',
        route: 'GET /a',
        carriesContext: true,
        via: 'http-headers',
      },
    ]);
  });

  test('functions allowed to put events on an event bus, traced or not', () => {
    const app = newApp();
    const stack = new Stack(app, 'Events');
    const bus = new events.EventBus(stack, 'Bus');
    const traced = tracedFunction(stack, 'Traced');
    const plain = plainFunction(stack, 'Plain');
    bus.grantPutEventsTo(traced);
    bus.grantPutEventsTo(plain);
    const defaultBus = events.EventBus.fromEventBusName(stack, 'Default', 'default');
    defaultBus.grantPutEventsTo(traced);
    events.EventBus.grantAllPutEvents(plain); // Resource '*': no bus named, no edge
    const map = buildTraceMap(app);
    expect(map.edges).toEqual([
      {
        from: 'Events/Plain',
        to: 'Events/Bus',
        kind: 'eventbridge-put',
        carriesContext: false,
        reason: 'Events/Plain is not traced, so its events carry no trace context',
      },
      {
        from: 'Events/Traced',
        to: 'Events/Bus',
        kind: 'eventbridge-put',
        carriesContext: true,
        via: 'event-detail',
      },
      {
        from: 'Events/Traced',
        to: 'Events/Default',
        kind: 'eventbridge-put',
        carriesContext: true,
        via: 'event-detail',
      },
    ]);
    expect(node(map, 'Events/Bus')).toMatchObject({ type: 'event-bus', logicalId: logicalId(bus) });
    expect(node(map, 'Events/Default')).toEqual({
      id: 'Events/Default',
      type: 'event-bus',
      label: 'Events/Default',
      physicalName: 'default',
    });
  });

  test('plain sends and subscriptions: sqs:SendMessage, sns:Publish, SNS to SQS', () => {
    const app = newApp();
    const stack = new Stack(app, 'Plain');
    const fn = plainFunction(stack, 'Fn');
    const queue = new sqs.Queue(stack, 'Queue');
    queue.grantSendMessages(fn);
    const topic = new TracedTopic(stack, 'Topic');
    topic.topic.grantPublish(fn);
    const traced = new TracedQueue(stack, 'Traced');
    topic.addQueueSubscription(traced);
    expect(buildTraceMap(app).edges).toEqual([
      {
        from: 'Plain/Fn',
        to: 'Plain/Queue',
        kind: 'sqs-send',
        carriesContext: false,
        reason: 'Plain/Fn is not traced, so it sends no trace context',
      },
      {
        from: 'Plain/Fn',
        to: 'Plain/Topic',
        kind: 'sns-publish',
        carriesContext: false,
        reason: 'Plain/Fn is not traced, so it sends no trace context',
      },
      {
        from: 'Plain/Topic',
        to: 'Plain/Traced',
        kind: 'sns-to-sqs',
        carriesContext: true,
        via: 'raw-delivery',
      },
    ]);
  });

  test('a reference from another stack of the stage is followed; a same logical id elsewhere is not', () => {
    const app = newApp();
    const stage = new Stage(app, 'Stage');
    const queues = new Stack(stage, 'Queues');
    const queue = new sqs.Queue(queues, 'Q');
    const consumers = new Stack(stage, 'Consumers');
    new sqs.Queue(consumers, 'Q'); // the same logical id as the other stack's queue
    tracedFunction(consumers, 'Fn').addEventSource(new SqsEventSource(queue));
    app.synth();
    expect(readMap(app).json.edges).toEqual([
      {
        from: 'Stage/Queues/Q',
        to: 'Stage/Consumers/Fn',
        kind: 'sqs-to-lambda',
        carriesContext: true,
        via: 'message-attributes',
        batchSize: 10,
        note: BATCH_NOTE,
      },
    ]);
  });

  test('an edge recorded broken because the function was untraced carries the context once it is traced', () => {
    const app = newApp();
    const stack = new Stack(app, 'Later');
    const fn = plainFunction(stack, 'Fn');
    new TracedQueue(stack, 'Queue').grantSend(fn);
    expect(TraceEdges.of(app).edges[0]).toMatchObject({ carriesContext: false });
    // What a TracingPolicy does to the functions it traces, during aspect invocation.
    (fn as unknown as Record<symbol, boolean>)[Symbol.for('cdk-serverless-tracing.traced-construct')] = true;
    const map = buildTraceMap(app);
    expect(map.edges).toEqual([
      {
        from: 'Later/Fn',
        to: 'Later/Queue',
        kind: 'sqs-send',
        carriesContext: true,
        via: 'message-attributes',
      },
    ]);
    expect(node(map, 'Later/Fn')).toMatchObject({ traced: true, entry: true });
  });
});

describe('declared HTTP calls', () => {
  test('an untraced caller breaks the edge; the query string is left out of the URL', () => {
    const app = newApp();
    const stack = new Stack(app, 'S');
    const plain = plainFunction(stack, 'Plain');
    const edge = TraceEdges.of(stack).declareHttpCall(plain, {
      name: 'maps',
      url: 'https://maps.example.com/v2/route?key=secret#x',
    });
    expect(edge).toEqual({
      from: 'S/Plain',
      to: 'external:maps',
      kind: 'http',
      carriesContext: false,
      reason: 'S/Plain is not traced, so its calls carry no traceparent',
    });
    expect(TraceEdges.of(app).externalServices).toEqual([
      { name: 'maps', url: 'https://maps.example.com/v2/route' },
    ]);
    expect(node(buildTraceMap(app), 'external:maps')).toEqual({
      id: 'external:maps',
      type: 'external',
      label: 'maps',
      url: 'https://maps.example.com/v2/route',
    });
  });

  test('an empty name, or one service under two URLs, is an error', () => {
    const app = newApp();
    const stack = new Stack(app, 'S');
    const fn = tracedFunction(stack, 'Fn');
    const edges = TraceEdges.of(stack);
    expect(() => edges.declareHttpCall(fn, { name: ' ' })).toThrow(/name must be a non-empty string/);
    edges.declareHttpCall(fn, { name: 'a', url: 'https://a.example.com' });
    expect(() => edges.declareHttpCall(fn, { name: 'a', url: 'https://b.example.com' })).toThrow(
      /service 'a' was declared with the URL https:\/\/a.example.com, not https:\/\/b.example.com/,
    );
    edges.declareHttpCall(fn, { name: 'a' }); // no URL: the same service
    expect(edges.externalServices).toEqual([{ name: 'a', url: 'https://a.example.com' }]);
  });
});

describe('writing the map', () => {
  test('an app with only a TracedFunction gets a map: one node, the entry point', () => {
    const app = newApp();
    const stack = new Stack(app, 'Solo');
    const fn = tracedFunction(stack, 'Fn', { serviceName: 'solo' });
    app.synth();
    expect(readMap(app).json).toEqual({
      version: 1,
      nodes: [
        {
          id: 'Solo/Fn',
          type: 'function',
          label: 'Fn',
          stack: { artifactId: 'Solo', stackName: 'Solo', path: 'Solo', templateFile: 'Solo.template.json' },
          logicalId: logicalId(fn),
          resourceType: 'AWS::Lambda::Function',
          serviceName: 'solo',
          traced: true,
          entry: true,
        },
      ],
      edges: [],
    });
  });

  test('an app without constructs of this library gets no map', () => {
    const app = newApp();
    plainFunction(new Stack(app, 'None'), 'Fn');
    app.synth();
    expect(fs.existsSync(path.join(app.outdir, 'trace-map.json'))).toBe(false);
  });

  test('the Mermaid text of a small app', () => {
    const app = newApp();
    const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'eu-west-1' } });
    const orders = tracedFunction(stack, 'Orders');
    TraceEdges.of(stack).declareHttpCall(orders, {
      name: 'inventory',
      url: 'https://inventory.example.com/v1',
    });
    const api = new apigwv2.HttpApi(stack, 'Api');
    api.addRoutes({
      path: '/orders',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Orders', orders),
    });
    new events.EventBus(stack, 'Bus').grantPutEventsTo(orders);
    const topic = new TracedTopic(stack, 'Placed');
    topic.grantPublish(orders);
    const jobs = new sqs.Queue(stack, 'Jobs');
    topic.topic.addSubscription(new subscriptions.SqsSubscription(jobs));
    plainFunction(stack, 'Worker').addEventSource(new SqsEventSource(jobs));
    app.synth();
    const { json, mermaid } = readMap(app);

    expect(mermaid).toBe(
      [
        'flowchart LR',
        '  subgraph Shop["Shop"]',
        '    Shop_Api{{"Api"}}',
        '    Shop_Bus[/"Bus"/]',
        '    Shop_Jobs[("Jobs")]',
        '    Shop_Orders("Orders")',
        '    Shop_Placed>"Placed"]',
        '    Shop_Worker("Worker")',
        '  end',
        '  external_inventory(("inventory"))',
        '  Shop_Api -->|"POST /orders"| Shop_Orders',
        '  Shop_Jobs -.->|"breaks: Shop/Worker is not traced, so it does not read the trace context of the messages"| Shop_Worker',
        '  Shop_Orders -->|"event-detail"| Shop_Bus',
        '  Shop_Orders -->|"message-attributes"| Shop_Placed',
        '  Shop_Orders -->|"http-headers"| external_inventory',
        '  Shop_Placed -->|"sns-envelope"| Shop_Jobs',
        '',
      ].join('\n'),
    );
    expect(node(json, 'Shop/Orders').stack).toEqual({
      artifactId: 'Shop',
      stackName: 'Shop',
      path: 'Shop',
      templateFile: 'Shop.template.json',
      account: '123456789012',
      region: 'eu-west-1',
    });
  });

  test('labels with quotes are escaped; the same map gives the same text', () => {
    const map: TraceMap = {
      version: 1,
      nodes: [
        { id: 'A/end', type: 'function', label: 'end' },
        { id: 'external:x', type: 'external', label: 'say "hi"' },
      ],
      edges: [
        { from: 'A/end', to: 'external:x', kind: 'http', carriesContext: false, reason: 'no "traceparent"' },
      ],
    };
    expect(renderMermaid(map)).toBe(
      [
        'flowchart LR',
        '  A_end("end")',
        '  external_x(("say #quot;hi#quot;"))',
        '  A_end -.->|"breaks: no #quot;traceparent#quot;"| external_x',
        '',
      ].join('\n'),
    );
    expect(renderMermaid(map)).toBe(renderMermaid(JSON.parse(JSON.stringify(map))));
  });
});

test('an SQS event source of batches of one continues every trace: its batch size, and no note', () => {
  const { app, stack } = newStack();
  const queue = new TracedQueue(stack, 'Work');
  queue.addConsumer(new TracedFunction(stack, 'One', { entry: fixture('hello.ts') }), { batchSize: 1 });
  const edge = buildTraceMap(app).edges.find((e) => e.kind === 'sqs-to-lambda')!;
  expect(edge).toEqual({
    from: 'TestStack/Work',
    to: 'TestStack/One',
    kind: 'sqs-to-lambda',
    carriesContext: true,
    via: 'message-attributes',
    batchSize: 1,
  });
  expect(renderMermaid(buildTraceMap(app))).not.toContain('links only');
});
