// The commands of the model-based test (fast-check's fc.commands / fc.asyncModelRun): deploy a
// changed app (both stacks, the stack a user moves to first), delete a stack, and edits by hand
// (a user deleted, a user made under a name a revision declares, a tag changed, a membership
// added or removed). A deployment may
// have another resource fail at a given point (rollback), answers lost and the events delivered
// again, a fault window in the emulator, or two events at once. After every stack operation the
// model's invariant is checked against the emulator's users (model.ts).
import fc from 'fast-check';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CloudFormationSimulator, type EventRecord, type OperationResult, type SimulatorOptions, type StackStatus } from '../cfn-simulator';
import type { EmulatedUser, FaultKind, QuickSightEmulator } from '../emulator/quicksight-emulator';
import { mulberry32 } from '../emulator/faults';
import { DEFAULT_PSEUDO, handlerPolicyOf } from '../security/handler-policy';
import {
  applyOperation, declarersOf, forgetMarkers, forgetMemberships, initialModel, membershipKey, otherStack, verify, type ModelState, type Operation, type Tolerance, type Violation,
} from './model';
import {
  ACCOUNT, addrOf, addrOfArn, ALL_ADDRS, describeRevision, GROUPS, groupNamesOf, iamArnOf, identityTypeOf, NAMES, NAMESPACES, ROLES, sameIdentity,
  SLOTS, sortRevision, STACKS, TAG_SETS, templateOf, type Addr, type Decl, type Revision, type StackKey,
} from './universe';
import { OWNER_TAG_KEY } from '../../lib/model';

// ---- WHAT A RUN COUNTS ----

export interface Figures {
  sequences: number;
  commands: number;
  stackOperations: number;
  deployments: number;
  stackDeletes: number;
  succeeded: number;
  rollbacks: number;
  refusalsPredicted: number;
  events: number;
  /** QuickSight calls the emulator checked against the handler role's policy of the stack that made them. */
  callsUnderIam: number;
  replayedEvents: number;
  faultWindows: number;
  faultsInjected: Record<string, number>;
  rollbacksContinued: number;
  failedStacksDeleted: number;
  outsideEdits: Record<string, number>;
  cleanupDeletesFailed: number;
  registrationsNotUndone: number;
  violations: Record<string, number>;
  counterexamples: number;
}

export function emptyFigures(): Figures {
  return {
    sequences: 0, commands: 0, stackOperations: 0, deployments: 0, stackDeletes: 0, succeeded: 0, rollbacks: 0, refusalsPredicted: 0,
    events: 0, callsUnderIam: 0, replayedEvents: 0, faultWindows: 0, faultsInjected: {}, rollbacksContinued: 0, failedStacksDeleted: 0,
    outsideEdits: {}, cleanupDeletesFailed: 0, registrationsNotUndone: 0, violations: {}, counterexamples: 0,
  };
}

// ---- THE SYSTEM UNDER TEST ----

interface Knobs {
  budgetMs: number;
  concurrency: number;
  replay?: (event: CloudFormationCustomResourceEvent) => boolean;
}

const DEFAULT_KNOBS: Knobs = { budgetMs: 10_000, concurrency: 1 };

export interface Real {
  readonly emulator: QuickSightEmulator;
  readonly stacks: Record<StackKey, CloudFormationSimulator>;
  readonly knobs: Record<StackKey, Knobs>;
  /** The figures of this run; added to the totals once the run is over (a shrinking run is not counted). */
  readonly figures: Figures;
  /** What happened so far in this sequence, for the failure message. */
  readonly trace: string[];
}

export function setUp(
  emulator: QuickSightEmulator, tolerate: ReadonlySet<Tolerance> = new Set(), quickSight?: SimulatorOptions['quickSight'],
): { model: ModelState; real: Real } {
  emulator.reset();
  emulator.setPolicy(undefined);
  emulator.addNamespace(ACCOUNT, 'finance');
  // The groups the declarations name exist before any stack, in each namespace (imported by name).
  for (const namespace of NAMESPACES) for (const groupName of GROUPS) emulator.putGroup({ accountId: ACCOUNT, namespace, groupName });
  const knobs = { UsersA: { ...DEFAULT_KNOBS }, UsersB: { ...DEFAULT_KNOBS } };
  const simulator = (stackName: StackKey) => new CloudFormationSimulator({
    stackName,
    log: () => undefined,
    // Read at each event: each operation sets its own budget, concurrency and replays.
    get budgetMs() { return knobs[stackName].budgetMs; },
    get concurrency() { return knobs[stackName].concurrency; },
    replay: (event) => knobs[stackName].replay?.(event) ?? false,
    quickSight,
  });
  const real: Real = { emulator, stacks: { UsersA: simulator('UsersA'), UsersB: simulator('UsersB') }, knobs, figures: emptyFigures(), trace: [] };
  return { model: initialModel(tolerate), real };
}

