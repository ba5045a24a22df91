// The lifecycle model: what must hold in QuickSight after each stack operation, worked out from
// the declarations alone (never from the handler's code or its owner markers). It knows:
// - what each stack's last successful deployment declares (a rolled-back deployment changes
//   nothing), and for each declared user whether it must match its declaration exactly (it does
//   once the stack registered or adopted it; an edit by hand, or another stack taking it over,
//   leaves it unchecked until the stack next registers or adopts it) and whether it may be missing
//   (deleted by hand, and no event since brought it back);
// - the users that existed before any stack adopted them (made by hand) and those CloudFormation
//   let go of (RETAIN): they must stay until a successful deployment stops declaring them;
// - what the operation may delete: only users that its successful deployment stopped declaring
//   (DESTROY), or that its stack deletion let go with DESTROY.
// verify() compares that with the emulator's users after the operation. The rule it enforces: a
// user is deregistered only when a successful deployment stops declaring it, or its stack is
// deleted with RemovalPolicy.DESTROY; a rollback undoes only what the failed deployment registered.
import { isMarkerTagKey, OWNER_TAG_KEY } from '../../lib/model';
import type { EmulatedUser } from '../emulator/quicksight-emulator';
import {
  addrOf, ALL_ADDRS, describeDecl, emailOf, iamArnOf, identityTypeOf, NAMES, ROLES, sameIdentity, sameProperties, STACKS, TAG_SETS,
  type Addr, type Decl, type Revision, type StackKey,
} from './universe';

export interface SlotState {
  /** The user must match this slot's declaration exactly (fields, tags, this resource's owner marker). */
  exact: boolean;
  /** The user was deleted by hand and no event has brought it back since: it may be missing. */
  missingOk: boolean;
}

export interface StackModel {
  /** The stack has a last successful deployment (CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE). */
  live: boolean;
  /** What its last successful deployment declares. */
  declared: Revision;
  slots: Map<number, SlotState>;
}

export type Protection = 'made by hand' | 'retained';

export interface ModelState {
  /** The app the team wants: each DeployApp changes it and deploys it (a failed deployment keeps it). */
  intended: Record<StackKey, Revision>;
  stacks: Record<StackKey, StackModel>;
  /** Users that must exist though no stack declares them: made by hand before a stack adopted them, or retained. */
  protectedAddrs: Map<Addr, Protection>;
  /**
   * Which stack resource took each user over last (registered or adopted it: `<stack id>/<slot>`),
   * 'none' (made by hand, or let go by a rollback), or 'unknown' (a rolled-back deployment may or
   * may not have reached it). A user another resource took over since is not this resource's to
   * delete when it stops declaring it; one it holds (or nobody holds) must go.
   */
  holders: Map<Addr, string>;
  /** Users a resource took over from another resource (for the 'stale-previous-owner' tolerance). */
  takenOver: Set<Addr>;
  /** Known counterexample classes the model accepts (to explore past them); none in `npm test`. */
  readonly tolerate: ReadonlySet<Tolerance>;
}

/**
 * - 'rollback-drift': a failed deployment that adopted a user another resource still declares (a
 *   move whose destination rolled back, a swap rolled back) leaves that user changed and unmarked.
 * - 'split-loss': after a move whose source stack failed to deploy, both stacks declare the user;
 *   when the destination then stops declaring it, it is deregistered though the source declares it.
 * - 'stuck-rollback': a rollback that cannot complete without faults ends the sequence there.
 * - 'stale-previous-owner': a user once taken over from another resource may stay when the resource
 *   that holds it stops declaring it (the previous owner left with RETAIN and never let go).
 */
export type Tolerance = 'rollback-drift' | 'split-loss' | 'stuck-rollback' | 'stale-previous-owner';

export function initialModel(tolerate: ReadonlySet<Tolerance> = new Set()): ModelState {
  const stack = (): StackModel => ({ live: false, declared: [], slots: new Map() });
  return { intended: { UsersA: [], UsersB: [] }, stacks: { UsersA: stack(), UsersB: stack() }, protectedAddrs: new Map(), holders: new Map(), takenOver: new Set(), tolerate };
}

export const otherStack = (stack: StackKey): StackKey => (stack === 'UsersA' ? 'UsersB' : 'UsersA');

