import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';

/** How a function-side collector authenticates to a gateway: SigV4 for API Gateway. */
export interface GatewaySigV4Auth {
  /** SigV4 signing (the collector's `sigv4auth` extension). */
  readonly kind: 'sigv4';
  /** The region the requests are signed for (the gateway's). */
  readonly region: string;
  /** The service the requests are signed for. */
  readonly service: 'execute-api';
}

/** No authentication: the gateway is reached inside its VPC, through its internal load balancer. */
export interface GatewayNoAuth {
  /** No authentication. */
  readonly kind: 'none';
}

/**
 * Where the function-side collector sends its spans when a gateway samples the tail
 * (implemented by `TracingGateway`; `core/` holds it so `collector/` and `wiring/` can name it
 * without importing `gateway/`).
 */
export interface IGatewayEndpoint {
  /** The OTLP/HTTP traces URL (`…/v1/traces`); a deploy-time value (a token). */
  readonly tracesUrl: string;
  /** How the collector authenticates: SigV4 for `execute-api` in `region`, or none (inside the VPC). */
  readonly auth: GatewaySigV4Auth | GatewayNoAuth;
  /** The VPC functions must be in, for `none` (the gateway's VPC; also set for `sigv4`, where it is not needed). */
  readonly vpc?: ec2.IVpc;
  /**
   * Lets a function send to it: `execute-api:Invoke` on the route for `sigv4`; for `none`, an
   * ingress rule from the function's security groups to the load balancer when the grantee is
   * connectable (a function in the VPC).
   */
  grantExport(grantee: iam.IGrantable): void;
  /** The construct path (for messages). */
  readonly node: { readonly path: string };
}
