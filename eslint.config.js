// Lint: typescript-eslint's recommended rules, Prettier owns the formatting, and import
// rules that keep the floors of the house: the core and the workflows free of I/O, the
// language below the engine, and node kinds from reaching into each other's runners (a
// kind reads another kind's artifact through that kind's format.ts only).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const KINDS = ['generate', 'preselect', 'fit-scaler', 'train', 'score', 'scan', 'report'];

/** Packages and Node modules that do I/O or carry native code. */
const IO_PACKAGES = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'child_process',
  'os',
  'ajv',
  'yaml',
  'jsep',
  '@tensorflow/*',
  'hyparquet',
  'hyparquet-writer',
  'jsroot',
  'jsroot/*',
  'tinyglobby',
  'vega',
  'vega-lite',
  '@resvg/*',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

const noIo = (why) => ({ group: IO_PACKAGES, message: `${why} imports nothing that does I/O.` });

/**
 * What a file in activities/<room> may not import: nothing of the client or the workflows
 * anywhere; in the engine and lib no node kind (activities/registry.ts wires the kinds in),
 * in lib not the engine either; in a kind, another kind's files but its format.ts.
 */
function activitiesRules(room) {
  const patterns = [{ regex: '^(\\.\\./)+(client|workflows)/', message: 'activities stand below the client and the workflows.' }];
  if (room === 'engine' || room === 'lib') {
    const forbidden = [...KINDS, 'registry\\.js', 'child\\.js', ...(room === 'lib' ? ['engine'] : [])];
    patterns.push({
      regex: `^\\.\\./(${forbidden.join('|')})`,
      message: `activities/${room} knows no node kind${room === 'lib' ? ' and no engine' : ''}.`,
    });
  }
  if (KINDS.includes(room)) {
    patterns.push({
      regex: `^(\\.\\./)+(${KINDS.filter((k) => k !== room).join('|')})/(?!format\\.js$)`,
      message: 'a node kind reads another kind only through its format.ts.',
    });
  }
  return patterns;
}

export default tseslint.config(
  { ignores: ['node_modules/', '.sweep/', 'out/', 'activities/train/fused/*.wasm'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noIo('The core is shared with the deterministic workflows, so it'),
            { regex: '^\\.\\./', message: 'the core imports only the core.' },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noIo('Workflow code runs deterministically in a sandbox and'),
            {
              regex: '^\\.\\./(activities|client|definitions)/',
              allowTypeImports: true,
              message: 'workflows take data and rules from the core only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['definitions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(activities|client|workflows)/',
              message: 'the sweep language stands below the engine, the workflows and the client.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.\\./activities/(${KINDS.join('|')})/(?!format\\.js$)`,
              message: "the client reads a node kind's artifacts through its format.ts only.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: activitiesRules('activities') }] },
  },
  ...['engine', 'lib', ...KINDS].map((room) => ({
    files: [`activities/${room}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: activitiesRules(room) }] },
  })),
);
