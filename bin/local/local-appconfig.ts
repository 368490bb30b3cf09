import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer } from './local-server';

/** How the extension stand-in answers a configuration read. */
export type ExtensionMode = 'answer' | 'slow' | 'error' | 'malformed';

/** One hosted configuration version, as `CreateHostedConfigurationVersion` stored it. */
export interface HostedVersion {
  readonly applicationId: string;
  readonly profileId: string;
  readonly versionNumber: number;
  readonly content: string;
  readonly contentType: string;
}

/** One deployment, as `StartDeployment` recorded it (deployed at once: AllAtOnce, no bake time). */
export interface LocalDeployment {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly strategyId: string;
  readonly versionNumber: number;
  readonly deploymentNumber: number;
}

const HOSTED = /^\/applications\/([^/]+)\/configurationprofiles\/([^/]+)\/hostedconfigurationversions$/;
const DEPLOY = /^\/applications\/([^/]+)\/environments\/([^/]+)\/deployments$/;
const EXTENSION = /^\/applications\/([^/]+)\/environments\/([^/]+)\/configurations\/([^/?]+)$/;

/**
 * A local stand-in for AWS AppConfig on 127.0.0.1, in two parts on one port:
 *
 * - the control-plane calls the adaptive-sampling booster makes, as the AppConfig API reference
 *   documents them and the AWS SDK v3 client sends and parses them:
 *   `CreateHostedConfigurationVersion` (`POST /applications/{ApplicationId}/configurationprofiles/
 *   {ConfigurationProfileId}/hostedconfigurationversions`, the content as the body, its
 *   `Content-Type` header; answers 201 with the `Application-Id`, `Configuration-Profile-Id`,
 *   `Version-Number` and `Content-Type` headers and the content) and `StartDeployment`
 *   (`POST /applications/{ApplicationId}/environments/{EnvironmentId}/deployments`, a JSON body with
 *   `ConfigurationProfileId`, `ConfigurationVersion`, `DeploymentStrategyId`; answers 201 with the
 *   deployment as JSON, `State: COMPLETE`: the stand-in deploys at once);
 * - the AppConfig Agent Lambda extension's local endpoint
 *   (`GET /applications/{app}/environments/{env}/configurations/{profile}`, 200 with the deployed
 *   content, 404 before any deployment), which `mode` can make slow, failing or malformed.
 *
 * No validation of the content, no bake time, no deployment in progress, no permissions.
 */
export class LocalAppConfig extends LocalServer {
  readonly versions: HostedVersion[] = [];
  readonly deployments: LocalDeployment[] = [];
  /** Extension reads received (path), in order. */
  readonly reads: string[] = [];
  /** How the extension endpoint answers. */
  mode: ExtensionMode = 'answer';
  /** The delay of a `slow` answer, in milliseconds. */
  slowMs = 500;
  private readonly deployed = new Map<string, string>();

  /** `/applications/<app>/environments/<env>/configurations/<profile>` on this endpoint. */
  extensionUrl(app: string, env: string, profile: string): string {
    return `${this.endpoint}/applications/${app}/environments/${env}/configurations/${profile}`;
  }

  /** Deploys `content` directly (what CloudFormation's initial deployment of the construct does). */
  deploy(app: string, env: string, profile: string, content: string): void {
    this.deployed.set(`${app}/${env}/${profile}`, content);
  }

  clear(): void {
    this.versions.length = 0;
    this.deployments.length = 0;
    this.reads.length = 0;
    this.deployed.clear();
    this.mode = 'answer';
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    let match: RegExpExecArray | null;
    if (req.method === 'POST' && (match = HOSTED.exec(path))) {
      const [, applicationId, profileId] = match.map(decodeURIComponent);
      const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
      const versionNumber = this.versions.filter((v) => v.profileId === profileId).length + 1;
      this.versions.push({ applicationId, profileId, versionNumber, content: body, contentType });
      res
        .writeHead(201, {
          'Application-Id': applicationId,
          'Configuration-Profile-Id': profileId,
          'Version-Number': String(versionNumber),
          'Content-Type': contentType,
        })
        .end(body);
      return;
    }
    if (req.method === 'POST' && (match = DEPLOY.exec(path))) {
      const [, applicationId, environmentId] = match.map(decodeURIComponent);
      const input = JSON.parse(body) as {
        ConfigurationProfileId: string;
        ConfigurationVersion: string;
        DeploymentStrategyId: string;
      };
      const version = this.versions.find(
        (v) =>
          v.applicationId === applicationId &&
          v.profileId === input.ConfigurationProfileId &&
          String(v.versionNumber) === input.ConfigurationVersion,
      );
      if (!version) {
        res
          .writeHead(404, {
            'Content-Type': 'application/json',
            'x-amzn-ErrorType': 'ResourceNotFoundException',
          })
          .end(JSON.stringify({ Message: 'no such configuration version' }));
        return;
      }
      const deployment: LocalDeployment = {
        applicationId,
        environmentId,
        profileId: input.ConfigurationProfileId,
        strategyId: input.DeploymentStrategyId,
        versionNumber: version.versionNumber,
        deploymentNumber: this.deployments.length + 1,
      };
      this.deployments.push(deployment);
      this.deploy(applicationId, environmentId, input.ConfigurationProfileId, version.content);
      res.writeHead(201, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          ApplicationId: applicationId,
          EnvironmentId: environmentId,
          DeploymentStrategyId: input.DeploymentStrategyId,
          ConfigurationProfileId: input.ConfigurationProfileId,
          DeploymentNumber: deployment.deploymentNumber,
          ConfigurationVersion: input.ConfigurationVersion,
          DeploymentDurationInMinutes: 0,
          GrowthFactor: 100,
          FinalBakeTimeInMinutes: 0,
          State: 'COMPLETE',
          PercentageComplete: 100,
        }),
      );
      return;
    }
    if (req.method === 'GET' && (match = EXTENSION.exec(path))) {
      this.reads.push(path);
      const [, app, env, profile] = match.map(decodeURIComponent);
      const content = this.deployed.get(`${app}/${env}/${profile}`);
      const answer = () => {
        if (this.mode === 'error') res.writeHead(500).end('InternalServerException');
        else if (this.mode === 'malformed') res.writeHead(200).end('{"boostRatio": 1, "until": ');
        else if (content === undefined) res.writeHead(404).end('ResourceNotFoundException');
        else res.writeHead(200, { 'Content-Type': 'application/json' }).end(content);
      };
      if (this.mode === 'slow') setTimeout(answer, this.slowMs).unref();
      else answer();
      return;
    }
    res.writeHead(404).end(`no stand-in for ${req.method} ${path}`);
  }
}
