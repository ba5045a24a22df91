// The users file: QuickSight users and groups declared in YAML and reviewed in git. `yaml` parses
// it keeping every node's position, zod checks its shape (fields, types), and the values are
// checked by the same rules as the construct (validateUserSpec in model.ts, validateGroupSpec and
// validateGroupNames in group-model.ts): one source of truth. Every broken rule is reported at
// once, each with the file, line, user or group, and rule.
//
// It must not import aws-cdk-lib: `plan` and `drift` read the file without synthesizing anything.
import * as fs from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import {
  formatGroupIssue, normalizeGroupNames, validateGroupNames, validateGroupSpec, type GroupSpec, type GroupValidationIssue,
} from '../lib/group-model';
import {
  authenticationMethodOf, DEFAULT_NAMESPACE, deriveUserName, formatIssueInPropTerms, IdentityType, PROP_NAMES, validateUserSpec,
  type UserSpec, type UserSpecField, type UserTag, type ValidationIssue,
} from '../lib/model';

/** The name of the first stack, and the prefix of the others (`QuickSightUsers-1`, …). */
export const DEFAULT_STACK_NAME = 'QuickSightUsers';

/** What happens to a QuickSight user when it leaves the file (or its stack is deleted). */
export enum UserRemovalPolicy {
  /** Deregister the user from QuickSight (the construct's default). */
  DESTROY = 'destroy',
  /** Keep the user in QuickSight. */
  RETAIN = 'retain',
}

/** One user of the file, with the file's defaults applied. */
export interface DeclaredUser {
  /** The declared state in the API's names: what the construct writes into the template. */
  readonly spec: UserSpec;
  /** The QuickSight user name (for IAM users, from the IAM ARN: `RoleName/SessionName` for a role session). */
  readonly userName: string;
  /**
   * Names the user in QuickSight: account, identity region, namespace and user name. Two users
   * of a file never share it; it decides the user's construct id and stack.
   */
  readonly key: string;
  /** The construct id of the user: derived from its key, so that moving it in the file changes nothing. */
  readonly constructId: string;
  readonly removalPolicy: UserRemovalPolicy;
  readonly adoptExistingUser: boolean;
  readonly stackOutputs: boolean;
  /**
   * The groups the user is a member of: sorted names of groups the file declares (managed or
   * `managed: false`) in the user's account, identity region and namespace. The user's own
   * `groups`, else `defaults.groups` (a user's list replaces the default one, it is not merged);
   * [] when neither sets any.
   */
  readonly groups: string[];
  /** Where the user starts in the file (1-based). */
  readonly line: number;
}

/** One group of the file's top-level `groups` list, with the file's defaults applied. */
export interface DeclaredGroup {
  /**
   * The declared state in the API's names, with `defaults.awsAccountId`, `identityRegion` and
   * `namespace` (and the overrides) applied: what the construct writes into the template.
   */
  readonly spec: GroupSpec;
  /**
   * False for `managed: false`: a group that exists in QuickSight and is managed elsewhere. The
   * users' stacks only refer to it (QuickSightGroup.fromGroupName): it is never created, updated
   * or deleted by a deployment of the file, and it takes no description.
   */
  readonly managed: boolean;
  /** Names the group in QuickSight: account, identity region, namespace and group name. */
  readonly key: string;
  /** The construct id of the group: derived from its key, so that moving it in the file changes nothing. */
  readonly constructId: string;
  /**
   * What happens to the group when it leaves the file (or the groups stack is deleted).
   * @default destroy (the construct's default; `defaults.removalPolicy` is the users' and does
   * not apply to groups). RETAIN for a `managed: false` group, which no deployment ever deletes.
   */
  readonly removalPolicy: UserRemovalPolicy;
  /**
   * Whether the groups stack adopts the group when it exists already at create time (else the
   * deployment fails). @default true; false for a `managed: false` group, which is never created.
   */
  readonly adoptExistingGroup: boolean;
  /** Where the group starts in the file (1-based). */
  readonly line: number;
}

export interface UsersFile {
  /** The path the file was read from, as given (for messages). */
  readonly path: string;
  /** The first stack's name, and the prefix of the others. @default 'QuickSightUsers' */
  readonly stackName: string;
  /** The number of stacks, when the file pins it. @default - chosen from the file's size (see sharding.ts) */
  readonly stacks?: number;
  readonly users: DeclaredUser[];
  /** The file's `groups`, in the file's order ([] when the file declares none). */
  readonly groups: DeclaredGroup[];
}

/** Values that replace the file's defaults (a user's own value still wins), e.g. from `-c account=…`. */
export interface UsersFileOverrides {
  /** @default - the file's `defaults.awsAccountId` */
  readonly awsAccountId?: string;
  /** @default - the file's `defaults.identityRegion` */
  readonly identityRegion?: string;
  /** Where the overrides come from, for messages. @default 'override' */
  readonly origin?: string;
}

