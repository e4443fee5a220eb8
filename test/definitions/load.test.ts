import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { DefinitionError } from '../../core/errors.js';
import { loadSpec } from '../../definitions/load.js';
import { loadSpecText } from '../../definitions/load.js';
import { compileText, edit, errorsOf, lineOf, load, SMALL } from './fixture.js';

/** The single message the text raises, checked to start with `small.yaml:<line>:`. */
function oneError(text: string, line: number): string {
  const messages = errorsOf(text);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatch(new RegExp(`^small\\.yaml:${line}:\\d+  `));
  return messages[0];
}

describe('loadSpecText: bad input, one message each with file, line and column', () => {
  it('reports a YAML syntax error with its position', () => {
    const text = edit(SMALL, 'luminosity: 100', 'luminosity: [100');
    const messages = errorsOf(text);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages[0]).toMatch(/^small\.yaml:\d+:\d+ {2}- {2}YAML syntax: /);
    const line = Number(/^small\.yaml:(\d+):/.exec(messages[0])![1]);
    expect(line).toBeGreaterThanOrEqual(lineOf(text, 'luminosity: [100'));
  });

  it('reports a duplicate key as a YAML error', () => {
    const text = edit(SMALL, 'seed: 7\n', 'seed: 7\nseed: 8\n');
    expect(oneError(text, lineOf(text, 'seed: 8'))).toContain('Map keys must be unique');
  });

  it('names an unknown key and suggests the closest one', () => {
    const text = edit(SMALL, '  preset: fast', '  preset: fast\n  lerningRate: 0.1');
    const message = oneError(text, lineOf(text, 'lerningRate'));
    expect(message).toContain('/training/lerningRate');
    expect(message).toContain('unknown key "lerningRate"; did you mean "learningRate"?');
    expect(message).toContain('expected one of: preset, epochs');
  });

  it('reports a misspelt required key once, as the unknown key with the required one as its suggestion', () => {
    const top = edit(SMALL, 'luminosity: 100', 'luminosty: 100');
    expect(oneError(top, lineOf(top, 'luminosty'))).toContain('/luminosty  unknown key "luminosty"; did you mean "luminosity"?');
    const nested = edit(SMALL, 'bestCandidate:', 'bestCandidat:');
    expect(oneError(nested, lineOf(nested, 'bestCandidat:'))).toContain('unknown key "bestCandidat"; did you mean "bestCandidate"?');
    // A key too far from any name is no typo: then the missing key is a problem of its own.
    const far = edit(SMALL, 'luminosity: 100', 'lumi: 100');
    expect(errorsOf(far).map((m) => m.replace(/^\S+ {2}/, ''))).toEqual([
      expect.stringMatching(/^\/ {2}missing key "luminosity"/),
      expect.stringMatching(/^\/lumi {2}unknown key "lumi" \(expected one of: /),
    ]);
  });

  it('names a wrong type with the value it got and what was expected', () => {
    const text = edit(SMALL, 'luminosity: 100', 'luminosity: lots');
    const message = oneError(text, lineOf(text, 'luminosity: lots'));
    expect(message).toMatch(/^small\.yaml:\d+:13 {2}\/luminosity {2}must be number, got "lots" \(expected: Integrated luminosity/);
  });

  it('rejects DVAE with latentDim 1 and says to exclude it', () => {
    const text = edit(SMALL, '  exclude:\n    - { architecture: DVAE, latentDim: 1 }\n', '');
    const message = oneError(text, lineOf(text, 'latentDim: [1, 2, 3]'));
    expect(message).toContain('/models/matrix/latentDim/0');
    expect(message).toContain('DVAE needs latentDim >= 2');
    expect(message).toContain('add `{architecture: DVAE, latentDim: 1}` to models.exclude');
  });

  it('rejects DVAE with latentDim 1 added by include', () => {
    const text = edit(SMALL, '  exclude:', '  include:\n    - { architecture: DVAE, latentDim: [1, 5] }\n  exclude:');
    const message = oneError(text, lineOf(text, '{ architecture: DVAE, latentDim: [1, 5] }'));
    expect(message).toContain('/models/include/0  DVAE needs latentDim >= 2');
  });

  it('rejects a reference to an undefined sample, with a suggestion', () => {
    const text = edit(SMALL, 'taus: [tautau]', 'taus: [tautau, uubr]');
    const message = oneError(text, lineOf(text, 'taus: [tautau, uubr]'));
    expect(message).toContain('/trainingSets/taus/1');
    expect(message).toContain('"uubr" is not a background sample; did you mean "uubar"?');
  });

  it('rejects a signal sample in a training set', () => {
    const text = edit(SMALL, 'taus: [tautau]', 'taus: [tautau, idmdh_mchi1-1_mhp-0.5]');
    expect(oneError(text, lineOf(text, 'taus:'))).toContain('is a signal sample; training sets hold background samples only');
  });

  it('rejects a reference to an undefined training set', () => {
    const text = edit(SMALL, '    architecture: [AE, DVAE]', '    background: [all, tau]\n    architecture: [AE, DVAE]');
    const message = oneError(text, lineOf(text, 'background: [all, tau]'));
    expect(message).toContain('/models/matrix/background/1  no training set named "tau"; did you mean "taus"?');
  });

  it('suggests the right value for a misspelt enum value', () => {
    const text = edit(SMALL, 'architecture: [AE, DVAE]', 'architecture: [AE, DAVE]');
    expect(oneError(text, lineOf(text, 'DAVE'))).toContain(
      '"DAVE" is not allowed here; did you mean "DVAE"? (expected one of: AE, VAE, DVAE)',
    );
  });

  it('gives one message for a selector value that is neither a value nor a list', () => {
    const text = edit(SMALL, '{ architecture: DVAE, latentDim: 1 }', '{ architecture: DVEA, latentDim: 1 }');
    const message = oneError(text, lineOf(text, 'DVEA'));
    expect(message).toContain('/models/exclude/0/architecture  got "DVEA"; did you mean "DVAE"?');
  });

  it('rejects unknown ntuple columns in features and in the column mapping', () => {
    const text = edit(SMALL, 'features: [eminus_E,', 'columns: { misE: E_miss }\nfeatures: [eminus_e,');
    const messages = errorsOf(text);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain(
      `small.yaml:${lineOf(text, 'columns:')}:12  /columns/misE  "misE" is not allowed here; did you mean "missE"?`,
    );
    expect(messages[1]).toContain(`small.yaml:${lineOf(text, 'features:')}:`);
    expect(messages[1]).toContain('did you mean "eminus_E"?');
  });

  it('rejects an unknown generator process but accepts any process label for a file sample', () => {
    const text = edit(SMALL, 'process: uubar', 'process: uubarr');
    expect(oneError(text, lineOf(text, 'uubarr'))).toContain('did you mean "uubar"?');
    expect(() => load(edit(SMALL, 'process: mumu, file', 'process: myOwnProcess, file'))).not.toThrow();
  });

  it('reports a missing required key at its parent', () => {
    const text = edit(SMALL, '  bestCandidate: { minimise: missE }', '  bestCandidate: {}');
    expect(oneError(text, lineOf(text, 'bestCandidate'))).toContain('/preselection/bestCandidate  missing key "minimise"');
  });

  it('rejects impossible resources', () => {
    const text = edit(
      SMALL,
      'maxParallel: { train: 1, cpu: 3 }',
      'maxParallel: { train: 0, cpu: 3 }\n  retry: { preselect: { initialIntervalSeconds: 60, maximumIntervalSeconds: 5 } }',
    );
    const messages = errorsOf(text);
    expect(messages).toHaveLength(1); // the schema fails first; the semantic retry check runs once it passes
    expect(messages[0]).toContain('/execution/maxParallel/train  must be >= 1, got 0');
    const retry = edit(text, 'train: 0', 'train: 1');
    expect(oneError(retry, lineOf(retry, 'retry:'))).toContain('maximumIntervalSeconds (5) is below initialIntervalSeconds (60)');
    const folds = edit(SMALL, '  preset: fast', '  preset: fast\n  folds: 1');
    expect(oneError(folds, lineOf(folds, 'folds: 1'))).toContain('/training/folds  must be >= 2, got 1');
  });

  it('rejects duplicate sample names and cut names', () => {
    const text = edit(edit(SMALL, 'name: uubar', 'name: tautau'), 'name: noExtraTracks', 'name: goodTracks');
    const messages = errorsOf(text);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('/samples/background/1/name  duplicate sample name "tautau"');
    expect(messages[1]).toContain('/preselection/cuts/1/name  duplicate cut name "goodTracks"');
  });

  it('rejects a sample with both or neither of generate and file, and files outside data.root', () => {
    const both = edit(SMALL, 'file: mumu.parquet', 'file: ../mumu.parquet, generate: { events: 3 }');
    const messages = errorsOf(both);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('/samples/background/2  give exactly one of `generate: {events: N}`');
    expect(messages[1]).toContain('/samples/background/2/file  "../mumu.parquet" must be a relative path inside data.root');
    const neither = edit(SMALL, 'file: mumu.parquet, weight: 2', 'weight: 2');
    expect(errorsOf(neither).join('\n')).toContain('/samples/background/2/weight  `weight` only applies to file samples');
    const absolute = edit(SMALL, 'file: mumu.parquet', 'file: /etc/passwd');
    expect(oneError(absolute, lineOf(absolute, '/etc/passwd'))).toContain('must be a relative path inside data.root');
  });

  it('checks what file samples say about their ROOT trees and weights', () => {
    const generatedTree = edit(
      SMALL,
      '{ name: tautau, process: tautau, generate: { events: 1000 } }',
      '{ name: tautau, process: tautau, generate: { events: 1000 }, tree: t }',
    );
    expect(oneError(generatedTree, lineOf(generatedTree, 'tree: t'))).toContain(
      '/samples/background/0/tree  `tree` only applies to file samples',
    );
    const parquetTree = edit(SMALL, 'file: mumu.parquet, weight: 2', 'file: [mumu.parquet, more/*.parquet], tree: variables');
    expect(oneError(parquetTree, lineOf(parquetTree, 'tree: variables'))).toContain(
      '/samples/background/2/tree  `tree` names the TTree of ROOT files, but no file of this sample ends in .root',
    );
    const noGenerated = edit(SMALL, 'file: mumu.parquet, weight: 2', 'file: mumu.root, crossSectionNb: 0.5');
    expect(oneError(noGenerated, lineOf(noGenerated, 'crossSectionNb'))).toContain(
      '/samples/background/2/crossSectionNb  `crossSectionNb` needs `generated`',
    );
    const both = edit(SMALL, 'file: mumu.parquet, weight: 2', 'file: mumu.root, weight: 2, crossSectionNb: 0.5, generated: 10');
    expect(oneError(both, lineOf(both, 'crossSectionNb'))).toContain('give `weight` or `crossSectionNb` (with `generated`), not both');
    const typo = edit(SMALL, 'file: mumu.parquet, weight: 2', 'file: mumu.root, weightColum: w');
    expect(oneError(typo, lineOf(typo, 'weightColum'))).toContain('unknown key "weightColum"; did you mean "weightColumn"?');
    expect(() =>
      load(
        edit(
          SMALL,
          'file: mumu.parquet, weight: 2',
          'file: [a/*.root, b.root], tree: v, crossSectionNb: 0.5, generated: 9, weightColumn: w',
        ),
      ),
    ).not.toThrow();
  });

  it('checks every entry of a file list: inside data.root, one file per signal point', () => {
    const outside = edit(SMALL, 'file: mumu.parquet', 'file: [mumu.parquet, ../other.parquet]');
    expect(oneError(outside, lineOf(outside, '../other'))).toContain(
      '/samples/background/2/file/1  "../other.parquet" must be a relative path inside data.root',
    );
    const signal = edit(SMALL, 'generate: { events: 200 }', 'file: ["signal/{name}.root", "signal/all.root"]');
    expect(oneError(signal, lineOf(signal, 'signal/all'))).toContain('/samples/signal/file/1  every grid point needs its own files');
  });

  it('checks cut expressions structurally', () => {
    const empty = edit(SMALL, 'expr: "nExtraTracks == 0"', 'expr: "  "');
    expect(oneError(empty, lineOf(empty, 'expr: "  "'))).toContain('/preselection/cuts/1/expr  the expression is empty');
    const noPlaceholder = edit(SMALL, '"{p}_nCDCHits > 20"', '"eminus_nCDCHits > 20"');
    expect(oneError(noPlaceholder, lineOf(noPlaceholder, 'eminus_nCDCHits'))).toContain('has forEach but its expression has no {p}');
    const noForEach = edit(SMALL, '"nExtraTracks == 0"', '"{p}_dr < 1"');
    expect(oneError(noForEach, lineOf(noForEach, '{p}_dr'))).toContain('uses {p} but the cut has no forEach');
  });

  it('rejects matrix entries that do nothing', () => {
    const exclude = edit(
      SMALL,
      '{ architecture: DVAE, latentDim: 1 }',
      '{ architecture: DVAE, latentDim: 1 }\n    - { architecture: VAE }',
    );
    expect(oneError(exclude, lineOf(exclude, '{ architecture: VAE }'))).toContain('/models/exclude/1  matches no model of the matrix');
    const include = edit(SMALL, '  exclude:', '  include:\n    - { architecture: AE, latentDim: [2, 3] }\n  exclude:');
    expect(oneError(include, lineOf(include, 'latentDim: [2, 3]'))).toContain('/models/include/0  adds no model');
  });

  it('checks the scan settings against the models', () => {
    const latent = edit(SMALL, 'training:', 'scan: { score: "latent:1" }\ntraining:');
    expect(oneError(latent, lineOf(latent, 'latent:1'))).toContain(
      'latent:1 needs every model to have latentDim >= 2 (coordinates count from 0), but AE-l1 has 1',
    );
    expect(() => load(edit(SMALL, 'training:', 'scan: { score: "latent:0" }\ntraining:'))).not.toThrow();
    const quantiles = edit(SMALL, 'training:', 'scan: { quantiles: [0.9, 0.1] }\ntraining:');
    expect(oneError(quantiles, lineOf(quantiles, 'quantiles'))).toContain('the low quantile (0.9) must be below the high one (0.1)');
    const score = edit(SMALL, 'training:', 'scan: { score: latent }\ntraining:');
    expect(oneError(score, lineOf(score, 'score: latent'))).toContain(
      '/scan/score  "latent" is not allowed here (expected: mse (reconstruction error) or latent:<i>',
    );
  });

  it('checks the signal grid, where and examples', () => {
    const where = edit(SMALL, 'where: m_hprime <= m_chi1', 'where: m_hprime <= mchi1');
    expect(oneError(where, lineOf(where, 'where:'))).toContain('/samples/signal/where  unknown variable "mchi1"');
    const none = edit(SMALL, 'where: m_hprime <= m_chi1', 'where: m_hprime > 5');
    expect(errorsOf(none).join('\n')).toContain('keeps no point of the mass grid');
    const example = edit(SMALL, 'light: { m_chi1: 0.5, m_hprime: 0.5 }', 'light: { m_chi1: 0.5, m_hprime: 1 }');
    expect(oneError(example, lineOf(example, 'light:'))).toContain('example "light" (m_chi1 0.5, m_hprime 1) is not a signal sample');
  });

  it('refuses generated mass points that Eq. 3.7 closes, and where can name m_chi2 to drop them', () => {
    const closed = edit(SMALL, 'm_chi1: [0.5, 1, 3], m_hprime: [0.5, 1]', 'm_chi1: [0.5, 1, 3], m_hprime: [0.5, 1, 2]');
    expect(oneError(closed, lineOf(closed, 'where:'))).toContain(
      'cannot generate (m_chi1 3, m_hprime 2): m_chi1 + m_chi2 + m_hprime must stay below sqrt(s) = 10.58 GeV',
    );
    const fixed = edit(closed, 'where: m_hprime <= m_chi1', 'where: m_hprime <= m_chi1 && m_chi1 + m_chi2 + m_hprime < 10.58');
    const names = compileText(fixed)
      .nodes.filter((n) => n.kind === 'generate')
      .map((n) => n.id);
    expect(names).toContain('generate/idmdh_mchi1-3_mhp-1');
    expect(names).not.toContain('generate/idmdh_mchi1-3_mhp-2');
  });

  it('rejects a heat-map model that does not exist', () => {
    const text = edit(SMALL, 'training:', 'report: { heatmapModel: AE-2 }\ntraining:');
    expect(oneError(text, lineOf(text, 'heatmapModel'))).toContain('no model named "AE-2"; did you mean "AE-l2"?');
  });

  it('reports every schema error of the file at once, in file order', () => {
    let text = edit(SMALL, 'luminosity: 100', 'luminosity: -1');
    text = edit(text, 'events: 500', 'events: many');
    text = edit(text, '  preset: fast', '  preset: fastest\n  epochz: 3');
    text = edit(text, 'features: [eminus_E,', 'features: [eminus_E, eminus_E,');
    const messages = errorsOf(text);
    expect(messages).toHaveLength(5);
    const lines = messages.map((m) => Number(/^small\.yaml:(\d+):/.exec(m)![1]));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(lines).toContain(lineOf(text, 'luminosity: -1'));
    expect(lines).toContain(lineOf(text, 'events: many'));
    expect(lines).toContain(lineOf(text, 'preset: fastest'));
    expect(lines).toContain(lineOf(text, 'epochz'));
    expect(messages.join('\n')).toContain('/features/1  repeats item 0');
  });

  it('reports every semantic error at once', () => {
    let text = edit(SMALL, 'taus: [tautau]', 'taus: [tau]');
    text = edit(text, 'expr: "nExtraTracks == 0"', 'expr: ""');
    text = edit(text, '{ architecture: DVAE, latentDim: 1 }', '{ architecture: DVAE, latentDim: 1 }\n    - { latentDim: 9 }');
    expect(errorsOf(text)).toHaveLength(3);
  });

  it('rejects an empty file and a file that is not a mapping', () => {
    expect(errorsOf('')[0]).toMatch(/^small\.yaml:1:1 {2}\/ {2}must be object, got nothing/);
    expect(errorsOf('- a\n- b\n')[0]).toMatch(/^small\.yaml:1:1 {2}\/ {2}must be object, got a list/);
  });

  it('throws a DefinitionError, a UserError, so the CLI prints it without a stack', () => {
    const error = (() => {
      try {
        load(edit(SMALL, 'seed: 7', 'seed: -7'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DefinitionError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as DefinitionError).message).toBe((error as DefinitionError).messages.join('\n'));
  });
});

describe('loadSpecText with the columns each sample will have', () => {
  const columns = (names: string[], text: string[] = []): Map<string, { numeric: boolean }> =>
    new Map([
      ...names.map((n): [string, { numeric: boolean }] => [n, { numeric: true }]),
      ...text.map((n): [string, { numeric: boolean }] => [n, { numeric: false }]),
    ]);
  const errors = (columnsOf: (sample: string) => Map<string, { numeric: boolean }> | undefined) => {
    try {
      loadSpecText(SMALL, 'small.yaml', { columnsOf });
    } catch (error) {
      if (error instanceof DefinitionError) return error.messages;
      throw error;
    }
    return [];
  };
  const ALL = [
    'eminus_E',
    'muplus_E',
    'missE',
    'missPz',
    'nExtraTracks',
    ...['eminus', 'eplus', 'muminus', 'muplus'].map((p) => `${p}_nCDCHits`),
  ];

  it('passes when every sample has every column', () => {
    expect(errors(() => columns(ALL))).toEqual([]);
  });

  it('names a feature, the best-candidate column and a cut column that one sample lacks, at their lines', () => {
    const lacking = errors((sample) =>
      sample === 'tautau'
        ? columns(
            ALL.filter((c) => !['missPz', 'nExtraTracks'].includes(c)),
            ['missE'],
          )
        : columns(ALL),
    );
    expect(lacking).toEqual([
      expect.stringMatching(
        /^small\.yaml:\d+:\d+ {2}\/preselection\/cuts\/1\/expr {2}sample tautau, cut 'noExtraTracks': unknown column 'nExtraTracks'/,
      ),
      expect.stringMatching(/\/preselection\/bestCandidate\/minimise {2}the best-candidate column 'missE' holds text in sample tautau/),
      expect.stringMatching(/\/features\/2 {2}feature 'missE' holds text in sample tautau, but a number is required/),
      expect.stringMatching(/\/features\/3 {2}feature 'missPz' is not a column of sample tautau/),
    ]);
  });

  it('skips samples whose columns are not known yet', () => {
    expect(errors(() => undefined)).toEqual([]);
  });
});

describe('loadSpec', () => {
  it('reads a file, fills defaults and resolves data.root against its directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sweep-def-'));
    const file = path.join(dir, 'small.yaml');
    writeFileSync(file, edit(SMALL, 'luminosity: 100', 'luminosity: 100\ndata: { root: ntuples }'));
    const spec = loadSpec(file);
    expect(spec.dataRoot).toBe(path.join(dir, 'ntuples'));
    expect(spec.file).toBe(file);
    expect(spec.preselection.testFraction).toBe(0.3);
    expect(spec.scan).toEqual({ score: 'mse', punziA: 1, quantiles: [0.01, 0.99], steps: 100 });
    expect(spec.samples.signal.process).toBe('idmdh');
    expect(spec.models.include).toEqual([]);
  });

  it('names a file it cannot read', () => {
    expect(() => loadSpec('/nonexistent/sweep.yaml')).toThrow(/^\/nonexistent\/sweep\.yaml: cannot read the definition \(ENOENT\)$/);
  });
});
