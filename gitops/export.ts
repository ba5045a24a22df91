// Export: a live QuickSight account as a users file, so that an account whose users were made by
// hand comes under management with nothing changed and nothing lost. It reads the identity region
// (read.ts: every namespace's ListUsers pages, whose rows carry every field of a user, and one
// ListTagsForResource per user, a bounded pool at a time), rebuilds the IAM ARN of IAM users
// (iam.ts), and writes a file that `validate` accepts and that, deployed, adopts every user as it
// is: every field the file can hold, the tags without the handler's owner marker, the defaults factored out,
// the users in a stable order (the same account gives the same bytes).
//
// Users that no file can declare are left out, never changed: users QuickSight names N/A (their
// IAM identity was deleted), and users whose live fields break a rule of the model (no email, a
// role QuickSight lists but refuses, a tag no declaration may carry). Left out of a file, a user is
// only `undeclared` to drift; a deployment never touches it.
//
// Design note: groups join the export when the users file has them (group definitions and each
// user's memberships, one ListUserGroups call per user, or ListGroupMemberships per group).
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import {
  authenticationMethodOf, DEFAULT_NAMESPACE, formatIssueInPropTerms, IdentityType, isMarkerTagKey, OWNER_TAG_KEY, partitionOf, validateUserSpec,
  type UserSpec,
} from '../lib/model';
import { DELETED_IAM_IDENTITY_NAME, type OrphanedUser } from './drift';
import { iamKindOf, listIam, resolveIamIdentity, SdkIamReader, type IamListing, type IamReadError, type IamReader } from './iam';
import {
  countedReader, DEFAULT_READ_CONCURRENCY, listAllUsers, readTags, SdkQuickSightReader, type QuickSightReader, type User,
} from './read';
import { assignStacks } from './sharding';
import { DEFAULT_STACK_NAME, parseUsersFile } from './users-file';

export interface ExportOptions {
  readonly awsAccountId: string;
  readonly identityRegion: string;
  /** The namespaces to export. @default - every namespace of the account (ListNamespaces) */
  readonly namespaces?: readonly string[];
  /** The QuickSight reads. @default - the AWS SDK in the identity region, with the standard credential chain */
  readonly reader?: QuickSightReader;
  /** The IAM reads (for the paths of IAM users and roles); false: IAM is not read. @default - the AWS SDK */
  readonly iam?: IamReader | false;
  /** How many calls are in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Called as users are listed (`total` still growing) and as their tags are read. */
  readonly onProgress?: (progress: { phase: 'list' | 'tags'; done: number; total: number }) => void;
  /** When the export is made, for the header (its day, UTC); null leaves the date out. @default - now */
  readonly now?: Date | null;
  /** What made the file, for the header. @default 'quicksight-users export' */
  readonly generator?: string;
  /** @default 'QuickSightUsers' */
  readonly stackName?: string;
}

/** A user the export could not declare, and why. */
export interface LeftOutUser {
  readonly userName: string;
  readonly namespace: string;
  readonly reason: string;
}

/** A user whose IAM ARN could not be confirmed in IAM. */
export interface UnconfirmedIamPath {
  readonly userName: string;
  readonly namespace: string;
  readonly iamArn: string;
  readonly note: string;
}

export interface UsersExport {
  /** The users file. */
  readonly text: string;
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly namespaces: string[];
  /** Users declared in the file. */
  readonly users: number;
  /** Users named N/A, left out. */
  readonly orphaned: OrphanedUser[];
  /** Other users left out, with the reason. */
  readonly leftOut: LeftOutUser[];
  readonly unconfirmedIamPaths: UnconfirmedIamPath[];
  /** The IAM reads that failed (the export went on without them). */
  readonly iamErrors: IamReadError[];
  /** Users that already carry the owner marker of a stack (quicksight-user-cdk manages them elsewhere). */
  readonly alreadyManaged: Array<{ userName: string; namespace: string; owner: string }>;
  /** The stacks the file deploys as (pinned in the file when more than one). */
  readonly stacks: number;
  /** QuickSight calls made, by operation. */
  readonly calls: Record<string, number>;
}