/** One broken rule: where it is, which user, and the rule in words. */
export interface UsersFileIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /**
   * The user, as `user 'alice'` or `users[3]`, or the group, as `group 'analysts'` or
   * `groups[0]`; undefined for the file's own fields.
   */
  readonly user?: string;
  readonly message: string;
}

export class UsersFileError extends Error {
  constructor(public readonly issues: UsersFileIssue[]) {
    const file = issues[0]?.file ?? 'users file';
    super(`${file} has ${issues.length} error${issues.length === 1 ? '' : 's'}:\n${issues.map(formatFileIssue).join('\n')}`);
    this.name = 'UsersFileError';
  }
}

export function formatFileIssue(issue: UsersFileIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.user ? `${issue.user}: ` : ''}${issue.message}`;
}

// ---- shape (zod) ----
// Only types and field names here: every value rule of a user lives in model.ts.

// CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128 characters
// (room is kept for the "-<n>" of the other stacks).
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,119}$/;
/** More stacks than this would be a file that needs splitting, not sharding. */
const MAX_STACKS = 1000;

const text = z.string();
const tags = z.record(z.string(), z.string());
const removalPolicy = z.enum([UserRemovalPolicy.DESTROY, UserRemovalPolicy.RETAIN]);

/** The fields of a user, named as the construct's props. */
const userSchema = z.strictObject({
  email: text.optional(),
  identityType: text.optional(),
  role: text.optional(),
  userName: text.optional(),
  iamArn: text.optional(),
  sessionName: text.optional(),
  namespace: text.optional(),
  awsAccountId: text.optional(),
  identityRegion: text.optional(),
  customPermissionsName: text.optional(),
  externalLoginFederationProviderType: text.optional(),
  customFederationProviderUrl: text.optional(),
  externalLoginId: text.optional(),
  tags: tags.optional(),
  removalPolicy: removalPolicy.optional(),
  adoptExistingUser: z.boolean().optional(),
  stackOutputs: z.boolean().optional(),
  groups: z.array(text).optional(),
});
type RawUser = z.infer<typeof userSchema>;

/** What `defaults` may set: the fields many users share, never the ones that name one user. */
const defaultsSchema = userSchema.pick({
  awsAccountId: true, identityRegion: true, namespace: true, identityType: true, role: true, tags: true,
  customPermissionsName: true, removalPolicy: true, adoptExistingUser: true, stackOutputs: true, groups: true,
});
type RawDefaults = z.infer<typeof defaultsSchema>;

/** The fields of a group, named as the QuickSightGroup construct's props, and `managed`. */
const groupSchema = z.strictObject({
  groupName: text,
  description: text.optional(),
  namespace: text.optional(),
  awsAccountId: text.optional(),
  identityRegion: text.optional(),
  removalPolicy: removalPolicy.optional(),
  adoptExistingGroup: z.boolean().optional(),
  managed: z.boolean().optional(),
});
type RawGroup = z.infer<typeof groupSchema>;

/** The fields a `managed: false` group cannot set: they describe what a deployment does to the group, and it does nothing. */
const MANAGED_ONLY_FIELDS = {
  description: 'the group is managed elsewhere, and no deployment of this file changes it',
  removalPolicy: 'no deployment of this file creates or deletes the group',
  adoptExistingGroup: 'no deployment of this file creates the group, so there is nothing to adopt',
} as const satisfies Partial<Record<keyof RawGroup, string>>;

const fileSchema = z.strictObject({
  stackName: text.regex(STACK_NAME_PATTERN, { error: 'must start with a letter and contain only letters, digits and "-", at most 120 characters (a CloudFormation stack name, which gets "-<n>" for the other stacks)' }).optional(),
  stacks: z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(MAX_STACKS, { error: `must be at most ${MAX_STACKS}` }).optional(),
  defaults: defaultsSchema.optional(),
  groups: z.array(z.unknown()).optional(),
  users: z.array(z.unknown()),
});

// Keeps the schema and the model in step: every field of the API has its field in the file.
const _everySpecField: Record<(typeof PROP_NAMES)[UserSpecField], unknown> = userSchema.shape;
void _everySpecField;

// ---- parsing ----

/** Reads and validates a users file; `name` is how messages call it. @default name - the path */
export function readUsersFile(path: string, overrides: UsersFileOverrides = {}, name: string = path): UsersFile {
  let content: string;
  try {
    content = fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsersFileError([{ file: name, line: 0, column: 0, message: `cannot be read: ${(error as Error).message}` }]);
  }
  return parseUsersFile(content, name, overrides);
}

/** Parses and validates a users file; throws a UsersFileError listing every broken rule. */
export function parseUsersFile(content: string, path: string, overrides: UsersFileOverrides = {}): UsersFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, prettyErrors: false });
  const at = new Locator(doc, lineCounter, path);
  if (doc.errors.length > 0) {
    throw new UsersFileError(doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { file: path, line, column: col, message: `YAML: ${e.message}` };
    }));
  }

  const issues: UsersFileIssue[] = [];
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // Aliases that expand without bound (a "billion laughs" file) stop here.
    throw new UsersFileError([{ file: path, line: 1, column: 1, message: `YAML: ${(error as Error).message}` }]);
  }
  if (root === null || root === undefined) {
    throw new UsersFileError([{ file: path, line: 1, column: 1, message: 'is empty: it needs a `users` list' }]);
  }
  const file = fileSchema.safeParse(root);
  if (!file.success) {
    issues.push(...file.error.issues.map((issue) => at.shapeIssue(issue, [])));
    // Users are still checked one by one below when the list itself is readable.
  }
  const top = (typeof root === 'object' && !Array.isArray(root) ? root : {}) as Record<string, unknown>;
  const { defaults, broken } = readableDefaults(top.defaults);
  const rawUsers = Array.isArray(top.users) ? top.users : [];
  const rawGroups = Array.isArray(top.groups) ? top.groups : [];

  // A broken default is reported once, at the default, with how many users and groups it reaches.
  const inherited = new Map<string, { issue: UsersFileIssue; users: number; groups: number }>();
  const inherit = (found: UsersFileIssue[], by: 'users' | 'groups') => {
    for (const issue of found) {
      const key = `${issue.line}|${issue.message}`;
      const seen = inherited.get(key) ?? { issue, users: 0, groups: 0 };
      seen[by] += 1;
      inherited.set(key, seen);
    }
  };

  // Groups first: the users' memberships are checked against them.
  const groups: DeclaredGroup[] = [];
  /** The names of the group entries that are broken: a user naming one gets no second error for it. */
  const brokenGroupNames = new Set<string>();
  rawGroups.forEach((raw, index) => {
    const parsed = groupSchema.safeParse(raw);
    if (!parsed.success) {
      issues.push(...parsed.error.issues.map((issue) => at.shapeIssue(issue, ['groups', index], groupLabel(raw, index))));
      const name = (raw as { groupName?: unknown } | null)?.groupName;
      if (typeof name === 'string') brokenGroupNames.add(name);
      return;
    }
    const { group, issues: groupIssues, inheritedIssues } = declareGroup(parsed.data, index, defaults, broken, overrides, at);
    issues.push(...groupIssues);
    inherit(inheritedIssues, 'groups');
    if (group) groups.push(group);
    else brokenGroupNames.add(parsed.data.groupName);
  });
  const declaredGroups: DeclaredGroups = { byKey: new Map(groups.map((g) => [g.key, g])), brokenNames: brokenGroupNames, all: groups };

  const users: DeclaredUser[] = [];
  rawUsers.forEach((raw, index) => {
    const parsed = userSchema.safeParse(raw);
    if (!parsed.success) {
      issues.push(...parsed.error.issues.map((issue) => at.shapeIssue(issue, ['users', index], userLabel(raw, index))));
      return;
    }
    const { user, issues: userIssues, inheritedIssues } = declare(parsed.data, index, defaults, broken, overrides, at, declaredGroups);
    issues.push(...userIssues);
    inherit(inheritedIssues, 'users');
    if (user) users.push(user);
  });
  for (const { issue, users: byUsers, groups: byGroups } of inherited.values()) {
    const counts = [
      ...(byUsers > 0 ? [`${byUsers} user${byUsers === 1 ? '' : 's'}`] : []),
      ...(byGroups > 0 ? [`${byGroups} group${byGroups === 1 ? '' : 's'}`] : []),
    ];
    issues.push({ ...issue, message: `${issue.message} (inherited by ${counts.join(' and ')})` });
  }
  issues.push(...duplicates(users, path), ...groupDuplicates(groups, path), ...mixedAuthenticationMethods(users, path), ...groupsInIdentityCenterAccounts(groups, users, path));

  if (issues.length > 0) throw new UsersFileError(issues.sort((a, b) => a.line - b.line || a.column - b.column));
  return { path, stackName: file.data?.stackName ?? DEFAULT_STACK_NAME, stacks: file.data?.stacks, users, groups };
}

/** Where a user's or group's field value came from, for messages. */
type Source = 'user' | 'group' | 'defaults' | 'override' | 'builtin' | 'unset';

/** The file's groups, for the users' memberships. */
interface DeclaredGroups {
  readonly byKey: ReadonlyMap<string, DeclaredGroup>;
  /** Names of group entries that are broken themselves (already reported). */
  readonly brokenNames: ReadonlySet<string>;
  readonly all: readonly DeclaredGroup[];
}

/** The user's spec with defaults and overrides applied, checked by the model's rules. */
function declare(raw: RawUser, index: number, defaults: RawDefaults, broken: Set<string>, overrides: UsersFileOverrides, at: Locator, groups: DeclaredGroups) {
  const sources: Partial<Record<UserSpecField, Source>> = {};
  const pick = (field: Exclude<UserSpecField, 'Tags'>): string | undefined => {
    const prop = PROP_NAMES[field] as keyof RawUser & keyof RawDefaults;
    const override = field === 'AwsAccountId' ? overrides.awsAccountId : field === 'IdentityRegion' ? overrides.identityRegion : undefined;
    const [value, source]: [unknown, Source] = raw[prop] !== undefined ? [raw[prop], 'user']
      : override !== undefined ? [override, 'override']
        : (defaults as Record<string, unknown>)[prop] !== undefined ? [(defaults as Record<string, unknown>)[prop], 'defaults']
          : field === 'Namespace' ? [DEFAULT_NAMESPACE, 'builtin'] : [undefined, 'unset'];
    sources[field] = source;
    return value as string | undefined;
  };
  const mergedTags = { ...(defaults.tags ?? {}), ...(raw.tags ?? {}) };
  sources.Tags = raw.tags !== undefined ? 'user' : defaults.tags !== undefined ? 'defaults' : 'unset';

  const spec: UserSpec = {
    AwsAccountId: pick('AwsAccountId')!,
    Namespace: pick('Namespace')!,
    IdentityRegion: pick('IdentityRegion')!,
    Email: pick('Email')!,
    IdentityType: pick('IdentityType')!,
    UserRole: pick('UserRole')!,
    IamArn: pick('IamArn'),
    SessionName: pick('SessionName'),
    UserName: pick('UserName'),
    CustomPermissionsName: pick('CustomPermissionsName'),
    ExternalLoginFederationProviderType: pick('ExternalLoginFederationProviderType'),
    CustomFederationProviderUrl: pick('CustomFederationProviderUrl'),
    ExternalLoginId: pick('ExternalLoginId'),
    Tags: tagList(mergedTags),
  };
  const label = userLabel(raw, index, spec);
  const userPath = ['users', index];
  const issues: UsersFileIssue[] = [];
  const inheritedIssues: UsersFileIssue[] = [];
  for (const issue of validateUserSpec(spec)) {
    const source = sources[issue.field] ?? 'unset';
    const prop = PROP_NAMES[issue.field];
    // A default that is itself broken is reported once, at the default, not again for each user.
    if (source === 'unset' && broken.has(prop)) continue;
    const message = describe(issue, source, overrides.origin ?? 'override');
    if (source === 'defaults') inheritedIssues.push({ ...at.position(['defaults', prop]), message: `defaults: ${message}` });
    else if (source === 'override') inheritedIssues.push({ ...at.position(['defaults']), message });
    else issues.push({ ...at.position(source === 'user' ? [...userPath, prop] : userPath), user: label, message });
  }
  const specIsValid = issues.length === 0 && inheritedIssues.length === 0;

  // The groups: the user's own list, else the default one (replaced, not merged: a user leaves a
  // default group by listing the groups it is in, `groups: []` for none).
  const groupSource: Source = raw.groups !== undefined ? 'user' : defaults.groups !== undefined ? 'defaults' : 'unset';
  const groupNames = raw.groups ?? defaults.groups ?? [];
  const groupPath = (j: number) => (groupSource === 'user' ? [...userPath, 'groups', j] : ['defaults', 'groups', j]);
  const report = (j: number, message: string) => {
    if (groupSource === 'defaults') inheritedIssues.push({ ...at.position(groupPath(j)), message: `defaults: ${message}` });
    else issues.push({ ...at.position(groupPath(j)), user: label, message });
  };
  const badNames = new Set<number>();
  for (const { index: j, issue } of locateGroupNameIssues(groupNames, validateGroupNames(groupNames))) {
    badNames.add(j);
    report(j, formatGroupIssue(issue, true));
  }
  if (specIsValid && spec.IdentityType === IdentityType.IAM_IDENTITY_CENTER && groupNames.length > 0) {
    // The construct's rule (QuickSightUser.addToGroup): QuickSight refuses group changes for them.
    const message = 'groups cannot be given to an IAM_IDENTITY_CENTER user: QuickSight refuses group changes for identities managed by IAM Identity Center, whose users take their groups from IAM Identity Center (manage the membership there)';
    if (groupSource === 'defaults') inheritedIssues.push({ ...at.position(['defaults', 'groups']), message: `defaults: ${message}; set \`groups: []\` on those users` });
    else issues.push({ ...at.position([...userPath, 'groups']), user: label, message });
  } else if (specIsValid) {
    groupNames.forEach((name, j) => {
      if (badNames.has(j) || groups.brokenNames.has(name)) return;
      const key = [spec.AwsAccountId, spec.IdentityRegion, spec.Namespace, name].join('|');
      if (!groups.byKey.has(key)) report(j, undeclaredGroup(name, spec, groups.all, groupSource === 'defaults' ? '`defaults.groups`' : 'the user\'s `groups`'));
    });
  }
  if (issues.length > 0 || inheritedIssues.length > 0) return { user: undefined, issues, inheritedIssues };

  const userName = deriveUserName(spec)!;
  const key = [spec.AwsAccountId, spec.IdentityRegion, spec.Namespace, userName].join('|');
  const user: DeclaredUser = {
    spec,
    userName,
    key,
    constructId: constructIdOf(spec, userName),
    removalPolicy: (raw.removalPolicy ?? defaults.removalPolicy ?? UserRemovalPolicy.DESTROY) as UserRemovalPolicy,
    adoptExistingUser: raw.adoptExistingUser ?? defaults.adoptExistingUser ?? true,
    // Off unless asked for: a stack holds 200 outputs (100 QUICKSIGHT users with their two), and
    // an invitation URL in an output is readable by anyone who can describe the stack.
    stackOutputs: raw.stackOutputs ?? defaults.stackOutputs ?? false,
    groups: normalizeGroupNames(groupNames),
    line: at.position(userPath).line,
  };
  return { user, issues, inheritedIssues };
}

