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
// Groups: the groups of the exported namespaces (ListGroups, whose rows carry the description) are
// the file's top-level `groups`, and the members of each (ListGroupMemberships per group, never a
// call per user) are each user's `groups`, so that a deployment adopts every group and adds or
// removes no membership. In an account that authenticates IAM Identity Center users the groups and
// their memberships are Identity Center's: QuickSight refuses to create, change or delete them, and
// an IAM_IDENTITY_CENTER user takes no `groups` (the construct and the handler refuse them). There
// the groups are declared `managed: false` (referred to, never written), their members are not
// read, and the users carry no `groups`. Whether an account is one is read from its users; an
// account with no user to tell gets managed groups (a deployment would then fail on the first
// group, roll back and change nothing). A group no declaration can hold (named "." or "..") is left
// out like a user, its memberships with it; so are the memberships of left-out users.
import { Document, isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import { formatGroupIssue, normalizeGroupNames, validateGroupSpec } from '../lib/group-model';
import {
  authenticationMethodOf, DEFAULT_NAMESPACE, formatIssueInPropTerms, IdentityType, isMarkerTagKey, OWNER_TAG_KEY, partitionOf, validateUserSpec,
  type UserSpec,
} from '../lib/model';
import { DELETED_IAM_IDENTITY_NAME, type OrphanedUser } from './drift';
import { iamKindOf, listIam, resolveIamIdentity, SdkIamReader, type IamListing, type IamReadError, type IamReader } from './iam';
import {
  countedReader, DEFAULT_READ_CONCURRENCY, listAllGroups, listAllUsers, readGroupMembers, readTags, SdkQuickSightReader,
  type Group, type QuickSightReader, type User,
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
  /** Called as users are listed (`total` still growing), as the members of the groups are read, and as the users' tags are read. */
  readonly onProgress?: (progress: { phase: 'list' | 'groups' | 'tags'; done: number; total: number }) => void;
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

/** A group the export could not declare, and why. */
export interface LeftOutGroup {
  readonly groupName: string;
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
  /** Groups declared in the file. */
  readonly groups: number;
  /** Memberships declared in the file (the users' `groups`, all told). */
  readonly memberships: number;
  /** Whether the groups are declared `managed: false`, without memberships (an IAM Identity Center account's). */
  readonly groupsManagedElsewhere: boolean;
  /** Users named N/A, left out. */
  readonly orphaned: OrphanedUser[];
  /** Other users left out, with the reason. */
  readonly leftOut: LeftOutUser[];
  /** Groups left out, with the reason. */
  readonly leftOutGroups: LeftOutGroup[];
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
  /** The groups the user is a member of (sorted names). */
  readonly groups: string[];
}

/** A group of the file. */
interface DeclaredGroupEntry {
  readonly namespace: string;
  readonly groupName: string;
  readonly description?: string;
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

    // Every namespace listed (its users, then its groups), then the members of every group and
    // every user's tags, each as one pool.
    const listed: Array<{ namespace: string; user: User }> = [];
    const liveGroups: Array<{ namespace: string; group: Group }> = [];
    for (const namespace of namespaces) {
      const missingNamespace = () => new Error(`namespace '${namespace}' does not exist in QuickSight account ${awsAccountId} (${identityRegion})`);
      const users = await listAllUsers(reader, awsAccountId, namespace);
      if (users === undefined) throw missingNamespace();
      listed.push(...users.map((user) => ({ namespace, user })));
      options.onProgress?.({ phase: 'list', done: listed.length, total: listed.length });
      const groups = await listAllGroups(reader, awsAccountId, namespace);
      if (groups === undefined) throw missingNamespace();
      liveGroups.push(...groups.map((group) => ({ namespace, group })));
    }
    // The members of the groups a file can declare (a group left out takes its memberships with it).
    // An account that lists IAM Identity Center users authenticates them: its groups and their
    // memberships are Identity Center's, which a users file does not declare (members not read).
    const identityCenter = listed.some(({ user }) => authenticationMethodOf(user.IdentityType ?? '') === 'IAM Identity Center users');
    const { candidates, leftOutGroups } = declarableGroups(liveGroups, { awsAccountId, identityRegion, identityCenter });
    const memberLists = identityCenter ? candidates.map((): string[] => []) : await readGroupMembers(reader, candidates.map(({ namespace, groupName }) => ({ awsAccountId, namespace, groupName })), {
      concurrency: options.concurrency ?? DEFAULT_READ_CONCURRENCY,
      onProgress: (done, total) => options.onProgress?.({ phase: 'groups', done, total }),
    });
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
      declared.push({ ...result, groups: [] });
      if (result.note) unconfirmedIamPaths.push({ userName, namespace, iamArn: String(result.entry.iamArn), note: result.note });
    });
    declared.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.userName.toLowerCase(), b.userName.toLowerCase()) || compareText(a.userName, b.userName));
    checkOneAuthenticationMethod(declared, awsAccountId);

    const { groups, members } = declareGroups(candidates, memberLists, leftOutGroups);
    // Each user's groups: the declared groups of its namespace that list it as a member.
    const withGroups = declared.map((user) => ({
      ...user,
      groups: normalizeGroupNames(groups.filter((g) => g.namespace === user.namespace && members.get(g)!.has(user.userName)).map((g) => g.groupName)),
    }));
    const memberships = withGroups.reduce((sum, user) => sum + user.groups.length, 0);

    const context: FileContext = {
      awsAccountId, identityRegion, namespaces, orphaned, leftOut, leftOutGroups, unconfirmed: unconfirmedIamPaths.length, identityCenter,
      now: options.now === undefined ? new Date() : options.now, generator: options.generator ?? 'quicksight-users export',
      stackName: options.stackName ?? DEFAULT_STACK_NAME,
    };
    // The number of stacks the file deploys as: pinned in the file when it is more than one, so
    // that the file's growth never moves users behind anyone's back.
    let text = writeFile(withGroups, groups, context);
    const stacks = assignStacks(parseUsersFile(text, 'export')).stacks.length;
    if (stacks > 1) text = writeFile(withGroups, groups, { ...context, stacks });
    // The export's own guarantee: the file is valid and declares every user, group and membership it wrote.
    const check = parseUsersFile(text, 'export');
    const checkedMemberships = check.users.reduce((sum, user) => sum + user.groups.length, 0);
    if (check.users.length !== declared.length || check.groups.length !== groups.length || checkedMemberships !== memberships) {
      throw new Error(`the export declares ${check.users.length} users, ${check.groups.length} groups and ${checkedMemberships} memberships instead of ${declared.length}, ${groups.length} and ${memberships}: a bug`);
    }

    return {
      text, awsAccountId, identityRegion, namespaces, users: declared.length, groups: groups.length, memberships, groupsManagedElsewhere: identityCenter && groups.length > 0,
      orphaned, leftOut, leftOutGroups, unconfirmedIamPaths, alreadyManaged, stacks, calls,
      iamErrors: [listings.role, listings.user].flatMap((l) => (l !== undefined && 'error' in l ? [l.error] : [])),
    };
  } finally {
    if (ownReader) reader.destroy?.();
    if (ownIam) iam?.destroy?.();
  }
}