/** The fields of a user in the file, in the order the file writes them. */
type FileUser = Record<string, unknown>;

interface Declared {
  readonly namespace: string;
  readonly userName: string;
  readonly role: string;
  readonly entry: FileUser;
  readonly note?: string;
}

/** Reads the account and writes its users file. */
export async function exportUsers(options: ExportOptions): Promise<UsersExport> {
  const { awsAccountId, identityRegion } = options;
  const calls: Record<string, number> = {};
  const ownReader = options.reader === undefined;
  const reader = countedReader(options.reader ?? new SdkQuickSightReader(identityRegion), calls);
  const ownIam = options.iam === undefined;
  const iam = options.iam === false ? undefined : options.iam ?? new SdkIamReader(identityRegion);
  try {
    const namespaces = [...(options.namespaces ?? await reader.listNamespaces(awsAccountId))].sort(compareText);

    // Every namespace listed, then every user's tags as one pool.
    const listed: Array<{ namespace: string; user: User }> = [];
    for (const namespace of namespaces) {
      const users = await listAllUsers(reader, awsAccountId, namespace);
      if (users === undefined) throw new Error(`namespace '${namespace}' does not exist in QuickSight account ${awsAccountId} (${identityRegion})`);
      listed.push(...users.map((user) => ({ namespace, user })));
      options.onProgress?.({ phase: 'list', done: listed.length, total: listed.length });
    }
    const orphaned: OrphanedUser[] = listed.filter(({ user }) => user.UserName === DELETED_IAM_IDENTITY_NAME).map(({ namespace, user }) => ({
      namespace, awsAccountId, identityRegion, identityType: user.IdentityType, role: user.Role, principalId: user.PrincipalId,
    }));
    const named = listed.filter(({ user }) => user.UserName !== DELETED_IAM_IDENTITY_NAME && user.UserName !== undefined);
    const tags = await readTags(reader, named.map(({ user }) => user.Arn!), {
      concurrency: options.concurrency ?? DEFAULT_READ_CONCURRENCY,
      onProgress: (done, total) => options.onProgress?.({ phase: 'tags', done, total }),
    });

    const listings = await readIam(iam, named.map(({ user }) => user));
    const partition = partitionOf(identityRegion);
    const declared: Declared[] = [];
    const leftOut: LeftOutUser[] = [];
    const unconfirmedIamPaths: UnconfirmedIamPath[] = [];
    const alreadyManaged: UsersExport['alreadyManaged'] = [];
    named.forEach(({ namespace, user }, i) => {
      const userName = user.UserName!;
      const liveTags = tags[i];
      if (liveTags === undefined) {
        leftOut.push({ userName, namespace, reason: 'deleted while the export read the account' });
        return;
      }
      if (liveTags[OWNER_TAG_KEY] !== undefined) alreadyManaged.push({ userName, namespace, owner: liveTags[OWNER_TAG_KEY] });
      const result = declarationOf(user, namespace, liveTags, { awsAccountId, identityRegion, partition, listings });
      if ('reason' in result) {
        leftOut.push({ userName, namespace, reason: result.reason });
        return;
      }
      declared.push(result);
      if (result.note) unconfirmedIamPaths.push({ userName, namespace, iamArn: String(result.entry.iamArn), note: result.note });
    });
    declared.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.userName.toLowerCase(), b.userName.toLowerCase()) || compareText(a.userName, b.userName));
    checkOneAuthenticationMethod(declared, awsAccountId);

    const context: FileContext = {
      awsAccountId, identityRegion, namespaces, orphaned, leftOut, unconfirmed: unconfirmedIamPaths.length,
      now: options.now === undefined ? new Date() : options.now, generator: options.generator ?? 'quicksight-users export',
      stackName: options.stackName ?? DEFAULT_STACK_NAME,
    };
    // The number of stacks the file deploys as: pinned in the file when it is more than one, so
    // that the file's growth never moves users behind anyone's back.
    let text = writeFile(declared, context);
    const stacks = assignStacks(parseUsersFile(text, 'export')).stacks.length;
    if (stacks > 1) text = writeFile(declared, { ...context, stacks });
    // The export's own guarantee: the file is valid and declares every user it wrote.
    const check = parseUsersFile(text, 'export');
    if (check.users.length !== declared.length) throw new Error(`the export declares ${check.users.length} users instead of ${declared.length}: a bug`);

    return {
      text, awsAccountId, identityRegion, namespaces, users: declared.length, orphaned, leftOut, unconfirmedIamPaths, alreadyManaged, stacks, calls,
      iamErrors: [listings.role, listings.user].flatMap((l) => (l !== undefined && 'error' in l ? [l.error] : [])),
    };
  } finally {
    if (ownReader) reader.destroy?.();
    if (ownIam) iam?.destroy?.();
  }
}

