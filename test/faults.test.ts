// QuickSight faults during deployments: the emulator injects throttling (a token bucket at a few
// requests a second), 500 and 503 answers, dropped connections and slow answers, at random with
// fixed seeds, while the CloudFormation simulator deploys, changes and deletes a stack with
// resources running in parallel. Under each:
// - every event gets exactly one answer, SUCCESS or FAILED with a clear reason, within the
//   handler's time budget (never a hang);
// - no user is lost at any point: after every operation that completes, every user the stack
//   declares exists as declared;
// - after the faults stop and the last template is deployed again, the state converges: nothing
//   lost, nothing leaked.
// Each run deploys V1, then V2 rolled back halfway (so the rollback runs under the faults), then V2
// to completion (cleanup Deletes under the faults), then deletes the stack, all under the faults.
// The budgets are short so the tests stay fast; in Lambda the budget is the timeout less 5 s.
import { RemovalPolicy, Tags, type Stack } from 'aws-cdk-lib';
import { IdentityType, QuickSightUser, UserRole, type QuickSightUserProps } from '../lib';
import { checkState, CloudFormationSimulator, MAX_RESPONSE_BYTES, type DeployOptions, type EventRecord, type OperationResult, type Template } from './cfn-simulator';
import type { FaultKind, QuickSightEmulator } from './emulator/quicksight-emulator';
import { useEmulator } from './handler-harness';
import { countEvents, writeFigures } from './reliability/figures';
import { synth } from './reliability/stacks';

const ACCOUNT = '123456789012';
const emulator = useEmulator({ seed: 4242 });

interface FaultRun {
  readonly name: string;
  readonly inject: (emulator: QuickSightEmulator) => void;
  /** The faults this run injects: each must happen at least once in the run, or the run proves nothing. */
  readonly expects: readonly FaultKind[];
  /** The handler's budget per event. */
  readonly budgetMs: number;
  readonly concurrency: number;
}

const RUNS: FaultRun[] = [
  { name: 'a throttling storm (token bucket, 4 requests/s, 6 events at once)', inject: (e) => e.faults.throttle({ ratePerSecond: 4, burst: 4 }), expects: ['throttle'], budgetMs: 30_000, concurrency: 6 },
  { name: '500 answers (30% of requests)', inject: (e) => e.faults.random({ seed: 500, rates: { internal: 0.3 } }), expects: ['internal'], budgetMs: 20_000, concurrency: 4 },
  { name: '503 answers (30% of requests)', inject: (e) => e.faults.random({ seed: 503, rates: { unavailable: 0.3 } }), expects: ['unavailable'], budgetMs: 20_000, concurrency: 4 },
  { name: 'dropped connections (20% of requests)', inject: (e) => e.faults.random({ seed: 1, rates: { drop: 0.2 } }), expects: ['drop'], budgetMs: 20_000, concurrency: 4 },
  { name: 'slow answers (20% of requests, 600 ms)', inject: (e) => e.faults.random({ seed: 2, rates: { slow: 0.2 }, delayMs: 600 }), expects: ['slow'], budgetMs: 20_000, concurrency: 4 },
  {
    name: 'all of them at once, under a 6 requests/s bucket',
    inject: (e) => {
      e.faults.random({ seed: 3, rates: { throttle: 0.1, internal: 0.08, unavailable: 0.08, drop: 0.05, slow: 0.05 }, delayMs: 400 });
      e.faults.throttle({ ratePerSecond: 6, burst: 6 });
    },
    expects: ['throttle', 'internal', 'unavailable', 'drop', 'slow'],
    budgetMs: 30_000,
    concurrency: 6,
  },
];

function user(stack: Stack, id: string, name: string, props: Partial<QuickSightUserProps> = {}): void {
  new QuickSightUser(stack, id, { identityType: IdentityType.QUICKSIGHT, userName: name, email: `${name}@example.com`, role: UserRole.READER, stackOutputs: false, ...props });
}

