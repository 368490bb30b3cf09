import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import YAML from 'yaml';
import { SamplingMode, TracedFunction, TracingExporter, TracingSettings } from '../../../lib';
import { renderCollectorConfig } from '../../../lib/collector/private/collector-config';
import type { IGatewayEndpoint } from '../../../lib/core/gateway-endpoint';
import { fixture, newStack, templateOf } from '../../helpers/stack';

// SamplingMode.TAIL and TracingExporter.gateway on the function's side: what the runtime is told
// (sample by trace id alone, every trace by default), what its collector sends to the gateway and
// how it authenticates, and the synth errors of settings that need a gateway. The gateway here is
// a stand-in for `TracingGateway` (tested on its own), holding what the function side reads.

class GatewayStandIn extends Construct implements IGatewayEndpoint {
  public readonly tracesUrl: string;
  public readonly auth: IGatewayEndpoint['auth'];
  public readonly vpc?: ec2.IVpc;
  public readonly granted: iam.IGrantable[] = [];

  constructor(scope: Construct, id: string, mode: 'iam' | 'vpc') {
    super(scope, id);
    this.tracesUrl = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/traces';
    this.auth =
      mode === 'iam' ? { kind: 'sigv4', region: 'eu-west-1', service: 'execute-api' } : { kind: 'none' };
    this.vpc = mode === 'vpc' ? new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 0 }) : undefined;
  }

  public grantExport(grantee: iam.IGrantable): void {
    this.granted.push(grantee);
  }
}

function tailStack(mode: 'iam' | 'vpc' = 'iam') {
  const { stack } = newStack({ env: true });
  const gateway = new GatewayStandIn(stack, 'Gateway', mode);
  TracingSettings.set(stack, {
    samplingMode: SamplingMode.TAIL,
    samplingRatio: 0.01,
    exporter: TracingExporter.gateway(gateway),
  });
  return { stack, gateway };
}

test('the runtime samples by trace id alone (every trace by default), with X-Ray-valid ids; the function may export', () => {
  const { stack, gateway } = tailStack();
  const fn = new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts') });
  const variables = templateOf(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)]
    .Properties.Environment.Variables as Record<string, string>;
  expect(variables).toMatchObject({
    OTEL_TRACES_SAMPLER: 'traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1',
    TRACING_ID_FORMAT: 'xray',
  });
  expect(gateway.granted).toEqual([fn]);
});

test('headSamplingRatio sends that share of the traces, by trace id', () => {
  const { stack } = tailStack();
  const fn = new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts'), headSamplingRatio: 0.25 });
  const variables = templateOf(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)]
    .Properties.Environment.Variables as Record<string, string>;
  expect(variables.OTEL_TRACES_SAMPLER_ARG).toBe('0.25');
});

test("the collector sends OTLP/HTTP to the gateway's endpoint, signed for execute-api (iam) or not (vpc)", () => {
  const { stack, gateway } = tailStack('iam');
  const iam = renderCollectorConfig(TracingExporter.gateway(gateway));
  const config = YAML.parse(iam.yaml) as Record<string, Record<string, unknown>>;
  expect(config.exporters).toEqual({
    otlp_http: { traces_endpoint: gateway.tracesUrl, auth: { authenticator: 'sigv4auth' } },
  });
  expect(config.extensions).toEqual({ sigv4auth: { region: 'eu-west-1', service: 'execute-api' } });
  expect(config.service).toMatchObject({
    extensions: ['sigv4auth'],
    pipelines: {
      traces: { receivers: ['otlp'], processors: ['batch', 'decouple'], exporters: ['otlp_http'] },
    },
  });

  const inVpc = renderCollectorConfig(TracingExporter.gateway(new GatewayStandIn(stack, 'Internal', 'vpc')));
  const vpcConfig = YAML.parse(inVpc.yaml) as Record<string, Record<string, unknown>>;
  expect(vpcConfig.exporters).toEqual({ otlp_http: { traces_endpoint: gateway.tracesUrl } });
  expect(vpcConfig.extensions).toBeUndefined();
});

test('a deploy-time endpoint goes through a variable the collector reads', () => {
  const { stack } = newStack({ env: true });
  const gateway = new GatewayStandIn(stack, 'Gateway', 'iam');
  const tokenGateway: IGatewayEndpoint = {
    ...gateway,
    // A token, as a load balancer's DNS name or an API's URL is.
    tracesUrl: new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }).roleArn,
    grantExport: () => undefined,
    node: gateway.node,
  };
  const rendered = renderCollectorConfig(TracingExporter.gateway(tokenGateway));
  const config = YAML.parse(rendered.yaml) as { exporters: { otlp_http: { traces_endpoint: string } } };
  expect(config.exporters.otlp_http.traces_endpoint).toBe('${env:CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0}');
  expect(Object.keys(rendered.environment)).toEqual(['CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0']);
});

test('settings that need a gateway fail the synth without one, naming the fix', () => {
  const { stack } = newStack({ env: true });
  expect(
    () =>
      new TracedFunction(stack, 'Fn', {
        entry: fixture('hello.ts'),
        samplingMode: SamplingMode.TAIL,
        exporter: TracingExporter.debug(),
      }),
  ).toThrow(
    'samplingMode TAIL needs a gateway that sees whole traces: add a TracingGateway and set exporter: TracingExporter.gateway(gateway), or use SamplingMode.HEAD',
  );
  expect(
    () => new TracedFunction(stack, 'Head', { entry: fixture('hello.ts'), headSamplingRatio: 0.5 }),
  ).toThrow('headSamplingRatio is for SamplingMode.TAIL (got 0.5 with samplingMode HEAD): use samplingRatio');
  const { stack: tail } = tailStack();
  expect(() => new TracedFunction(tail, 'Fn', { entry: fixture('hello.ts'), headSamplingRatio: 2 })).toThrow(
    'headSamplingRatio must be between 0 and 1 (got 2)',
  );
});

test('a gateway reached inside its VPC needs the function in that VPC', () => {
  const { stack, gateway } = tailStack('vpc');
  expect(() => new TracedFunction(stack, 'Outside', { entry: fixture('hello.ts') })).toThrow(
    'exporter TracingExporter.gateway(TestStack/Gateway) is reached inside its VPC (GatewayAccess.vpc()): put the function in that VPC (vpc: gateway.vpc), or give the gateway GatewayAccess.iam()',
  );
  const inside = new TracedFunction(stack, 'Inside', { entry: fixture('hello.ts'), vpc: gateway.vpc });
  expect(gateway.granted).toEqual([inside]);
});
