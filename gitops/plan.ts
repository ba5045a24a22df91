// The plan of a change to a users file: which QuickSight users a deployment would add, remove,
// update in place, replace (delete and register again: destructive) or move to another stack,
// computed from the two files alone (no AWS access) with the app's own model and sharding.
//
// Emails are never printed (CI logs are widely readable; the pull request's diff shows them to
// the reviewer): an email change reads "email: changed".
import { IDENTITY_FIELDS, IdentityType, PROP_NAMES, type UserSpec, type UserSpecField } from '../lib/model';
import { assignStacks, type Sharding } from './sharding';
import { UserRemovalPolicy, type DeclaredUser, type UsersFile } from './users-file';

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
  /** The file's field name (`role`, `tags.team`, `removalPolicy`). */
  readonly field: string;
  readonly before?: string;
  readonly after?: string;
  readonly redacted?: boolean;
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

export interface Plan {
  readonly changes: UserChange[];
  readonly stacksBefore: string[];
  readonly stacksAfter: string[];
  readonly summary: Record<ChangeKind, number> & { readonly destructive: number; readonly unchanged: number };
}

/** The fields UpdateUser changes in place: all but the identity and the tags. */
const UPDATABLE_FIELDS = (Object.keys(PROP_NAMES) as UserSpecField[]).filter((f) => !(IDENTITY_FIELDS as readonly string[]).includes(f) && f !== 'Tags');
const KIND_ORDER = [ChangeKind.REFUSED, ChangeKind.REPLACE, ChangeKind.REMOVE, ChangeKind.UPDATE, ChangeKind.MOVE, ChangeKind.ADD];
const ORPHANED = 'its dashboards, analyses and datasets lose their owner';

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
    changes.push({ ...describeUser(user), kind: ChangeKind.ADD, destructive: false, fields: [], stackAfter: stackAfter(user), line: user.line });
  }

  changes.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareText(a.userName, b.userName) || compareText(a.namespace, b.namespace));
  const summary = Object.fromEntries(KIND_ORDER.map((kind) => [kind, changes.filter((c) => c.kind === kind).length])) as Record<ChangeKind, number>;
  return {
    changes,
    stacksBefore: shardsBefore?.stacks.map((s) => s.name) ?? [],
    stacksAfter: shardsAfter.stacks.map((s) => s.name),
    summary: { ...summary, destructive: changes.filter((c) => c.destructive).length, unchanged },
  };
}

function compare(old: DeclaredUser, user: DeclaredUser, stackBefore: string, stackAfter: string): UserChange | undefined {
  const identity = IDENTITY_FIELDS.filter((field) => old.spec[field] !== user.spec[field]);
  const updates = [...UPDATABLE_FIELDS.filter((f) => old.spec[f] !== user.spec[f]).map((f) => specChange(f, old.spec, user.spec)), ...tagChanges(old.spec, user.spec), ...stackOptionChanges(old, user)];
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
  const updates = [...UPDATABLE_FIELDS.filter((f) => f !== 'Email' && old.spec[f] !== user.spec[f]).map((f) => specChange(f, old.spec, user.spec)), ...tagChanges(old.spec, user.spec)];
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

export function formatPlan(plan: Plan, format: PlanFormat, subject: PlanSubject): string {
  switch (format) {
    case PlanFormat.JSON: return `${JSON.stringify({ before: subject.before, after: subject.after, ...plan }, undefined, 2)}\n`;
    case PlanFormat.MARKDOWN: return formatMarkdown(plan, subject);
    case PlanFormat.TABLE: return formatTable(plan, subject);
  }
}

export function summarize(plan: Plan): string {
  const { summary } = plan;
  if (plan.changes.length === 0) return `No changes: ${summary.unchanged} user${summary.unchanged === 1 ? '' : 's'} as declared.`;
  const parts = [
    [ChangeKind.ADD, 'to add'], [ChangeKind.UPDATE, 'to update in place'], [ChangeKind.REPLACE, 'to replace'], [ChangeKind.REMOVE, 'to remove'], [ChangeKind.MOVE, 'to move'],
    [ChangeKind.REFUSED, 'refused (the deployment would fail)'],
  ].filter(([kind]) => summary[kind as ChangeKind] > 0).map(([kind, words]) => `${summary[kind as ChangeKind]} ${words}`);
  return `${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}: ${parts.join(', ')}; ${summary.destructive} destructive; ${summary.unchanged} unchanged.`;
}

function details(change: UserChange, code: (text: string) => string): string {
  const fields = change.fields.map((f) => (f.redacted ? `${f.field}: changed` : `${f.field}: ${code(show(f.before))} → ${code(show(f.after))}`));
  const what = change.kind === ChangeKind.ADD ? [`${change.identityType}, ${change.role}`] : fields;
  const renamed = change.previousUserName !== undefined ? [`was ${code(change.previousUserName)}`] : [];
  return [...renamed, ...what, ...(change.reason ? [change.reason] : [])].join('; ');
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
  return notes;
}

function multipleAccounts(plan: Plan): boolean {
  return new Set(plan.changes.map((c) => `${c.awsAccountId}/${c.identityRegion}`)).size > 1;
}

function formatTable(plan: Plan, subject: PlanSubject): string {
  const where = multipleAccounts(plan);
  const rows = plan.changes.map((c) => [
    `${SYMBOLS[c.kind]} ${c.kind}${c.destructive ? ' (DESTRUCTIVE)' : ''}`, c.userName, where ? `${c.namespace} @ ${c.awsAccountId}/${c.identityRegion}` : c.namespace, stackColumn(c), details(c, (t) => t),
  ]);
  const header = ['change', 'user', where ? 'namespace @ account/region' : 'namespace', 'stack', 'details'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [`Plan: ${subject.before} → ${subject.after}`, ''];
  if (rows.length > 0) out.push(line(header), ...rows.map(line), '');
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
  if (plan.summary.destructive > 0) {
    out.push(`> [!WARNING]\n> **${plan.summary.destructive} destructive change${plan.summary.destructive === 1 ? '' : 's'}**: QuickSight deletes ${plan.summary.destructive === 1 ? 'a user, and what it owns' : 'users, and what they own'} (dashboards, analyses, datasets) is left without an owner.`, '');
  }
  if (plan.changes.length > 0) {
    out.push(`| | change | user | ${where ? 'namespace @ account/region' : 'namespace'} | stack | details |`, '|---|---|---|---|---|---|');
    for (const c of plan.changes) {
      out.push(`| ${c.destructive ? '⚠️' : SYMBOLS[c.kind].replace('>', '→').replace('~', '✎').replace('x', '⛔')} | ${c.kind}${c.destructive ? ' **(destructive)**' : ''} | ${cell(code(c.userName))} | ${cell(where ? `${c.namespace} @ ${c.awsAccountId}/${c.identityRegion}` : c.namespace)} | ${cell(stackColumn(c))} | ${cell(details(c, code))} |`);
    }
    out.push('');
  }
  out.push(summarize(plan), ...stackNotes(plan).map((n) => `\n${n}`));
  return `${out.join('\n')}\n`;
}
