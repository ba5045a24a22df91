// The plan of a change to a users file: which QuickSight users a deployment would add, remove,
// update in place, replace (delete and register again: destructive) or move to another stack, and
// which groups it would create, delete (destructive: every share with the group is lost), update,
// stop or start managing, computed from the two files alone (no AWS access) with the app's own
// model and sharding. A user's membership changes (`groups: +analysts −finance`) are updates of
// the user: the user resource carries its memberships.
//
// Emails are never printed (CI logs are widely readable; the pull request's diff shows them to
// the reviewer): an email change reads "email: changed".
import { membershipChange } from '../lib/group-model';
import { IDENTITY_FIELDS, IdentityType, PROP_NAMES, type UserSpec, type UserSpecField } from '../lib/model';
import { assignStacks, type Sharding } from './sharding';
import { UserRemovalPolicy, type DeclaredGroup, type DeclaredUser, type UsersFile } from './users-file';

export enum ChangeKind {
  /** Registered by the deployment. */
  ADD = 'add',
  /** Deleted and registered again: the user loses what it owns in QuickSight. */
  REPLACE = 'replace',
  /** Gone from the file. */
  REMOVE = 'remove',
  /** Changed in place (QuickSight's UpdateUser and tags, or only the stack's template). */
  UPDATE = 'update',
  /** Nothing changes but the stack that manages the user. */
  MOVE = 'move',
  /** A change the handler refuses: the deployment fails and rolls back, the user untouched. */
  REFUSED = 'refused',
}

/** One field that changes; `before`/`after` are left out when redacted (emails). */
export interface FieldChange {
  /** The file's field name (`role`, `tags.team`, `removalPolicy`, `groups`, `description`). */
  readonly field: string;
  /** The value before (for `groups`: the sorted names, comma-separated; left out when none). */
  readonly before?: string;
  readonly after?: string;
  readonly redacted?: boolean;
  /** For `groups`: the groups the user joins. */
  readonly added?: string[];
  /** For `groups`: the groups the user leaves. */
  readonly removed?: string[];
}

export interface UserChange {
  readonly kind: ChangeKind;
  /** The QuickSight user name (after the change; before it for a removal). */
  readonly userName: string;
  /** For a replacement that renames the user: the old name. */
  readonly previousUserName?: string;
  readonly namespace: string;
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly identityType: string;
  readonly role: string;
  /** Whether QuickSight would delete a user (and orphan what it owns). */
  readonly destructive: boolean;
  /** Why it is destructive, or why it is not, or what to watch for. */
  readonly reason?: string;
  readonly fields: FieldChange[];
  /** The stack before and after (equal unless the user moves). */
  readonly stackBefore?: string;
  readonly stackAfter?: string;
  /** The line of the user in the file after the change (before it for a removal). */
  readonly line: number;
}

export enum GroupChangeKind {
  /** Created by the deployment (adopted when it exists, unless adoptExistingGroup is false); for `managed: false`, only referred to. */
  ADD = 'add',
  /** Gone from the file: deleted with removalPolicy destroy (every share with the group is lost). */
  REMOVE = 'remove',
  /** Changed in place: the description (UpdateGroup), or only the stack's template. */
  UPDATE = 'update',
  /** Managed, then `managed: false`: the group leaves the groups stack with its removal policy. */
  UNMANAGE = 'unmanage',
  /** `managed: false`, then managed: the groups stack adopts the existing group. */
  MANAGE = 'manage',
  /** A change the deployment would fail on: it rolls back, the group untouched. */
  REFUSED = 'refused',
}

export interface GroupChange {
  readonly kind: GroupChangeKind;
  readonly groupName: string;
  readonly namespace: string;
  readonly awsAccountId: string;
  readonly identityRegion: string;
  /** Whether the file manages the group after the change (before it, for a removal). */
  readonly managed: boolean;
  /** Whether QuickSight would delete the group (every share with it is lost). */
  readonly destructive: boolean;
  /** Why it is destructive, or why it is not, or what to watch for. */
  readonly reason?: string;
  readonly fields: FieldChange[];
  /** The groups stack before and after (undefined where the group is `managed: false`). */
  readonly stackBefore?: string;
  readonly stackAfter?: string;
  /** The line of the group in the file after the change (before it for a removal). */
  readonly line: number;
}

