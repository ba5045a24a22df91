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
  addrOf, ALL_ADDRS, describeDecl, emailOf, groupNamesOf, iamArnOf, identityTypeOf, NAMES, ROLES, sameIdentity, sameProperties, STACKS, TAG_SETS,
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
  /**
   * The resource a user was taken over from (a move, a swap), while that resource has not let go
   * of it: the handler hands the user back to it when the taker stops declaring it.
   */
  takenFrom: Map<Addr, string>;
  /** Users whose previous owner left without letting go (RETAIN: no Delete), so a hand-back goes nowhere. */
  stale: Set<Addr>;
  /** Users whose owner marker was removed by hand, until a resource marks them again. */
  unmarkedByHand: Set<Addr>;
  /** Users taken over while their marker was removed by hand and another stack declared them: no previous owner recorded. */
  unmarkedTakeover: Set<Addr>;
  /**
   * Memberships (`<addr>><group>`) a declaration names that were removed by hand: the handler
   * applies only the difference between a user's old and new Groups, so they stay removed until the
   * user is registered or adopted, or its Groups name the group anew (known limit membership-drift).
   */
  droppedByHand: Set<string>;
  /** Memberships made by hand that no declaration has named since: they stay. */
  handMembers: Set<string>;
  /**
   * Memberships that a declaration made and that no declaration names any more, but that no
   * in-place update removed: the user was taken over by a resource that does not name the group
   * (known limit takeover-membership), or a rolled-back adoption added them (rollback-membership).
   */
  leftBehind: Set<string>;
  /** Each stack's current id (a stack created again gets a new one: its resources are other resources). */
  stackIds: Record<StackKey, string>;
  /** Known limits the model accepts (each exactly that class; the rest of the invariant strictly). */
  readonly tolerate: ReadonlySet<Tolerance>;
}

/**
 * Known counterexample classes, each accepted exactly (the rest of the invariant stays strict):
 * - 'rollback-drift': a takeover that rolls back (a move whose destination failed, a swap) hands
 *   the user back with its owner marker, but its fields (email, role, tags) stay as the failed
 *   deployment converged them;
 * - 'retain-takeover': a RETAIN resource of a deployment that rolls back took over a user another
 *   resource declares: CloudFormation sends it no Delete, so the user keeps its marker and fields;
 * - 'stale-previous-owner': the resource a user was taken over from left with RETAIN (no Delete, it
 *   never let go), so when the taker stops declaring the user, it is handed back to nothing and
 *   stays (a leak);
 * - 'split-loss': a user whose owner marker was removed by hand, taken over while another stack
 *   declares it, has no previous owner recorded: when the taker stops declaring it, it goes;
 * - 'stuck-rollback': a rollback that cannot complete without faults ends the sequence there.
 */
export type Tolerance = 'rollback-drift' | 'retain-takeover' | 'stale-previous-owner' | 'split-loss' | 'stuck-rollback'
  | 'membership-drift' | 'rollback-membership' | 'takeover-membership';
// Memberships (the Groups of a declaration):
// - 'membership-drift': a declared membership removed by hand (or a group's members dropped by
//   QuickSight) comes back only when the user is registered or adopted, or its Groups name the
//   group anew: an Update applies only the difference between the old and new Groups;
// - 'rollback-membership': a rolled-back deployment that adopted a user leaves the memberships the
//   adoption added (a rollback Delete makes no membership calls), and the rollback of an update
//   that declared a membership the user already had by hand removes it (memberships carry no marker);
// - 'takeover-membership': a user taken over by another resource (a construct id change, a move to
//   the other stack) keeps the memberships its previous resource declared and the new one does not.

export function initialModel(tolerate: ReadonlySet<Tolerance> = new Set()): ModelState {
  const stack = (): StackModel => ({ live: false, declared: [], slots: new Map() });
  return {
    intended: { UsersA: [], UsersB: [] }, stacks: { UsersA: stack(), UsersB: stack() }, protectedAddrs: new Map(), holders: new Map(),
    takenFrom: new Map(), stale: new Set(), unmarkedByHand: new Set(), unmarkedTakeover: new Set(),
    droppedByHand: new Set(), handMembers: new Set(), leftBehind: new Set(), stackIds: { UsersA: '', UsersB: '' }, tolerate,
  };
}

