// One real Temporal dev server (in memory, free port) for the whole test run, and the
// workflow bundle built once, so engine test files start workers in well under a second.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../../activities/engine/code-version.js';
import { startTestServer } from '../../client/server.js';
import { cachedWorkflowBundle } from '../../client/workers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [server, bundlePath] = await Promise.all([startTestServer(), cachedWorkflowBundle(join(REPO_ROOT, '.sweep'))]);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return () => server.stop();
}
