// The import rules of eslint.config.js hold the floors of the house: shown failing on the
// imports they exist to stop, and passing on the ones the layout relies on.
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../activities/engine/code-version.js';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: REPO_ROOT });
});

/** The messages of no-restricted-imports for `source` placed at `file`. */
async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${REPO_ROOT}/${file}` });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  const refused: [string, string, RegExp][] = [
    [
      'core/x.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      /core is shared with the deterministic workflows/,
    ],
    ['core/x.ts', "import { Ajv } from 'ajv';\nexport const x = Ajv;\n", /imports nothing that does I\/O/],
    ['core/x.ts', "import { compile } from '../definitions/compile.js';\nexport const x = compile;\n", /the core imports only the core/],
    ['workflows/x.ts', "import * as tf from '@tensorflow/tfjs';\nexport const x = tf;\n", /Workflow code runs deterministically/],
    ['workflows/x.ts', "import { parse } from 'yaml';\nexport const x = parse;\n", /Workflow code runs deterministically/],
    ['workflows/x.ts', "import { loadSpec } from '../definitions/load.js';\nexport const x = loadSpec;\n", /from the core only/],
    [
      'activities/score/x.ts',
      "import { readModel } from '../train/model-file.js';\nexport const x = readModel;\n",
      /only through its format\.ts/,
    ],
    [
      'activities/report/figures/x.ts',
      "import { buildScan } from '../../scan/result.js';\nexport const x = buildScan;\n",
      /only through its format\.ts/,
    ],
    ['activities/engine/x.ts', "import { SCAN_FILE } from '../scan/format.js';\nexport const x = SCAN_FILE;\n", /knows no node kind/],
    ['activities/lib/x.ts', "import { ArtifactStore } from '../engine/store.js';\nexport const x = ArtifactStore;\n", /no engine/],
    [
      'definitions/x.ts',
      "import { runTrain } from '../activities/train/index.js';\nexport const x = runTrain;\n",
      /stands below the engine/,
    ],
    [
      'client/x.ts',
      "import { buildScan } from '../activities/scan/result.js';\nexport const x = buildScan;\n",
      /through its format\.ts only/,
    ],
  ];
  for (const [file, source, message] of refused) {
    it(`refuses in ${file}: ${source.split('\n')[0]}`, async () => {
      const messages = await restricted(file, source);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(message);
    });
  }

  const allowed: [string, string][] = [
    ['core/x.ts', "import type { Dag } from './dag.js';\nexport type X = Dag;\n"],
    [
      'workflows/x.ts',
      "import { proxyActivities } from '@temporalio/workflow';\nimport type { Spec } from '../definitions/spec.js';\nexport type X = Spec;\nexport const x = proxyActivities;\n",
    ],
    ['activities/score/x.ts', "import { loadModel } from '../train/format.js';\nexport const x = loadModel;\n"],
    ['activities/report/figures/x.ts', "import { readScanFile } from '../../scan/format.js';\nexport const x = readScanFile;\n"],
    ['activities/registry.ts', "import { runScan } from './scan/index.js';\nexport const x = runScan;\n"],
  ];
  for (const [file, source] of allowed) {
    it(`allows in ${file}: ${source.split('\n')[0]}`, async () => {
      expect(await restricted(file, source)).toEqual([]);
    });
  }
});