export interface Plan {
  /** The users' changes. */
  readonly changes: UserChange[];
  /** The groups' changes (the users' memberships are in `changes`, as updates of the users). */
  readonly groupChanges: GroupChange[];
  /** The user stacks. */
  readonly stacksBefore: string[];
  readonly stacksAfter: string[];
  /** The groups stack, when the file declares managed groups. */
  readonly groupsStackBefore?: string;
  readonly groupsStackAfter?: string;
  /**
   * The users' changes by kind, and `unchanged` users. `destructive` counts every destructive
   * change, the groups' included: what `--fail-on-destructive` counts.
   */
  readonly summary: Record<ChangeKind, number> & { readonly destructive: number; readonly unchanged: number };
  /** The groups' changes by kind, their destructive ones, and the unchanged groups. */
  readonly groupSummary: Record<GroupChangeKind, number> & { readonly destructive: number; readonly unchanged: number };
}

/** The fields UpdateUser changes in place: all but the identity and the tags. */
const UPDATABLE_FIELDS = (Object.keys(PROP_NAMES) as UserSpecField[]).filter((f) => !(IDENTITY_FIELDS as readonly string[]).includes(f) && f !== 'Tags');
const KIND_ORDER = [ChangeKind.REFUSED, ChangeKind.REPLACE, ChangeKind.REMOVE, ChangeKind.UPDATE, ChangeKind.MOVE, ChangeKind.ADD];
const ORPHANED = 'its dashboards, analyses and datasets lose their owner';
const GROUP_KIND_ORDER = [GroupChangeKind.REFUSED, GroupChangeKind.REMOVE, GroupChangeKind.UNMANAGE, GroupChangeKind.UPDATE, GroupChangeKind.MANAGE, GroupChangeKind.ADD];
const SHARES_LOST = 'every share with the group is lost';

/**
 * The plan from `before` (undefined: a new file) to `after`. Users are matched by identity
 * (account, identity region, namespace, user name); an unmatched removed user and added user
 * with the same email are one user replaced under a new identity.
 */
export function planChange(before: UsersFile | undefined, after: UsersFile): Plan {
  const shardsBefore = before ? assignStacks(before) : undefined;
  const shardsAfter = assignStacks(after);
  const stackBefore = stackLookup(shardsBefore);
  const stackAfter = stackLookup(shardsAfter);
  const oldUsers = new Map((before?.users ?? []).map((u) => [u.key, u]));
  const newUsers = new Map(after.users.map((u) => [u.key, u]));
  const changes: UserChange[] = [];
  let unchanged = 0;

  for (const user of after.users) {
    const old = oldUsers.get(user.key);
    if (!old) continue;
    const change = compare(old, user, stackBefore(old), stackAfter(user));
    if (change) changes.push(change);
    else unchanged += 1;
  }

  const removed = (before?.users ?? []).filter((u) => !newUsers.has(u.key));
  const added = after.users.filter((u) => !oldUsers.has(u.key));
  const renamed = pairByEmail(removed, added);
  for (const [old, user] of renamed) changes.push(replacedUnderNewIdentity(old, user, stackBefore(old), stackAfter(user)));
  for (const old of removed.filter((u) => !renamed.has(u))) changes.push(removal(old, stackBefore(old)));
  const replacing = new Set(renamed.values());
  for (const user of added.filter((u) => !replacing.has(u))) {
    changes.push({ ...describeUser(user), kind: ChangeKind.ADD, destructive: false, fields: membershipChanges([], user.groups), stackAfter: stackAfter(user), line: user.line });
  }

  changes.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareText(a.userName, b.userName) || compareText(a.namespace, b.namespace));
  const summary = Object.fromEntries(KIND_ORDER.map((kind) => [kind, changes.filter((c) => c.kind === kind).length])) as Record<ChangeKind, number>;
  const groups = planGroups(before, after, shardsBefore?.groupsStack?.name, shardsAfter.groupsStack?.name);
  return {
    changes,
    groupChanges: groups.changes,
    stacksBefore: shardsBefore?.stacks.map((s) => s.name) ?? [],
    stacksAfter: shardsAfter.stacks.map((s) => s.name),
    groupsStackBefore: shardsBefore?.groupsStack?.name,
    groupsStackAfter: shardsAfter.groupsStack?.name,
    summary: { ...summary, destructive: changes.filter((c) => c.destructive).length + groups.summary.destructive, unchanged },
    groupSummary: groups.summary,
  };
}

// ---- groups ----