/**
 * The list index each issue of validateGroupNames is about. Its issues come in list order, at most
 * one per name: a broken name at each of its places, a repeat at every place but the first.
 */
function locateGroupNameIssues(names: readonly string[], issues: GroupValidationIssue[]): Array<{ index: number; issue: GroupValidationIssue }> {
  let after = -1;
  return issues.map((issue) => {
    const first = names.indexOf(issue.value as string);
    const repeat = issue.rule === 'names that group more than once';
    let index = Math.max(after + 1, repeat ? first + 1 : 0);
    while (index < names.length && names[index] !== issue.value) index += 1;
    after = index < names.length ? index : after;
    return { index: index < names.length ? index : Math.max(first, 0), issue };
  });
}

/** A user names a group that the file does not declare where the user is: what to do about it. */
function undeclaredGroup(name: string, spec: UserSpec, groups: readonly DeclaredGroup[], list: string): string {
  const place = (s: { Namespace: string; AwsAccountId: string; IdentityRegion: string }) => `namespace '${s.Namespace}' of account ${s.AwsAccountId} (${s.IdentityRegion})`;
  const elsewhere = groups.filter((g) => g.spec.GroupName === name);
  const hint = elsewhere.length > 0
    ? `; the file declares it in ${elsewhere.map((g) => place(g.spec)).join(' and ')} only, and a user can only join a group of its own account, identity region and namespace`
    : '';
  return `group '${name}' is not declared in ${place(spec)}: declare it in the file's top-level \`groups\` list (with \`managed: false\` if it exists in QuickSight and is managed elsewhere), or take it out of ${list}${hint}`;
}

