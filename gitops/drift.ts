// Drift: what differs in QuickSight from the users file, whatever the stacks last deployed.
// Custom resources get no CloudFormation drift detection, so this reads QuickSight itself:
// ListUsers (every page) in each namespace the file declares users in, whose rows carry every
// field of a user, then ListTagsForResource for each declared user found: one call per user plus
// the pages, `concurrency` at a time (read.ts). It reports users declared but missing, users present
// but undeclared (in the namespaces the file declares users in; other namespaces are not its
// business), and field differences. The handler's own tags (its owner marker) are not declared tags
// and are ignored.
//
// Groups are read by lists only: ListGroups (every page, each row with its description) in each
// namespace the file declares users or groups in, and ListGroupMemberships (every page) of each
// group the file declares, managed or `managed: false`: never one call per user. It reports groups
// declared but missing (a `managed: false` one too: the users that name it cannot join it), groups
// present but undeclared, a declared description that differs (a group declared without one keeps
// whatever it has: QuickSight cannot remove a description), and, for every group the file declares
// (managed or not: the users' `groups` lists declare the memberships of both), memberships declared
// but missing and members that nothing declares. The handler adopts a user without removing the
// memberships its declaration never named, so drift is where those show. An account whose users
// are IAM Identity Center users takes its memberships from Identity Center (an IAM_IDENTITY_CENTER
// user takes no `groups`): there no file declares a membership, and none is read or checked.
//
// Users QuickSight lists as N/A (their IAM user or role was deleted) cannot be declared in any
// file, so they are not drift of the file: they come back as `orphaned`, for a warning (and, as
// members of a group, are left out of the membership drift).
//
// Emails are never printed: an email difference reads "email: differs".
import { formatUserArn, IdentityType, isMarkerTagKey, partitionOf, PROP_NAMES, userFieldDifferences } from '../lib/model';
import {
  countedReader, DEFAULT_READ_CONCURRENCY, listAllGroups, listAllUsers, readGroupMembers, readTags, SdkQuickSightReader,
  type Group, type QuickSightReader, type User,
} from './read';
import type { DeclaredGroup, DeclaredUser, UsersFile } from './users-file';

export { SdkQuickSightReader, type QuickSightReader } from './read';

/**
 * The name QuickSight lists for a user whose IAM user or role has been deleted. Such users can no
 * longer be described or deleted by name (only by principal id).
 */
export const DELETED_IAM_IDENTITY_NAME = 'N/A';

export enum DriftKind {
  /** Declared in the file, absent from QuickSight. */
  MISSING = 'missing',
  /** Present in a namespace the file manages, not declared. */
  UNDECLARED = 'undeclared',
  /** Declared and present, with fields that differ. */
  DIFFERENT = 'different',
  /** A namespace the file declares users or groups in does not exist. */
  NAMESPACE_MISSING = 'namespace missing',
  /** A group declared in the file (managed, or `managed: false`), absent from QuickSight. */
  GROUP_MISSING = 'group missing',
  /** A group present in a namespace the file declares users or groups in, not declared. */
  GROUP_UNDECLARED = 'group undeclared',
  /** A managed group declared with a description that QuickSight has otherwise. */
  GROUP_DIFFERENT = 'group different',
  /** A user's `groups` names a group it is not a member of (both present). */
  MEMBERSHIP_MISSING = 'membership missing',
  /** A member of a declared group whose declaration does not name the group. */
  MEMBERSHIP_UNDECLARED = 'membership undeclared',
}

export interface FieldDrift {
  /** The file's field name (`role`, `tags.team`, `description`). */
  readonly field: string;
  readonly declared?: string;
  readonly live?: string;
  /** Values left out (emails). */
  readonly redacted?: boolean;
}