/** One stack operation as it happened: what it was asked, how it ended, the users before and after. */
export interface Operation {
  readonly stack: StackKey;
  /** The stack's id during the operation (CloudFormation gives a stack created again a new one). */
  readonly stackId: string;
  readonly kind: 'deploy' | 'delete';
  /** The stack's last successful revision before the operation ([] when it had none). */
  readonly previous: Revision;
  readonly wasLive: boolean;
  /** The revision deployed ([] for a stack delete). */
  readonly attempted: Revision;
  readonly outcome: 'succeeded' | 'rolled-back' | 'deleted';
  readonly before: ReadonlyMap<Addr, EmulatedUser>;
  readonly after: ReadonlyMap<Addr, EmulatedUser>;
  /** Users the operation reported it could not delete (a failed cleanup Delete, a registration it could not undo). */
  readonly reported: ReadonlySet<Addr>;
  /**
   * Users CloudFormation kept by their Retain policy when it rolled back the resource that made
   * them: CloudFormation sends no Delete for them (RetainExceptOnCreate is the policy that would).
   */
  readonly retainedInRollback: ReadonlyMap<Addr, number>;
}

export interface Effects {
  /** Users the operation was allowed to (and so must) deregister. */
  readonly mustGo: Set<Addr>;
  /** Users the operation may deregister or leave (whether it still held them is unknown). */
  readonly mayGo: Set<Addr>;
  /** Every user the operation's revisions name: anything else must be left exactly as it was. */
  readonly scope: Set<Addr>;
  /** Users a failed deployment adopted while another resource still declared them. */
  readonly adoptedInRollback: Set<Addr>;
}

interface Declarer {
  readonly stack: StackKey;
  readonly decl: Decl;
  readonly state: SlotState;
}

export function declarersOf(model: ModelState, addr: Addr): Declarer[] {
  const found: Declarer[] = [];
  for (const stack of STACKS) {
    const st = model.stacks[stack];
    if (!st.live) continue;
    for (const decl of st.declared) if (addrOf(decl) === addr) found.push({ stack, decl, state: st.slots.get(decl.slot)! });
  }
  return found;
}

/** Another resource now holds the user: the others that declare it are no longer checked field by field. */
function taintOthers(model: ModelState, addr: Addr, except: { stack: StackKey; slot: number }): void {
  for (const d of declarersOf(model, addr)) {
    if (d.stack === except.stack && d.decl.slot === except.slot) continue;
    d.state.exact = false;
  }
}

/** The other stack still declares a user this stack stopped declaring: it may be gone (a known counterexample). */
function tolerateSplitLoss(model: ModelState, addr: Addr, stack: StackKey): void {
  for (const d of declarersOf(model, addr)) {
    if (d.stack === stack) continue;
    d.state.missingOk = true;
    d.state.exact = false;
  }
}

