import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { ORIGINAL_HANDLER_ENV, SHIM_HANDLER, SHIM_PATH } from '../core/layer-constants';
import { shimAssetHash, shimSourceDir, writeShim } from './private/shim-build';

/** The id of the layer under its stack. */
const TRACING_LAYER_ID = 'CdkServerlessTracingLayer';

/**
 * The tracing layer: the tracing runtime and a handler shim in one minified ES module,
 * `/opt/cdk-serverless-tracing/handler.mjs`, for Node.js functions the library did not build
 * (a plain `lambda.Function`, a `NodejsFunction`, a third-party construct).
 *
 * Such a function keeps its code. Its handler becomes the shim ({@link TracingLayer.HANDLER}) and
 * its own handler string moves to the environment variable
 * {@link TracingLayer.ORIGINAL_HANDLER_ENV}; at init the shim loads that handler as Lambda would
 * (CommonJS, `.mjs`, or `.js` under `"type": "module"`; nested paths and nested exports) and
 * exports it wrapped with `traced()`. The `TracingPolicy` Aspect does this; it can also be done
 * by hand, as below. A handler that cannot be found fails the init with an error naming it.
 *
 * There is one layer per stack ({@link TracingLayer.of}), shared by all its functions. Its file
 * is plain JavaScript, so one asset serves both architectures: the layer lists x86_64 and arm64,
 * which gives every architecture its asset, shared by all functions. The asset is built at synth
 * with the esbuild package (no Docker), once per set of inputs, and its hash depends on those
 * inputs only, so every stack and app gets the same asset (uploaded once per environment). A
 * stack left out by the `aws:cdk:bundling-stacks` context (the CLI sets it to the stacks a
 * command selects) gets the same hash without the build, as `NodejsFunction` skips its bundling.
 *
 * @example
 * const fn = new lambda.Function(stack, 'Legacy', {
 *   runtime: lambda.Runtime.NODEJS_22_X,
 *   code: lambda.Code.fromAsset('legacy'),
 *   handler: TracingLayer.HANDLER,
 *   environment: { [TracingLayer.ORIGINAL_HANDLER_ENV]: 'src/handlers/pay.main' },
 *   layers: [TracingLayer.of(stack)],
 * });
 */
export class TracingLayer extends lambda.LayerVersion {
  /** The handler of a function traced through the layer: `/opt/cdk-serverless-tracing/handler.handler`. */
  public static readonly HANDLER: string = SHIM_HANDLER;

  /** The environment variable that holds the function's original handler, e.g. `index.handler`. */
  public static readonly ORIGINAL_HANDLER_ENV: string = ORIGINAL_HANDLER_ENV;

  /** The Node.js runtimes Lambda supports (the shim is built for Node.js 18 and reads nothing newer). */
  public static readonly COMPATIBLE_RUNTIMES: readonly lambda.Runtime[] = [
    lambda.Runtime.NODEJS_20_X,
    lambda.Runtime.NODEJS_22_X,
    lambda.Runtime.NODEJS_24_X,
  ];

  /** The tracing layer of the stack of `scope`, created on first use. */
  public static of(scope: IConstruct): lambda.ILayerVersion {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(TRACING_LAYER_ID);
    if (existing) {
      if (!(existing instanceof TracingLayer)) {
        throw new Error(
          `cdk-serverless-tracing: ${stack.node.path} has a child "${TRACING_LAYER_ID}" that is not the tracing layer; rename it`,
        );
      }
      return existing;
    }
    return new TracingLayer(stack, TRACING_LAYER_ID);
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id, {
      code: shimCode(),
      description: `cdk-serverless-tracing: tracing runtime and handler shim (${SHIM_PATH})`,
      compatibleRuntimes: [...TracingLayer.COMPATIBLE_RUNTIMES],
      compatibleArchitectures: [lambda.Architecture.X86_64, lambda.Architecture.ARM_64],
      license: 'Apache-2.0',
    });
  }
}

/**
 * The layer's code: the shim written by local bundling (the Docker image is never used: local
 * bundling always succeeds or throws), under a hash of the build's inputs.
 */
function shimCode(): lambda.AssetCode {
  return lambda.Code.fromAsset(shimSourceDir(), {
    assetHashType: AssetHashType.CUSTOM,
    assetHash: shimAssetHash(),
    bundling: {
      image: DockerImage.fromRegistry('cdk-serverless-tracing-local-bundling-only'),
      local: {
        tryBundle(outputDir: string): boolean {
          writeShim(outputDir);
          return true;
        },
      },
    },
  });
}