export interface DriftItem {
  readonly kind: DriftKind;
  /** The user, or the member of a membership; '' for a namespace or a group. */
  readonly userName: string;
  /** The group, for the group and membership kinds. */
  readonly groupName?: string;
  /** For a declared group (group missing, group different): false for `managed: false`. */
  readonly managed?: boolean;
  readonly namespace: string;
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly identityType?: string;
  readonly role?: string;
  readonly principalId?: string;
  readonly fields: FieldDrift[];
  readonly note?: string;
}

/**
 * A user QuickSight lists as N/A: the IAM user or role it was registered for has been deleted. No
 * file can declare it (it has no name), and only DeleteUserByPrincipalId reaches it.
 */
export interface OrphanedUser {
  readonly namespace: string;
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly identityType?: string;
  readonly role?: string;
  readonly principalId?: string;
}

export interface DriftReport {
  /** The drift of the file: each item is a difference between the file and QuickSight. */
  readonly items: DriftItem[];
  /** Users named N/A in the namespaces read: warnings, not drift of the file. */
  readonly orphaned: OrphanedUser[];
  /** The namespaces read, as account/identity region/namespace. */
  readonly namespaces: string[];
  /** Users declared. */
  readonly declared: number;
  /** Users in QuickSight, in the namespaces the file declares users in. */
  readonly live: number;
  /** Groups declared (managed and `managed: false`). */
  readonly declaredGroups: number;
  /** Groups in QuickSight, in the namespaces read. */
  readonly liveGroups: number;
  /** Calls made, by operation. */
  readonly calls: Record<string, number>;
}

export interface DriftOptions {
  /** The reader for an identity region. @default - the AWS SDK, with the standard credential chain */
  readonly reader?: (identityRegion: string) => QuickSightReader;
  /** How many calls are in flight at once. @default 8 */
  readonly concurrency?: number;
  /** ListUsers, ListGroups and ListGroupMemberships page size (QuickSight takes at most 100). @default 100 */
  readonly pageSize?: number;
  /** Called as users are listed (`total` still growing), as the members of the declared groups are read, and as the users' tags are read. */
  readonly onProgress?: (progress: { phase: 'list' | 'groups' | 'tags'; done: number; total: number }) => void;
}

/** Compares the users and groups of a file with QuickSight. */
export async function detectDrift(file: UsersFile, options: DriftOptions = {}): Promise<DriftReport> {
  const calls: Record<string, number> = {};
  const readers = new Map<string, QuickSightReader>();
  const readerFor = (region: string) => {
    if (!readers.has(region)) readers.set(region, countedReader(options.reader?.(region) ?? new SdkQuickSightReader(region, options.pageSize ?? 100), calls));
    return readers.get(region)!;
  };

  try {
    return await compareAll(file, readerFor, options, calls);
  } finally {
    for (const reader of readers.values()) reader.destroy?.();
  }
}

/** A namespace the file declares users or groups in, and what QuickSight has there. */
interface ListedNamespace {
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly namespace: string;
  readonly declared: DeclaredUser[];
  readonly declaredGroups: DeclaredGroup[];
  /** Whether the memberships are the file's to check (not in an IAM Identity Center account). */
  readonly memberships: boolean;
  /** False: the namespace does not exist. */
  readonly exists: boolean;
  /** The users, read where the file declares users. */
  readonly listed?: User[];
  /** The groups (when the namespace exists). */
  readonly groups?: Group[];
}