/** Updates the model with the operation's outcome; returns what the operation was allowed to do. */
export function applyOperation(model: ModelState, op: Operation): Effects {
  const st = model.stacks[op.stack];
  const effects: Effects = {
    mustGo: new Set(),
    mayGo: new Set(),
    scope: new Set([...op.previous, ...op.attempted].map(addrOf)),
    adoptedInRollback: new Set(),
  };
  const previousOf = (slot: number) => op.previous.find((p) => p.slot === slot);
  const holder = (slot: number) => `${op.stackId}/${slot}`;
  /** The resource in `slot` stopped declaring `addr` (DESTROY): it must go if the resource held it. */
  const stopped = (addr: Addr, slot: number) => {
    const held = model.holders.get(addr) ?? 'none';
    if (held !== 'none' && held !== 'unknown' && held !== holder(slot)) return; // another resource's now: it stays
    // Another stack still declares it (a move whose source failed): its Delete may hand it back.
    if (declarersOf(model, addr).some((d) => d.stack !== op.stack)) model.holders.set(addr, 'unknown');
    model.protectedAddrs.delete(addr);
    const stale = model.tolerate.has('stale-previous-owner') && model.takenOver.has(addr);
    (held === 'unknown' || stale ? effects.mayGo : effects.mustGo).add(addr);
    if (model.tolerate.has('split-loss')) tolerateSplitLoss(model, addr, op.stack);
  };

  if (op.outcome === 'succeeded') {
    const slots = new Map<number, SlotState>();
    for (const d of op.attempted) {
      const p = previousOf(d.slot);
      const addr = addrOf(d);
      if (p && sameProperties(p, d)) {
        slots.set(d.slot, { ...st.slots.get(d.slot)! });
      } else if (!p || !sameIdentity(p, d)) {
        // Registered or adopted: converged to the declaration, with this resource's marker.
        slots.set(d.slot, { exact: true, missingOk: false });
        const before = model.holders.get(addr);
        if (before !== undefined && before !== 'none' && before !== holder(d.slot)) model.takenOver.add(addr);
        model.holders.set(addr, holder(d.slot));
        taintOthers(model, addr, { stack: op.stack, slot: d.slot });
      } else if (!op.before.has(addr)) {
        // Updated in place, but deleted by hand: registered again as declared.
        slots.set(d.slot, { exact: true, missingOk: false });
        model.holders.set(addr, holder(d.slot));
      } else {
        const shared = declarersOf(model, addr).some((o) => o.stack !== op.stack);
        slots.set(d.slot, { exact: st.slots.get(d.slot)!.exact && !shared, missingOk: false });
        taintOthers(model, addr, { stack: op.stack, slot: d.slot });
      }
    }
    const kept = new Set(op.attempted.map(addrOf));
    for (const p of op.previous) {
      const addr = addrOf(p);
      if (kept.has(addr)) continue;
      // A replaced resource goes by its new UpdateReplacePolicy, a removed one by its DeletionPolicy.
      const retain = op.attempted.find((d) => d.slot === p.slot)?.retain ?? p.retain;
      if (retain) {
        if (op.after.has(addr)) model.protectedAddrs.set(addr, 'retained');
      } else {
        stopped(addr, p.slot);
      }
    }
    st.live = true;
    st.declared = op.attempted;
    st.slots = slots;
  } else if (op.outcome === 'rolled-back') {
    for (const d of op.attempted) {
      const p = previousOf(d.slot);
      if (p && !sameProperties(p, d) && !op.before.has(addrOf(p))) {
        // The slot's user was missing; the failed update or its rollback may have registered it
        // again, as declared before (which is what the stack declares): if it is there, it is exact.
        st.slots.get(p.slot)!.exact = true;
        if (op.after.has(addrOf(p))) model.holders.set(addrOf(p), holder(p.slot));
      } else if (p && !sameIdentity(p, d) && model.holders.get(addrOf(p)) !== holder(p.slot)) {
        // The rollback's Update converges the old user to the old declaration, and may mark it.
        model.holders.set(addrOf(p), 'unknown');
      }
      const addr = addrOf(d);
      if (!p || !sameIdentity(p, d)) {
        // The failed deployment may have registered or adopted it; its rollback let it go.
        if (op.before.has(addr) || op.after.has(addr)) model.holders.set(addr, 'unknown');
        const others = declarersOf(model, addr).filter((o) => !(o.stack === op.stack && o.decl.slot === d.slot));
        if (op.before.has(addr) && others.length > 0) {
          effects.adoptedInRollback.add(addr);
          if (model.tolerate.has('rollback-drift')) for (const o of others) o.state.exact = false;
        }
      }
      // A user another stack holds, updated in place by this stack (both declare it): not checked field by field.
      if (p && sameIdentity(p, d) && !sameProperties(p, d) && declarersOf(model, addr).some((o) => o.stack !== op.stack)) {
        taintOthers(model, addr, { stack: op.stack, slot: -1 });
      }
    }
    for (const [addr, slot] of op.retainedInRollback) {
      if (!op.after.has(addr)) continue;
      // CloudFormation kept it (Retain): the failed deployment's resource registered or adopted it.
      model.protectedAddrs.set(addr, 'retained');
      model.holders.set(addr, holder(slot));
    }
    if (!op.wasLive) {
      st.live = false;
      st.declared = [];
      st.slots = new Map();
    }
  } else {
    for (const p of op.previous) {
      const addr = addrOf(p);
      if (p.retain) {
        if (op.after.has(addr)) model.protectedAddrs.set(addr, 'retained');
      } else {
        stopped(addr, p.slot);
      }
    }
    st.live = false;
    st.declared = [];
    st.slots = new Map();
  }
  return effects;
}

/** The marker of a user registered or adopted by `owner` (the stack id and logical id of its resource). */
export function isMarkerOf(marker: string | undefined, owner: string): boolean {
  if (marker === undefined) return false;
  if (marker === `adopted:${owner}`) return true;
  return /^registered:[0-9a-f-]{36}:/.test(marker) && marker.slice('registered:'.length + 37) === owner;
}