/** A tolerated stuck rollback ends the sequence (exploring past a known counterexample). */
export class SequenceEnded extends Error {}

/** A violation of the invariant: the message carries the sequence so far and the differences. */
export class InvariantViolation extends Error {
  constructor(public readonly violations: Violation[], trace: string[]) {
    super(`Invariant violated after: ${trace[trace.length - 1] ?? '?'}\n${violations.map((v) => `  [${v.kind}] ${v.text}`).join('\n')}\nSequence:\n${trace.map((t, i) => `  ${i + 1}. ${t}`).join('\n')}`);
    this.name = 'InvariantViolation';
  }
}

// ---- OPERATION OPTIONS ----

export type FaultPlan =
  | { readonly kind: 'burst'; readonly fault: Exclude<FaultKind, 'slow'>; readonly count: number }
  | { readonly kind: 'window'; readonly seed: number; readonly rate: number }
  | { readonly kind: 'outage' }
  /** One QuickSight operation answers 503 throughout the operation. */
  | { readonly kind: 'operation down'; readonly operation: string };

const OPERATIONS = [
  'RegisterUser', 'DescribeUser', 'UpdateUser', 'DeleteUser', 'ListTagsForResource', 'TagResource', 'UntagResource',
  'CreateGroupMembership', 'DeleteGroupMembership', 'ListUserGroups',
] as const;

export interface OpOptions {
  /** Another resource fails after this many of ours succeeded (the stack rolls back). */
  readonly failAfter?: number;
  /** 'some': about one event in two is delivered twice (its first answer lost); 'all': every event. */
  readonly replay: 'none' | 'some' | 'all';
  readonly replaySeed: number;
  readonly faults?: FaultPlan;
  readonly concurrency: 1 | 2;
}

const FAULTS: ReadonlyArray<Exclude<FaultKind, 'slow'>> = ['throttle', 'internal', 'unavailable', 'drop'];

const faultPlanArb: fc.Arbitrary<FaultPlan> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('burst' as const), fault: fc.constantFrom(...FAULTS), count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('window' as const), seed: fc.nat(), rate: fc.constantFrom(0.2, 0.35, 0.5) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'outage' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('operation down' as const), operation: fc.constantFrom(...OPERATIONS) }) },
);

export const opOptionsArb: fc.Arbitrary<OpOptions> = fc.record({
  failAfter: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat(3) }),
  replay: fc.oneof({ weight: 6, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constant('some' as const) }, { weight: 1, arbitrary: fc.constant('all' as const) }),
  replaySeed: fc.nat(),
  faults: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: faultPlanArb }),
  concurrency: fc.oneof({ weight: 4, arbitrary: fc.constant(1 as const) }, { weight: 1, arbitrary: fc.constant(2 as const) }),
}, { requiredKeys: ['replay', 'replaySeed', 'concurrency'] });

function describeOptions(o: OpOptions): string {
  const parts: string[] = [];
  if (o.failAfter !== undefined) parts.push(`another resource fails after ${o.failAfter}`);
  if (o.replay !== 'none') parts.push(`replay ${o.replay}`);
  if (o.faults?.kind === 'burst') parts.push(`${o.faults.count} ${o.faults.fault}`);
  if (o.faults?.kind === 'window') parts.push(`fault window ${o.faults.rate} (seed ${o.faults.seed})`);
  if (o.faults?.kind === 'outage') parts.push('outage (503)');
  if (o.faults?.kind === 'operation down') parts.push(`${o.faults.operation} down (503)`);
  if (o.concurrency > 1) parts.push(`${o.concurrency} at once`);
  return parts.length > 0 ? ` {${parts.join(', ')}}` : '';
}

// ---- ONE STACK OPERATION ----

const LIVE: ReadonlySet<StackStatus> = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);

function snapshot(emulator: QuickSightEmulator): Map<Addr, EmulatedUser> {
  const users = new Map<Addr, EmulatedUser>();
  for (const u of emulator.users()) {
    const addr = addrOfArn(u.arn);
    if (addr) users.set(addr, u);
  }
  return users;
}

/** The groups each present user is in, by address. */
function groupsSnapshot(emulator: QuickSightEmulator): Map<Addr, string[]> {
  const groups = new Map<Addr, string[]>();
  for (const u of emulator.users()) {
    const addr = addrOfArn(u.arn);
    if (addr) groups.set(addr, emulator.groupsOf(ACCOUNT, u.namespace, u.userName));
  }
  return groups;
}