const V1 = (stack: Stack) => {
  for (let i = 0; i < 5; i++) user(stack, `Reader${i}`, `reader${i}`);
  user(stack, 'Author', 'author', { role: UserRole.AUTHOR, tags: { team: 'finance' } });
  user(stack, 'Bob', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:user/bob` });
  user(stack, 'Carol', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, sessionName: 'carol' });
  user(stack, 'Kept', 'kept', { removalPolicy: RemovalPolicy.RETAIN });
};

/** Every kind of change at once: emails, roles, tags on all, a rename, a namespace move, a removal, additions. */
const V2 = (stack: Stack) => {
  user(stack, 'Reader0', 'reader0', { email: 'reader0.new@example.com' });
  user(stack, 'Reader1', 'reader1', { role: UserRole.AUTHOR_PRO });
  user(stack, 'Reader2', 'reader2-renamed', { email: 'reader2@example.com' });
  user(stack, 'Reader3', 'reader3', { namespace: 'finance' });
  user(stack, 'Author', 'author', { role: UserRole.READER, tags: { team: 'sales' }, customPermissionsName: 'NoExports' });
  user(stack, 'Bob', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:user/bob`, role: UserRole.ADMIN });
  user(stack, 'Carol', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, sessionName: 'carol' });
  user(stack, 'Kept', 'kept', { removalPolicy: RemovalPolicy.RETAIN });
  user(stack, 'New0', 'new0');
  user(stack, 'New1', 'new1', { role: UserRole.ADMIN_PRO });
  Tags.of(stack).add('wave', '2');
};

const totals = { runs: 0, events: 0, failedEvents: 0, faults: {} as Record<string, number>, lost: 0, leaked: 0, drifted: 0, slowestEventMs: 0 };
const allEvents: EventRecord[] = [];

/** Every event answered once, in time, and every FAILED with a clear reason that fits CloudFormation's response. */
function expectWellAnswered(result: OperationResult, run: FaultRun): void {
  for (const event of result.events) {
    expect(event.answeredBy).not.toBe('timeout');
    expect(event.durationMs).toBeLessThan((run.budgetMs + 1_000) * Math.max(1, event.deliveries));
    expect(event.responseBytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    if (event.status === 'FAILED') {
      expect(event.reason).toMatch(/^QuickSight (did not complete \w+|\w+) for user '[^']+' (within the handler's time budget|failed with \w+)/);
      expect(event.reason).toContain('\n\nLogs: /aws/lambda/');
    }
  }
  totals.events += result.events.length;
  totals.failedEvents += result.events.filter((e) => e.status === 'FAILED').length;
  totals.slowestEventMs = Math.max(totals.slowestEventMs, ...result.events.map((e) => e.durationMs));
  allEvents.push(...result.events);
}

/**
 * Adds the faults injected since the emulator's counts were last reset to this run's counts and to
 * the totals. Each run keeps its own counts: a check on the totals could only fail on the first run.
 */
function countFaults(run: Record<string, number>): void {
  for (const [kind, count] of Object.entries(emulator().faultCounts)) {
    run[kind] = (run[kind] ?? 0) + count;
    totals.faults[kind] = (totals.faults[kind] ?? 0) + count;
  }
}

/** Each fault the run injects happened in this run. */
function expectFaultsHappened(run: FaultRun, counted: Record<string, number>): void {
  expect(Object.fromEntries(run.expects.map((kind) => [kind, (counted[kind] ?? 0) > 0]))).toEqual(Object.fromEntries(run.expects.map((kind) => [kind, true])));
}

