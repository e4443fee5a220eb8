#!/usr/bin/env node
// `sweep` as installed by npm (package.json "bin"): runs the TypeScript CLI through tsx's
// ESM loader, so there is no build step.
import { register } from 'tsx/esm/api';

// npx and npm exec start this script under `sh -c`, and on SIGTERM npm ends that shell, which
// does not pass the signal on: a worker would go on polling as an orphan. So when npm started
// us, losing our parent counts as the SIGTERM that was meant for us (a worker then stops as
// it does on SIGTERM, giving running nodes their grace period).
if (process.env.npm_execpath) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  watch.unref();
}

register();
await import('./main.ts');