/** The group's spec with defaults and overrides applied, checked by the model's rules. */
function declareGroup(raw: RawGroup, index: number, defaults: RawDefaults, broken: Set<string>, overrides: UsersFileOverrides, at: Locator) {
  const groupPath = ['groups', index];
  const label = `group '${raw.groupName}'`;
  const sources: Partial<Record<keyof GroupSpec, Source>> = { GroupName: 'group', Description: 'group' };
  const pick = (field: 'AwsAccountId' | 'IdentityRegion' | 'Namespace', prop: 'awsAccountId' | 'identityRegion' | 'namespace'): string => {
    const override = field === 'AwsAccountId' ? overrides.awsAccountId : field === 'IdentityRegion' ? overrides.identityRegion : undefined;
    const [value, source]: [string | undefined, Source] = raw[prop] !== undefined ? [raw[prop], 'group']
      : override !== undefined ? [override, 'override']
        : defaults[prop] !== undefined ? [defaults[prop], 'defaults']
          : field === 'Namespace' ? [DEFAULT_NAMESPACE, 'builtin'] : [undefined, 'unset'];
    sources[field] = source;
    return value!;
  };
  const spec: GroupSpec = {
    AwsAccountId: pick('AwsAccountId', 'awsAccountId'),
    Namespace: pick('Namespace', 'namespace'),
    IdentityRegion: pick('IdentityRegion', 'identityRegion'),
    GroupName: raw.groupName,
    ...(raw.description !== undefined ? { Description: raw.description } : {}),
  };
  const managed = raw.managed ?? true;
  const issues: UsersFileIssue[] = [];
  const inheritedIssues: UsersFileIssue[] = [];
  for (const issue of validateGroupSpec(spec)) {
    const field = issue.field as keyof GroupSpec;
    const source = sources[field] ?? 'unset';
    const prop = GROUP_FILE_FIELDS[field];
    if (source === 'unset' && broken.has(prop)) continue;
    const message = describeGroupIssue(issue, source, overrides.origin ?? 'override');
    if (source === 'defaults') inheritedIssues.push({ ...at.position(['defaults', prop]), message: `defaults: ${message}` });
    else if (source === 'override') inheritedIssues.push({ ...at.position(['defaults']), message });
    else issues.push({ ...at.position(source === 'group' ? [...groupPath, prop] : groupPath), user: label, message });
  }
  if (!managed) {
    for (const [field, why] of Object.entries(MANAGED_ONLY_FIELDS) as Array<[keyof typeof MANAGED_ONLY_FIELDS, string]>) {
      if (raw[field] === undefined) continue;
      issues.push({ ...at.position([...groupPath, field]), user: label, message: `${field} cannot be set on a group with managed: false: ${why}` });
    }
  }
  if (issues.length > 0 || inheritedIssues.length > 0) return { group: undefined, issues, inheritedIssues };

  const key = [spec.AwsAccountId, spec.IdentityRegion, spec.Namespace, spec.GroupName].join('|');
  const group: DeclaredGroup = {
    spec,
    managed,
    key,
    constructId: constructIdOf(spec, spec.GroupName),
    // Never deleted nor created when managed elsewhere: the fields' safe values.
    removalPolicy: managed ? (raw.removalPolicy ?? UserRemovalPolicy.DESTROY) as UserRemovalPolicy : UserRemovalPolicy.RETAIN,
    adoptExistingGroup: managed ? raw.adoptExistingGroup ?? true : false,
    line: at.position(groupPath).line,
  };
  return { group, issues, inheritedIssues };
}