/** The groups' changes, matched by identity (account, identity region, namespace, name): a rename is a removal and an addition. */
function planGroups(before: UsersFile | undefined, after: UsersFile, stackBefore: string | undefined, stackAfter: string | undefined) {
  const oldGroups = new Map((before?.groups ?? []).map((g) => [g.key, g]));
  const newGroups = new Map(after.groups.map((g) => [g.key, g]));
  const stackOf = (group: DeclaredGroup, stack: string | undefined) => (group.managed ? stack : undefined);
  const changes: GroupChange[] = [];
  let unchanged = 0;
  for (const group of after.groups) {
    const old = oldGroups.get(group.key);
    const change = old ? compareGroups(old, group, stackBefore, stackAfter) : addedGroup(group);
    if (change) changes.push({ ...change, stackBefore: old && stackOf(old, stackBefore), stackAfter: stackOf(group, stackAfter) });
    else unchanged += 1;
  }
  for (const old of (before?.groups ?? []).filter((g) => !newGroups.has(g.key))) {
    changes.push({ ...removedGroup(old, stackBefore!, stackAfter), stackBefore: stackOf(old, stackBefore) });
  }
  changes.sort((a, b) => GROUP_KIND_ORDER.indexOf(a.kind) - GROUP_KIND_ORDER.indexOf(b.kind) || compareText(a.groupName, b.groupName) || compareText(a.namespace, b.namespace));
  const counts = Object.fromEntries(GROUP_KIND_ORDER.map((kind) => [kind, changes.filter((c) => c.kind === kind).length])) as Record<GroupChangeKind, number>;
  return { changes, summary: { ...counts, destructive: changes.filter((c) => c.destructive).length, unchanged } };
}

type GroupChangeBody = Omit<GroupChange, 'stackBefore' | 'stackAfter'>;

function describeGroup(group: DeclaredGroup) {
  return {
    groupName: group.spec.GroupName,
    namespace: group.spec.Namespace,
    awsAccountId: group.spec.AwsAccountId,
    identityRegion: group.spec.IdentityRegion,
    managed: group.managed,
    line: group.line,
  };
}

function addedGroup(group: DeclaredGroup): GroupChangeBody {
  if (!group.managed) {
    return { ...describeGroup(group), kind: GroupChangeKind.ADD, destructive: false, fields: [], reason: 'managed: false: referred to, never created: it must exist in QuickSight before the deployment' };
  }
  return {
    ...describeGroup(group),
    kind: GroupChangeKind.ADD,
    destructive: false,
    fields: groupFieldChanges(undefined, group),
    reason: group.adoptExistingGroup ? 'created (adopted if it exists already)' : 'created; adoptExistingGroup is false: the deployment fails if the group exists already',
  };
}

function removedGroup(old: DeclaredGroup, stackBefore: string, stackAfter: string | undefined): GroupChangeBody {
  const base = { ...describeGroup(old), kind: GroupChangeKind.REMOVE, fields: [] };
  if (!old.managed) return { ...base, destructive: false, reason: 'managed: false: no longer referred to; the group stays in QuickSight, untouched' };
  // The groups stack leaves the app with its last managed group: `cdk deploy --all` no longer
  // touches it, and its groups go (or stay, by their policy) when it is destroyed.
  const when = stackAfter === undefined ? ` when \`cdk destroy ${stackBefore}\` runs (the groups stack leaves the app with the file's last managed group)` : '';
  if (old.removalPolicy === UserRemovalPolicy.RETAIN) return { ...base, destructive: false, reason: `the group is kept in QuickSight (removalPolicy: retain)${when}` };
  return { ...base, destructive: true, reason: `the group is deleted from QuickSight${when}: ${SHARES_LOST} (the users in it stay)` };
}