/**
 * The groups a file can declare (sorted by namespace, then name), or why one cannot be declared.
 * An IAM Identity Center account's groups are declared `managed: false`, which takes no description.
 */
function declarableGroups(
  live: Array<{ namespace: string; group: Group }>, where: { awsAccountId: string; identityRegion: string; identityCenter: boolean },
): { candidates: DeclaredGroupEntry[]; leftOutGroups: LeftOutGroup[] } {
  const candidates: DeclaredGroupEntry[] = [];
  const leftOutGroups: LeftOutGroup[] = [];
  for (const { namespace, group } of live) {
    const groupName = group.GroupName!;
    const description = where.identityCenter || group.Description === '' ? undefined : group.Description;
    const issues = validateGroupSpec({ AwsAccountId: where.awsAccountId, IdentityRegion: where.identityRegion, Namespace: namespace, GroupName: groupName, Description: description });
    if (issues.length > 0) leftOutGroups.push({ groupName, namespace, reason: issues.map((issue) => formatGroupIssue(issue, true)).join('; ') });
    else candidates.push({ namespace, groupName, description });
  }
  candidates.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.groupName.toLowerCase(), b.groupName.toLowerCase()) || compareText(a.groupName, b.groupName));
  return { candidates, leftOutGroups };
}

/**
 * The file's groups, each with its members (N/A members aside: no file can declare them); a group
 * deleted since it was listed is left out (added to `leftOutGroups`, which comes back sorted).
 */