/** IAM's roles and users, read only when an IAM user of that kind is to be declared. */
async function readIam(iam: IamReader | undefined, users: User[]): Promise<{ role?: IamListing; user?: IamListing }> {
  if (!iam) return {};
  const kinds = new Set(users.filter((u) => u.IdentityType === IdentityType.IAM).map((u) => iamKindOf(u.UserName!, u.PrincipalId)));
  const [role, user] = await Promise.all([
    kinds.has('role') ? listIam('iam:ListRoles', () => iam.listRoles()) : undefined,
    kinds.has('user') ? listIam('iam:ListUsers', () => iam.listUsers()) : undefined,
  ]);
  return { role, user };
}

/** The file's entry for a live user, or why it cannot have one. */
function declarationOf(
  user: User, namespace: string, tags: Record<string, string>,
  where: { awsAccountId: string; identityRegion: string; partition: string; listings: { role?: IamListing; user?: IamListing } },
): Declared | { reason: string } {
  const userName = user.UserName!;
  const identityType = user.IdentityType ?? '';
  const iam = identityType === IdentityType.IAM ? resolveIamIdentity({ userName, principalId: user.PrincipalId }, where.awsAccountId, where.partition, where.listings) : undefined;
  const provider = user.ExternalLoginFederationProviderType === 'NONE' ? undefined : user.ExternalLoginFederationProviderType;
  const declaredTags = Object.entries(tags).filter(([key]) => !isMarkerTagKey(key)).sort(([a], [b]) => compareText(a, b));
  const spec: UserSpec = {
    AwsAccountId: where.awsAccountId,
    IdentityRegion: where.identityRegion,
    Namespace: namespace,
    IdentityType: identityType,
    UserName: iam ? undefined : userName,
    IamArn: iam?.iamArn,
    SessionName: iam?.sessionName,
    Email: user.Email ?? '',
    UserRole: user.Role ?? '',
    CustomPermissionsName: user.CustomPermissionsName,
    ExternalLoginFederationProviderType: provider,
    // The provider URL is declared for CUSTOM_OIDC only (COGNITO's is implied), the login id only with a provider.
    CustomFederationProviderUrl: provider === 'CUSTOM_OIDC' ? user.ExternalLoginFederationProviderUrl : undefined,
    ExternalLoginId: provider !== undefined ? user.ExternalLoginId : undefined,
    Tags: declaredTags.length > 0 ? declaredTags.map(([Key, Value]) => ({ Key, Value })) : undefined,
  };
  const issues = validateUserSpec(spec);
  if (issues.length > 0) {
    // The value of an email is never printed.
    return { reason: `${issues.map((issue) => (issue.field === 'Email' && spec.Email !== '' ? 'email is not an address the users file accepts' : formatIssueInPropTerms(issue))).join('; ')}` };
  }
  const entry: FileUser = {};
  if (iam) {
    entry.iamArn = iam.iamArn;
    if (iam.sessionName !== undefined) entry.sessionName = iam.sessionName;
  } else {
    entry.userName = userName;
  }
  entry.identityType = identityType;
  entry.email = spec.Email;
  entry.role = spec.UserRole;
  entry.namespace = namespace;
  if (spec.CustomPermissionsName !== undefined) entry.customPermissionsName = spec.CustomPermissionsName;
  if (spec.ExternalLoginFederationProviderType !== undefined) entry.externalLoginFederationProviderType = spec.ExternalLoginFederationProviderType;
  if (spec.CustomFederationProviderUrl !== undefined) entry.customFederationProviderUrl = spec.CustomFederationProviderUrl;
  if (spec.ExternalLoginId !== undefined) entry.externalLoginId = spec.ExternalLoginId;
  if (declaredTags.length > 0) entry.tags = Object.fromEntries(declaredTags);
  return { namespace, userName, role: spec.UserRole, entry, note: iam?.note };
}

