// A definition's input files, found and hashed where the sweep is planned: the client
// compiles the DAG, and each preselection's cache key holds the content hashes of its files,
// so a file replaced in place re-runs exactly what depends on it. Hashes come from a small
// cache under SWEEP_HOME while a file's size and timestamps stay the same.
import { join } from 'node:path';
import { DefinitionError, isUserError, UserError } from '../core/errors.js';
import type { InputFile } from '../core/dag.js';
import { sampleFiles, type InputFiles } from '../definitions/compile.js';
import type { Spec } from '../definitions/spec.js';
import { contentHash } from '../activities/lib/content-hash.js';
import { expandFileEntry } from '../activities/lib/data-files.js';

/** Every `file` entry of the definition, expanded under its data root and hashed; every problem at once. */
export async function resolveInputs(spec: Spec, hashCache: string): Promise<InputFiles> {
  const inputs = new Map<string, InputFile[]>();
  const problems: string[] = [];
  for (const { sample, entries } of sampleFiles(spec)) {
    const namedBy = new Map<string, string>();
    for (const entry of entries) {
      let paths: string[];
      try {
        paths = await expandFileEntry(spec.dataRoot, entry, sample);
      } catch (err) {
        if (!isUserError(err)) throw err;
        problems.push(`${spec.file}: ${err.message}`);
        continue;
      }
      for (const path of paths) {
        const first = namedBy.get(path);
        if (first !== undefined) {
          problems.push(
            `${spec.file}: sample ${sample}: '${path}' is named by two of its file entries ('${first}' and '${entry}'); name each file once.`,
          );
        }
        namedBy.set(path, first ?? entry);
      }
      const files: InputFile[] = [];
      for (const path of paths) files.push({ path, sha256: await hash(join(spec.dataRoot, path), hashCache) });
      inputs.set(entry, files);
    }
  }
  if (problems.length > 0) throw new DefinitionError(problems);
  return inputs;
}

async function hash(path: string, hashCache: string): Promise<string> {
  try {
    return await contentHash(path, hashCache);
  } catch (err) {
    throw new UserError(
      `cannot read ${path} to hash it (${(err as NodeJS.ErrnoException).code ?? String(err)}); check that the file is readable.`,
    );
  }
}