/** The logical id of a slot (S0..S3 plus CDK's hash of the path; the same in every revision and stack). */
const logicalIds = new Map<number, string>();
export function logicalIdOf(slot: number): string {
  if (logicalIds.size === 0) {
    const all = Array.from({ length: SLOTS }, (_, slot) => ({ slot, name: slot, ns: 0, iam: false, email: 0, role: 0, tags: 0, retain: false }));
    for (const id of Object.keys(templateOf('UsersA', all).Resources ?? {})) {
      const match = /^S(\d)[0-9A-F]{8}$/.exec(id);
      if (match) logicalIds.set(Number(match[1]), id);
    }
  }
  return logicalIds.get(slot)!;
}

/** Same-name identity-type changes, and users of another identity type to adopt: the handler refuses them (by slot). */
export function predictedRefusals(previous: Revision, attempted: Revision, before: ReadonlyMap<Addr, EmulatedUser>): Map<number, string> {
  const refused = new Map<number, string>();
  for (const d of attempted) {
    const p = previous.find((x) => x.slot === d.slot);
    if (p && sameIdentity(p, d)) continue;
    const live = before.get(addrOf(d));
    if (live && live.identityType !== identityTypeOf(d)) refused.set(d.slot, `S${d.slot}: ${addrOf(d)} exists as ${live.identityType}, declared ${identityTypeOf(d)}`);
  }
  return refused;
}

function applyFaults(emulator: QuickSightEmulator, plan: FaultPlan | undefined, knobs: Knobs): void {
  if (!plan) return;
  switch (plan.kind) {
    case 'burst':
      emulator.faults.next(plan.fault, { count: plan.count });
      knobs.budgetMs = 10_000;
      break;
    case 'window':
      emulator.faults.random({ seed: plan.seed, rates: Object.fromEntries(FAULTS.map((f) => [f, plan.rate / FAULTS.length])) });
      knobs.budgetMs = 2_500;
      break;
    case 'outage':
      emulator.faults.always('unavailable');
      knobs.budgetMs = 1_200;
      break;
    case 'operation down':
      emulator.faults.always('unavailable', { operation: plan.operation });
      knobs.budgetMs = 3_000;
      break;
  }
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) if (v > 0) into[k] = (into[k] ?? 0) + v;
}

/**
 * Runs one stack operation (deploy or delete) with its options, brings the stack back to a stable
 * state once the faults stop (ContinueUpdateRollback, or deleting a stack whose create rollback
 * failed, as an operator would), updates the model and checks the invariant. Returns the outcome.
 */
