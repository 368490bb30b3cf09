import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer } from './local-server';

/** A secret the stand-in holds. */
export interface LocalSecret {
  /** The full ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`). */
  readonly arn: string;
  /** The secret string. */
  readonly secretString: string;
}

/** One `GetSecretValue` call as it arrived. */
export interface SecretRequest {
  readonly secretId: string;
  /** The region the request was signed for (from its SigV4 `Authorization` header). */
  readonly signedRegion?: string;
  /** The service it was signed for. */
  readonly signedService?: string;
}

/**
 * A local stand-in for AWS Secrets Manager's `GetSecretValue` on 127.0.0.1, as its API reference
 * documents it: the JSON 1.1 protocol (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`),
 * `SecretId` as the full ARN, a partial ARN (without the 6-character suffix) or the name; the
 * answer `{ ARN, Name, VersionId, SecretString, VersionStages, CreatedDate }`; an unknown secret
 * is `400 ResourceNotFoundException`, another action `400 UnknownOperationException`. Only the
 * secrets of its own region are found, as in AWS (a client signing for another region gets
 * `ResourceNotFoundException`). What the collector's `secretsmanager` configuration provider
 * needs, reached through `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 */
export class LocalSecretsManager extends LocalServer {
  readonly requests: SecretRequest[] = [];

  constructor(
    private readonly secrets: readonly LocalSecret[],
    private readonly region: string,
  ) {
    super();
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    const auth = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      String(req.headers.authorization),
    );
    if (target !== 'secretsmanager.GetSecretValue') {
      this.error(res, 'UnknownOperationException', `The action ${target} is not valid for this endpoint.`);
      return;
    }
    let secretId: string;
    try {
      secretId = String((JSON.parse(body) as { SecretId?: unknown }).SecretId ?? '');
    } catch {
      this.error(res, 'SerializationException', 'The request body is not valid JSON.');
      return;
    }
    this.requests.push({ secretId, signedRegion: auth?.[1], signedService: auth?.[2] });
    const secret = auth?.[1] === this.region ? this.find(secretId) : undefined;
    if (!secret) {
      this.error(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(
      JSON.stringify({
        ARN: secret.arn,
        Name: nameOf(secret.arn),
        VersionId: '00000000-0000-4000-8000-000000000001',
        SecretString: secret.secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1764000000,
      }),
    );
  }

  private find(secretId: string): LocalSecret | undefined {
    return this.secrets.find(
      (s) => s.arn === secretId || s.arn.slice(0, -7) === secretId || nameOf(s.arn) === secretId,
    );
  }

  private error(res: ServerResponse, type: string, message: string): void {
    res
      .writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type })
      .end(JSON.stringify({ __type: type, message }));
  }
}

/** The secret's name: the ARN's resource name without its 6-character suffix. */
function nameOf(arn: string): string {
  return arn.split(':secret:')[1].replace(/-[A-Za-z0-9]{6}$/, '');
}