async function compareAll(file: UsersFile, readerFor: (region: string) => QuickSightReader, options: DriftOptions, calls: Record<string, number>): Promise<DriftReport> {
  const byNamespace = new Map<string, { users: DeclaredUser[]; groups: DeclaredGroup[] }>();
  const scope = (awsAccountId: string, identityRegion: string, namespace: string) => {
    const key = scopeOf(awsAccountId, identityRegion, namespace);
    if (!byNamespace.has(key)) byNamespace.set(key, { users: [], groups: [] });
    return byNamespace.get(key)!;
  };
  for (const user of file.users) scope(user.spec.AwsAccountId, user.spec.IdentityRegion, user.spec.Namespace).users.push(user);
  for (const group of file.groups) scope(group.spec.AwsAccountId, group.spec.IdentityRegion, group.spec.Namespace).groups.push(group);
  const identityCenterAccounts = new Set(file.users.filter((u) => u.spec.IdentityType === IdentityType.IAM_IDENTITY_CENTER).map((u) => u.spec.AwsAccountId));

  // Every namespace listed first (users where the file declares users, then groups), so that the
  // members and the tags are each read as one pool with one progress count.
  const namespaces: ListedNamespace[] = [];
  let listedSoFar = 0;
  for (const [key, { users: declared, groups: declaredGroups }] of byNamespace) {
    const [awsAccountId, identityRegion, namespace] = key.split('/');
    const reader = readerFor(identityRegion);
    const where = { awsAccountId, identityRegion, namespace, declared, declaredGroups, memberships: !identityCenterAccounts.has(awsAccountId) };
    let listed: User[] | undefined;
    if (declared.length > 0) {
      listed = await listAllUsers(reader, awsAccountId, namespace);
      listedSoFar += listed?.length ?? 0;
      options.onProgress?.({ phase: 'list', done: listedSoFar, total: listedSoFar });
      if (listed === undefined) {
        namespaces.push({ ...where, exists: false });
        continue;
      }
    }
    const groups = await listAllGroups(reader, awsAccountId, namespace);
    namespaces.push({ ...where, exists: groups !== undefined, listed: groups === undefined ? undefined : listed, groups });
  }

  // The members of each declared group found: ListGroupMemberships, a pool per identity region.
  const toList = namespaces.filter((ns) => ns.memberships).flatMap((ns) => {
    const live = new Set((ns.groups ?? []).map((g) => g.GroupName!));
    return ns.declaredGroups.filter((g) => live.has(g.spec.GroupName)).map((group) => ({ group, ns }));
  });
  const membersOf = new Map<DeclaredGroup, string[] | undefined>();
  let membersSoFar = 0;
  for (const region of new Set(toList.map((g) => g.ns.identityRegion))) {
    const batch = toList.filter((g) => g.ns.identityRegion === region);
    const before = membersSoFar;
    const members = await readGroupMembers(readerFor(region), batch.map(({ group, ns }) => ({ awsAccountId: ns.awsAccountId, namespace: ns.namespace, groupName: group.spec.GroupName })), {
      concurrency: options.concurrency ?? DEFAULT_READ_CONCURRENCY,
      onProgress: (done) => options.onProgress?.({ phase: 'groups', done: before + done, total: toList.length }),
    });
    batch.forEach(({ group }, i) => membersOf.set(group, members[i]));
    membersSoFar += batch.length;
  }

  // The tags of each declared user found (N/A users have no name, and undeclared ones are drift whatever their tags).
  const toRead: Array<{ user: DeclaredUser; live: User; reader: QuickSightReader }> = [];
  for (const ns of namespaces) {
    const liveByName = new Map((ns.listed ?? []).filter((u) => u.UserName !== DELETED_IAM_IDENTITY_NAME).map((u) => [u.UserName!, u]));
    for (const user of ns.declared) {
      const live = liveByName.get(user.userName);
      if (live) toRead.push({ user, live, reader: readerFor(ns.identityRegion) });
    }
  }
  const tagsOf = new Map<DeclaredUser, Record<string, string> | undefined>();
  const arnOf = ({ user, live }: (typeof toRead)[number]) => live.Arn ?? formatUserArn({
    partition: partitionOf(user.spec.IdentityRegion), region: user.spec.IdentityRegion, accountId: user.spec.AwsAccountId, namespace: user.spec.Namespace, userName: user.userName,
  });
  // One pool per identity region (usually one), each user's tags read through its region's client.
  let readSoFar = 0;
  for (const region of new Set(toRead.map((r) => r.user.spec.IdentityRegion))) {
    const batch = toRead.filter((r) => r.user.spec.IdentityRegion === region);
    const before = readSoFar;
    const tags = await readTags(batch[0].reader, batch.map(arnOf), {
      concurrency: options.concurrency ?? DEFAULT_READ_CONCURRENCY,
      onProgress: (done) => options.onProgress?.({ phase: 'tags', done: before + done, total: toRead.length }),
    });
    batch.forEach((r, i) => tagsOf.set(r.user, tags[i]));
    readSoFar += batch.length;
  }

  const items: DriftItem[] = [];
  const orphaned: OrphanedUser[] = [];
  let live = 0;
  let liveGroups = 0;
  for (const ns of namespaces) {
    const { awsAccountId, identityRegion, namespace, declared, declaredGroups, listed } = ns;
    const where = { namespace, awsAccountId, identityRegion };
    if (!ns.exists) {
      const what = [
        ...(declared.length > 0 ? [`${declared.length} declared user${declared.length === 1 ? '' : 's'}`] : []),
        ...(declaredGroups.length > 0 ? [`${declaredGroups.length} declared group${declaredGroups.length === 1 ? '' : 's'}`] : []),
      ];
      const are = declared.length + declaredGroups.length === 1 ? 'is' : 'are';
      items.push({ ...where, kind: DriftKind.NAMESPACE_MISSING, userName: '', fields: [], note: `namespace '${namespace}' does not exist: its ${what.join(' and ')} ${are} missing (create the namespace, then deploy)` });
      continue;
    }
    const liveByName = new Map((listed ?? []).filter((u) => u.UserName !== DELETED_IAM_IDENTITY_NAME).map((u) => [u.UserName!, u]));
    if (listed !== undefined) {
      live += listed.length;
      const orphans = listed.filter((u) => u.UserName === DELETED_IAM_IDENTITY_NAME);
      const declaredNames = new Set(declared.map((u) => u.userName));

      for (const user of declared) {
        const current = liveByName.get(user.userName);
        const tags = tagsOf.get(user);
        // Deleted between ListUsers and ListTagsForResource: missing all the same.
        if (!current || tags === undefined) {
          items.push(missing(user, orphans.length > 0));
          continue;
        }
        const fields = differences(user, current, tags);
        if (fields.length > 0) items.push({ ...where, kind: DriftKind.DIFFERENT, userName: user.userName, identityType: current.IdentityType, role: current.Role, fields });
      }
      for (const user of listed) {
        if (user.UserName === DELETED_IAM_IDENTITY_NAME) {
          orphaned.push({ ...where, identityType: user.IdentityType, role: user.Role, principalId: user.PrincipalId });
        } else if (!declaredNames.has(user.UserName!)) {
          items.push({ ...where, kind: DriftKind.UNDECLARED, userName: user.UserName!, identityType: user.IdentityType, role: user.Role, principalId: user.PrincipalId, fields: [], note: 'not in the file: declare it, or delete it in QuickSight' });
        }
      }
    }
    items.push(...groupDrift(ns, liveByName, membersOf));
    liveGroups += ns.groups?.length ?? 0;
  }
  items.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareText(a.namespace, b.namespace)
    || compareText(a.groupName ?? '', b.groupName ?? '') || compareText(a.userName, b.userName));
  orphaned.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.principalId ?? '', b.principalId ?? ''));
  return {
    items, orphaned, namespaces: [...byNamespace.keys()], declared: file.users.length, live, declaredGroups: file.groups.length, liveGroups, calls,
  };
}