export async function runStackOperation(
  m: ModelState, r: Real, stack: StackKey, kind: 'deploy' | 'delete', attempted: Revision, options: OpOptions,
): Promise<Operation['outcome']> {
  const cfn = r.stacks[stack];
  const st = m.stacks[stack];
  const previous = st.live ? st.declared : [];
  const before = snapshot(r.emulator);
  const groupsBefore = groupsSnapshot(r.emulator);
  const released = cfn.released.length;
  const eventCount = cfn.events.length;
  const violations: Violation[] = [];
  const fig = r.figures;
  const refusals = kind === 'deploy' ? predictedRefusals(previous, attempted, before) : new Map<number, string>();
  const refusal = [...refusals.values()][0];
  const label = kind === 'deploy' ? `deploy ${stack} ${describeRevision(attempted)}${describeOptions(options)}` : `delete stack ${stack}${describeOptions(options)}`;

  const knobs = r.knobs[stack];
  const rng = mulberry32(options.replaySeed);
  knobs.concurrency = options.concurrency;
  knobs.replay = options.replay === 'all' ? () => true : options.replay === 'some' ? () => rng() < 0.5 : undefined;
  r.emulator.resetCalls();
  // IAM enforced: every call is checked against the handler role's policy as this operation's
  // template grants it (CloudFormation updates the role before the users and rolls it back after).
  const template = templateOf(stack, kind === 'deploy' ? attempted : previous);
  r.emulator.setPolicy(handlerPolicyOf(template, { ...DEFAULT_PSEUDO, ...cfn.pseudo, stackId: cfn.stackId || DEFAULT_PSEUDO.stackId }));
  applyFaults(r.emulator, options.faults, knobs);
  const faulted = options.faults !== undefined;
  if (faulted) fig.faultWindows += 1;

  let result: OperationResult;
  let stackId = cfn.stackId;
  try {
    result = kind === 'deploy' ? await cfn.deploy(template, { failAfter: options.failAfter }) : await cfn.deleteStack();
    stackId = cfn.stackId;
  } finally {
    // The fault window ends with the operation.
    r.emulator.faults.clear();
    addCounts(fig.faultsInjected, r.emulator.faultCounts);
    Object.assign(knobs, DEFAULT_KNOBS, { replay: undefined });
  }
  const statuses = [result.status];
  if (!faulted && result.status.endsWith('_FAILED')) violations.push({ kind: 'stuck', text: `${stack} ended in ${result.status} without any fault: ${result.failure?.split('\n')[0]}` });
  if (cfn.status === 'UPDATE_ROLLBACK_FAILED') {
    fig.rollbacksContinued += 1;
    statuses.push((await cfn.continueUpdateRollback()).status);
    if (cfn.status === 'UPDATE_ROLLBACK_FAILED') {
      // Without faults, the rollback cannot complete: CloudFormation would keep the stack stuck.
      statuses.push((await cfn.continueUpdateRollback()).status);
    }
  }
  if (cfn.status === 'ROLLBACK_FAILED' || cfn.status === 'DELETE_FAILED') {
    fig.failedStacksDeleted += 1;
    statuses.push((await cfn.deleteStack()).status);
  }
  const events = cfn.events.slice(eventCount);
  const calls = r.emulator.calls;
  r.emulator.setPolicy(undefined);
  fig.callsUnderIam += calls.filter((c) => c.authorization !== undefined).length;
  // IAM's refusal is a 403 (QuickSight's own AccessDeniedException is a 401).
  for (const c of calls.filter((x) => x.errorType === 'AccessDeniedException' && x.status === 403)) {
    violations.push({ kind: 'iam refused', text: `IAM refused ${c.operation} on ${c.authorization?.resource}` });
  }
  for (const e of events.filter((x) => x.answeredBy === 'timeout')) violations.push({ kind: 'stuck', text: `${e.phase} ${e.requestType} ${e.logicalId}: ${e.reason}` });
  if (cfn.status === 'UPDATE_ROLLBACK_FAILED' && m.tolerate.has('stuck-rollback')) throw new SequenceEnded(`${stack} stuck in ${cfn.status}`);
  if (cfn.status.endsWith('_FAILED')) {
    violations.push({ kind: 'stuck', text: `${stack} is stuck in ${cfn.status} once the faults stopped: ${events.filter((e) => e.status === 'FAILED').map((e) => e.reason?.split('\n')[0]).slice(-2).join(' | ')}` });
  }

  const outcome: Operation['outcome'] = kind === 'delete' ? 'deleted' : cfn.status === 'CREATE_COMPLETE' || cfn.status === 'UPDATE_COMPLETE' ? 'succeeded' : 'rolled-back';
  const predicted = options.failAfter !== undefined || refusal !== undefined ? 'rolled-back' : 'succeeded';
  if (kind === 'deploy' && predicted !== outcome && (!faulted || predicted === 'rolled-back')) {
    const why = outcome === 'rolled-back' ? `it failed: ${result.failure?.split('\n')[0]}` : `it succeeded, though ${refusal ?? 'another resource failed'}`;
    violations.push({ kind: 'unexpected outcome', text: `${label} was expected to ${predicted === 'succeeded' ? 'succeed' : 'roll back'}, but ${why}` });
  }

  // Users the operation said it left behind: a cleanup Delete that failed, a registration it could not undo.
  const reported = new Set<Addr>();
  const retainedInRollback = new Map<Addr, number>();
  for (const rel of cfn.released.slice(released)) {
    if (rel.why !== 'cleanup Delete failed') {
      const addr = addrOfArn(rel.physicalId);
      if (addr) retainedInRollback.set(addr, Number(rel.logicalId[1]));
      continue;
    }
    fig.cleanupDeletesFailed += 1;
    const addr = addrOfArn(rel.physicalId);
    if (addr) reported.add(addr);
  }
  for (const e of events) {
    if (e.status !== 'FAILED' || !/delete it by hand/.test(e.reason ?? '')) continue;
    fig.registrationsNotUndone += 1;
    for (const match of (e.reason ?? '').matchAll(/user '([^']+)'/g)) reported.add(`${String(e.resourceProperties.Namespace ?? 'default')}/${match[1]}`);
  }

  const after = snapshot(r.emulator);
  // How each slot's forward event was answered (the last delivery's answer).
  const forward = new Map<number, 'SUCCESS' | 'FAILED'>();
  for (const e of events) if ((e.phase === 'CREATE' || e.phase === 'UPDATE') && e.requestType !== 'Delete') forward.set(Number(e.logicalId[1]), e.status);
  const op: Operation = {
    stack, stackId, kind, previous, wasLive: st.live, attempted: kind === 'deploy' ? attempted : [], outcome, before, after, reported,
    retainedInRollback: outcome === 'rolled-back' ? retainedInRollback : new Map(), forward, refused: new Set(refusals.keys()),
    groupsBefore, groupsAfter: groupsSnapshot(r.emulator),
  };
  const effects = applyOperation(m, op);
  violations.push(...verify(m, op, effects, (s, slot) => r.stacks[s].ownerOf(logicalIdOf(slot))));
  violations.push(...consistency(m, r));

  fig.stackOperations += 1;
  fig.events += events.length;
  fig.replayedEvents += events.filter((e) => e.deliveries > 1).length;
  if (kind === 'deploy') {
    fig.deployments += 1;
    if (outcome === 'succeeded') fig.succeeded += 1;
    else fig.rollbacks += 1;
    if (refusal) fig.refusalsPredicted += 1;
  } else {
    fig.stackDeletes += 1;
  }
  r.trace.push(`${label} -> ${statuses.join(' -> ')}${summarize(events)}${refusal ? ` (refusal expected: ${refusal})` : ''}`);
  if (violations.length > 0) {
    for (const v of violations) fig.violations[v.kind] = (fig.violations[v.kind] ?? 0) + 1;
    throw new InvariantViolation(violations, r.trace);
  }
  return outcome;
}