function compareGroups(old: DeclaredGroup, group: DeclaredGroup, stackBefore: string | undefined, stackAfter: string | undefined): GroupChangeBody | undefined {
  const base = describeGroup(group);
  if (old.managed && !group.managed) {
    // The resource leaves the groups stack's template: CloudFormation deletes it with the
    // DeletionPolicy it had there (the old removal policy), and the handler's Delete deletes the
    // group unless that policy is retain. QuickSight groups carry no owner marker to tell otherwise.
    const gone = stackAfter === undefined ? ` when \`cdk destroy ${stackBefore}\` runs (the groups stack leaves the app with the file's last managed group)` : '';
    if (old.removalPolicy === UserRemovalPolicy.RETAIN) {
      return { ...base, kind: GroupChangeKind.UNMANAGE, destructive: false, fields: [{ field: 'managed', before: 'true', after: 'false' }], reason: `the group leaves ${stackBefore}${gone} and is kept in QuickSight (removalPolicy: retain); from then on no deployment of this file changes it` };
    }
    return {
      ...base,
      kind: GroupChangeKind.UNMANAGE,
      destructive: true,
      fields: [{ field: 'managed', before: 'true', after: 'false' }],
      reason: `not a hand-over: the group leaves ${stackBefore}${gone} with its removalPolicy, destroy, so CloudFormation deletes it (${SHARES_LOST}) though the file now says it exists. To hand it over and keep it: set removalPolicy: retain and deploy, then managed: false`,
    };
  }
  if (!old.managed && group.managed) {
    const fields = [{ field: 'managed', before: 'false', after: 'true' }, ...groupFieldChanges(undefined, group)];
    if (!group.adoptExistingGroup) {
      return { ...base, kind: GroupChangeKind.REFUSED, destructive: false, fields, reason: 'the group exists (the file declared it managed: false) and adoptExistingGroup is false: its create fails and the deployment rolls back, the group untouched. Leave adoptExistingGroup out (true) to adopt it' };
    }
    const from = group.removalPolicy === UserRemovalPolicy.DESTROY ? '; from then on, removing it from the file deletes it (removalPolicy: destroy)' : '';
    return { ...base, kind: GroupChangeKind.MANAGE, destructive: false, fields, reason: `${stackAfter} adopts the existing group (its description set as declared)${from}` };
  }
  if (!group.managed) return undefined;
  const fields = groupFieldChanges(old, group);
  if (fields.length === 0) return undefined;
  const keeps = old.spec.Description !== undefined && group.spec.Description === undefined;
  return {
    ...base,
    kind: GroupChangeKind.UPDATE,
    destructive: false,
    fields,
    // QuickSight's UpdateGroup cannot remove a description: the construct leaves it as it is.
    reason: keeps ? 'QuickSight cannot remove a description: the group keeps its current one' : undefined,
  };
}

/** The description and the template-only options that differ (all set ones for a new group). */
function groupFieldChanges(old: DeclaredGroup | undefined, group: DeclaredGroup): FieldChange[] {
  const fields: FieldChange[] = [];
  if (old?.spec.Description !== group.spec.Description) fields.push({ field: 'description', before: old?.spec.Description, after: group.spec.Description });
  const defaults = { removalPolicy: UserRemovalPolicy.DESTROY as string, adoptExistingGroup: 'true' };
  for (const option of ['removalPolicy', 'adoptExistingGroup'] as const) {
    const before = old && String(old[option]);
    const after = String(group[option]);
    if (old ? before !== after : after !== defaults[option]) fields.push({ field: option, before, after });
  }
  return fields;
}

/** A user's membership change, as one `groups` field; none when the lists are the same. */
function membershipChanges(before: readonly string[], after: readonly string[]): FieldChange[] {
  const { add, remove } = membershipChange(before, after);
  if (add.length === 0 && remove.length === 0) return [];
  const list = (names: readonly string[]) => (names.length > 0 ? names.join(', ') : undefined);
  return [{ field: 'groups', before: list(before), after: list(after), added: add, removed: remove }];
}

function compare(old: DeclaredUser, user: DeclaredUser, stackBefore: string, stackAfter: string): UserChange | undefined {
  const identity = IDENTITY_FIELDS.filter((field) => old.spec[field] !== user.spec[field]);
  const updates = [
    ...UPDATABLE_FIELDS.filter((f) => old.spec[f] !== user.spec[f]).map((f) => specChange(f, old.spec, user.spec)), ...tagChanges(old.spec, user.spec),
    ...membershipChanges(old.groups, user.groups), ...stackOptionChanges(old, user),
  ];
  const base = { ...describeUser(user), stackBefore, stackAfter, line: user.line };
  if (old.spec.IdentityType !== user.spec.IdentityType) {
    // The same QuickSight user name and ARN under another identity type: QuickSight cannot change
    // it, and the handler refuses to deregister the user first (lambda/lifecycle.ts).
    return {
      ...base,
      kind: ChangeKind.REFUSED,
      destructive: false,
      reason: `identityType changes keeping the user name: QuickSight cannot change a user's identity type, and deregistering the user first would orphan what it owns, so the deployment fails and rolls back, the user untouched. To change it: remove the user (with removalPolicy: destroy) in one deployment, which deletes it (${ORPHANED}), then declare it again with identityType ${user.spec.IdentityType}`,
      fields: [...identity.map((f) => specChange(f, old.spec, user.spec)), ...updates],
    };
  }
  if (identity.length > 0) {
    // Another IAM ARN with the same QuickSight name (the IAM path changed: IAM user and role names
    // are unique in an account, so it is the same IAM identity): nothing changes in QuickSight.
    updates.unshift(...identity.map((f) => specChange(f, old.spec, user.spec)));
  }
  if (updates.length > 0) return { ...base, kind: ChangeKind.UPDATE, destructive: false, fields: updates, reason: moveNote(user, stackBefore, stackAfter) };
  if (stackBefore !== stackAfter) return { ...base, kind: ChangeKind.MOVE, destructive: false, fields: [], reason: moveNote(user, stackBefore, stackAfter) };
  return undefined;
}