/**
 * The groups of a namespace that exists, and the memberships of each declared group found:
 * `liveByName` holds the users QuickSight lists there (none where the file declares no user).
 */
function groupDrift(ns: ListedNamespace, liveByName: ReadonlyMap<string, User>, membersOf: ReadonlyMap<DeclaredGroup, string[] | undefined>): DriftItem[] {
  const where = { namespace: ns.namespace, awsAccountId: ns.awsAccountId, identityRegion: ns.identityRegion };
  const items: DriftItem[] = [];
  const liveGroups = new Map((ns.groups ?? []).map((g) => [g.GroupName!, g]));
  const declaredNames = new Set(ns.declaredGroups.map((g) => g.spec.GroupName));
  for (const group of ns.declaredGroups) {
    const name = group.spec.GroupName;
    const current = liveGroups.get(name);
    const members = membersOf.get(group);
    const naming = ns.declared.filter((u) => u.groups.includes(name));
    // Deleted between ListGroups and ListGroupMemberships: missing all the same.
    if (!current || (ns.memberships && members === undefined)) {
      items.push({ ...where, kind: DriftKind.GROUP_MISSING, userName: '', groupName: name, managed: group.managed, fields: [], note: missingGroupNote(group, naming.length) });
      continue;
    }
    // A group declared without a description keeps whatever it has (QuickSight cannot remove one).
    if (group.managed && group.spec.Description !== undefined && group.spec.Description !== current.Description) {
      items.push({ ...where, kind: DriftKind.GROUP_DIFFERENT, userName: '', groupName: name, managed: true, fields: [{ field: 'description', declared: group.spec.Description, live: current.Description }] });
    }
    if (members === undefined) continue;
    const isMember = new Set(members);
    for (const user of naming) {
      // A missing user is drift of its own: its memberships go with it.
      if (!liveByName.has(user.userName) || isMember.has(user.userName)) continue;
      items.push({
        ...where, kind: DriftKind.MEMBERSHIP_MISSING, userName: user.userName, groupName: name, fields: [],
        note: `the user's groups (line ${user.line}) name it, but the user is not a member: not deployed yet, or removed outside its stack (a deployment adds only the memberships its change names: add it back with create-group-membership)`,
      });
    }
    const declaredMembers = new Map(naming.map((u) => [u.userName, u]));
    const declaredUsers = new Map(ns.declared.map((u) => [u.userName, u]));
    for (const member of members) {
      if (member === DELETED_IAM_IDENTITY_NAME || declaredMembers.has(member)) continue;
      const user = declaredUsers.get(member);
      items.push({
        ...where, kind: DriftKind.MEMBERSHIP_UNDECLARED, userName: member, groupName: name, fields: [],
        note: user
          ? `a member in QuickSight, but the user's groups (line ${user.line}) do not name it: add it there, or remove the membership in QuickSight (no deployment removes a membership it never declared)`
          : 'a member the file does not declare: declare the user with this group in its groups, or remove the membership in QuickSight',
      });
    }
  }
  for (const group of ns.groups ?? []) {
    if (declaredNames.has(group.GroupName!)) continue;
    items.push({
      ...where, kind: DriftKind.GROUP_UNDECLARED, userName: '', groupName: group.GroupName!, principalId: group.PrincipalId, fields: [],
      note: 'not in the file: declare it (with managed: false if it is managed elsewhere), or delete it in QuickSight',
    });
  }
  return items;
}