/** The file's field name of each field of a group. */
const GROUP_FILE_FIELDS: Record<keyof GroupSpec, keyof RawGroup> = {
  AwsAccountId: 'awsAccountId', Namespace: 'namespace', IdentityRegion: 'identityRegion', GroupName: 'groupName', Description: 'description',
};

function describeGroupIssue(issue: GroupValidationIssue, source: Source, origin: string): string {
  const message = formatGroupIssue(issue, true);
  if (source === 'override') return `${message} (set by ${origin})`;
  if (source === 'unset' && issue.rule === 'is required' && ['AwsAccountId', 'IdentityRegion', 'Namespace'].includes(issue.field)) {
    return `${message}: set it on the group or in \`defaults\``;
  }
  return message;
}

/** Two entries for one QuickSight group would fight over it: the later one is the error. */
function groupDuplicates(groups: DeclaredGroup[], path: string): UsersFileIssue[] {
  const first = new Map<string, DeclaredGroup>();
  const issues: UsersFileIssue[] = [];
  for (const group of groups) {
    const earlier = first.get(group.key);
    if (!earlier) {
      first.set(group.key, group);
      continue;
    }
    issues.push({
      file: path, line: group.line, column: 1, user: `group '${group.spec.GroupName}'`,
      message: `is declared twice (lines ${earlier.line} and ${group.line}) in namespace '${group.spec.Namespace}' of account ${group.spec.AwsAccountId} (${group.spec.IdentityRegion}): each group (account, identity region, namespace, name) must be declared once`,
    });
  }
  return issues;
}

