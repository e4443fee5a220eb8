// Two checkouts sharing one server: sweeps of the same name stay apart, each checkout sees
// and resumes only its own, with its own store.
import { afterAll, describe, expect, it } from 'vitest';
import { projectName } from '../../client/project.js';
import { describeSweep } from '../../client/sweeps.js';
import { startTestEngine, tempHome, testDag, uniqueName, type TestEngine } from '../helpers/engine.js';
import { removeTempDirs } from '../helpers/temp.js';

const engines: TestEngine[] = [];
afterAll(async () => {
  for (const engine of engines) await engine.close();
  await removeTempDirs();
});

describe('projects', () => {
  it('keeps sweeps of the same name from two stores apart', async () => {
    const name = uniqueName('same-name');
    for (let i = 0; i < 2; i++) {
      const home = await tempHome();
      engines.push(await startTestEngine(home, { project: projectName(home, {}) }));
    }
    const [a, b] = engines as [TestEngine, TestEngine];
    expect(a.scope.project).not.toBe(b.scope.project);
    const dag = testDag(name, [{ id: 'n', kind: 'generate', params: { sleepMs: 200 } }]);
    const [runA, runB] = await Promise.all([a.start(dag), b.start(dag)]);
    expect(runA.attached || runB.attached).toBe(false);
    expect(runA.handle.workflowId).toBe(`${a.scope.project}/sweep/${name}`);
    expect(runB.handle.workflowId).toBe(`${b.scope.project}/sweep/${name}`);
    const [resultA, resultB] = await Promise.all([runA.handle.result(), runB.handle.result()]);
    // Each sweep's artifact lies in its own store.
    expect(new URL(resultA.nodes[0]!.artifact!.uri).pathname.startsWith(a.scope.home)).toBe(true);
    expect(new URL(resultB.nodes[0]!.artifact!.uri).pathname.startsWith(b.scope.home)).toBe(true);
    const [seenA, seenB] = [await describeSweep(a.client, name, a.scope), await describeSweep(b.client, name, b.scope)];
    expect(seenA.runId).toBe(runA.runId);
    expect(seenB.runId).toBe(runB.runId);
  }, 60_000);
});
