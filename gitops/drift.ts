// Drift: what differs in QuickSight from the users file, whatever the stacks last deployed.
// Custom resources get no CloudFormation drift detection, so this reads QuickSight itself:
// ListUsers (every page) in each namespace the file manages, then DescribeUser and
// ListTagsForResource for each declared user found. It reports users declared but missing, users
// present but undeclared (in the namespaces the file manages; other namespaces are not its
// business), and field differences. The handler's owner tag is not a declared tag and is ignored.
//
// Emails are never printed: an email difference reads "email: differs".
import {
  DescribeUserCommand, ListTagsForResourceCommand, ListUsersCommand, QuickSightClient, type User,
} from '@aws-sdk/client-quicksight';
import { formatUserArn, IdentityType, OWNER_TAG_KEY, partitionOf, PROP_NAMES, type UserSpecField } from '../lib/model';
import type { DeclaredUser, UsersFile } from './users-file';

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
  /** Present in a managed namespace under the name N/A: its IAM identity was deleted. */
  ORPHANED = 'orphaned',
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

export interface DriftReport {
  readonly items: DriftItem[];
  /** The namespaces read, as account/identity region/namespace. */
  readonly namespaces: string[];
  readonly declared: number;
  readonly live: number;
  /** Calls made, by operation. */
  readonly calls: Record<string, number>;
}

/** The QuickSight reads drift makes, behind an interface so that tests can count them. */
export interface QuickSightReader {
  /** One ListUsers page; throws a ResourceNotFoundException when the namespace does not exist. */
  listUsers(awsAccountId: string, namespace: string, nextToken?: string): Promise<{ users: User[]; nextToken?: string }>;
  /** The user, or undefined when it does not exist. */
  describeUser(awsAccountId: string, namespace: string, userName: string): Promise<User | undefined>;
  listTags(arn: string): Promise<Record<string, string>>;
  /** Releases connections. */
  destroy?(): void;
}

export interface DriftOptions {
  /** The reader for an identity region. @default - the AWS SDK, with the standard credential chain */
  readonly reader?: (identityRegion: string) => QuickSightReader;
  /** How many users are described at a time. @default 4 */
  readonly concurrency?: number;
  /** ListUsers page size (QuickSight takes at most 100). @default 100 */
  readonly pageSize?: number;
}

/** Compares the users of a file with QuickSight. */
export async function detectDrift(file: UsersFile, options: DriftOptions = {}): Promise<DriftReport> {
  const calls: Record<string, number> = {};
  const readers = new Map<string, QuickSightReader>();
  const readerFor = (region: string) => {
    if (!readers.has(region)) readers.set(region, counted(options.reader?.(region) ?? new SdkQuickSightReader(region, options.pageSize ?? 100), calls));
    return readers.get(region)!;
  };

  try {
    return await compareAll(file, readerFor, options, calls);
  } finally {
    for (const reader of readers.values()) reader.destroy?.();
  }
}

async function compareAll(file: UsersFile, readerFor: (region: string) => QuickSightReader, options: DriftOptions, calls: Record<string, number>): Promise<DriftReport> {
  const byNamespace = new Map<string, DeclaredUser[]>();
  for (const user of file.users) {
    const scope = scopeOf(user.spec.AwsAccountId, user.spec.IdentityRegion, user.spec.Namespace);
    byNamespace.set(scope, [...(byNamespace.get(scope) ?? []), user]);
  }

  const items: DriftItem[] = [];
  let live = 0;
  for (const [scope, declared] of byNamespace) {
    const [awsAccountId, identityRegion, namespace] = scope.split('/');
    const where = { namespace, awsAccountId, identityRegion };
    const reader = readerFor(identityRegion);
    const listed = await listAll(reader, awsAccountId, namespace);
    if (listed === undefined) {
      items.push({ ...where, kind: DriftKind.NAMESPACE_MISSING, userName: '', fields: [], note: `namespace '${namespace}' does not exist: its ${declared.length} declared user${declared.length === 1 ? ' is' : 's are'} missing (create the namespace, then deploy)` });
      continue;
    }
    live += listed.length;
    const liveByName = new Map(listed.filter((u) => u.UserName !== DELETED_IAM_IDENTITY_NAME).map((u) => [u.UserName!, u]));
    const orphans = listed.filter((u) => u.UserName === DELETED_IAM_IDENTITY_NAME);
    const declaredNames = new Set(declared.map((u) => u.userName));

    const compared = await mapLimit(declared, options.concurrency ?? 4, async (user) => {
      if (!liveByName.has(user.userName)) return missing(user, orphans.length > 0);
      // ListUsers lists; DescribeUser is the record the handler itself converges against.
      const current = await reader.describeUser(awsAccountId, namespace, user.userName);
      if (!current) return missing(user, orphans.length > 0);
      const tags = await reader.listTags(current.Arn ?? formatUserArn({ partition: partitionOf(identityRegion), region: identityRegion, accountId: awsAccountId, namespace, userName: user.userName }));
      const fields = differences(user, current, tags);
      return fields.length > 0 ? { ...where, kind: DriftKind.DIFFERENT, userName: user.userName, identityType: current.IdentityType, role: current.Role, fields } : undefined;
    });
    items.push(...compared.filter((item): item is DriftItem => item !== undefined));

    for (const user of listed) {
      if (user.UserName === DELETED_IAM_IDENTITY_NAME) {
        items.push({
          ...where, kind: DriftKind.ORPHANED, userName: DELETED_IAM_IDENTITY_NAME, identityType: user.IdentityType, role: user.Role, principalId: user.PrincipalId, fields: [],
          note: `the IAM user or role it was registered for has been deleted, so QuickSight names it ${DELETED_IAM_IDENTITY_NAME}; delete it by principal id (DeleteUserByPrincipalId${user.PrincipalId ? ` ${user.PrincipalId}` : ''}) once its assets have a new owner`,
        });
      } else if (!declaredNames.has(user.UserName!)) {
        items.push({ ...where, kind: DriftKind.UNDECLARED, userName: user.UserName!, identityType: user.IdentityType, role: user.Role, principalId: user.PrincipalId, fields: [], note: 'not in the file: declare it, or delete it in QuickSight' });
      }
    }
  }
  items.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareText(a.namespace, b.namespace) || compareText(a.userName, b.userName));
  return { items, namespaces: [...byNamespace.keys()], declared: file.users.length, live, calls };
}

