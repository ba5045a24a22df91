// Row 2: synth time of one stack of N users, each run in a fresh `node` process (synth-child.ts),
// the two ways interleaved run by run so that a noisy moment of the machine hits both. Measured
// with the CDK's built-in CloudFormation validation (the default, what `cdk synth` does) and
// without it (what the constructs themselves cost: the validation takes most of the time).
import * as path from 'node:path';
import { runNode } from './child-process';
import { median } from './stats';
import { WAYS, type Way } from './ways';

export interface SynthTimes {
  /** Median in-process synth time (construct tree + app.synth()), in ms, per way. */
  readonly medianMs: Record<Way, number>;
  readonly samplesMs: Record<Way, number[]>;
  /** Median wall time of the whole child process (Node start-up and imports included), per way. */
  readonly medianProcessMs: Record<Way, number>;
}

export interface SynthTime {
  readonly users: number;
  readonly runs: number;
  /** With the CDK's built-in validation, as `cdk synth` runs by default. */
  readonly withValidation: SynthTimes;
  readonly withoutValidation: SynthTimes;
}

const CHILD = path.join(__dirname, 'synth-child.js');

async function measure(users: number, runs: number, validation: boolean): Promise<SynthTimes> {
  const samples: Record<Way, number[]> = { ours: [], acr: [] };
  const processSamples: Record<Way, number[]> = { ours: [], acr: [] };
  for (let run = 0; run < runs; run++) {
    // Alternate which way goes first, so that neither always runs on a cooler machine.
    const order = run % 2 === 0 ? WAYS : [...WAYS].reverse();
    for (const way of order) {
      const { result, wallMs } = await runNode<{ synthMs: number }>([CHILD, way, String(users), validation ? 'on' : 'off']);
      samples[way].push(result.synthMs);
      processSamples[way].push(wallMs);
    }
  }
  return {
    samplesMs: samples,
    medianMs: { ours: median(samples.ours), acr: median(samples.acr) },
    medianProcessMs: { ours: median(processSamples.ours), acr: median(processSamples.acr) },
  };
}

export async function measureSynthTime(users: number, runs: number): Promise<SynthTime> {
  const withoutValidation = await measure(users, runs, false);
  const withValidation = await measure(users, runs, true);
  return { users, runs, withValidation, withoutValidation };
}
