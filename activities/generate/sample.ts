// The event loop of one sample: generate, simulate the detector, write candidates, and
// normalise the weights so the sample stands for its luminosity.
import type { SampleParams } from '../../core/dag.js';
import { UserError } from '../../core/errors.js';
import type { Table } from '../lib/parquet.js';
import { writeCandidates } from './candidates.js';
import { BEAM_BACKGROUND, Clusters, simulateDetector, Tracks } from './detector.js';
import { checkMassPoint, generateIdmdh } from './idmdh.js';
import { NtupleBuilder } from './ntuple.js';
import { Particles } from './particles.js';
import { PROCESSES, type ProcessModel } from './processes.js';
import { Rng } from '../lib/rng.js';

export interface GenerateOptions {
  events: number;
  seed: number;
  /** No resolutions and no beam background (closure tests of the kinematics). */
  idealDetector?: boolean;
  /** Called for every candidate written, with its tracks (e-, e+, mu-, mu+): truth studies. */
  onCandidate?: (tracks: Tracks, eMinus: number, ePlus: number, muMinus: number, muPlus: number) => void;
  /** Called every few thousand events; may throw to abort. */
  onProgress?: (done: number) => void | Promise<void>;
}

export interface GeneratedSample {
  table: Table;
  generated: number;
  /** Events the sample stands for: sigma * L for background, the generated events for signal. */
  generatedWeighted: number;
  candidates: number;
  eventsWithCandidates: number;
}

type Sample = Pick<SampleParams, 'name' | 'kind' | 'process' | 'mChi1' | 'mHprime' | 'luminosityFb'>;

const PROGRESS_EVERY = 20_000;

export async function generateSample(sample: Sample, options: GenerateOptions): Promise<GeneratedSample> {
  if (!Number.isInteger(options.events) || options.events < 1) {
    throw new UserError(`sample ${sample.name}: generate.events must be a positive integer, got ${options.events}.`);
  }
  const signal = sample.kind === 'signal';
  const signalPoint = signal ? checkMassPoint(sample.name, sample.mChi1, sample.mHprime) : undefined;
  const masses = signalPoint?.masses;
  const model = signal ? undefined : processModel(sample);
  const rng = Rng.fromSeed(options.seed);
  const ev = new Particles();
  const tracks = new Tracks();
  const clusters = new Clusters();
  const ntuple = new NtupleBuilder();
  const overlayMean = BEAM_BACKGROUND.tracksPerEvent / 2;
  const mChi1 = masses?.mChi1 ?? NaN;
  const mHprime = masses?.mHprime ?? NaN;
  let weightSum = 0;
  let eventsWithCandidates = 0;
  // P(at least one overlay track of each charge).
  const overlayBoth = (1 - Math.exp(-overlayMean)) ** 2;
  for (let event = 0; event < options.events; event++) {
    if (event % PROGRESS_EVERY === 0 && options.onProgress) await options.onProgress(event);
    let overlayPos: number;
    let overlayNeg: number;
    // Importance weight of the overlay: 1 when drawn from its natural distribution.
    let overlayWeight = 1;
    const mixture = model?.overlayMixture === true;
    if (model?.forceOverlayPair || (mixture && rng.uniform() < 0.5)) {
      overlayPos = rng.poissonAtLeastOne(overlayMean);
      overlayNeg = rng.poissonAtLeastOne(overlayMean);
    } else {
      overlayPos = rng.poisson(overlayMean);
      overlayNeg = rng.poisson(overlayMean);
    }
    if (mixture) {
      // Half natural, half forced to at least one track of each charge: weight natural / mixture.
      overlayWeight = overlayPos > 0 && overlayNeg > 0 ? 1 / (0.5 + 0.5 / overlayBoth) : 2;
    }
    let weight = 1;
    if (signalPoint) generateIdmdh(ev, signalPoint, rng);
    else weight = model!.generate(ev, rng, overlayPos, overlayNeg) * overlayWeight;
    if (ev.n === 0) {
      weightSum += weight;
      continue;
    }
    weight *= simulateDetector(ev, overlayPos, overlayNeg, rng, tracks, clusters, options.idealDetector, mixture);
    weightSum += weight;
    const onRow = options.onCandidate && ((a: number, b: number, c: number, d: number) => options.onCandidate!(tracks, a, b, c, d));
    if (writeCandidates(tracks, clusters, ntuple, rng, event, weight, mChi1, mHprime, onRow) > 0) eventsWithCandidates++;
  }
  let generatedWeighted = options.events;
  if (model) {
    generatedWeighted = model.crossSectionFb * sample.luminosityFb;
    // Forced classes of events stand for their probability; importance weights average to one.
    const overlayProbability = model.forceOverlayPair ? overlayBoth : 1;
    const norm = model.normalise === 'count' ? options.events : weightSum;
    ntuple.scaleWeights((generatedWeighted * model.filterProbability * overlayProbability) / norm);
  }
  return {
    table: ntuple.toTable(sample.process),
    generated: options.events,
    generatedWeighted,
    candidates: ntuple.rows,
    eventsWithCandidates,
  };
}

function processModel(sample: Sample): ProcessModel {
  const model = PROCESSES[sample.process];
  if (!model) {
    throw new UserError(
      `sample ${sample.name}: the generator has no process '${sample.process}'; ` +
        `choose one of ${Object.keys(PROCESSES).join(', ')}, or give the sample a file instead.`,
    );
  }
  return model;
}