const KIND_ORDER = [DriftKind.NAMESPACE_MISSING, DriftKind.MISSING, DriftKind.DIFFERENT, DriftKind.UNDECLARED, DriftKind.ORPHANED];

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
  const liveTags = Object.fromEntries(Object.entries(tags).filter(([key]) => key !== OWNER_TAG_KEY));
  for (const key of [...new Set([...Object.keys(declaredTags), ...Object.keys(liveTags)])].sort(compareText)) {
    if (declaredTags[key] !== liveTags[key]) drift.push({ field: `tags.${key}`, declared: declaredTags[key], live: liveTags[key] });
  }
  return drift;
}

/** Every user of a namespace, page by page; undefined when the namespace does not exist. */
async function listAll(reader: QuickSightReader, awsAccountId: string, namespace: string): Promise<User[] | undefined> {
  const users: User[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await reader.listUsers(awsAccountId, namespace, nextToken);
      users.push(...page.users);
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException' && users.length === 0) return undefined;
    throw error;
  }
  return users;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function counted(reader: QuickSightReader, calls: Record<string, number>): QuickSightReader {
  const count = (operation: string) => { calls[operation] = (calls[operation] ?? 0) + 1; };
  return {
    listUsers: (...args) => { count('ListUsers'); return reader.listUsers(...args); },
    describeUser: (...args) => { count('DescribeUser'); return reader.describeUser(...args); },
    listTags: (...args) => { count('ListTagsForResource'); return reader.listTags(...args); },
    destroy: () => reader.destroy?.(),
  };
}

function scopeOf(awsAccountId: string, identityRegion: string, namespace: string): string {
  return `${awsAccountId}/${identityRegion}/${namespace}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The AWS SDK's QuickSight client in the identity region, with the standard credential chain
 * (environment, SSO, shared files, container and instance roles) and the standard retries;
 * AWS_ENDPOINT_URL_QUICKSIGHT points it elsewhere (the tests' emulator).
 */
export class SdkQuickSightReader implements QuickSightReader {
  private readonly client: QuickSightClient;

  constructor(identityRegion: string, private readonly pageSize: number = 100) {
    this.client = new QuickSightClient({ region: identityRegion, maxAttempts: 8 });
  }

  public async listUsers(awsAccountId: string, namespace: string, nextToken?: string) {
    const out = await this.client.send(new ListUsersCommand({ AwsAccountId: awsAccountId, Namespace: namespace, NextToken: nextToken, MaxResults: this.pageSize }));
    return { users: out.UserList ?? [], nextToken: out.NextToken };
  }

  public async describeUser(awsAccountId: string, namespace: string, userName: string) {
    try {
      const out = await this.client.send(new DescribeUserCommand({ AwsAccountId: awsAccountId, Namespace: namespace, UserName: userName }));
      return out.User;
    } catch (error) {
      // Deleted between ListUsers and now.
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  public async listTags(arn: string) {
    const out = await this.client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }

  public destroy(): void {
    this.client.destroy();
  }
}

// ---- formats ----

export enum DriftFormat {
  TABLE = 'table',
  MARKDOWN = 'markdown',
  JSON = 'json',
}

export function summarizeDrift(report: DriftReport): string {
  const count = (kind: DriftKind) => report.items.filter((i) => i.kind === kind).length;
  const checked = `${report.declared} declared, ${report.live} in QuickSight, in ${report.namespaces.length} namespace${report.namespaces.length === 1 ? '' : 's'}`;
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