/** An account holds IAM and QuickSight users, or IAM Identity Center users: a file cannot hold both. */
function checkOneAuthenticationMethod(declared: Declared[], awsAccountId: string): void {
  const methods = new Map<string, Declared>();
  for (const user of declared) {
    const method = authenticationMethodOf(String(user.entry.identityType));
    if (method && !methods.has(method)) methods.set(method, user);
  }
  if (methods.size > 1) {
    const [a, b] = [...methods.values()];
    throw new Error(`QuickSight account ${awsAccountId} lists both ${a.entry.identityType} users ('${a.userName}') and ${b.entry.identityType} users ('${b.userName}'): an account authenticates either IAM and QuickSight users or IAM Identity Center users, and a users file holds one kind`);
  }
}

// ---- the file ----

interface FileContext {
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly namespaces: string[];
  readonly orphaned: OrphanedUser[];
  readonly leftOut: LeftOutUser[];
  readonly unconfirmed: number;
  readonly now: Date | null;
  readonly generator: string;
  readonly stackName: string;
  readonly stacks?: number;
}

/** At most this many left-out users are named in the header (stderr names them all). */
const HEADER_LIST_LIMIT = 20;

function writeFile(declared: Declared[], context: FileContext): string {
  const defaultNamespace = mostCommon(declared.map((d) => d.namespace)) ?? context.namespaces[0] ?? DEFAULT_NAMESPACE;
  const defaultRole = mostCommon(declared.map((d) => d.role));
  const defaults: Record<string, unknown> = {
    awsAccountId: context.awsAccountId,
    identityRegion: context.identityRegion,
    namespace: defaultNamespace,
  };
  if (defaultRole !== undefined) defaults.role = defaultRole;
  const users = declared.map((d) => Object.fromEntries(Object.entries(d.entry).filter(([key, value]) => !(key === 'namespace' && value === defaultNamespace) && !(key === 'role' && value === defaultRole))));

  const root: Record<string, unknown> = { stackName: context.stackName };
  if (context.stacks !== undefined) root.stacks = context.stacks;
  root.defaults = defaults;
  root.users = users;
  const doc = new Document(root);
  doc.commentBefore = header(declared.length, context);
  if (context.stacks !== undefined) {
    setKeyComment(doc.contents as YAMLMap, 'stacks', ` pinned: the ${context.stacks} stacks these users need, so that the file's growth moves no user on its own (see Sharding in the docs)`);
  }
  const seq = (doc.contents as YAMLMap).get('users', true);
  if (isSeq(seq)) {
    const multipleNamespaces = new Set(declared.map((d) => d.namespace)).size > 1;
    seq.items.forEach((node, i) => {
      if (!isMap(node)) return;
      const comments: string[] = [];
      const first = i === 0 || declared[i - 1].namespace !== declared[i].namespace;
      if (first && multipleNamespaces) {
        const count = declared.filter((d) => d.namespace === declared[i].namespace).length;
        comments.push(` namespace ${declared[i].namespace}: ${count} user${count === 1 ? '' : 's'}`);
        if (i > 0) node.spaceBefore = true;
      }
      if (declared[i].note) comments.push(...wrap(declared[i].note!, 96).map((line) => ` ${line}`));
      if (comments.length > 0) node.commentBefore = comments.join('\n');
    });
  }
  const usersPair = (doc.contents as YAMLMap).items.find((p) => (p.key as { value?: unknown }).value === 'users');
  if (usersPair) (usersPair.key as { spaceBefore?: boolean }).spaceBefore = true;
  return doc.toString({ singleQuote: true, lineWidth: 0 });
}