describe.each(RUNS)('$name', (run) => {
  test('every event answered once in time; nothing lost; converges once the faults stop', async () => {
    emulator().addNamespace(ACCOUNT, 'finance');
    const cfn = new CloudFormationSimulator({ budgetMs: run.budgetMs, concurrency: run.concurrency, log: () => undefined });
    const v1 = synth(V1);
    const v2 = synth(V2);
    const faultsOfThisRun: Record<string, number> = {};
    // V2 is deployed twice under the faults: first rolled back (another resource fails after 6 of
    // its changes, so the rollback runs under the faults too), then to completion.
    const steps: Array<[Template, DeployOptions]> = [[v1, {}], [v2, { failAfter: 6 }], [v2, {}]];
    const noneLost = () => {
      if (!cfn.status.endsWith('_COMPLETE') || cfn.status === 'DELETE_COMPLETE') return;
      const state = checkState(emulator(), [cfn]);
      totals.lost += state.lost.length;
      expect({ status: cfn.status, lost: state.lost, drifted: state.drifted }).toEqual({ status: cfn.status, lost: [], drifted: [] });
    };
    run.inject(emulator());

    for (const [template, options] of steps) {
      const result = await cfn.deploy(template, options);
      expectWellAnswered(result, run);
      noneLost();
      if (cfn.status === 'UPDATE_ROLLBACK_FAILED') expectWellAnswered(await cfn.continueUpdateRollback(), run);
      if (cfn.status === 'ROLLBACK_FAILED') expectWellAnswered(await cfn.deleteStack(), run);
    }
    countFaults(faultsOfThisRun);
    emulator().resetCalls();

    // The faults stop; whatever state the stack is in, it is brought back and the last template deployed again.
    emulator().faults.clear();
    if (cfn.status === 'UPDATE_ROLLBACK_FAILED') expectWellAnswered(await cfn.continueUpdateRollback(), run);
    if (cfn.status === 'ROLLBACK_FAILED' || cfn.status === 'DELETE_FAILED') expectWellAnswered(await cfn.deleteStack(), run);
    const redeployed = await cfn.deploy(v2);
    expectWellAnswered(redeployed, run);
    expect(cfn.status).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
    const converged = checkState(emulator(), [cfn]);
    totals.lost += converged.lost.length;
    totals.leaked += converged.leaked.length;
    totals.drifted += converged.drifted.length;
    expect(converged).toEqual({ lost: [], leaked: [], drifted: [] });

    // The stack is deleted under the same faults, then again without them if it failed.
    run.inject(emulator());
    expectWellAnswered(await cfn.deleteStack(), run);
    countFaults(faultsOfThisRun);
    emulator().faults.clear();
    if (cfn.status === 'DELETE_FAILED') expectWellAnswered(await cfn.deleteStack(), run);
    expect(cfn.status).toBe('DELETE_COMPLETE');
    const deleted = checkState(emulator(), [cfn]);
    totals.lost += deleted.lost.length;
    totals.leaked += deleted.leaked.length;
    expect(deleted).toEqual({ lost: [], leaked: [], drifted: [] });
    expect(emulator().users().map((u) => u.userName)).toEqual(['kept']);

    // The faults of this run did happen, in this run.
    expectFaultsHappened(run, faultsOfThisRun);
    totals.runs += 1;
  }, 180_000);
});

describe('an outage (every request answered 503)', () => {
  test('every event FAILED with the last error before its deadline; the rollback is continued and the redeploy converges', async () => {
    const budgetMs = 1_500;
    const run: FaultRun = { name: 'outage', inject: (e) => e.faults.always('unavailable'), expects: ['unavailable'], budgetMs, concurrency: 4 };
    const faultsOfThisRun: Record<string, number> = {};
    emulator().addNamespace(ACCOUNT, 'finance');
    const cfn = new CloudFormationSimulator({ budgetMs, concurrency: run.concurrency, log: () => undefined });
    const v1 = synth(V1);
    const v2 = synth(V2);
    expectWellAnswered(await cfn.deploy(v1), run);

    run.inject(emulator());
    const failed = await cfn.deploy(v2);
    expectWellAnswered(failed, run);
    expect(cfn.status).toBe('UPDATE_ROLLBACK_FAILED');
    expect(failed.events.filter((e) => e.status === 'FAILED').length).toBeGreaterThan(0);
    expect(failed.events.every((e) => e.status === 'FAILED')).toBe(true);
    for (const event of failed.events) {
      expect(event.reason).toMatch(/within the handler's time budget of 2 s \(last answer: ResourceUnavailableException \(HTTP 503\): This resource is currently unavailable\.\); nothing was lost/);
    }
    // Nothing was lost while the stack waits in UPDATE_ROLLBACK_FAILED.
    expect(checkState(emulator(), [cfn]).lost).toEqual([]);
    countFaults(faultsOfThisRun);
    expectFaultsHappened(run, faultsOfThisRun);

    emulator().faults.clear();
    expectWellAnswered(await cfn.continueUpdateRollback(), run);
    expect(cfn.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(checkState(emulator(), [cfn])).toEqual({ lost: [], leaked: [], drifted: [] });
    expectWellAnswered(await cfn.deploy(v2), run);
    const state = checkState(emulator(), [cfn]);
    totals.lost += state.lost.length;
    totals.leaked += state.leaked.length;
    expect(state).toEqual({ lost: [], leaked: [], drifted: [] });
    totals.runs += 1;
  }, 60_000);
});

afterAll(() => {
  writeFigures('faults', { ...totals, eventsByAnswer: countEvents(allEvents), faultKinds: Object.keys(totals.faults) as FaultKind[] });
});
