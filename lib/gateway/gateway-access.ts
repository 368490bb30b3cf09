/** How functions reach a `TracingGateway`. */
export enum GatewayAccessKind {
  /** Inside the gateway's VPC, through its internal Network Load Balancer, unauthenticated. */
  VPC = 'vpc',
  /** Through an HTTPS endpoint (API Gateway HTTP API) with IAM authorization (SigV4). */
  IAM = 'iam',
}

/**
 * How the functions' collectors reach a `TracingGateway`. Either way a function's spans leave
 * after its response (the collector extension's `decouple` processor sends them once the
 * function has returned), so neither way adds to the latency its caller sees.
 *
 * @example
 * new TracingGateway(stack, 'Gateway', { access: GatewayAccess.vpc() });
 */
export class GatewayAccess {
  /**
   * Inside the VPC: the functions send OTLP/HTTP (plain HTTP, inside the VPC) to the gateway's
   * internal Network Load Balancer on port 4318. The functions must be in the gateway's VPC
   * (`vpc: gateway.vpc`); each is let in by a security group rule from its own security groups
   * (`grantExport`).
   *
   * Cost: the load balancer's hours and capacity units (NLCU), whatever the traffic, and no
   * per-request price. A function in a VPC rarely pays for its network interface in a cold start
   * (Lambda creates the shared interfaces when the function is created or its VPC settings
   * change), but needs a NAT gateway or VPC endpoints to reach AWS APIs and the internet.
   */
  public static vpc(): GatewayAccess {
    return new GatewayAccess(GatewayAccessKind.VPC);
  }

  /**
   * From anywhere with IAM credentials: an API Gateway HTTP API with IAM authorization on
   * `POST /v1/traces`, a private integration through a VPC link to the same internal load
   * balancer. The functions' collectors sign their requests with SigV4 (`sigv4auth`, service
   * `execute-api`) and are granted `execute-api:Invoke` on that route alone (`grantExport`).
   * Functions need no VPC.
   *
   * Cost: the HTTP API's per-request price (about 1 USD per million requests in us-east-1,
   * metered in 512 KB increments; one request per export batch of a function's collector), its
   * access logs, and the load balancer as for `vpc()`.
   */
  public static iam(): GatewayAccess {
    return new GatewayAccess(GatewayAccessKind.IAM);
  }

  private constructor(
    /** How functions reach the gateway. */
    public readonly kind: GatewayAccessKind,
  ) {}
}