/** Forgets what the model knows of a user's markers (deleted or made by hand). */
export function forgetMarkers(model: ModelState, addr: Addr): void {
  model.takenFrom.delete(addr);
  model.stale.delete(addr);
  model.unmarkedByHand.delete(addr);
  model.unmarkedTakeover.delete(addr);
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
  /** How each slot's event of the forward phase (Create, Update) was answered, for a rolled-back deployment. */
  readonly forward: ReadonlyMap<number, 'SUCCESS' | 'FAILED'>;
  /** Slots whose user the handler refuses to take over (another identity type): it is left untouched. */
  readonly refused: ReadonlySet<number>;
  /** The groups each user was in before and after the operation (users present only). */
  readonly groupsBefore: ReadonlyMap<Addr, readonly string[]>;
  readonly groupsAfter: ReadonlyMap<Addr, readonly string[]>;
}

/** A membership's key in the model's sets. */
export const membershipKey = (addr: Addr, group: string): string => `${addr}>${group}`;

/** Forgets what the model knows of a membership (it was declared anew, or removed). */
function forgetMembership(model: ModelState, addr: Addr, group: string): void {
  const key = membershipKey(addr, group);
  model.droppedByHand.delete(key);
  model.handMembers.delete(key);
  model.leftBehind.delete(key);
}

/** Forgets every membership of a user (deregistered, or registered anew). */
export function forgetMemberships(model: ModelState, addr: Addr): void {
  for (const set of [model.droppedByHand, model.handMembers, model.leftBehind]) {
    for (const key of [...set]) if (key.startsWith(`${addr}>`)) set.delete(key);
  }
}

/** What the successful deployment's events did to the memberships the model tracks. */
function applyMemberships(model: ModelState, op: Operation): void {
  const previousOf = (slot: number) => op.previous.find((p) => p.slot === slot);
  for (const d of op.attempted) {
    const p = previousOf(d.slot);
    if (p && sameProperties(p, d)) continue;
    const addr = addrOf(d);
    const declared = groupNamesOf(d.groups ?? 0);
    if (!op.before.has(addr)) {
      // Registered: in exactly its declared groups.
      forgetMemberships(model, addr);
    } else if (!p || !sameIdentity(p, d)) {
      // Adopted: joins the declared groups; the memberships it had stay. Those a declaration made
      // (neither made by hand nor named by this one) are left behind by the takeover.
      for (const g of declared) forgetMembership(model, addr, g);
      for (const g of op.groupsBefore.get(addr) ?? []) {
        if (!declared.includes(g) && !model.handMembers.has(membershipKey(addr, g))) model.leftBehind.add(membershipKey(addr, g));
      }
    } else {
      // In place: the difference applied.
      const before = groupNamesOf(p.groups ?? 0);
      for (const g of [...declared.filter((x) => !before.includes(x)), ...before.filter((x) => !declared.includes(x))]) forgetMembership(model, addr, g);
    }
  }
}

