import * as path from 'path';

// Where this package's own files are, at synth. Construct code reaches `layer/` only as such a
// path (esbuild bundles it, or it is read as data), never by importing it.

/** The root of this package (the folder of its package.json). */
export const PACKAGE_ROOT = path.join(__dirname, '..', '..');

/** A path inside the package's `layer/` folder (the run-time sources, shipped as TypeScript). */
export function layerPath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, 'layer', ...parts);
}