function missingGroupNote(group: DeclaredGroup, naming: number): string {
  if (group.managed) {
    return `declared (line ${group.line}) but not in QuickSight: not deployed yet, or deleted outside its stack (then a deployment that changes its declaration creates it again)`;
  }
  const users = naming === 0 ? 'no user names it'
    : `the ${naming === 1 ? 'user' : `${naming} users`} that name${naming === 1 ? 's' : ''} it cannot join it (a deployment that registers or adopts ${naming === 1 ? 'it' : 'them'} fails) until it is created where it is managed`;
  return `declared managed: false (line ${group.line}): it must exist in QuickSight, and does not: ${users}`;
}

const KIND_ORDER = [
  DriftKind.NAMESPACE_MISSING, DriftKind.MISSING, DriftKind.DIFFERENT, DriftKind.UNDECLARED,
  DriftKind.GROUP_MISSING, DriftKind.GROUP_DIFFERENT, DriftKind.GROUP_UNDECLARED, DriftKind.MEMBERSHIP_MISSING, DriftKind.MEMBERSHIP_UNDECLARED,
];

function missing(user: DeclaredUser, orphansInNamespace: boolean): DriftItem {
  const iam = user.spec.IdentityType === IdentityType.IAM;
  return {
    kind: DriftKind.MISSING,
    userName: user.userName,
    namespace: user.spec.Namespace,
    awsAccountId: user.spec.AwsAccountId,
    identityRegion: user.spec.IdentityRegion,
    identityType: user.spec.IdentityType,
    role: user.spec.UserRole,
    fields: [],
    note: iam && orphansInNamespace
      ? `declared (line ${user.line}) but not in QuickSight; this namespace lists ${DELETED_IAM_IDENTITY_NAME} users, one of which may be this user with its IAM identity deleted`
      : `declared (line ${user.line}) but not in QuickSight: not deployed yet, or deleted outside its stack (then a deployment that changes its declaration registers it again)`,
  };
}