function summarize(events: readonly EventRecord[]): string {
  if (events.length === 0) return '';
  const text = events.map((e) => `${e.phase === 'UPDATE' || e.phase === 'CREATE' || e.phase === 'DELETE' ? '' : `${e.phase.toLowerCase()} `}${e.requestType} ${e.logicalId.slice(0, 2)}${e.status === 'FAILED' ? ' FAILED' : ''}${e.deliveries > 1 ? ' x2' : ''}${e.answeredBy === 'framework' ? ' (by the framework)' : ''}`);
  return ` [${text.join(', ')}]`;
}

/** The simulator and the model agree on which stacks are live and which users each declares. */
function consistency(m: ModelState, r: Real): Violation[] {
  const found: Violation[] = [];
  for (const stack of STACKS) {
    const cfn = r.stacks[stack];
    const st = m.stacks[stack];
    if (LIVE.has(cfn.status) !== st.live) found.push({ kind: 'model and simulator disagree', text: `model: ${stack} ${st.live ? 'live' : 'not live'}; simulator: ${cfn.status}` });
    if (!st.live) continue;
    const actual = [...cfn.resources.values()].map((res) => `${res.logicalId.slice(0, 2)}=${addrOfArn(res.physicalId)}:${res.deletionPolicy}`).sort();
    const expected = st.declared.map((d) => `S${d.slot}=${addrOf(d)}:${d.retain ? 'Retain' : 'Delete'}`).sort();
    if (JSON.stringify(actual) !== JSON.stringify(expected)) found.push({ kind: 'model and simulator disagree', text: `model: ${stack} declares ${expected.join(', ')}; simulator: ${actual.join(', ')}` });
  }
  return found;
}

// ---- REVISIONS OF THE APP ----

export type Mutation =
  | { readonly kind: 'set'; readonly stack: number; readonly decl: Decl }
  | { readonly kind: 'remove' | 'identity' | 'namespace' | 'policy'; readonly stack: number; readonly slot: number }
  | { readonly kind: 'rename'; readonly stack: number; readonly slot: number; readonly name: number }
  | { readonly kind: 'field'; readonly stack: number; readonly slot: number; readonly field: 'email' | 'role' | 'tags' | 'groups'; readonly value: number }
  | { readonly kind: 'move'; readonly stack: number; readonly slot: number; readonly toSlot: number }
  | { readonly kind: 'revert'; readonly stack: number };

const slotArb = fc.nat(SLOTS - 1);
const stackArb = fc.nat(1);
export const declArb: fc.Arbitrary<Decl> = fc.record({
  slot: slotArb, name: fc.nat(NAMES.length - 1), ns: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  iam: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  email: fc.nat(1), role: fc.nat(ROLES.length - 1), tags: fc.nat(TAG_SETS.length - 1),
  retain: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  groups: fc.nat(3),
});

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), stack: stackArb, decl: declArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), stack: stackArb, slot: slotArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('rename' as const), stack: stackArb, slot: slotArb, name: fc.nat(NAMES.length - 1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('field' as const), stack: stackArb, slot: slotArb, field: fc.constantFrom('email' as const, 'role' as const, 'tags' as const), value: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('field' as const), stack: stackArb, slot: slotArb, field: fc.constant('groups' as const), value: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('identity' as const), stack: stackArb, slot: slotArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('namespace' as const), stack: stackArb, slot: slotArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('policy' as const), stack: stackArb, slot: slotArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('move' as const), stack: stackArb, slot: slotArb, toSlot: slotArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revert' as const), stack: stackArb }) },
);

