import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TracingLayer } from '../../lib/layer';

/** A synthesized tracing layer: its asset in the cloud assembly. */
export interface SynthesizedLayer {
  readonly app: App;
  readonly stack: Stack;
  /** The S3 key of the layer's content (`<asset hash>.zip`). */
  readonly s3Key: string;
  /** The asset directory in the cloud assembly (what Lambda extracts to `/opt`). */
  readonly assetDir: string;
  /** The shim in it, `<assetDir>/cdk-serverless-tracing/handler.mjs`. */
  readonly shimFile: string;
}

/**
 * Synthesizes a stack with the tracing layer, really built (into a new temporary outdir), and
 * returns where its asset is: the very file that would be deployed.
 */
export function synthTracingLayer(): SynthesizedLayer {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'tracing-layer-')) });
  const stack = new Stack(app, 'LayerStack');
  TracingLayer.of(stack);
  const assembly = app.synth();
  const s3Key = layerS3Key(stack);
  const assetDir = path.join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
  return {
    app,
    stack,
    s3Key,
    assetDir,
    shimFile: path.join(assetDir, 'cdk-serverless-tracing', 'handler.mjs'),
  };
}

/** The S3 key of the content of the one layer of a stack. */
export function layerS3Key(stack: Stack): string {
  const layers = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion');
  const keys = Object.values(layers).map((r) => (r.Properties.Content as { S3Key: string }).S3Key);
  if (keys.length !== 1) throw new Error(`expected one layer in ${stack.stackName}, got ${keys.length}`);
  return keys[0];
}

/** The files under a directory, recursively, as sorted `/`-separated relative paths. */
export function filesUnder(dir: string): string[] {
  const files: string[] = [];
  const visit = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const relative = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(relative);
      else files.push(relative);
    }
  };
  visit('');
  return files.sort();
}