/** The fields of `defaults` that have the right type (the others are reported by the file's schema, and `broken`). */
function readableDefaults(raw: unknown): { defaults: RawDefaults; broken: Set<string> } {
  const defaults: Record<string, unknown> = {};
  const broken = new Set<string>();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { defaults, broken };
  for (const [key, value] of Object.entries(raw)) {
    const schema = (defaultsSchema.shape as Record<string, z.ZodType>)[key];
    if (!schema) continue;
    const result = schema.safeParse(value);
    if (result.success) defaults[key] = result.data;
    else broken.add(key);
  }
  return { defaults: defaults as RawDefaults, broken };
}

function describe(issue: ValidationIssue, source: Source, origin: string): string {
  // The tag rules name the key at fault: the whole tag list would only hide it.
  const message = issue.field === 'Tags' ? `tags ${issue.rule}` : formatIssueInPropTerms(issue);
  if (source === 'override') return `${message} (set by ${origin})`;
  const defaultable = (defaultsSchema.shape as Record<string, unknown>)[PROP_NAMES[issue.field]] !== undefined;
  if (source === 'unset' && defaultable && issue.rule === 'is required') return `${message}: set it on the user or in \`defaults\``;
  return message;
}

/** Two entries for one QuickSight user would fight over it: the later one is the error. */
function duplicates(users: DeclaredUser[], path: string): UsersFileIssue[] {
  const first = new Map<string, DeclaredUser>();
  const issues: UsersFileIssue[] = [];
  for (const user of users) {
    const earlier = first.get(user.key);
    if (!earlier) {
      first.set(user.key, user);
      continue;
    }
    issues.push({
      file: path, line: user.line, column: 1, user: `user '${user.userName}'`,
      message: `is declared twice (lines ${earlier.line} and ${user.line}) in namespace '${user.spec.Namespace}' of account ${user.spec.AwsAccountId} (${user.spec.IdentityRegion}): each user (account, identity region, namespace, name) must be declared once`,
    });
  }
  return issues;
}