/** Applies one change to the app; a change that would declare a user twice in the app is dropped. */
export function mutate(m: ModelState, app: Record<StackKey, Revision>, mutation: Mutation): Record<StackKey, Revision> {
  // A change to a slot picks among the slots in use (of the other stack when this one has none).
  let stack = STACKS[mutation.stack];
  if (mutation.kind !== 'set' && mutation.kind !== 'revert' && app[stack].length === 0) stack = otherStack(stack);
  const revision = app[stack];
  const at = (slot: number) => (revision.length === 0 ? undefined : revision[slot % revision.length]);
  const replace = (slot: number, decl: Decl | undefined): Revision => sortRevision([...revision.filter((d) => d.slot !== slot), ...(decl ? [decl] : [])]);
  let next: Record<StackKey, Revision> | undefined;
  switch (mutation.kind) {
    case 'set':
      next = { ...app, [stack]: replace(mutation.decl.slot, mutation.decl) };
      break;
    case 'revert':
      next = { ...app, [stack]: m.stacks[stack].declared };
      break;
    case 'move': {
      const d = at(mutation.slot);
      const to = otherStack(stack);
      const free = Array.from({ length: SLOTS }, (_, i) => i).filter((i) => !app[to].some((x) => x.slot === i));
      if (!d || free.length === 0) return app;
      next = { ...app, [stack]: replace(d.slot, undefined), [to]: sortRevision([...app[to], { ...d, slot: free[mutation.toSlot % free.length] }]) };
      break;
    }
    default: {
      const d = at(mutation.slot);
      if (!d) return app;
      let changed: Decl | undefined;
      switch (mutation.kind) {
        case 'remove': changed = undefined; break;
        case 'rename': changed = { ...d, name: mutation.name }; break;
        case 'identity': changed = { ...d, iam: !d.iam }; break;
        case 'namespace': changed = { ...d, ns: 1 - d.ns }; break;
        case 'policy': changed = { ...d, retain: !d.retain }; break;
        case 'field': changed = { ...d, [mutation.field]: mutation.value % (mutation.field === 'email' ? 2 : mutation.field === 'groups' ? 4 : 3) }; break;
      }
      next = { ...app, [stack]: replace(d.slot, changed) };
    }
  }
  const addrs = STACKS.flatMap((s) => next![s].map(addrOf));
  return new Set(addrs).size === addrs.length ? next : app;
}

/** The stack a user moves to is deployed first (it adopts the user; the other's cleanup then leaves it). */
export function deployOrder(m: ModelState, app: Record<StackKey, Revision>, bBit: boolean): StackKey[] {
  const gains = (to: StackKey) => app[to].some((d) => m.stacks[otherStack(to)].declared.some((p) => addrOf(p) === addrOf(d))
    && !m.stacks[to].declared.some((q) => addrOf(q) === addrOf(d)));
  const a = gains('UsersA');
  const b = gains('UsersB');
  if (a !== b) return a ? ['UsersA', 'UsersB'] : ['UsersB', 'UsersA'];
  return bBit ? ['UsersB', 'UsersA'] : ['UsersA', 'UsersB'];
}

const sameRevision = (a: Revision, b: Revision) => JSON.stringify(a) === JSON.stringify(b);

// ---- COMMANDS ----

type Cmd = fc.AsyncCommand<ModelState, Real>;

/** Changes the app and deploys it, as `cdk deploy --all` would: stops at the first stack that fails. */
export class DeployApp implements Cmd {
  private resolved = '';
  constructor(readonly mutations: readonly Mutation[], readonly bFirst: boolean, readonly options: readonly [OpOptions, OpOptions]) {}
  check(): boolean {
    return true;
  }
  async run(m: ModelState, r: Real): Promise<void> {
    r.figures.commands += 1;
    let app = m.intended;
    for (const mutation of this.mutations) app = mutate(m, app, mutation);
    m.intended = app;
    const order = deployOrder(m, app, this.bFirst);
    this.resolved = ` => ${order.map((s) => `${s} ${describeRevision(app[s])}`).join(', then ')}`;
    for (const [i, stack] of order.entries()) {
      const st = m.stacks[stack];
      if ((st.live && sameRevision(st.declared, app[stack])) || (!st.live && app[stack].length === 0)) continue;
      if (app[stack].length === 0) {
        // CloudFormation takes no template without resources: a stack left with no users is deleted.
        await runStackOperation(m, r, stack, 'delete', [], this.options[i]);
        continue;
      }
      const outcome = await runStackOperation(m, r, stack, 'deploy', app[stack], this.options[i]);
      if (outcome !== 'succeeded') break;
    }
  }
  toString(): string {
    return `DeployApp(${JSON.stringify(this.mutations)}, ${this.bFirst ? 'B first' : 'A first'}, ${JSON.stringify(this.options)})${this.resolved}`;
  }
}