/** The declared fields that QuickSight has otherwise (compared as the handler compares them: userFieldDifferences). */
function differences(user: DeclaredUser, current: User, tags: Record<string, string>): FieldDrift[] {
  const { spec } = user;
  const drift: FieldDrift[] = userFieldDifferences(spec, current).map(({ field, declared, live }) =>
    (field === 'Email' ? { field: PROP_NAMES[field], redacted: true } : { field: PROP_NAMES[field], declared, live }));

  const declaredTags = Object.fromEntries((spec.Tags ?? []).map((t) => [t.Key, t.Value]));
  const liveTags = Object.fromEntries(Object.entries(tags).filter(([key]) => !isMarkerTagKey(key)));
  for (const key of [...new Set([...Object.keys(declaredTags), ...Object.keys(liveTags)])].sort(compareText)) {
    if (declaredTags[key] !== liveTags[key]) drift.push({ field: `tags.${key}`, declared: declaredTags[key], live: liveTags[key] });
  }
  return drift;
}

function scopeOf(awsAccountId: string, identityRegion: string, namespace: string): string {
  return `${awsAccountId}/${identityRegion}/${namespace}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- formats ----

export enum DriftFormat {
  TABLE = 'table',
  MARKDOWN = 'markdown',
  JSON = 'json',
}

export function summarizeDrift(report: DriftReport): string {
  const count = (kind: DriftKind) => report.items.filter((i) => i.kind === kind).length;
  const orphans = report.orphaned.length === 0 ? '' : `; ${plural(report.orphaned.length, 'user')} named ${DELETED_IAM_IDENTITY_NAME} left aside, see the warning`;
  const namespaces = `in ${plural(report.namespaces.length, 'namespace')}`;
  // The users alone, as before groups, when neither the file nor QuickSight has any group.
  const checked = report.declaredGroups === 0 && report.liveGroups === 0
    ? `${report.declared} declared, ${report.live} in QuickSight, ${namespaces}${orphans}`
    : `${plural(report.declared, 'user')} declared, ${report.live} in QuickSight; ${plural(report.declaredGroups, 'group')} declared, ${report.liveGroups} in QuickSight; ${namespaces}${orphans}`;
  if (report.items.length === 0) return `No drift (${checked}).`;
  const parts = KIND_ORDER.filter((k) => count(k) > 0).map((k) => countOf(k, count(k)));
  return `Drift: ${parts.join(', ')} (${checked}).`;
}

/** `2 different`, `1 group missing`, `3 memberships undeclared`. */
function countOf(kind: DriftKind, n: number): string {
  const [noun, ...rest] = kind.split(' ');
  return noun === 'group' || noun === 'membership' ? `${plural(n, noun)} ${rest.join(' ')}` : `${n} ${kind}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function describeItem(item: DriftItem, code: (text: string) => string): string {
  const show = (v: string | undefined) => code(v === undefined ? '(none)' : v);
  const fields = item.fields.map((f) => (f.redacted ? `${f.field}: differs` : `${f.field}: declared ${show(f.declared)}, live ${show(f.live)}`));
  return [...fields, ...(item.note ? [item.note] : [])].join('; ');
}

export function formatDrift(report: DriftReport, format: DriftFormat, source: string): string {
  if (format === DriftFormat.JSON) return `${JSON.stringify({ file: source, ...report }, undefined, 2)}\n`;
  const multiple = new Set(report.items.map((i) => `${i.awsAccountId}/${i.identityRegion}`)).size > 1;
  const where = (i: DriftItem) => (multiple ? `${i.namespace} @ ${i.awsAccountId}/${i.identityRegion}` : i.namespace);
  // A group column only when an item names a group: the users' table is unchanged otherwise.
  const withGroups = report.items.some((i) => i.groupName !== undefined);
  if (format === DriftFormat.MARKDOWN) {
    const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
    const code = (text: string) => `\`${text.replace(/`/g, 'ˋ')}\``;
    const name = (text: string | undefined) => (text ? cell(code(text)) : '');
    const out = ['### QuickSight users drift', '', `Declared in ${code(source)}; read from QuickSight.`, ''];
    if (report.items.length > 0) {
      out.push(withGroups ? '| drift | user | group | namespace | details |' : '| drift | user | namespace | details |', withGroups ? '|---|---|---|---|---|' : '|---|---|---|---|');
      for (const i of report.items) {
        out.push(`| ${i.kind} | ${name(i.userName)} |${withGroups ? ` ${name(i.groupName)} |` : ''} ${cell(where(i))} | ${cell(describeItem(i, code))} |`);
      }
      out.push('');
    }
    out.push(summarizeDrift(report));
    return `${out.join('\n')}\n`;
  }
  const rows = report.items.map((i) => [i.kind, i.userName, ...(withGroups ? [i.groupName ?? ''] : []), where(i), describeItem(i, (t) => t)]);
  const header = ['drift', 'user', ...(withGroups ? ['group'] : []), multiple ? 'namespace @ account/region' : 'namespace', 'details'];
  const widths = header.map((h, n) => Math.max(h.length, ...rows.map((r) => r[n].length)));
  const line = (cells: string[]) => cells.map((c, n) => (n === cells.length - 1 ? c : c.padEnd(widths[n]))).join('  ').trimEnd();
  const out = [`Drift: ${source} → QuickSight`, ''];
  if (rows.length > 0) out.push(line(header), ...rows.map(line), '');
  out.push(summarizeDrift(report));
  return `${out.join('\n')}\n`;
}