/** Keeps the membership sets to memberships that exist (and, for drops, to users that exist). */
function pruneMemberships(model: ModelState, op: Operation): void {
  const exists = (key: string) => {
    const at = key.lastIndexOf('>');
    return (op.groupsAfter.get(key.slice(0, at)) ?? []).includes(key.slice(at + 1));
  };
  for (const key of [...model.handMembers]) if (!exists(key)) model.handMembers.delete(key);
  for (const key of [...model.leftBehind]) if (!exists(key)) model.leftBehind.delete(key);
  for (const key of [...model.droppedByHand]) if (!op.groupsAfter.has(key.slice(0, key.lastIndexOf('>'))) || exists(key)) model.droppedByHand.delete(key);
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

/** Whether a live resource (`<stack id>/<slot>`) declares the user: a resource that could let go of it. */
function liveResourceDeclares(model: ModelState, resource: string, addr: Addr): boolean {
  return STACKS.some((s) => model.stacks[s].live && model.stacks[s].declared.some((d) => `${model.stackIds[s]}/${d.slot}` === resource && addrOf(d) === addr));
}

/** A resource registered (`registered`) or adopted the user, marking it as its own. */
function takeOver(model: ModelState, addr: Addr, resource: string, registered: boolean): void {
  const before = model.holders.get(addr);
  if (registered) {
    // A new user: no previous owner.
    forgetMarkers(model, addr);
  } else if (before === 'unknown') {
    // Whether a previous owner was recorded, and which, is not known.
    model.takenFrom.set(addr, 'unknown');
    model.stale.delete(addr);
  } else if (before !== undefined && before !== 'none' && before !== resource) {
    model.takenFrom.set(addr, before);
    if (liveResourceDeclares(model, before, addr)) model.stale.delete(addr);
    else model.stale.add(addr);
  }
  if (model.unmarkedByHand.has(addr) && declarersOf(model, addr).length > 0) model.unmarkedTakeover.add(addr);
  model.unmarkedByHand.delete(addr);
  model.holders.set(addr, resource);
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
  const resourceOf = (slot: number) => `${op.stackId}/${slot}`;
  model.stackIds[op.stack] = op.stackId;

  /** A resource that a user was taken from lets go of it (its Delete finds another resource's marker). */
  const letGo = (addr: Addr, resource: string) => {
    if (model.takenFrom.get(addr) !== resource) return;
    model.takenFrom.delete(addr);
    model.stale.delete(addr);
  };

  /** The resource in `slot` stopped declaring `addr`, with RETAIN or DESTROY. */
  const stopped = (addr: Addr, slot: number, retain: boolean) => {
    const resource = resourceOf(slot);
    const held = model.holders.get(addr) ?? 'none';
    if (retain) {
      // No Delete is sent: the user stays, and the resource never lets go of it.
      if (op.after.has(addr)) model.protectedAddrs.set(addr, 'retained');
      if (model.takenFrom.get(addr) === resource) model.stale.add(addr);
      return;
    }
    if (held !== 'none' && held !== 'unknown' && held !== resource) {
      // Another resource took it over since: this resource's Delete leaves it, and lets go of it.
      letGo(addr, resource);
      return;
    }
    const previous = model.takenFrom.get(addr);
    if (previous !== undefined) {
      // Handed back to the resource it was taken from ('unknown': perhaps to one that no longer exists).
      const stale = model.stale.has(addr) || previous === 'unknown';
      model.takenFrom.delete(addr);
      model.stale.delete(addr);
      model.holders.set(addr, previous);
      if (!stale) return;
      // That resource no longer exists (it left with RETAIN): the user stays, a leak.
      model.protectedAddrs.delete(addr);
      (model.tolerate.has('stale-previous-owner') ? effects.mayGo : effects.mustGo).add(addr);
      return;
    }
    model.protectedAddrs.delete(addr);
    (held === 'unknown' ? effects.mayGo : effects.mustGo).add(addr);
    if (model.tolerate.has('split-loss') && model.unmarkedTakeover.has(addr)) tolerateSplitLoss(model, addr, op.stack);
  };

  if (op.outcome === 'succeeded') {
    applyMemberships(model, op);
    const slots = new Map<number, SlotState>();
    for (const d of op.attempted) {
      const p = previousOf(d.slot);
      const addr = addrOf(d);
      if (p && sameProperties(p, d)) {
        slots.set(d.slot, { ...st.slots.get(d.slot)! });
      } else if (!p || !sameIdentity(p, d)) {
        // Registered or adopted: converged to the declaration, with this resource's marker.
        slots.set(d.slot, { exact: true, missingOk: false });
        takeOver(model, addr, resourceOf(d.slot), !op.before.has(addr));
        taintOthers(model, addr, { stack: op.stack, slot: d.slot });
      } else if (!op.before.has(addr)) {
        // Updated in place, but deleted by hand: registered again as declared.
        slots.set(d.slot, { exact: true, missingOk: false });
        takeOver(model, addr, resourceOf(d.slot), true);
      } else {
        const shared = declarersOf(model, addr).some((o) => o.stack !== op.stack);
        slots.set(d.slot, { exact: st.slots.get(d.slot)!.exact && !shared, missingOk: false });
        taintOthers(model, addr, { stack: op.stack, slot: d.slot });
      }
    }
    const kept = new Set(op.attempted.map(addrOf));
    for (const p of op.previous) {
      const addr = addrOf(p);
      const now = op.attempted.find((d) => d.slot === p.slot);
      if (now && addrOf(now) === addr) continue;
      // A replaced resource goes by its new UpdateReplacePolicy, a removed one by its DeletionPolicy.
      const retain = now?.retain ?? p.retain;
      if (kept.has(addr)) {
        // Another slot of this stack took the user over: this resource's Delete (if any) lets go.
        if (retain) {
          if (model.takenFrom.get(addr) === resourceOf(p.slot)) model.stale.add(addr);
        } else {
          letGo(addr, resourceOf(p.slot));
        }
        continue;
      }
      stopped(addr, p.slot, retain);
    }
    st.live = true;
    st.declared = op.attempted;
    st.slots = slots;
  } else if (op.outcome === 'rolled-back') {
    for (const d of op.attempted) {
      const p = previousOf(d.slot);
      const forward = op.forward.get(d.slot);
      if (p && !sameProperties(p, d) && !op.before.has(addrOf(p))) {
        // The slot's user was missing; the failed update or its rollback may have registered it
        // again, as declared before (which is what the stack declares): if it is there, it is exact.
        st.slots.get(p.slot)!.exact = true;
        if (op.after.has(addrOf(p))) takeOver(model, addrOf(p), resourceOf(p.slot), true);
      } else if (p && !sameIdentity(p, d) && forward === 'FAILED' && op.after.has(addrOf(p))) {
        // The rollback's Update converges the old user to the old declaration, marking it if no
        // resource held it (another resource's user is left alone).
        const held = model.holders.get(addrOf(p)) ?? 'none';
        if (held === 'none') takeOver(model, addrOf(p), resourceOf(p.slot), false);
        else if (held === 'unknown') model.holders.set(addrOf(p), 'unknown');
      }
      const addr = addrOf(d);
      if ((!p || !sameIdentity(p, d)) && !(forward === 'FAILED' && op.refused.has(d.slot))) {
        const retained = op.retainedInRollback.get(addr) === d.slot;
        if (retained) {
          // CloudFormation kept it (Retain, no Delete): the failed deployment's resource holds it.
          takeOver(model, addr, resourceOf(d.slot), !op.before.has(addr));
          model.protectedAddrs.set(addr, 'retained');
        } else if (forward === 'SUCCESS' && op.before.has(addr) && op.after.has(addr) && !op.reported.has(addr)) {
          // Taken over, then handed back (or released, when no resource held it) by the rollback's Delete.
          const held = model.holders.get(addr) ?? 'none';
          if ((held === 'none' || held === 'unknown') && model.takenFrom.has(addr)) model.holders.set(addr, 'unknown');
          model.takenFrom.delete(addr);
          model.stale.delete(addr);
        } else if (forward !== undefined && (op.before.has(addr) || op.after.has(addr))) {
          // A failed event, or a rollback Delete that failed: whose marker it carries is not known.
          model.holders.set(addr, 'unknown');
        }
        const others = declarersOf(model, addr).filter((o) => !(o.stack === op.stack && o.decl.slot === d.slot));
        if (op.before.has(addr) && others.length > 0 && forward !== undefined) effects.adoptedInRollback.add(addr);
      }
      // A user another stack holds, updated in place by this stack (both declare it): not checked field by field.
      if (p && sameIdentity(p, d) && !sameProperties(p, d) && declarersOf(model, addr).some((o) => o.stack !== op.stack)) {
        taintOthers(model, addr, { stack: op.stack, slot: -1 });
      }
    }
    for (const [addr] of op.retainedInRollback) if (op.after.has(addr)) model.protectedAddrs.set(addr, 'retained');
    if (!op.wasLive) {
      st.live = false;
      st.declared = [];
      st.slots = new Map();
    }
  } else {
    for (const p of op.previous) stopped(addrOf(p), p.slot, p.retain);
    st.live = false;
    st.declared = [];
    st.slots = new Map();
  }
  if (op.outcome === 'rolled-back' && model.tolerate.has('rollback-membership')) {
    // Memberships a rolled-back adoption added stay (the rollback-membership limit).
    for (const [addr, after] of op.groupsAfter) {
      const before = op.groupsBefore.get(addr);
      if (before) for (const g of after) if (!before.includes(g)) model.leftBehind.add(membershipKey(addr, g));
    }
  }
  pruneMemberships(model, op);
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

export type ViolationKind = 'lost' | 're-registered' | 'leaked' | 'drifted' | 'touched' | 'unexpected outcome' | 'stuck' | 'iam refused' | 'model and simulator disagree'
  | 'membership lost' | 'membership added' | 'membership drifted';

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
          let diffs = differences(a, d.decl, ownerOf(d.stack, d.decl.slot));
          const touched = effects.adoptedInRollback.has(addr) && !(d.stack === op.stack && op.attempted.some((x) => x.slot === d.decl.slot && addrOf(x) === addr));
          if (touched) {
            // A takeover that rolled back: the known limits accept exactly their own differences.
            const retainedBy = op.retainedInRollback.has(addr);
            if (retainedBy && model.tolerate.has('retain-takeover')) diffs = [];
            else if (!retainedBy && model.tolerate.has('rollback-drift')) diffs = diffs.filter((x) => x.startsWith('owner marker'));
            if (model.tolerate.has(retainedBy ? 'retain-takeover' : 'rollback-drift')) d.state.exact = false;
          }
          if (diffs.length > 0) {
            const kind = touched ? 'touched' : 'drifted';
            add(kind, `${addr} differs from ${d.stack}/${describeDecl(d.decl)}${touched ? ` after a rolled-back deployment of ${op.stack} took it over` : ''}: ${diffs.join('; ')}`);
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
  violations.push(...verifyMemberships(model, op));
  return violations;
}

/**
 * The memberships after one operation. A successful deployment changes a user's memberships only
 * as its declarations say: an in-place update adds the groups its Groups gained and removes the
 * ones they lost; a registration or adoption adds the declared ones; nothing else is removed, and
 * each user of the stack whose declaration the model checks exactly is in exactly its declared
 * groups plus memberships made by hand that no declaration named since. A rollback leaves every
 * membership as it was; a stack delete removes none (QuickSight drops a deregistered user's).
 */
function verifyMemberships(model: ModelState, op: Operation): Violation[] {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, text: string) => violations.push({ kind, text });
  const tolerate = (t: Tolerance) => model.tolerate.has(t);
  const groupsOf = (d: Decl | undefined) => groupNamesOf(d?.groups ?? 0);
  for (const [addr, after] of op.groupsAfter) {
    if (op.reported.has(addr)) continue;
    const before = op.before.get(addr)?.principalId === op.after.get(addr)?.principalId ? op.groupsBefore.get(addr) : undefined;
    const attempted = op.kind === 'deploy' ? op.attempted.filter((d) => addrOf(d) === addr) : [];
    const inPlace = attempted.map((d) => [op.previous.find((p) => p.slot === d.slot), d] as const)
      .filter((pair): pair is readonly [Decl, Decl] => pair[0] !== undefined && sameIdentity(pair[0], pair[1]) && addrOf(pair[0]) === addr);
    const takenOver = attempted.filter((d) => { const p = op.previous.find((x) => x.slot === d.slot); return !p || !sameIdentity(p, d); });
    let mayAdd: string[];
    let mayRemove: string[];
    if (op.outcome === 'succeeded') {
      mayAdd = attempted.flatMap(groupsOf);
      mayRemove = inPlace.flatMap(([p, d]) => groupsOf(p).filter((g) => !groupsOf(d).includes(g)));
    } else if (op.outcome === 'rolled-back') {
      mayAdd = tolerate('rollback-membership') ? takenOver.flatMap(groupsOf) : [];
      mayRemove = tolerate('rollback-membership') ? inPlace.flatMap(([p, d]) => groupsOf(d).filter((g) => !groupsOf(p).includes(g))) : [];
      if (!before) mayAdd = attempted.flatMap(groupsOf);
    } else {
      mayAdd = [];
      mayRemove = [];
    }
    const base = before ?? [];
    const removed = base.filter((g) => !after.includes(g) && !mayRemove.includes(g));
    const added = after.filter((g) => !base.includes(g) && !mayAdd.includes(g));
    const what = `${op.stack}'s ${op.kind === 'deploy' ? `deployment (${op.outcome})` : 'deletion'}`;
    if (removed.length > 0) add('membership lost', `${addr} left ${removed.join(', ')} in ${what}, which did not declare that change (before: [${base.join(', ')}], after: [${after.join(', ')}])`);
    if (added.length > 0) add('membership added', `${addr} joined ${added.join(', ')} in ${what}, which did not declare it (before: [${base.join(', ')}], after: [${after.join(', ')}])`);
  }
  if (op.outcome !== 'succeeded') return violations;
  for (const d of model.stacks[op.stack].declared) {
    const addr = addrOf(d);
    const after = op.groupsAfter.get(addr);
    const state = model.stacks[op.stack].slots.get(d.slot);
    if (!after || !state?.exact || state.missingOk || op.reported.has(addr)) continue;
    const declared = groupsOf(d);
    const missing = declared.filter((g) => !after.includes(g) && !(tolerate('membership-drift') && model.droppedByHand.has(membershipKey(addr, g))));
    const extra = after.filter((g) => !declared.includes(g) && !model.handMembers.has(membershipKey(addr, g))
      && !((tolerate('takeover-membership') || tolerate('rollback-membership')) && model.leftBehind.has(membershipKey(addr, g))));
    if (missing.length > 0 || extra.length > 0) {
      add('membership drifted', `${addr} is in [${after.join(', ')}], but ${op.stack}/${describeDecl(d)} declares [${declared.join(', ')}]${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}${extra.length > 0 ? `; also in ${extra.join(', ')}, which no declaration names and no one made by hand` : ''}`);
    }
  }
  return violations;
}