export class DeleteStack implements Cmd {
  constructor(readonly stack: StackKey, readonly options: OpOptions) {}
  check(m: Readonly<ModelState>): boolean {
    return m.stacks[this.stack].live;
  }
  async run(m: ModelState, r: Real): Promise<void> {
    r.figures.commands += 1;
    await runStackOperation(m, r, this.stack, 'delete', [], this.options);
  }
  toString(): string {
    return `DeleteStack(${this.stack}, ${JSON.stringify(this.options)})`;
  }
}

function countEdit(r: Real, kind: string, text: string): void {
  r.figures.commands += 1;
  r.figures.outsideEdits[kind] = (r.figures.outsideEdits[kind] ?? 0) + 1;
  r.trace.push(text);
}

/** Deletes a user by hand (in the console): it may be missing until an event brings it back. */
export function deleteByHand(m: ModelState, r: Real, addr: Addr): void {
  const [ns, name] = addr.split('/');
  r.emulator.removeUser(ACCOUNT, ns, name);
  m.protectedAddrs.delete(addr);
  m.holders.delete(addr);
  forgetMarkers(m, addr);
  forgetMemberships(m, addr);
  for (const d of declarersOf(m, addr)) {
    d.state.missingOk = true;
    d.state.exact = false;
  }
  countEdit(r, 'deleted by hand', `user ${addr} deleted by hand`);
}

/** Makes a user by hand, where there is none: it existed before any stack adopts it. */
export function makeByHand(m: ModelState, r: Real, addr: Addr, options: { iam?: boolean; role?: number; stray?: boolean } = {}): void {
  const [ns, name] = addr.split('/');
  const wanted = STACKS.some((s) => m.intended[s].some((d) => addrOf(d) === addr));
  r.emulator.putUser({
    accountId: ACCOUNT, namespace: ns, userName: name, email: `${name}.byhand@example.com`, role: ROLES[(options.role ?? 0) % ROLES.length],
    identityType: options.iam ? 'IAM' : 'QUICKSIGHT', iamArn: options.iam ? iamArnOf(name) : undefined,
    tags: options.stray ? { stray: 'by-hand' } : undefined,
  });
  m.protectedAddrs.set(addr, 'made by hand');
  m.holders.set(addr, 'none');
  forgetMarkers(m, addr);
  forgetMemberships(m, addr);
  for (const d of declarersOf(m, addr)) {
    d.state.missingOk = false;
    d.state.exact = false;
  }
  countEdit(r, 'made by hand', `user ${options.iam ? 'iam:' : ''}${addr} made by hand${wanted ? ' (the app declares that name)' : ''}`);
}

/** A user deleted by hand (in the console). */
export class HandDelete implements Cmd {
  private resolved = '';
  constructor(readonly pick: number) {}
  check(): boolean {
    return true;
  }
  async run(m: ModelState, r: Real): Promise<void> {
    const present = [...snapshot(r.emulator).keys()].sort();
    if (present.length === 0) return;
    const addr = present[this.pick % present.length];
    this.resolved = ` => ${addr}`;
    deleteByHand(m, r, addr);
  }
  toString(): string {
    return `HandDelete(${this.pick})${this.resolved}`;
  }
}

/** A user made by hand, under a name the app declares (or will), of either identity type. */
export class HandCreate implements Cmd {
  private resolved = '';
  constructor(readonly pick: number, readonly iam: boolean, readonly role: number, readonly stray: boolean) {}
  check(): boolean {
    return true;
  }
  async run(m: ModelState, r: Real): Promise<void> {
    const present = snapshot(r.emulator);
    const absent = ALL_ADDRS.filter((a) => !present.has(a));
    if (absent.length === 0) return;
    const wanted = new Set(STACKS.flatMap((s) => m.intended[s].map(addrOf)));
    const preferred = absent.filter((a) => wanted.has(a));
    const pool = preferred.length > 0 && this.pick % 4 !== 0 ? preferred : absent;
    const addr = pool[this.pick % pool.length];
    this.resolved = ` => ${this.iam ? 'iam:' : ''}${addr}`;
    makeByHand(m, r, addr, { iam: this.iam, role: this.role, stray: this.stray });
  }
  toString(): string {
    return `HandCreate(${this.pick}, ${this.iam ? 'IAM' : 'QUICKSIGHT'}, ${this.role}, ${this.stray})${this.resolved}`;
  }
}

/** A tag changed by hand: a declared tag's value, a stray tag added, or the owner marker removed. */
export type TagEdit = 'team changed to green' | 'stray tag added' | 'owner marker removed';
const TAG_EDITS: readonly TagEdit[] = ['team changed to green', 'stray tag added', 'owner marker removed'];

