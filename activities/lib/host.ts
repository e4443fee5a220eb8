// What this host can train on: the optional native TensorFlow.js packages, and a probe for
// a working GPU one that does not load TensorFlow into the caller (the worker).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** npm packages of the native TensorFlow backends (optional dependencies, built by `npm run setup:native`). */
export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
export const TFJS_NODE = '@tensorflow/tfjs-node';

/** Whether @tensorflow/tfjs-node-gpu loads here; probed in a short-lived process. */
export function hasGpuBackend(): Promise<boolean> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(TFJS_NODE_GPU);
  } catch {
    return Promise.resolve(false);
  }
  const probe = `import(${JSON.stringify(pathToFileURL(entry).href)}).then(() => process.exit(0), () => process.exit(1))`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', probe], { timeout: 120_000 }, (err) => resolve(err === null));
  });
}
