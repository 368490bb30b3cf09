import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';

/**
 * Lets `grantee` read `secret` at run time: `secret.grantRead`, and, for a secret encrypted with an
 * imported key, `kms:Decrypt` on that key through Secrets Manager in `scope`'s region only.
 * (`grantRead` lets a key of the app decrypt for the grantee in the key's policy, but adds nothing
 * for an imported key: its policy is not the app's.)
 */
export function grantSecretRead(
  secret: secretsmanager.ISecret,
  grantee: iam.IGrantable,
  scope: IConstruct,
): void {
  secret.grantRead(grantee);
  const key = secret.encryptionKey;
  if (key !== undefined && !(key instanceof kms.Key)) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(scope).region}.amazonaws.com` },
        },
      }),
    );
  }
}

/**
 * The region of `secret` when it is known and is not `region` (a secret read at run time is read
 * in the reader's own region); undefined otherwise, or while either is a token.
 */
export function secretInOtherRegion(
  secret: secretsmanager.ISecret | undefined,
  region: string | undefined,
): string | undefined {
  const secretRegion = secret?.env.region;
  return region !== undefined &&
    secretRegion !== undefined &&
    !Token.isUnresolved(region) &&
    !Token.isUnresolved(secretRegion) &&
    secretRegion !== region
    ? secretRegion
    : undefined;
}