/**
 * A QuickSight account authenticates IAM and QuickSight users, or IAM Identity Center users, never
 * both: in each account, the first user sets the kind, and a user of the other kind is the error.
 */
function mixedAuthenticationMethods(users: DeclaredUser[], path: string): UsersFileIssue[] {
  const first = new Map<string, DeclaredUser>();
  const issues: UsersFileIssue[] = [];
  for (const user of users) {
    const method = authenticationMethodOf(user.spec.IdentityType);
    const earlier = first.get(user.spec.AwsAccountId);
    if (!earlier) {
      first.set(user.spec.AwsAccountId, user);
      continue;
    }
    const earlierMethod = authenticationMethodOf(earlier.spec.IdentityType);
    if (method === earlierMethod) continue;
    issues.push({
      file: path, line: user.line, column: 1, user: `user '${user.userName}'`,
      message: `identityType ${user.spec.IdentityType} cannot sit in account ${user.spec.AwsAccountId} beside user '${earlier.userName}' (line ${earlier.line}, ${earlier.spec.IdentityType}): a QuickSight account authenticates either IAM and QuickSight users or IAM Identity Center users (its authentication method), never both`,
    });
  }
  return issues;
}

/**
 * An account of IAM Identity Center users gets its groups from IAM Identity Center: QuickSight
 * refuses CreateGroup there, so a managed group in such an account could never deploy (the
 * construct's rule, in the file's terms).
 */
function groupsInIdentityCenterAccounts(groups: DeclaredGroup[], users: DeclaredUser[], path: string): UsersFileIssue[] {
  const firstIn = new Map<string, DeclaredUser>();
  for (const user of users) {
    if (user.spec.IdentityType === IdentityType.IAM_IDENTITY_CENTER && !firstIn.has(user.spec.AwsAccountId)) firstIn.set(user.spec.AwsAccountId, user);
  }
  return groups.filter((g) => g.managed && firstIn.has(g.spec.AwsAccountId)).map((group) => {
    const user = firstIn.get(group.spec.AwsAccountId)!;
    return {
      file: path, line: group.line, column: 1, user: `group '${group.spec.GroupName}'`,
      message: `account ${group.spec.AwsAccountId} is declared with IAM Identity Center users (user '${user.userName}', line ${user.line}), whose QuickSight groups come from IAM Identity Center: QuickSight refuses to create or change groups there, so manage this group in IAM Identity Center and declare it \`managed: false\``,
    };
  });
}

/**
 * The construct id of a user (or a group): its name, namespace, account and identity region, so
 * that it is unique in the app and does not depend on where it sits in the file. "/" (which construct
 * ids cannot hold, and which role-session names have) and "%" are percent-encoded, so that two
 * different users never share an id.
 */
