// The namespace of one store's sweeps on a Temporal server. Two checkouts (or two users)
// sharing a server must never see or run each other's sweeps: the workflow ids
// (`<project>/sweep/<name>`) and the task queues (`<project>/cpu`, ...) carry the project,
// on the embedded dev server and on a named cluster alike. It is SWEEP_PROJECT when set,
// else an id kept in the artifact store, so every host sharing the store shares it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { ArtifactStore, sweepHome } from '../activities/engine/store.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PROJECT_FILE = 'project';

export function projectName(home: string = sweepHome(), env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.SWEEP_PROJECT;
  if (explicit !== undefined && explicit !== '') {
    if (!NAME.test(explicit))
      throw new UsageError(`SWEEP_PROJECT is "${explicit}"; use letters, digits, . _ and - (at most 64, starting with a letter or digit)`);
    return explicit;
  }
  const root = ArtifactStore.fromHome(home).root;
  const file = join(root, PROJECT_FILE);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Readable in the Temporal UI: the folder the store belongs to, plus a random part.
  const folder =
    basename(dirname(home))
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 40) || 'sweeps';
  const name = `${folder}-${randomBytes(3).toString('hex')}`;
  mkdirSync(root, { recursive: true });
  // `wx`: when two processes create it at once, the first one's name stands.
  try {
    writeFileSync(file, `${name}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(file, 'utf8').trim();
}