/** A user removed and one added with the same email: one person, registered under a new identity. */
function replacedUnderNewIdentity(old: DeclaredUser, user: DeclaredUser, stackBefore: string, stackAfter: string): UserChange {
  const identity = IDENTITY_FIELDS.filter((field) => old.spec[field] !== user.spec[field]);
  const updates = [
    ...UPDATABLE_FIELDS.filter((f) => f !== 'Email' && old.spec[f] !== user.spec[f]).map((f) => specChange(f, old.spec, user.spec)), ...tagChanges(old.spec, user.spec),
    ...membershipChanges(old.groups, user.groups),
  ];
  const kept = keptReason(old);
  return {
    ...describeUser(user),
    kind: ChangeKind.REPLACE,
    previousUserName: old.userName !== user.userName ? old.userName : undefined,
    destructive: kept === undefined,
    reason: `${describeIdentityChange(identity)}: a new user is registered${kept ? `; the old one is ${kept}` : ` and the old one deleted (${ORPHANED})`}`,
    fields: [...identity.map((f) => specChange(f, old.spec, user.spec)), ...updates],
    stackBefore,
    stackAfter,
    line: user.line,
  };
}

function removal(old: DeclaredUser, stackBefore: string): UserChange {
  const kept = keptReason(old);
  return {
    ...describeUser(old),
    kind: ChangeKind.REMOVE,
    destructive: kept === undefined,
    reason: kept ? `the user is ${kept}` : `the user is deleted from QuickSight (${ORPHANED})`,
    fields: [],
    stackBefore,
    line: old.line,
  };
}

/** Why a user leaving its stack stays in QuickSight, if it does. */
function keptReason(old: DeclaredUser): string | undefined {
  // CloudFormation applies the DeletionPolicy of the template the resource leaves: the old one.
  if (old.removalPolicy === UserRemovalPolicy.RETAIN) return 'kept in QuickSight (removalPolicy: retain)';
  if (old.spec.IdentityType === IdentityType.IAM_IDENTITY_CENTER) return 'kept in QuickSight: the QuickSight API cannot delete IAM Identity Center users (remove it in IAM Identity Center)';
  return undefined;
}

function moveNote(user: DeclaredUser, stackBefore: string, stackAfter: string): string | undefined {
  if (stackBefore === stackAfter) return undefined;
  if (!user.adoptExistingUser) return `moves to ${stackAfter}, which must adopt it, but adoptExistingUser is false: the deployment of ${stackAfter} fails`;
  return `moves to ${stackAfter} (the number of stacks changed): ${stackAfter} adopts the user, keeping it and what it owns, before ${stackBefore} lets go of it`;
}

/** Unmatched users with the same email on both sides, paired when the email is unique on each side. */
function pairByEmail(removed: DeclaredUser[], added: DeclaredUser[]): Map<DeclaredUser, DeclaredUser> {
  const unique = (users: DeclaredUser[]) => {
    const byEmail = new Map<string, DeclaredUser[]>();
    for (const u of users) byEmail.set(u.spec.Email.toLowerCase(), [...(byEmail.get(u.spec.Email.toLowerCase()) ?? []), u]);
    return new Map([...byEmail].filter(([, list]) => list.length === 1).map(([email, [u]]) => [email, u]));
  };
  const newByEmail = unique(added);
  const pairs = new Map<DeclaredUser, DeclaredUser>();
  for (const [email, old] of unique(removed)) {
    const user = newByEmail.get(email);
    if (user) pairs.set(old, user);
  }
  return pairs;
}

function describeUser(user: DeclaredUser) {
  return {
    userName: user.userName,
    namespace: user.spec.Namespace,
    awsAccountId: user.spec.AwsAccountId,
    identityRegion: user.spec.IdentityRegion,
    identityType: user.spec.IdentityType,
    role: user.spec.UserRole,
  };
}

/** The identity fields that change, by name (their values are in the change's fields). */
function describeIdentityChange(fields: UserSpecField[]): string {
  return `${fields.map((f) => PROP_NAMES[f]).join(' and ')} change${fields.length === 1 ? 's' : ''}`;
}

function specChange(field: UserSpecField, before: UserSpec, after: UserSpec): FieldChange {
  if (field === 'Email') return { field: PROP_NAMES[field], redacted: true };
  return { field: PROP_NAMES[field], before: before[field] as string | undefined, after: after[field] as string | undefined };
}

