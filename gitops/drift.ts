// Drift: what differs in QuickSight from the users file, whatever the stacks last deployed.
// Custom resources get no CloudFormation drift detection, so this reads QuickSight itself:
// ListUsers (every page) in each namespace the file manages, whose rows carry every field of a
// user, then ListTagsForResource for each declared user found: one call per user plus the pages,
// `concurrency` at a time (read.ts). It reports users declared but missing, users present but
// undeclared (in the namespaces the file manages; other namespaces are not its business), and
// field differences. The handler's own tags (its owner marker) are not declared tags and are ignored.
//
// Users QuickSight lists as N/A (their IAM user or role was deleted) cannot be declared in any
// file, so they are not drift of the file: they come back as `orphaned`, for a warning.
//
// Emails are never printed: an email difference reads "email: differs".
import { formatUserArn, IdentityType, isMarkerTagKey, partitionOf, PROP_NAMES, type UserSpecField } from '../lib/model';
import {
  countedReader, DEFAULT_READ_CONCURRENCY, listAllUsers, readTags, SdkQuickSightReader, type QuickSightReader, type User,
} from './read';
import type { DeclaredUser, UsersFile } from './users-file';

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
  /** A namespace the file declares users in does not exist. */
  NAMESPACE_MISSING = 'namespace missing',
}

export interface FieldDrift {
  /** The file's field name (`role`, `tags.team`). */
  readonly field: string;
  readonly declared?: string;
  readonly live?: string;
  /** Values left out (emails). */
  readonly redacted?: boolean;
}

export interface DriftItem {
  readonly kind: DriftKind;
  readonly userName: string;
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
  readonly declared: number;
  readonly live: number;
  /** Calls made, by operation. */
  readonly calls: Record<string, number>;
}

export interface DriftOptions {
  /** The reader for an identity region. @default - the AWS SDK, with the standard credential chain */
  readonly reader?: (identityRegion: string) => QuickSightReader;
  /** How many calls are in flight at once. @default 8 */
  readonly concurrency?: number;
  /** ListUsers page size (QuickSight takes at most 100). @default 100 */
  readonly pageSize?: number;
  /** Called as users are listed (`total` still growing) and as their tags are read. */
  readonly onProgress?: (progress: { phase: 'list' | 'tags'; done: number; total: number }) => void;
}

/** Compares the users of a file with QuickSight. */
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

interface ListedNamespace {
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly namespace: string;
  readonly declared: DeclaredUser[];
  /** Undefined: the namespace does not exist. */
  readonly listed?: User[];
}

async function compareAll(file: UsersFile, readerFor: (region: string) => QuickSightReader, options: DriftOptions, calls: Record<string, number>): Promise<DriftReport> {
  const byNamespace = new Map<string, DeclaredUser[]>();
  for (const user of file.users) {
    const scope = scopeOf(user.spec.AwsAccountId, user.spec.IdentityRegion, user.spec.Namespace);
    byNamespace.set(scope, [...(byNamespace.get(scope) ?? []), user]);
  }

  // Every namespace listed first, so that the tags are read as one pool with one progress count.
  const namespaces: ListedNamespace[] = [];
  let listedSoFar = 0;
  for (const [scope, declared] of byNamespace) {
    const [awsAccountId, identityRegion, namespace] = scope.split('/');
    const listed = await listAllUsers(readerFor(identityRegion), awsAccountId, namespace);
    listedSoFar += listed?.length ?? 0;
    options.onProgress?.({ phase: 'list', done: listedSoFar, total: listedSoFar });
    namespaces.push({ awsAccountId, identityRegion, namespace, declared, listed });
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
  for (const ns of namespaces) {
    const { awsAccountId, identityRegion, namespace, declared, listed } = ns;
    const where = { namespace, awsAccountId, identityRegion };
    if (listed === undefined) {
      items.push({ ...where, kind: DriftKind.NAMESPACE_MISSING, userName: '', fields: [], note: `namespace '${namespace}' does not exist: its ${declared.length} declared user${declared.length === 1 ? ' is' : 's are'} missing (create the namespace, then deploy)` });
      continue;
    }
    live += listed.length;
    const liveByName = new Map(listed.filter((u) => u.UserName !== DELETED_IAM_IDENTITY_NAME).map((u) => [u.UserName!, u]));
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
  items.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareText(a.namespace, b.namespace) || compareText(a.userName, b.userName));
  orphaned.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.principalId ?? '', b.principalId ?? ''));
  return { items, orphaned, namespaces: [...byNamespace.keys()], declared: file.users.length, live, calls };
}

