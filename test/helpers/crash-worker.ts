// A worker process with the test runners, for tests that SIGKILL it mid-sweep.
import { serveWorkerProcess } from './test-workers.js';

await serveWorkerProcess({ cpuSlots: 4, gpuSlots: 2 });