/** How a user differs from a declaration (fields, declared tags, owner marker). */
export function differences(user: EmulatedUser, d: Decl, owner: string): string[] {
  const tags = { ...user.tags };
  const marker = tags[OWNER_TAG_KEY];
  // The handler's own tags (the owner marker, and the previous owner while a user passes between resources) are not declared tags.
  for (const key of Object.keys(tags)) if (isMarkerTagKey(key)) delete tags[key];
  const wanted: Record<string, unknown> = {
    identityType: identityTypeOf(d),
    email: emailOf(d),
    role: ROLES[d.role],
    iamArn: d.iam ? iamArnOf(NAMES[d.name]) : undefined,
    customPermissionsName: undefined,
    externalLoginFederationProviderType: undefined,
    tags: sorted(TAG_SETS[d.tags]),
  };
  const got: Record<string, unknown> = { ...user, tags: sorted(tags) };
  const diffs = Object.keys(wanted)
    .filter((field) => JSON.stringify(got[field]) !== JSON.stringify(wanted[field]))
    .map((field) => `${field} is ${JSON.stringify(got[field])}, declared ${JSON.stringify(wanted[field])}`);
  if (!isMarkerOf(marker, owner)) diffs.push(`owner marker is ${JSON.stringify(marker)}, expected this resource's (${owner})`);
  return diffs;
}

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export type ViolationKind = 'lost' | 're-registered' | 'leaked' | 'drifted' | 'touched' | 'unexpected outcome' | 'stuck' | 'iam refused' | 'model and simulator disagree';

export interface Violation {
  readonly kind: ViolationKind;
  readonly text: string;
}

/** The invariant after one operation, against the emulator's users. */
export function verify(model: ModelState, op: Operation, effects: Effects, ownerOf: (stack: StackKey, slot: number) => string): Violation[] {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, text: string) => violations.push({ kind, text });
  for (const addr of ALL_ADDRS) {
    const b = op.before.get(addr);
    const a = op.after.get(addr);
    if (b && a && b.principalId !== a.principalId) {
      add('re-registered', `${addr} was deregistered and registered again (principal ${b.principalId} -> ${a.principalId}): its dashboards, analyses and datasets lose their owner`);
    }
    const declarers = declarersOf(model, addr);
    if (declarers.length > 0) {
      const by = declarers.map((d) => `${d.stack}/${describeDecl(d.decl)}`).join(' and ');
      if (!a && declarers.some((d) => !d.state.missingOk)) add('lost', `${addr} is missing, but ${by} declares it (last successful deployment)`);
      if (a && !op.reported.has(addr)) {
        for (const d of declarers.filter((x) => x.state.exact)) {
          const diffs = differences(a, d.decl, ownerOf(d.stack, d.decl.slot));
          if (diffs.length > 0) {
            const kind = effects.adoptedInRollback.has(addr) ? 'touched' : 'drifted';
            add(kind, `${addr} differs from ${d.stack}/${describeDecl(d.decl)}${kind === 'touched' ? ` after a rolled-back deployment of ${op.stack} adopted it` : ''}: ${diffs.join('; ')}`);
          }
        }
      }
    } else if (model.protectedAddrs.has(addr)) {
      if (!a) add('lost', `${addr} (${model.protectedAddrs.get(addr)}) was deregistered, though no successful deployment stopped declaring it`);
    } else {
      if (b && !a && !effects.mustGo.has(addr) && !effects.mayGo.has(addr)) add('lost', `${addr} was deregistered, though no successful deployment stopped declaring it`);
      if (a && !op.reported.has(addr)) {
        if (!b) add('leaked', `${addr} was registered by ${op.stack}'s ${op.kind} (${op.outcome}) and left behind: nothing declares it`);
        else if (effects.mustGo.has(addr)) add('leaked', `${addr} is still there, though ${op.stack}'s ${op.outcome === 'deleted' ? 'deletion' : 'successful deployment'} stopped declaring it (DESTROY)`);
      }
    }
    if (!effects.scope.has(addr) && b && a && JSON.stringify(b) !== JSON.stringify(a)) {
      add('touched', `${addr} is not named by ${op.stack}'s operation, and changed: ${JSON.stringify(b)} -> ${JSON.stringify(a)}`);
    }
  }
  return violations;
}
