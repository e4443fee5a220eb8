// `--set PATH=VALUE`: a definition changed from the command line, checked like the file.
import { describe, expect, it } from 'vitest';
import { DefinitionError } from '../../core/errors.js';
import { loadSpecText, parseOverride } from '../../definitions/load.js';
import { SMALL } from './fixture.js';

const load = (...sets: string[]) => loadSpecText(SMALL, 'small.yaml', { overrides: sets.map(parseOverride) });

function messagesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof DefinitionError) return error.messages;
    throw error;
  }
  throw new Error('no DefinitionError');
}

describe('--set', () => {
  it('replaces values, adds keys and indexes lists, values in YAML', () => {
    const spec = load('training.preset=thesis', 'name=small-thesis', 'models.matrix.seed=[1, 2]', 'samples.background.2.weight=3');
    expect(spec.name).toBe('small-thesis');
    expect(spec.training.preset).toBe('thesis');
    expect(spec.models.matrix?.seed).toEqual([1, 2]);
    expect(spec.samples.background[2]!.weight).toBe(3);
    // The file is untouched by one load's overrides.
    expect(loadSpecText(SMALL, 'small.yaml').name).toBe('small');
  });

  it('the last of two overrides of one value wins', () => {
    expect(load('training.preset=thesis', 'training.preset=fast').training.preset).toBe('fast');
  });

  it('a value the schema refuses names the --set that gave it', () => {
    expect(messagesOf(() => load('training.preset=slow')).join('\n')).toMatch(
      /\/training\/preset .*\(set by --set training\.preset=slow\)/,
    );
  });

  it('refuses what is not PATH=VALUE, a value that is not YAML, and a path through a single value', () => {
    expect(messagesOf(() => parseOverride('training.preset'))[0]).toMatch(
      /^--set training\.preset: not PATH=VALUE; write --set PATH=VALUE/,
    );
    expect(messagesOf(() => parseOverride('training..preset=fast'))[0]).toMatch(/not PATH=VALUE/);
    expect(messagesOf(() => parseOverride('models.matrix.seed=[1, 2'))[0]).toMatch(
      /^--set models\.matrix\.seed=\[1, 2: the value is not YAML/,
    );
    expect(messagesOf(() => load('name.first=x'))[0]).toMatch(
      /^--set name\.first=x: name is a single value, not a map or list, so it has no first/,
    );
    expect(messagesOf(() => load('samples.background.9.weight=1'))[0]).toMatch(
      /samples\.background\.9 is past the end of its list \(3 items\)/,
    );
  });
});