function declareGroups(candidates: DeclaredGroupEntry[], memberLists: Array<string[] | undefined>, leftOutGroups: LeftOutGroup[]) {
  const groups: DeclaredGroupEntry[] = [];
  const members = new Map<DeclaredGroupEntry, Set<string>>();
  candidates.forEach((group, i) => {
    const list = memberLists[i];
    if (list === undefined) {
      leftOutGroups.push({ groupName: group.groupName, namespace: group.namespace, reason: 'deleted while the export read the account' });
      return;
    }
    groups.push(group);
    members.set(group, new Set(list.filter((name) => name !== DELETED_IAM_IDENTITY_NAME)));
  });
  leftOutGroups.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.groupName, b.groupName));
  return { groups, members };
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

/** The file's entry for a live user (its groups aside), or why it cannot have one. */
function declarationOf(
  user: User, namespace: string, tags: Record<string, string>,
  where: { awsAccountId: string; identityRegion: string; partition: string; listings: { role?: IamListing; user?: IamListing } },
): Omit<Declared, 'groups'> | { reason: string } {
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
  readonly leftOutGroups: LeftOutGroup[];
  readonly unconfirmed: number;
  /** The groups are IAM Identity Center's: declared managed: false. */
  readonly identityCenter: boolean;
  readonly now: Date | null;
  readonly generator: string;
  readonly stackName: string;
  readonly stacks?: number;
}

/** At most this many left-out users and groups are named in the header (stderr names them all). */
const HEADER_LIST_LIMIT = 20;