const KIND_ORDER = [DriftKind.NAMESPACE_MISSING, DriftKind.MISSING, DriftKind.DIFFERENT, DriftKind.UNDECLARED];

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

/** The declared fields that QuickSight has otherwise. */
function differences(user: DeclaredUser, current: User, tags: Record<string, string>): FieldDrift[] {
  const { spec } = user;
  const drift: FieldDrift[] = [];
  const field = (name: UserSpecField, declared: string | undefined, live: string | undefined) => {
    if (declared === live) return;
    drift.push(name === 'Email' ? { field: PROP_NAMES[name], redacted: true } : { field: PROP_NAMES[name], declared, live });
  };
  field('IdentityType', spec.IdentityType, current.IdentityType);
  field('UserRole', spec.UserRole, current.Role);
  field('Email', spec.Email, current.Email);
  field('CustomPermissionsName', spec.CustomPermissionsName, current.CustomPermissionsName);
  const liveProvider = current.ExternalLoginFederationProviderType === 'NONE' ? undefined : current.ExternalLoginFederationProviderType;
  field('ExternalLoginFederationProviderType', spec.ExternalLoginFederationProviderType, liveProvider);
  // The provider URL is declared only for CUSTOM_OIDC (COGNITO's is implied), the login id only with a provider.
  if (spec.ExternalLoginFederationProviderType === 'CUSTOM_OIDC') field('CustomFederationProviderUrl', spec.CustomFederationProviderUrl, current.ExternalLoginFederationProviderUrl);
  if (spec.ExternalLoginFederationProviderType !== undefined) field('ExternalLoginId', spec.ExternalLoginId, current.ExternalLoginId);

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
  const orphans = report.orphaned.length === 0 ? '' : `; ${report.orphaned.length} user${report.orphaned.length === 1 ? '' : 's'} named ${DELETED_IAM_IDENTITY_NAME} left aside, see the warning`;
  const checked = `${report.declared} declared, ${report.live} in QuickSight, in ${report.namespaces.length} namespace${report.namespaces.length === 1 ? '' : 's'}${orphans}`;
  if (report.items.length === 0) return `No drift (${checked}).`;
  const parts = KIND_ORDER.filter((k) => count(k) > 0).map((k) => `${count(k)} ${k}`);
  return `Drift: ${parts.join(', ')} (${checked}).`;
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
  if (format === DriftFormat.MARKDOWN) {
    const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
    const code = (text: string) => `\`${text.replace(/`/g, 'ˋ')}\``;
    const out = ['### QuickSight users drift', '', `Declared in ${code(source)}; read from QuickSight.`, ''];
    if (report.items.length > 0) {
      out.push('| drift | user | namespace | details |', '|---|---|---|---|');
      for (const i of report.items) out.push(`| ${i.kind} | ${i.userName ? cell(code(i.userName)) : ''} | ${cell(where(i))} | ${cell(describeItem(i, code))} |`);
      out.push('');
    }
    out.push(summarizeDrift(report));
    return `${out.join('\n')}\n`;
  }
  const rows = report.items.map((i) => [i.kind, i.userName, where(i), describeItem(i, (t) => t)]);
  const header = ['drift', 'user', multiple ? 'namespace @ account/region' : 'namespace', 'details'];
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