function tagChanges(before: UserSpec, after: UserSpec): FieldChange[] {
  const a = Object.fromEntries((before.Tags ?? []).map((t) => [t.Key, t.Value]));
  const b = Object.fromEntries((after.Tags ?? []).map((t) => [t.Key, t.Value]));
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareText)
    .filter((key) => a[key] !== b[key])
    .map((key) => ({ field: `tags.${key}`, before: a[key], after: b[key] }));
}

/** Changes that only touch the template: CloudFormation's policy, the create behaviour, outputs. */
function stackOptionChanges(before: DeclaredUser, after: DeclaredUser): FieldChange[] {
  return (['removalPolicy', 'adoptExistingUser', 'stackOutputs'] as const)
    .filter((option) => before[option] !== after[option])
    .map((option) => ({ field: option, before: String(before[option]), after: String(after[option]) }));
}

function stackLookup(sharding: Sharding | undefined): (user: DeclaredUser) => string {
  const stacks = new Map<string, string>();
  for (const stack of sharding?.stacks ?? []) for (const user of stack.users) stacks.set(user.key, stack.name);
  return (user) => stacks.get(user.key) ?? '';
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : String(value);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- formats ----

export enum PlanFormat {
  TABLE = 'table',
  MARKDOWN = 'markdown',
  JSON = 'json',
}

/** What the plan compares, for its title: a file and two revisions, or two files. */
export interface PlanSubject {
  readonly before: string;
  readonly after: string;
}

const SYMBOLS: Record<ChangeKind, string> = {
  [ChangeKind.ADD]: '+',
  [ChangeKind.REPLACE]: '!',
  [ChangeKind.REMOVE]: '-',
  [ChangeKind.UPDATE]: '~',
  [ChangeKind.MOVE]: '>',
  [ChangeKind.REFUSED]: 'x',
};

const GROUP_SYMBOLS: Record<GroupChangeKind, string> = {
  [GroupChangeKind.ADD]: '+',
  [GroupChangeKind.REMOVE]: '-',
  [GroupChangeKind.UPDATE]: '~',
  [GroupChangeKind.UNMANAGE]: '<',
  [GroupChangeKind.MANAGE]: '>',
  [GroupChangeKind.REFUSED]: 'x',
};

export function formatPlan(plan: Plan, format: PlanFormat, subject: PlanSubject): string {
  switch (format) {
    case PlanFormat.JSON: return `${JSON.stringify({ before: subject.before, after: subject.after, ...plan }, undefined, 2)}\n`;
    case PlanFormat.MARKDOWN: return formatMarkdown(plan, subject);
    case PlanFormat.TABLE: return formatTable(plan, subject);
  }
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The summary: one line for the users, and one for the groups when either file has groups. */
export function summarize(plan: Plan): string {
  const { summary, groupSummary } = plan;
  const groupCount = groupSummary.unchanged + plan.groupChanges.length;
  if (plan.changes.length === 0 && plan.groupChanges.length === 0) {
    return `No changes: ${plural(summary.unchanged, 'user')}${groupCount > 0 ? ` and ${plural(groupSummary.unchanged, 'group')}` : ''} as declared.`;
  }
  const userDestructive = plan.changes.filter((c) => c.destructive).length;
  const userParts = [
    [ChangeKind.ADD, 'to add'], [ChangeKind.UPDATE, 'to update in place'], [ChangeKind.REPLACE, 'to replace'], [ChangeKind.REMOVE, 'to remove'], [ChangeKind.MOVE, 'to move'],
    [ChangeKind.REFUSED, 'refused (the deployment would fail)'],
  ].filter(([kind]) => summary[kind as ChangeKind] > 0).map(([kind, words]) => `${summary[kind as ChangeKind]} ${words}`);
  const lines = [plan.changes.length > 0
    ? `${plural(plan.changes.length, 'change')}: ${userParts.join(', ')}; ${userDestructive} destructive; ${summary.unchanged} unchanged.`
    : `No user changes: ${plural(summary.unchanged, 'user')} as declared.`];
  if (groupCount > 0) {
    const groupParts = [
      [GroupChangeKind.ADD, 'to add'], [GroupChangeKind.UPDATE, 'to update in place'], [GroupChangeKind.REMOVE, 'to remove'],
      [GroupChangeKind.UNMANAGE, 'to stop managing'], [GroupChangeKind.MANAGE, 'to start managing'], [GroupChangeKind.REFUSED, 'refused (the deployment would fail)'],
    ].filter(([kind]) => groupSummary[kind as GroupChangeKind] > 0).map(([kind, words]) => `${groupSummary[kind as GroupChangeKind]} ${words}`);
    lines.push(plan.groupChanges.length > 0
      ? `Groups: ${plural(plan.groupChanges.length, 'change')}: ${groupParts.join(', ')}; ${groupSummary.destructive} destructive; ${groupSummary.unchanged} unchanged.`
      : `Groups: no changes, ${plural(groupSummary.unchanged, 'group')} as declared.`);
  }
  return lines.join('\n');
}

/** One field as the details column shows it: `role: A → B`, `email: changed`, `groups: +analysts −finance`. */
function fieldText(f: FieldChange, code: (text: string) => string): string {
  if (f.redacted) return `${f.field}: changed`;
  if (f.added !== undefined || f.removed !== undefined) {
    return `${f.field}: ${[...(f.added ?? []).map((g) => `+${code(g)}`), ...(f.removed ?? []).map((g) => `−${code(g)}`)].join(' ')}`;
  }
  return `${f.field}: ${code(show(f.before))} → ${code(show(f.after))}`;
}

function details(change: UserChange, code: (text: string) => string): string {
  const fields = change.fields.map((f) => fieldText(f, code));
  const what = change.kind === ChangeKind.ADD ? [`${change.identityType}, ${change.role}`, ...fields] : fields;
  const renamed = change.previousUserName !== undefined ? [`was ${code(change.previousUserName)}`] : [];
  return [...renamed, ...what, ...(change.reason ? [change.reason] : [])].join('; ');
}

function groupDetails(change: GroupChange, code: (text: string) => string): string {
  const fields = change.kind === GroupChangeKind.ADD
    ? change.fields.map((f) => `${f.field}: ${code(show(f.after))}`)
    : change.fields.map((f) => fieldText(f, code));
  return [...fields, ...(change.reason ? [change.reason] : [])].join('; ');
}

function groupStackColumn(change: GroupChange): string {
  const before = change.stackBefore;
  const after = change.stackAfter;
  if (before !== after && (before || after) && change.kind !== GroupChangeKind.ADD && change.kind !== GroupChangeKind.REMOVE) {
    return `${before ?? '(managed elsewhere)'} → ${after ?? '(managed elsewhere)'}`;
  }
  return after ?? before ?? '(managed elsewhere)';
}

function stackColumn(change: UserChange): string {
  const before = change.stackBefore;
  const after = change.stackAfter;
  if (before && after && before !== after) return `${before} → ${after}`;
  return after || before || '';
}

function stackNotes(plan: Plan): string[] {
  const gone = plan.stacksBefore.filter((s) => !plan.stacksAfter.includes(s));
  const fresh = plan.stacksAfter.filter((s) => !plan.stacksBefore.includes(s));
  const notes: string[] = [];
  if (plan.stacksBefore.length > 0 && fresh.length > 0) notes.push(`New stacks: ${fresh.join(', ')}. \`cdk deploy --all\` deploys them before the stacks users move from.`);
  if (gone.length > 0) notes.push(`Stacks no longer in the app: ${gone.join(', ')}. After \`cdk deploy --all\`, run \`cdk destroy ${gone.join(' ')}\` (their users have moved; the new stacks own them by then).`);
  const { groupsStackBefore: groupsBefore, groupsStackAfter: groupsAfter } = plan;
  if (plan.stacksBefore.length > 0 && groupsAfter !== undefined && groupsBefore === undefined) {
    notes.push(`New stack: ${groupsAfter}, for the file's managed groups. \`cdk deploy --all\` deploys it before the user stacks whose users join its groups.`);
  }
  if (groupsBefore !== undefined && groupsAfter === undefined) {
    notes.push(`The groups stack ${groupsBefore} is no longer in the app (the file declares no managed group): \`cdk deploy --all\` leaves it and its groups as they are. After it, run \`cdk destroy ${groupsBefore}\` to carry out the group changes above.`);
  }
  return notes;
}

function multipleAccounts(plan: Plan): boolean {
  return new Set([...plan.changes, ...plan.groupChanges].map((c) => `${c.awsAccountId}/${c.identityRegion}`)).size > 1;
}

/** Rows of a plain-text table, each cell padded to its column (the last left as is). */
function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function formatTable(plan: Plan, subject: PlanSubject): string {
  const where = multipleAccounts(plan);
  const rows = plan.changes.map((c) => [
    `${SYMBOLS[c.kind]} ${c.kind}${c.destructive ? ' (DESTRUCTIVE)' : ''}`, c.userName, where ? `${c.namespace} @ ${c.awsAccountId}/${c.identityRegion}` : c.namespace, stackColumn(c), details(c, (t) => t),
  ]);
  const header = ['change', 'user', where ? 'namespace @ account/region' : 'namespace', 'stack', 'details'];
  const out = [`Plan: ${subject.before} → ${subject.after}`, ''];
  if (rows.length > 0) out.push(...textTable(header, rows), '');
  if (plan.groupChanges.length > 0) {
    const groupRows = plan.groupChanges.map((c) => [
      `${GROUP_SYMBOLS[c.kind]} ${c.kind}${c.destructive ? ' (DESTRUCTIVE)' : ''}`, c.groupName, where ? `${c.namespace} @ ${c.awsAccountId}/${c.identityRegion}` : c.namespace, groupStackColumn(c), groupDetails(c, (t) => t),
    ]);
    out.push(...textTable(['change', 'group', where ? 'namespace @ account/region' : 'namespace', 'stack', 'details'], groupRows), '');
  }
  out.push(summarize(plan), ...stackNotes(plan));
  return `${out.join('\n')}\n`;
}

function formatMarkdown(plan: Plan, subject: PlanSubject): string {
  const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const code = (text: string) => `\`${text.replace(/`/g, 'ˋ')}\``;
  const where = multipleAccounts(plan);
  const out = [`### QuickSight users plan`, '', `${code(subject.before)} → ${code(subject.after)}`, ''];
  if (plan.summary[ChangeKind.REFUSED] > 0) {
    out.push(`> [!CAUTION]\n> **${plan.summary[ChangeKind.REFUSED]} change${plan.summary[ChangeKind.REFUSED] === 1 ? '' : 's'} the deployment would refuse** (see the details): it would fail and roll back.`, '');
  }
  const refusedGroups = plan.groupSummary[GroupChangeKind.REFUSED];
  if (refusedGroups > 0) {
    out.push(`> [!CAUTION]\n> **${refusedGroups} group change${refusedGroups === 1 ? '' : 's'} the deployment would refuse** (see the details): it would fail and roll back.`, '');
  }
  if (plan.summary.destructive > 0) {
    const users = plan.changes.filter((c) => c.destructive).length;
    const groups = plan.groupSummary.destructive;
    const what = [
      ...(users > 0 ? [`QuickSight deletes ${users === 1 ? 'a user, and what it owns' : 'users, and what they own'} (dashboards, analyses, datasets) is left without an owner`] : []),
      ...(groups > 0 ? [`QuickSight deletes ${groups === 1 ? 'a group, and every share with it is lost' : 'groups, and every share with them is lost'}`] : []),
    ];
    out.push(`> [!WARNING]\n> **${plan.summary.destructive} destructive change${plan.summary.destructive === 1 ? '' : 's'}**: ${what.join('; ')}.`, '');
  }
  if (plan.changes.length > 0) {
    out.push(`| | change | user | ${where ? 'namespace @ account/region' : 'namespace'} | stack | details |`, '|---|---|---|---|---|---|');
    for (const c of plan.changes) {
      out.push(`| ${c.destructive ? '⚠️' : SYMBOLS[c.kind].replace('>', '→').replace('~', '✎').replace('x', '⛔')} | ${c.kind}${c.destructive ? ' **(destructive)**' : ''} | ${cell(code(c.userName))} | ${cell(where ? `${c.namespace} @ ${c.awsAccountId}/${c.identityRegion}` : c.namespace)} | ${cell(stackColumn(c))} | ${cell(details(c, code))} |`);
    }
    out.push('');
  }
  if (plan.groupChanges.length > 0) {
    out.push(`| | change | group | ${where ? 'namespace @ account/region' : 'namespace'} | stack | details |`, '|---|---|---|---|---|---|');
    for (const c of plan.groupChanges) {
      out.push(`| ${c.destructive ? '⚠️' : GROUP_SYMBOLS[c.kind].replace('<', '←').replace('>', '→').replace('~', '✎').replace('x', '⛔')} | ${c.kind}${c.destructive ? ' **(destructive)**' : ''} | ${cell(code(c.groupName))} | ${cell(where ? `${c.namespace} @ ${c.awsAccountId}/${c.identityRegion}` : c.namespace)} | ${cell(groupStackColumn(c))} | ${cell(groupDetails(c, code))} |`);
    }
    out.push('');
  }
  out.push(summarize(plan).replace(/\n/g, '\n\n'), ...stackNotes(plan).map((n) => `\n${n}`));
  return `${out.join('\n')}\n`;
}