function writeFile(declared: Declared[], groups: DeclaredGroupEntry[], context: FileContext): string {
  const defaultNamespace = mostCommon(declared.map((d) => d.namespace)) ?? mostCommon(groups.map((g) => g.namespace)) ?? context.namespaces[0] ?? DEFAULT_NAMESPACE;
  const defaultRole = mostCommon(declared.map((d) => d.role));
  // The list of groups more than half the users are in exactly, if there is one: a user's own list
  // replaces it (`groups: []` for none).
  const lists = declared.map((d) => JSON.stringify(d.groups));
  const commonGroups = mostCommon(lists);
  const defaultGroups = commonGroups !== undefined && commonGroups !== '[]' && lists.filter((l) => l === commonGroups).length * 2 > lists.length ? commonGroups : undefined;
  const defaults: Record<string, unknown> = {
    awsAccountId: context.awsAccountId,
    identityRegion: context.identityRegion,
    namespace: defaultNamespace,
  };
  if (defaultRole !== undefined) defaults.role = defaultRole;
  if (defaultGroups !== undefined) defaults.groups = JSON.parse(defaultGroups) as string[];
  const users = declared.map((d) => {
    const entry = Object.fromEntries(Object.entries(d.entry).filter(([key, value]) => !(key === 'namespace' && value === defaultNamespace) && !(key === 'role' && value === defaultRole)));
    const ownGroups = defaultGroups === undefined ? d.groups.length > 0 : JSON.stringify(d.groups) !== defaultGroups;
    return ownGroups ? { ...entry, groups: d.groups } : entry;
  });
  const groupEntries = groups.map((g) => ({
    groupName: g.groupName,
    ...(g.description !== undefined ? { description: g.description } : {}),
    ...(g.namespace !== defaultNamespace ? { namespace: g.namespace } : {}),
    ...(context.identityCenter ? { managed: false } : {}),
  }));

  const root: Record<string, unknown> = { stackName: context.stackName };
  if (context.stacks !== undefined) root.stacks = context.stacks;
  root.defaults = defaults;
  if (groupEntries.length > 0) root.groups = groupEntries;
  root.users = users;
  const doc = new Document(root);
  doc.commentBefore = header(declared.length, groups.length, context);
  const contents = doc.contents as YAMLMap;
  if (context.stacks !== undefined) {
    setKeyComment(contents, 'stacks', ` pinned: the ${context.stacks} stacks these users need, so that the file's growth moves no user on its own (see Sharding in the docs)`);
  }
  if (groupEntries.length > 0 && context.identityCenter) {
    setKeyComment(contents, 'groups', ' IAM Identity Center\'s groups: QuickSight refuses to create, change or delete them or their memberships, so they are\n managed: false, and their memberships are managed in IAM Identity Center (an IAM_IDENTITY_CENTER user takes no groups)');
  }
  // The lists of group names on one line each: `groups: [analysts, finance]`.
  const flow = (node: unknown) => {
    if (isSeq(node)) node.flow = true;
  };
  const defaultsNode = contents.get('defaults', true);
  if (isMap(defaultsNode)) flow(defaultsNode.get('groups', true));
  const seq = contents.get('users', true);
  if (isSeq(seq)) {
    const multipleNamespaces = new Set(declared.map((d) => d.namespace)).size > 1;
    seq.items.forEach((node, i) => {
      if (!isMap(node)) return;
      flow(node.get('groups', true));
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
  for (const key of ['groups', 'users']) {
    const pair = contents.items.find((p) => (p.key as { value?: unknown }).value === key);
    if (pair) (pair.key as Node).spaceBefore = true;
  }
  return doc.toString({ singleQuote: true, lineWidth: 0, flowCollectionPadding: false });
}

function header(users: number, groups: number, context: FileContext): string {
  const ns = context.namespaces;
  const namespaces = ns.length === 0 ? 'no namespaces' : ns.length === 1 ? `namespace ${ns[0]}` : `namespaces ${ns.slice(0, -1).join(', ')} and ${ns[ns.length - 1]}`;
  const day = context.now ? ` on ${context.now.toISOString().slice(0, 10)}` : '';
  const counted = `${users} user${users === 1 ? '' : 's'}${groups > 0 ? ` and ${groups} group${groups === 1 ? '' : 's'}` : ''}`;
  const lines = [
    `QuickSight users of account ${context.awsAccountId}, identity region ${context.identityRegion}, ${namespaces}:`,
    `${counted}, exported${day} by ${context.generator}.`,
    '',
    'Next:',
    '  1. Review this file and open a pull request with it (`quicksight-users validate --file <this file>` checks it).',
    '  2. `quicksight-users drift --file <this file>` finds no drift: the file is the account as it is.',
    '  3. Deploy it (`cdk deploy --all` with the users-file app). Each user is adopted as it is: its RegisterUser',
    '     is answered "already exists" (how adoption starts), nothing is updated or deleted, and only the owner',
    `     tag ${OWNER_TAG_KEY} is added.`,
  ];
  if (groups > 0 && context.identityCenter) {
    lines.push(
      '     The groups are IAM Identity Center\'s (managed: false): no deployment creates, changes or deletes them',
      '     or their memberships, which are managed in IAM Identity Center.',
    );
  } else if (groups > 0) {
    lines.push(
      '     Each group is adopted as it is too (its CreateGroup is answered "already exists"), and each user is',
      '     a member of its groups already: no membership is added or removed.',
    );
  }
  lines.push('     From then on, change users here: `quicksight-users plan` shows each change before it is deployed.');
  const leftOut = [
    ...context.orphaned.map((o) => `${o.principalId ?? '(no principal id)'} (namespace ${o.namespace}): named ${DELETED_IAM_IDENTITY_NAME}, its IAM user or role was deleted`),
    ...context.leftOut.map((u) => `'${u.userName}' (namespace ${u.namespace}): ${u.reason}`),
    ...context.leftOutGroups.map((g) => `group '${g.groupName}' (namespace ${g.namespace}): ${g.reason}`),
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