/** Changes a user's tags by hand (the principal id and every other field kept). */
export function editTagByHand(m: ModelState, r: Real, addr: Addr, edit: TagEdit): void {
  const [ns, name] = addr.split('/');
  const user = r.emulator.getUser(ACCOUNT, ns, name);
  if (!user) throw new Error(`editTagByHand: no user ${addr}`);
  const tags = { ...user.tags };
  if (edit === 'team changed to green') tags.team = 'green';
  else if (edit === 'stray tag added') tags.stray = 'by-hand';
  else delete tags[OWNER_TAG_KEY];
  const { arn: _arn, region: _region, orphaned: _orphaned, ...seed } = user;
  r.emulator.putUser({ ...seed, tags });
  for (const d of declarersOf(m, addr)) d.state.exact = false;
  if (edit === 'owner marker removed') {
    m.holders.set(addr, 'none');
    m.unmarkedByHand.add(addr);
  }
  countEdit(r, 'tag edited by hand', `user ${addr}: ${edit} by hand`);
}

export class HandTag implements Cmd {
  private resolved = '';
  constructor(readonly pick: number, readonly variant: number) {}
  check(): boolean {
    return true;
  }
  async run(m: ModelState, r: Real): Promise<void> {
    const present = [...snapshot(r.emulator).keys()].sort();
    if (present.length === 0) return;
    const addr = present[this.pick % present.length];
    const edit = TAG_EDITS[this.variant % TAG_EDITS.length];
    this.resolved = ` => ${addr}: ${edit}`;
    editTagByHand(m, r, addr, edit);
  }
  toString(): string {
    return `HandTag(${this.pick}, ${this.variant})${this.resolved}`;
  }
}

/** Adds a user to a group by hand, or removes it from one (in the console). */
export function editMembershipByHand(m: ModelState, r: Real, addr: Addr, group: string, join: boolean): void {
  const [ns, name] = addr.split('/');
  const key = membershipKey(addr, group);
  const declared = declarersOf(m, addr).some((d) => groupNamesOf(d.decl.groups ?? 0).includes(group));
  if (join) {
    r.emulator.addMember(ACCOUNT, ns, group, name);
    m.droppedByHand.delete(key);
    if (!declared) m.handMembers.add(key);
  } else {
    r.emulator.removeMember(ACCOUNT, ns, group, name);
    m.handMembers.delete(key);
    m.leftBehind.delete(key);
    if (declared) m.droppedByHand.add(key);
  }
  countEdit(r, join ? 'membership added by hand' : 'membership removed by hand', `user ${addr} ${join ? 'added to' : 'removed from'} group ${group} by hand${declared ? ' (declared)' : ''}`);
}

/** A membership changed by hand: a present user added to a group it is not in, or removed from one it is in. */
export class HandMembership implements Cmd {
  private resolved = '';
  constructor(readonly pick: number, readonly group: number) {}
  check(): boolean {
    return true;
  }
  async run(m: ModelState, r: Real): Promise<void> {
    const present = [...snapshot(r.emulator).keys()].sort();
    if (present.length === 0) return;
    const addr = present[this.pick % present.length];
    const [ns, name] = addr.split('/');
    const group = GROUPS[this.group % GROUPS.length];
    const join = !r.emulator.groupsOf(ACCOUNT, ns, name).includes(group);
    this.resolved = ` => ${addr} ${join ? '+' : '-'}${group}`;
    editMembershipByHand(m, r, addr, group, join);
  }
  toString(): string {
    return `HandMembership(${this.pick}, ${this.group})${this.resolved}`;
  }
}

export function commandArbs(): Array<fc.Arbitrary<Cmd>> {
  const deployApp = fc.tuple(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.boolean(), opOptionsArb, opOptionsArb)
    .map(([mutations, bFirst, a, b]) => new DeployApp(mutations, bFirst, [a, b]));
  return [
    // fc.commands picks among these uniformly: deployments are four in nine of the commands.
    deployApp, deployApp, deployApp, deployApp,
    fc.tuple(fc.constantFrom(...STACKS), opOptionsArb).map(([stack, options]) => new DeleteStack(stack, options)),
    fc.nat().map((pick) => new HandDelete(pick)),
    fc.tuple(fc.nat(), fc.boolean(), fc.nat(2), fc.boolean()).map(([pick, iam, role, stray]) => new HandCreate(pick, iam, role, stray)),
    fc.tuple(fc.nat(), fc.nat(2)).map(([pick, variant]) => new HandTag(pick, variant)),
    fc.tuple(fc.nat(), fc.nat(1)).map(([pick, group]) => new HandMembership(pick, group)),
  ];
}

