// Row 3: the handler's cold start. Size of what is deployed, and, in a fresh `node` process per
// run, the time to load the handler module (Lambda's init phase) and the time until the first
// event (a create, against the local emulator) is answered.
//
// Fair comparison: our bundle carries the AWS SDK; the AwsCustomResource handler requires the
// SDK client from the Lambda runtime on its first event (here from node_modules, the same
// @aws-sdk/client-quicksight version our bundle carries). So "load" favours it (the SDK is not
// loaded yet), and "first event" counts the SDK for both.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNode } from './child-process';
import { sdkEnvironment, withEmulator } from './emulator';
import { createEvent, declaredResource } from './events';
import { AWS_CUSTOM_RESOURCE_HANDLER_FILE, OUR_HANDLER_FILE } from './handler-files';
import type { HandlerProcessInput, HandlerProcessResult } from './handler-process';
import { median } from './stats';
import { standardUser, WAYS, type Way } from './ways';

export interface ColdStart {
  readonly runs: number;
  /** Bytes of the Lambda asset (the handler's directory), per way. */
  readonly assetBytes: Record<Way, number>;
  /** Bytes of JavaScript loaded from disk by the end of the first event (the SDK included), per way. */
  readonly loadedBytes: Record<Way, number>;
  readonly loadedFiles: Record<Way, number>;
  readonly medianLoadMs: Record<Way, number>;
  readonly medianFirstEventMs: Record<Way, number>;
  readonly samples: Record<Way, Array<{ loadMs: number; firstEventMs: number }>>;
}

const CHILD = path.join(__dirname, 'handler-process.js');
const HANDLER_FILES: Record<Way, string> = { ours: OUR_HANDLER_FILE, acr: AWS_CUSTOM_RESOURCE_HANDLER_FILE };

function directoryBytes(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(dir, entry.name);
    return sum + (entry.isDirectory() ? directoryBytes(full) : fs.statSync(full).size);
  }, 0);
}

export async function measureColdStart(runs: number): Promise<ColdStart> {
  const events = Object.fromEntries(WAYS.map((way) => [way, createEvent(declaredResource(way, standardUser(1)))])) as Record<Way, ReturnType<typeof createEvent>>;
  const samples: ColdStart['samples'] = { ours: [], acr: [] };
  const loaded = {} as Record<Way, { bytes: number; files: number }>;
  await withEmulator(async (emulator) => {
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? WAYS : [...WAYS].reverse();
      for (const way of order) {
        emulator.reset();
        const { result } = await runNode<HandlerProcessResult>([CHILD, way, 'cold'], sdkEnvironment(emulator), `${JSON.stringify({ event: events[way] } satisfies HandlerProcessInput)}\n`);
        if (result.status !== 'SUCCESS') throw new Error(`cold start of the ${way} handler: the create failed: ${result.reason}`);
        if (emulator.users().length !== 1) throw new Error(`cold start of the ${way} handler: expected 1 user in QuickSight, found ${emulator.users().length}`);
        samples[way].push({ loadMs: result.loadMs!, firstEventMs: result.firstEventMs! });
        loaded[way] = { bytes: result.loadedBytes!, files: result.loadedFiles! };
      }
    }
  });
  const per = <T>(f: (way: Way) => T) => Object.fromEntries(WAYS.map((way) => [way, f(way)])) as Record<Way, T>;
  return {
    runs,
    assetBytes: per((way) => directoryBytes(path.dirname(HANDLER_FILES[way]))),
    loadedBytes: per((way) => loaded[way].bytes),
    loadedFiles: per((way) => loaded[way].files),
    medianLoadMs: per((way) => median(samples[way].map((s) => s.loadMs))),
    medianFirstEventMs: per((way) => median(samples[way].map((s) => s.firstEventMs))),
    samples,
  };
}
