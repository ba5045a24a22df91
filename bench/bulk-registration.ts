// Row 5: many users registered at once against a throttled QuickSight, as a deployment of a large
// stack does: N creates, each in its own `node` process running the handler (as N Lambda
// invocations would), against one emulator that answers at most R requests per second (a token
// bucket, burst R) and ThrottlingException beyond.
//
// The processes are started first, each loads its handler, makes one warm-up call and reports
// ready, and then all are released at once: Node's start-up and the first call's set-up on this
// machine (2 cores for N processes) are not counted. The
// clock runs from the release to the last answer. The floor is N / R: no client can do better.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { QUIET_NODE_ENV } from './child-process';
import { sdkEnvironment, withEmulator } from './emulator';
import { createEvent, declaredResources, deleteEvent } from './events';
import type { HandlerProcessInput, HandlerProcessResult } from './handler-process';
import { median } from './stats';
import { ACCOUNT, NAMESPACE, standardUsers, userArn, type Way } from './ways';

export interface BulkRegistration {
  readonly way: Way;
  readonly users: number;
  readonly ratePerSecond: number;
  readonly successes: number;
  /** Users QuickSight holds afterwards (must equal successes). */
  readonly registered: number;
  readonly totalMs: number;
  readonly floorMs: number;
  readonly ratioToFloor: number;
  /** Requests that reached the emulator, how many it throttled, and how many got no answer (the client gave up first). */
  readonly requests: number;
  readonly throttled: number;
  readonly unanswered: number;
  /** The median invocation, from release to answer. */
  readonly medianMs: number;
  /** Every invocation's time from release to answer, sorted. */
  readonly answeredAfterMs: number[];
  /** The first few distinct FAILED reasons. */
  readonly failures: string[];
  /** Memory the waiting processes took (MemAvailable before start-up minus at release), in MiB. */
  readonly workersMemoryMiB: number;
  /** How long starting the processes took (not counted in totalMs). */
  readonly startupMs: number;
  /** Whether the emulator ran at a raised scheduling priority. */
  readonly emulatorPrioritized: boolean;
}

const CHILD = path.join(__dirname, 'handler-process.js');
/** Processes starting at the same time: more only makes them fight for the 2 cores. */
const STARTUP_CONCURRENCY = 8;
/**
 * The emulator's scheduling priority during the run. On this machine the invocations share 2
 * cores with the emulator, which stands for a service with machines of its own: starved of CPU,
 * it would answer late and clients would time out, which QuickSight does not do under a mere
 * request rate limit. Raising a priority needs root; without it, the run goes on as is.
 */
const EMULATOR_PRIORITY = -10;
/** A process that has not answered by then is killed and counted as failed (the Lambda timeout is 5 min). */
const ANSWER_TIMEOUT_MS = 6 * 60_000;

interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  readonly result: Promise<HandlerProcessResult>;
}

function startWorker(way: Way, input: HandlerProcessInput, env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, [CHILD, way, 'bulk'], { env: { ...process.env, ...QUIET_NODE_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000); });
  const lines = createInterface({ input: child.stdout });
  let onReady!: () => void;
  let onResult!: (result: HandlerProcessResult) => void;
  const ready = new Promise<void>((resolve) => { onReady = resolve; });
  const result = new Promise<HandlerProcessResult>((resolve) => { onResult = resolve; });
  let answered = false;
  lines.on('line', (line) => {
    let message: { ready?: boolean } & HandlerProcessResult;
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return; // not a protocol line
    }
    if (message.ready) onReady();
    else { answered = true; onResult(message); }
  });
  // 'close', not 'exit': the last stdout line may still be unread when the process exits.
  child.on('close', (code) => {
    onReady();
    if (!answered) onResult({ status: 'FAILED', reason: `the process exited with ${code} without answering: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
  });
  child.stdin.write(`${JSON.stringify(input)}\n`);
  return { child, ready, result };
}

/** Ends the processes of this run that are still running (each by its own pid). */
function stopWorkers(workers: readonly Worker[]): void {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill();
}

function trySetPriority(priority: number): boolean {
  try {
    os.setPriority(priority);
    return true;
  } catch {
    return false;
  }
}

function memAvailableMiB(): number {
  const line = fs.readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('MemAvailable:'));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
}

export async function measureBulkRegistration(way: Way, users: number, ratePerSecond: number): Promise<BulkRegistration> {
  const declared = standardUsers(users);
  // The warm-up: a Delete of the user about to be created, which does not exist yet (QuickSight
  // answers ResourceNotFoundException; nothing changes). Its calls happen before the count starts.
  const inputs: HandlerProcessInput[] = declaredResources(way, declared).map((resource, i) => ({
    event: createEvent(resource, `bulk-${i + 1}`),
    warmUp: deleteEvent(userArn(declared[i].UserName), resource, `warm-up-${i + 1}`),
  }));
  return withEmulator(async (emulator) => {
    const env = sdkEnvironment(emulator);
    const priority = os.getPriority();
    const prioritized = trySetPriority(EMULATOR_PRIORITY);
    const workers: Worker[] = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      const memoryBefore = memAvailableMiB();
      const startupStarted = performance.now();
      for (let i = 0; i < inputs.length; i += STARTUP_CONCURRENCY) {
        const batch = inputs.slice(i, i + STARTUP_CONCURRENCY).map((input) => startWorker(way, input, env));
        workers.push(...batch);
        await Promise.all(batch.map((w) => w.ready));
      }
      const startupMs = performance.now() - startupStarted;
      const workersMemoryMiB = memoryBefore - memAvailableMiB();

      // The throttle starts with a full bucket at the release, as an idle account's would.
      emulator.resetCalls();
      emulator.faults.throttle({ ratePerSecond });
      const releasedAt = Date.now();
      for (const worker of workers) worker.child.stdin.end('go\n');
      timer = setTimeout(() => stopWorkers(workers), ANSWER_TIMEOUT_MS);
      const results = await Promise.all(workers.map((w) => w.result));
      const answeredAfter = results.map((r) => (r.doneAt ?? Date.now()) - releasedAt);
      const totalMs = Math.max(...answeredAfter);

      const successes = results.filter((r) => r.status === 'SUCCESS').length;
      const registered = declared.filter((u) => emulator.getUser(ACCOUNT, NAMESPACE, u.UserName)).length;
      const failures = [...new Set(results.filter((r) => r.status === 'FAILED').map((r) => (r.reason ?? '').slice(0, 300)))].slice(0, 3);
      const floorMs = (users / ratePerSecond) * 1000;
      return {
        way, users, ratePerSecond, successes, registered, totalMs, floorMs, ratioToFloor: totalMs / floorMs,
        requests: emulator.callCount(), throttled: emulator.faultCounts.throttle, unanswered: emulator.calls.filter((c) => c.status === 0).length,
        medianMs: median(answeredAfter), answeredAfterMs: [...answeredAfter].sort((a, b) => a - b), failures, workersMemoryMiB, startupMs, emulatorPrioritized: prioritized,
      };
    } finally {
      clearTimeout(timer);
      stopWorkers(workers);
      if (prioritized) trySetPriority(priority);
    }
  });
}
