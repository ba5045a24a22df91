// One handler invocation in its own `node` process, as one Lambda invocation would run:
//   node dist/bench/handler-process.js <ours|acr> <cold|bulk>
// Line 1 on stdin is {"event": <the CloudFormation event>, "warmUp"?: <another event>}. In `cold`
// mode the process loads the handler and runs the event at once, timing both; in `bulk` mode it
// loads the handler, runs the warm-up event, prints {"ready":true}, and waits for a second line
// ("go") before running the event, so that many processes can be started first and released
// together. The last stdout line is the result.
// Only the handler and node's own modules are loaded here: this file must stay that light.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { loadAwsCustomResourceHandler, runAwsCustomResourceHandler } from './aws-custom-resource-handler';
import { AWS_SDK_CLIENT, OUR_HANDLER_FILE } from './handler-files';

/** The Lambda timeout of our handler (lib/provider.ts HANDLER_TIMEOUT): the budget of one invocation. */
const LAMBDA_TIMEOUT_MS = 5 * 60_000;

export interface HandlerProcessInput {
  readonly event: CloudFormationCustomResourceEvent;
  /** bulk: an event run before reporting ready (a Delete of a user that does not exist yet). */
  readonly warmUp?: CloudFormationCustomResourceEvent;
}

export interface HandlerProcessResult {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  readonly physicalResourceId?: string;
  /** cold: loading the handler module, in ms. */
  readonly loadMs?: number;
  /** cold: loading the handler and running the event, in ms. */
  readonly firstEventMs?: number;
  /** cold: bytes of JavaScript loaded from disk by the time the event is answered. */
  readonly loadedBytes?: number;
  readonly loadedFiles?: number;
  /** bulk: when the event was answered (epoch ms, comparable across processes of one machine). */
  readonly doneAt?: number;
}

type Runner = (event: CloudFormationCustomResourceEvent, deadline: number) => Promise<{ status: 'SUCCESS' | 'FAILED'; reason?: string; physicalResourceId?: string }>;

function load(way: string): Runner {
  if (way === 'ours') {
    // The bundle is what Lambda loads (index.handler).
    const ours = require(OUR_HANDLER_FILE) as typeof import('../lambda');
    return async (event, deadline) => {
      try {
        const outcome = await ours.handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
        return { status: 'SUCCESS', physicalResourceId: outcome.PhysicalResourceId };
      } catch (error) {
        return { status: 'FAILED', reason: (error as Error).message };
      }
    };
  }
  if (way === 'acr') {
    const theirs = loadAwsCustomResourceHandler();
    return async (event) => {
      const response = await runAwsCustomResourceHandler(theirs, event);
      return { status: response.Status, reason: response.Reason, physicalResourceId: response.PhysicalResourceId };
    };
  }
  throw new Error(`unknown way '${way}': use ours or acr`);
}

/** The JavaScript files this process has loaded, and their size. */
function loadedCode(): { bytes: number; files: number } {
  // The benchmark's own files (this one and its helpers) do not count.
  const files = Object.keys(require.cache).filter((file) => path.dirname(file) !== __dirname);
  return { bytes: files.reduce((sum, file) => sum + fs.statSync(file).size, 0), files: files.length };
}

async function main(): Promise<void> {
  const [way, mode] = process.argv.slice(2);
  if (mode !== 'cold' && mode !== 'bulk') throw new Error(`usage: handler-process.js <ours|acr> <cold|bulk> (got ${process.argv.slice(2).join(' ')})`);
  const write = (result: object) => process.stdout.write(`\n${JSON.stringify(result)}\n`);
  // The handlers log with console.log; their lines are not results.
  console.log = () => undefined;
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const { event, warmUp } = JSON.parse((await lines.next()).value as string) as HandlerProcessInput;

  if (mode === 'cold') {
    const started = performance.now();
    const run = load(way);
    const loadMs = performance.now() - started;
    const outcome = await run(event, Date.now() + LAMBDA_TIMEOUT_MS);
    const firstEventMs = performance.now() - started;
    const code = loadedCode();
    write({ ...outcome, loadMs, firstEventMs, loadedBytes: code.bytes, loadedFiles: code.files } satisfies HandlerProcessResult);
  } else {
    const run = load(way);
    // The AwsCustomResource handler requires the SDK client on its first event; loaded here, before
    // the release, both ways start with all their code loaded (row 3 shows what loading costs),
    // and 200 processes loading it at once on 2 cores do not slow the release down.
    if (way === 'acr') require(AWS_SDK_CLIENT);
    // One call before the release, with its result ignored: the first call of a process builds the
    // SDK client's machinery (about 40 ms of CPU). In Lambda, 200 invocations do that in parallel,
    // each on its own CPU; here 200 processes would queue for 2 cores for seconds at the release.
    if (warmUp) await run(warmUp, Date.now() + LAMBDA_TIMEOUT_MS);
    write({ ready: true });
    await lines.next();
    const outcome = await run(event, Date.now() + LAMBDA_TIMEOUT_MS);
    write({ ...outcome, doneAt: Date.now() } satisfies HandlerProcessResult);
  }
  // A retry timer the deadline cut short may still be pending: the invocation is over.
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(2);
});