/**
 * The warning about users named N/A (for stderr): no file can declare them, so drift does not count
 * them and export leaves them out, but someone should give their assets new owners and delete them.
 */
export function formatOrphanWarning(orphaned: readonly OrphanedUser[], context: 'drift' | 'export' = 'drift'): string {
  if (orphaned.length === 0) return '';
  const one = orphaned.length === 1;
  const lines = [
    `${context === 'drift' ? 'warning' : 'left out'}: ${orphaned.length} QuickSight user${one ? ' is' : 's are'} named ${DELETED_IAM_IDENTITY_NAME}: the IAM user or role ${one ? 'it was' : 'they were'} registered for has been deleted.`,
    `  No users file can declare ${one ? 'it' : 'them'} (QuickSight gives ${one ? 'it' : 'them'} no name)${context === 'drift' ? ', so this is not drift of the file' : ''}. What ${one ? 'it owns' : 'they own'} (dashboards, analyses,`,
    '  datasets) stays until deleted: give those assets new owners, then delete each user by its principal id:',
  ];
  for (const o of orphaned) {
    lines.push(`  - ${o.principalId ?? '(no principal id)'} (namespace ${o.namespace}, ${o.identityType ?? 'IAM'}, ${o.role ?? 'no role'}): aws quicksight delete-user-by-principal-id --aws-account-id ${o.awsAccountId} --namespace ${o.namespace} --principal-id ${o.principalId ?? '<principal id>'} --region ${o.identityRegion}`);
  }
  return `${lines.join('\n')}\n`;
}