function constructIdOf(spec: Pick<UserSpec, 'Namespace' | 'AwsAccountId' | 'IdentityRegion'>, userName: string): string {
  const encode = (part: string) => part.replace(/%/g, '%25').replace(/\//g, '%2F');
  return `${encode(userName)}@${spec.Namespace}.${spec.AwsAccountId}.${spec.IdentityRegion}`;
}

function tagList(tags: Record<string, string>): UserTag[] | undefined {
  // Sorted by key, as the construct writes them.
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length > 0 ? entries.map(([Key, Value]) => ({ Key, Value })) : undefined;
}

function groupLabel(raw: unknown, index: number): string {
  const name = (typeof raw === 'object' && raw !== null ? raw as Record<string, unknown> : {}).groupName;
  return typeof name === 'string' ? `group '${name}'` : `groups[${index}]`;
}

function userLabel(raw: unknown, index: number, spec?: UserSpec): string {
  const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const name = spec ? deriveUserName(spec) : typeof fields.userName === 'string' ? fields.userName
    : typeof fields.iamArn === 'string' ? deriveUserName({ IdentityType: IdentityType.IAM, IamArn: fields.iamArn, SessionName: fields.sessionName as string | undefined }) : undefined;
  return name ? `user '${name}'` : `users[${index}]`;
}

// ---- positions and messages ----

type Path = ReadonlyArray<string | number>;

class Locator {
  constructor(private readonly doc: Document, private readonly lines: LineCounter, private readonly file: string) {}

  /** The position of the node at `path`, or of its closest existing ancestor. */
  public position(path: Path): { file: string; line: number; column: number } {
    for (let length = path.length; length >= 0; length--) {
      const node = this.doc.getIn(path.slice(0, length), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return this.at(node.range[0]);
    }
    return { file: this.file, line: 1, column: 1 };
  }

  /** The source text of a scalar, as written (for "quote it" hints). */
  public source(path: Path): string | undefined {
    const node = this.doc.getIn(path, true);
    return isScalar(node) ? (node as { source?: string }).source ?? String(node.value) : undefined;
  }

  /** A zod issue in the file's terms. */
  public shapeIssue(issue: z.core.$ZodIssue, base: Path, user?: string): UsersFileIssue {
    const path: Path = [...base, ...(issue.path as Array<string | number>)];
    const field = fieldName(path);
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0];
      const known = Object.keys(path.length === 0 ? fileSchema.shape : path[0] === 'defaults' && path.length === 1 ? defaultsSchema.shape
        : path[0] === 'groups' ? groupSchema.shape : userSchema.shape);
      const suggestion = closest(key, known);
      const extra = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `'${k}'`).join(', ')})` : '';
      const notDefaultable = path.length === 1 && path[0] === 'defaults' && key in userSchema.shape;
      return {
        ...this.keyPosition(path, key), user,
        message: notDefaultable ? `\`defaults\` cannot set '${key}': it names one user, so it belongs on each user${extra}`
          : `unknown field '${key}'${extra}${suggestion ? `: did you mean '${suggestion}'?` : `: the fields are ${known.join(', ')}`}`,
      };
    }
    return { ...this.position(path), user, message: `${field} ${this.typeRule(issue, path)}` };
  }

  private typeRule(issue: z.core.$ZodIssue, path: Path): string {
    if (issue.code === 'invalid_type') {
      const value = this.doc.getIn(path);
      if (path.length === 1 && path[0] === 'users') {
        return value === undefined ? 'is missing: the file needs a `users` list' : value === null ? 'has no value: list the users, or write `users: []`' : 'must be a list of users';
      }
      if (path.length === 1 && path[0] === 'groups') {
        return value === null ? 'has no value: list the groups, or leave the field out' : `must be a list of groups, each with a groupName (it is ${JSON.stringify(value)})`;
      }
      if (value === null) return 'has no value: give one, or leave the field out';
      if (value === undefined) return 'is required';
      if (issue.expected === 'string') {
        const written = this.source(path);
        return typeof value === 'object' ? `must be a string, not a ${Array.isArray(value) ? 'list' : 'map'}`
          : `must be a string: YAML reads ${written} as a ${typeof value}${written !== undefined ? `; quote it: '${written}'` : ''}`;
      }
      if (issue.expected === 'boolean') return `must be true or false (it is ${JSON.stringify(value)})`;
      if (issue.expected === 'number') return `must be a number (it is ${JSON.stringify(value)})`;
      if (issue.expected === 'object') return Array.isArray(value) ? 'must be a map of fields, not a list' : `must be a map of fields (it is ${JSON.stringify(value)})`;
      if (issue.expected === 'record') return `must be a map of key: value (it is ${JSON.stringify(value)})`;
      if (issue.expected === 'array') return `must be a list of group names, as [analysts, finance] (it is ${JSON.stringify(value)})`;
    }
    if (issue.code === 'invalid_value') return `must be one of ${issue.values.join(', ')} (it is ${JSON.stringify(this.doc.getIn(path))})`;
    // The schema's own messages (stackName, stacks) are written for the reader.
    return `${issue.message} (it is ${JSON.stringify(this.doc.getIn(path))})`;
  }

  private keyPosition(path: Path, key: string) {
    const map = this.doc.getIn(path, true);
    if (isMap(map)) {
      const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return this.at(range[0]);
    }
    return this.position(path);
  }

  private at(offset: number) {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

/** A path in the file as a reader names it: `email`, `defaults.awsAccountId`, `tags.team`, `groups[1]`, `users`. */
function fieldName(path: Path): string {
  const entry = (path[0] === 'users' || path[0] === 'groups') && typeof path[1] === 'number';
  const rest = entry ? path.slice(2) : path;
  if (rest.length === 0) return entry ? 'the entry' : 'the file';
  return rest.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${part}`)).join('');
}

/** The known name within two edits of `name`, if there is one. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