function header(users: number, context: FileContext): string {
  const ns = context.namespaces;
  const namespaces = ns.length === 0 ? 'no namespaces' : ns.length === 1 ? `namespace ${ns[0]}` : `namespaces ${ns.slice(0, -1).join(', ')} and ${ns[ns.length - 1]}`;
  const day = context.now ? ` on ${context.now.toISOString().slice(0, 10)}` : '';
  const lines = [
    `QuickSight users of account ${context.awsAccountId}, identity region ${context.identityRegion}, ${namespaces}:`,
    `${users} user${users === 1 ? '' : 's'}, exported${day} by ${context.generator}.`,
    '',
    'Next:',
    '  1. Review this file and open a pull request with it (`quicksight-users validate --file <this file>` checks it).',
    '  2. `quicksight-users drift --file <this file>` finds no drift: the file is the account as it is.',
    '  3. Deploy it (`cdk deploy --all` with the users-file app). Each user is adopted as it is: its RegisterUser',
    '     is answered "already exists" (how adoption starts), nothing is updated or deleted, and only the owner',
    `     tag ${OWNER_TAG_KEY} is added.`,
    '     From then on, change users here: `quicksight-users plan` shows each change before it is deployed.',
  ];
  const leftOut = [
    ...context.orphaned.map((o) => `${o.principalId ?? '(no principal id)'} (namespace ${o.namespace}): named ${DELETED_IAM_IDENTITY_NAME}, its IAM user or role was deleted`),
    ...context.leftOut.map((u) => `'${u.userName}' (namespace ${u.namespace}): ${u.reason}`),
  ];
  if (leftOut.length > 0) {
    lines.push('', `Left out, untouched by any deployment of this file (${leftOut.length}):`);
    for (const item of leftOut.slice(0, HEADER_LIST_LIMIT)) lines.push(...wrap(item, 96).map((line, i) => `  ${i === 0 ? '- ' : '  '}${line}`));
    if (leftOut.length > HEADER_LIST_LIMIT) lines.push(`  … and ${leftOut.length - HEADER_LIST_LIMIT} more (the export listed them all on stderr)`);
  }
  if (context.unconfirmed > 0) {
    lines.push('', `IAM paths not confirmed: ${context.unconfirmed} user${context.unconfirmed === 1 ? '' : 's'} (see the comment on each).`);
  }
  // A blank line inside the comment would split it: "#" alone keeps it one block.
  return lines.map((line) => ` ${line}`).join('\n');
}

function setKeyComment(map: YAMLMap, key: string, comment: string): void {
  const pair = map.items.find((p) => (p.key as { value?: unknown }).value === key);
  if (pair) (pair.key as { commentBefore?: string }).commentBefore = comment;
}

/** The most frequent value; ties go to the first in sort order. */
function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: string | undefined;
  for (const [value, count] of [...counts].sort(([a], [b]) => compareText(a, b))) {
    if (best === undefined || count > counts.get(best)!) best = value;
  }
  return best;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
