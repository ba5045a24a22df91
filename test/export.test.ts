// `quicksight-users export` against the local QuickSight emulator (an account of IAM and QuickSight
// users, and groups) and the IAM/STS endpoint, through the real SDK over HTTP; then the round trip
// that is the acceptance of issue 11: the exported file validates, shows no drift, plans no change
// against itself, and deployed through the CloudFormation simulator adopts every user and group
// without changing one, every membership as it was. IAM Identity Center accounts:
// export-identity-center.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportUsers } from '../gitops/export';
import { planChange } from '../gitops/plan';
import { parseUsersFile } from '../gitops/users-file';
import { EXIT } from '../gitops/cli/program';
import { OWNER_TAG_KEY } from '../lib/model';
import { principalIdOf, type EmulatedIamIdentity } from './emulator/iam-endpoint';
import type { EmulatedUser, UserSeed } from './emulator/quicksight-emulator';
import { ACCOUNT, useEmulator } from './handler-harness';
import { callTally, cli, deployUsersFile, tempDir, useIamEndpoint, withoutMarker } from './export-harness';

const emulator = useEmulator({ seed: 11 });
const iam = useIamEndpoint();

let dir: string;
beforeAll(() => {
  dir = tempDir('qs-export-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const put = (seed: Omit<UserSeed, 'accountId'>) => emulator().putUser({ accountId: ACCOUNT, ...seed });

/** A session of an IAM role (or the role itself), registered in QuickSight as IAM registers it. */
function roleUser(role: EmulatedIamIdentity, session: string | undefined, seed: Omit<UserSeed, 'accountId' | 'userName' | 'identityType' | 'principalId'>): EmulatedUser {
  return put({ ...seed, userName: session ? `${role.name}/${session}` : role.name, identityType: 'IAM', iamArn: role.arn, sessionName: session, principalId: principalIdOf(role, session) });
}

function iamUser(user: EmulatedIamIdentity, seed: Omit<UserSeed, 'accountId' | 'userName' | 'identityType' | 'principalId'>): EmulatedUser {
  return put({ ...seed, userName: user.name, identityType: 'IAM', iamArn: user.arn, principalId: principalIdOf(user) });
}

/** A group made by hand, and its members. */
function group(groupName: string, options: { namespace?: string; description?: string; members?: string[] } = {}) {
  emulator().putGroup({ accountId: ACCOUNT, groupName, namespace: options.namespace, description: options.description });
  for (const member of options.members ?? []) emulator().addMember(ACCOUNT, options.namespace ?? 'default', groupName, member);
}

/**
 * Every kind of user an IAM-and-QuickSight account holds: QuickSight users with every field, IAM
 * users and role sessions on IAM paths, a role registered without a session, users named N/A, a
 * user no file can declare, one already managed by a stack, in two namespaces; and groups in both
 * namespaces, with and without a description, with and without members (N/A and undeclarable ones
 * among them), and a group no file can declare.
 */
function seedSmallAccount(options: { undeclarable?: boolean } = {}) {
  const undeclarable = options.undeclarable ?? true;
  const analysts = iam().addRole({ name: 'Analysts', path: '/bi/team/' });
  const ops = iam().addRole({ name: 'Ops' });
  const bob = iam().addUser({ name: 'bob', path: '/engineering/' });
  const root = iam().addUser({ name: 'root-level' });
  put({ userName: 'alice', identityType: 'QUICKSIGHT', email: 'alice@corp.test', role: 'AUTHOR', tags: { team: 'finance', 'cost-center': '42' } });
  put({ userName: 'dave', identityType: 'QUICKSIGHT', email: 'dave@corp.test', role: 'ADMIN', customPermissionsName: 'NoDataSourceCreation' });
  put({ userName: 'erin', identityType: 'QUICKSIGHT', email: 'erin@corp.test', role: 'READER', externalLoginFederationProviderType: 'COGNITO', externalLoginFederationProviderUrl: 'cognito-identity.amazonaws.com', externalLoginId: 'erin-cognito' });
  put({ userName: 'oscar', identityType: 'QUICKSIGHT', email: 'oscar@corp.test', role: 'READER', tags: { [OWNER_TAG_KEY]: 'adopted:arn:aws:cloudformation:us-east-1:123456789012:stack/Old/1/Oscar', team: 'ops' } });
  // A role the model lists but QuickSight refuses: no declaration can hold this user as it is.
  if (undeclarable) put({ userName: 'rita', identityType: 'QUICKSIGHT', email: 'rita@corp.test', role: 'RESTRICTED_READER' });
  iamUser(bob, { email: 'bob@corp.test', role: 'READER' });
  iamUser(root, { email: 'root@corp.test', role: 'AUTHOR_PRO' });
  roleUser(analysts, 'carol', { email: 'carol@corp.test', role: 'AUTHOR', externalLoginFederationProviderType: 'CUSTOM_OIDC', externalLoginFederationProviderUrl: 'https://login.corp.test', externalLoginId: 'carol-42' });
  roleUser(ops, undefined, { email: 'ops@corp.test', role: 'READER' });
  // Their IAM identities deleted: QuickSight names them N/A.
  const gone = iam().addUser({ name: 'gone' });
  iamUser(gone, { email: 'gone@corp.test', role: 'READER' });
  put({ namespace: 'finance', userName: 'gina', identityType: 'QUICKSIGHT', email: 'gina@corp.test', role: 'AUTHOR' });
  roleUser(analysts, 'ivy', { namespace: 'finance', email: 'ivy@corp.test', role: 'READER', tags: { team: 'finance' } });
  group('analysts', { description: 'Analysts of every team', members: ['alice', 'Analysts/carol', 'dave'] });
  group('readers', { members: ['bob', 'erin', 'oscar', 'gone', ...(undeclarable ? ['rita'] : [])] });
  group('finance', { namespace: 'finance', description: 'Finance', members: ['gina', 'Analysts/ivy'] });
  group('auditors', { namespace: 'finance' });
  // A name QuickSight takes and a users file cannot (a dot segment of the request path).
  if (undeclarable) group('..', { members: ['alice'] });
  emulator().orphanUser(ACCOUNT, 'default', 'gone');
  iam().remove(gone);
}

const SMALL_EXPORT = `# QuickSight users of account 123456789012, identity region us-east-1, namespaces default and finance:
# 10 users and 4 groups, exported on 2026-11-28 by quicksight-users export 0.1.0.
#
# Next:
#   1. Review this file and open a pull request with it (\`quicksight-users validate --file <this file>\` checks it).
#   2. \`quicksight-users drift --file <this file>\` finds no drift: the file is the account as it is.
#   3. Deploy it (\`cdk deploy --all\` with the users-file app). Each user is adopted as it is: its RegisterUser
#      is answered "already exists" (how adoption starts), nothing is updated or deleted, and only the owner
#      tag quicksight-user-cdk:owner is added.
#      Each group is adopted as it is too (its CreateGroup is answered "already exists"), and each user is
#      a member of its groups already: no membership is added or removed.
#      From then on, change users here: \`quicksight-users plan\` shows each change before it is deployed.
#
# Left out, untouched by any deployment of this file (3):
#   - federated/iam/AIDA8BFB48DD0BE51D822 (namespace default): named N/A, its IAM user or role was
#     deleted
#   - 'rita' (namespace default): role 'RESTRICTED_READER' is not currently available for use in
#     QuickSight: choose READER, AUTHOR, ADMIN or a _PRO role
#   - group '..' (namespace default): groupName '..' must not be "." or ".."

stackName: QuickSightUsers
defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
  namespace: default
  role: READER

groups:
  - groupName: analysts
    description: Analysts of every team
  - groupName: readers
  - groupName: auditors
    namespace: finance
  - groupName: finance
    description: Finance
    namespace: finance

users:
  # namespace default: 8 users
  - userName: alice
    identityType: QUICKSIGHT
    email: alice@corp.test
    role: AUTHOR
    tags:
      cost-center: '42'
      team: finance
    groups: [analysts]
  - iamArn: arn:aws:iam::123456789012:role/bi/team/Analysts
    sessionName: carol
    identityType: IAM
    email: carol@corp.test
    role: AUTHOR
    externalLoginFederationProviderType: CUSTOM_OIDC
    customFederationProviderUrl: https://login.corp.test
    externalLoginId: carol-42
    groups: [analysts]
  - iamArn: arn:aws:iam::123456789012:user/engineering/bob
    identityType: IAM
    email: bob@corp.test
    groups: [readers]
  - userName: dave
    identityType: QUICKSIGHT
    email: dave@corp.test
    role: ADMIN
    customPermissionsName: NoDataSourceCreation
    groups: [analysts]
  - userName: erin
    identityType: QUICKSIGHT
    email: erin@corp.test
    externalLoginFederationProviderType: COGNITO
    externalLoginId: erin-cognito
    groups: [readers]
  - iamArn: arn:aws:iam::123456789012:role/Ops
    identityType: IAM
    email: ops@corp.test
  - userName: oscar
    identityType: QUICKSIGHT
    email: oscar@corp.test
    tags:
      team: ops
    groups: [readers]
  - iamArn: arn:aws:iam::123456789012:user/root-level
    identityType: IAM
    email: root@corp.test
    role: AUTHOR_PRO

  # namespace finance: 2 users
  - iamArn: arn:aws:iam::123456789012:role/bi/team/Analysts
    sessionName: ivy
    identityType: IAM
    email: ivy@corp.test
    namespace: finance
    tags:
      team: finance
    groups: [finance]
  - userName: gina
    identityType: QUICKSIGHT
    email: gina@corp.test
    role: AUTHOR
    namespace: finance
    groups: [finance]
`;

const exportArgs = ['export', '--account', ACCOUNT, '--identity-region', 'us-east-1'];

test('the exported file, as written: every field, the owner tag left out, defaults factored out, users in order, IAM ARNs with their IAM paths, the groups and each user\'s groups', async () => {
  seedSmallAccount();
  const { code, stdout, stderr } = await cli(exportArgs, dir);
  expect(code).toBe(EXIT.OK);
  expect(stdout).toBe(SMALL_EXPORT);
  // The summary and what was left out on stderr, each N/A user with its principal id and what to do.
  expect(stderr.split('\n')).toEqual([
    'exported: 10 users and 4 groups (8 memberships) of account 123456789012 (us-east-1) in 2 namespaces; 20 QuickSight calls.',
    'left out: 1 QuickSight user is named N/A: the IAM user or role it was registered for has been deleted.',
    '  No users file can declare it (QuickSight gives it no name). What it owns (dashboards, analyses,',
    '  datasets) stays until deleted: give those assets new owners, then delete each user by its principal id:',
    '  - federated/iam/AIDA8BFB48DD0BE51D822 (namespace default, IAM, READER): aws quicksight delete-user-by-principal-id --aws-account-id 123456789012 --namespace default --principal-id federated/iam/AIDA8BFB48DD0BE51D822 --region us-east-1',
    'left out: 1 user no declaration can hold as it is; no deployment of the file touches it:',
    "  - 'rita' (namespace default): role 'RESTRICTED_READER' is not currently available for use in QuickSight: choose READER, AUTHOR, ADMIN or a _PRO role",
    'left out: 1 group no declaration can hold as it is, and its memberships; no deployment of the file touches it:',
    "  - group '..' (namespace default): groupName '..' must not be \".\" or \"..\"",
    'note: 1 user carries the owner tag of a quicksight-user-cdk stack already: deploying this file in another stack takes it over (the old stack then leaves it alone).',
    '',
  ]);
  // Read once each: ListNamespaces, a ListUsers and a ListGroups page per namespace, one ListGroupMemberships per group a file
  // can declare (not '..'), one ListTagsForResource per named user; never DescribeUser, DescribeGroup or ListUserGroups.
  expect(callTally(emulator())).toEqual({ 'ListNamespaces 200': 1, 'ListUsers 200': 2, 'ListGroups 200': 2, 'ListGroupMemberships 200': 4, 'ListTagsForResource 200': 11 });
  expect(iam().calls.map((c) => `${c.action} ${c.status}`).sort()).toEqual(['ListRoles 200', 'ListUsers 200']);
});

describe('the round trip: export, validate, drift, plan, deploy', () => {
  /** The small account, and more users than one ListUsers page in the default namespace, all of them readers. */
  const seedLargeAccount = () => {
    seedSmallAccount({ undeclarable: false });
    for (let i = 1; i <= 110; i++) {
      const userName = `reader${String(i).padStart(3, '0')}@corp.test`;
      put({ userName, identityType: 'QUICKSIGHT', email: `reader${i}@corp.test`, role: i % 10 === 0 ? 'AUTHOR' : 'READER', tags: i % 3 === 0 ? { team: `t${i % 4}` } : undefined });
      emulator().addMember(ACCOUNT, 'default', 'readers', userName);
    }
  };
  const DECLARED = 120;
  /** The users in a group: all but Ops and root-level. */
  const IN_GROUPS = 118;
  const GROUPS = 4;
  /** Every group's members, and every user's groups, as QuickSight has them. */
  const memberships = () => emulator().groups().map((g) => `${g.namespace}/${g.groupName}: ${emulator().membersOf(ACCOUNT, g.namespace, g.groupName).join(', ')}`);

  test('the exported file validates, shows no drift and no change against itself; deployed, it adopts every user and group as it is, every membership untouched', async () => {
    // Every user and group of this account can be declared (rita's and '..''s tests are below); the N/A user cannot, and is not drift.
    seedLargeAccount();
    const exported = await cli([...exportArgs, '--output', 'exported.yaml'], dir);
    expect(exported).toMatchObject({ code: EXIT.OK, stdout: '' });
    expect(exported.stderr).toMatch(/^wrote exported\.yaml: 120 users and 4 groups \(118 memberships\) of account 123456789012 \(us-east-1\) in 2 namespaces; 131 QuickSight calls\.$/m);
    // ListNamespaces, ListUsers (2 pages of default's 122 users, 1 of finance's), ListGroups per namespace, ListGroupMemberships
    // per group (2 pages of readers' 114 members), ListTagsForResource per named user.
    expect(callTally(emulator())).toEqual({ 'ListNamespaces 200': 1, 'ListUsers 200': 3, 'ListGroups 200': 2, 'ListGroupMemberships 200': 5, 'ListTagsForResource 200': DECLARED });
    const text = fs.readFileSync(path.join(dir, 'exported.yaml'), 'utf8');
    // The readers' list is the default one: 113 of the 120 users are in exactly that group; the others say theirs.
    expect(text).toContain('  role: READER\n  groups: [readers]\n\ngroups:\n  - groupName: analysts\n    description: Analysts of every team\n  - groupName: readers\n');
    expect(text).toContain('  - iamArn: arn:aws:iam::123456789012:role/Ops\n    identityType: IAM\n    email: ops@corp.test\n    groups: []\n');
    expect(text).toContain('  - userName: reader001@corp.test\n    identityType: QUICKSIGHT\n    email: reader1@corp.test\n  - userName: reader002@corp.test\n');

    const validate = await cli(['validate', '--file', 'exported.yaml'], dir);
    expect(validate).toMatchObject({ code: EXIT.OK, stderr: '' });
    expect(validate.stdout).toMatch(/^exported\.yaml: valid: 120 users \(5 IAM, 115 QUICKSIGHT\) in 2 namespaces of 123456789012 \(us-east-1\);/);
    const file = parseUsersFile(text, 'exported.yaml');
    expect(file.groups.map((g) => [g.spec.Namespace, g.spec.GroupName, g.spec.Description, g.managed])).toEqual([
      ['default', 'analysts', 'Analysts of every team', true], ['default', 'readers', undefined, true], ['finance', 'auditors', undefined, true], ['finance', 'finance', 'Finance', true],
    ]);
    expect(file.users.reduce((sum, u) => sum + u.groups.length, 0)).toBe(IN_GROUPS);

    emulator().resetCalls();
    const drift = await cli(['drift', '--file', 'exported.yaml'], dir);
    expect(drift.code).toBe(EXIT.OK);
    expect(drift.stdout).toBe('Drift: exported.yaml → QuickSight\n\nNo drift (120 users declared, 121 in QuickSight; 4 groups declared, 4 in QuickSight; in 2 namespaces; 1 user named N/A left aside, see the warning).\n');
    // N/A users are a warning (stderr, principal id, what to do), never drift of the file; N/A members neither.
    expect(drift.stderr).toMatch(/^warning: 1 QuickSight user is named N\/A: [^]*delete-user-by-principal-id --aws-account-id 123456789012 --namespace default --principal-id federated\/iam\/AIDA/);
    expect(callTally(emulator())).toEqual({ 'ListUsers 200': 3, 'ListGroups 200': 2, 'ListGroupMemberships 200': 5, 'ListTagsForResource 200': DECLARED });

    const plan = await cli(['plan', 'exported.yaml', 'exported.yaml', '--detailed-exitcode', '--fail-on-destructive'], dir);
    expect(plan).toMatchObject({ code: EXIT.OK, stderr: '' });
    expect(plan.stdout).toBe('Plan: exported.yaml → exported.yaml\n\nNo changes: 120 users and 4 groups as declared.\n');
    const samePlan = planChange(file, file);
    expect([samePlan.changes, samePlan.groupChanges]).toEqual([[], []]);
    expect(samePlan.groupSummary.unchanged).toBe(GROUPS);

    // Deployed (the CloudFormation simulator, the real handler, the handler policy enforced): the
    // groups stack first, each group adopted (CreateGroup answered 409, then DescribeGroup; the
    // description as declared: no UpdateGroup); then every user adopted, its RegisterUser answered
    // 409 (how adoption starts), then DescribeUser, ListTagsForResource and the owner marker, and
    // the groups of each user in a group read once (ListUserGroups), none to join. No UpdateUser,
    // no successful RegisterUser or CreateGroup, no DeleteUser, no UntagResource, no membership written.
    const before = emulator().users();
    const membershipsBefore = memberships();
    emulator().resetCalls();
    const { results } = await deployUsersFile(emulator(), text);
    expect(results.map((r) => r.status)).toEqual(['CREATE_COMPLETE', 'CREATE_COMPLETE']);
    expect(callTally(emulator())).toEqual({
      'CreateGroup 409': GROUPS, 'DescribeGroup 200': GROUPS,
      'RegisterUser 409': DECLARED, 'DescribeUser 200': DECLARED, 'ListTagsForResource 200': DECLARED, 'TagResource 200': DECLARED, 'ListUserGroups 200': IN_GROUPS,
    });
    expect(memberships()).toEqual(membershipsBefore);
    const after = new Map(emulator().users().map((u) => [u.principalId, u]));
    expect(after.size).toBe(before.length);
    for (const user of before) {
      const now = after.get(user.principalId)!;
      expect(withoutMarker(now)).toEqual(withoutMarker(user));
      const declared = !user.orphaned;
      expect({ user: user.userName, marker: now.tags[OWNER_TAG_KEY]?.replace(/:arn:.*/, '') }).toEqual({ user: user.userName, marker: declared ? 'adopted' : user.tags[OWNER_TAG_KEY] });
    }

    // Managed now: still no drift (the owner marker is not a declared tag).
    expect((await cli(['drift', '--file', 'exported.yaml'], dir)).code).toBe(EXIT.OK);
  });

  test('a failed first deployment of the groups stack leaves every group in place (a rollback never deletes a group), and no user stack is deployed', async () => {
    seedLargeAccount();
    const { stdout: text } = await cli(exportArgs, dir);
    const groupsBefore = emulator().groups();
    const membershipsBefore = memberships();
    emulator().resetCalls();
    const { results } = await deployUsersFile(emulator(), text, {}, { failAfter: 2 });
    expect(results.map((r) => r.status)).toEqual(['ROLLBACK_COMPLETE']);
    expect(callTally(emulator())).toEqual({ 'CreateGroup 409': 2, 'DescribeGroup 200': 2 });
    expect(emulator().groups()).toEqual(groupsBefore);
    expect(memberships()).toEqual(membershipsBefore);
  });

  test('a failed first deployment of the exported file leaves every adopted user in place, released, and every group and membership as it was', async () => {
    seedLargeAccount();
    const { stdout: text } = await cli(exportArgs, dir);
    const before = emulator().users();
    const membershipsBefore = memberships();
    emulator().resetCalls();
    // Another resource of the users stack fails after 40 of the users were adopted: the stack rolls back.
    const { results } = await deployUsersFile(emulator(), text, { failAfter: 40 });
    expect(results.map((r) => r.status)).toEqual(['CREATE_COMPLETE', 'ROLLBACK_COMPLETE']);
    expect(emulator().callCount('DeleteUser') + emulator().callCount('DeleteUserByPrincipalId') + emulator().callCount('UpdateUser')).toBe(0);
    expect(emulator().callCount('DeleteGroup') + emulator().callCount('UpdateGroup') + emulator().callCount('CreateGroupMembership') + emulator().callCount('DeleteGroupMembership')).toBe(0);
    expect(memberships()).toEqual(membershipsBefore);
    // Every user still there, as it was; the 40 adopted ones released (the marker the deployment
    // added, removed: a released user carries no marker, README's known limits), the others untouched.
    const after = new Map(emulator().users().map((u) => [u.principalId, u]));
    expect(after.size).toBe(before.length);
    let released = 0;
    for (const user of before) {
      const now = after.get(user.principalId)!;
      expect(withoutMarker(now)).toEqual(withoutMarker(user));
      if (now.tags[OWNER_TAG_KEY] === undefined && user.tags[OWNER_TAG_KEY] === undefined) continue;
      if (now.tags[OWNER_TAG_KEY] === user.tags[OWNER_TAG_KEY]) continue;
      expect(now.tags[OWNER_TAG_KEY]).toBeUndefined();
      released += 1;
    }
    expect(emulator().users().filter((u) => u.tags[OWNER_TAG_KEY]?.includes(':stack/QuickSightUsers/'))).toEqual([]);
    expect(results[1].events.filter((e) => e.phase === 'CREATE' && e.status === 'SUCCESS')).toHaveLength(40);
    expect(released).toBeLessThanOrEqual(40);
  });
});

test('a group no declaration can hold is left out with its memberships, untouched, and drift names it undeclared', async () => {
  seedSmallAccount();
  const exported = await cli([...exportArgs, '--output', 'with-dots.yaml'], dir);
  expect(exported.stderr).toContain("  - group '..' (namespace default): groupName '..' must not be \".\" or \"..\"\n");
  const drift = await cli(['drift', '--file', 'with-dots.yaml'], dir);
  expect(drift.code).toBe(EXIT.CHANGES);
  expect(drift.stdout).toMatch(/^group undeclared +\.\. +default +not in the file: declare it \(with managed: false if it is managed elsewhere\), or delete it in QuickSight$/m);
  // alice's membership of '..' is no membership of the file (the group is not declared, so its members are not read);
  // rita's of readers is: rita is left out, and a member of a declared group.
  expect(drift.stdout).toMatch(/^membership undeclared +rita +readers +default +a member the file does not declare: /m);
  expect(drift.stdout).not.toMatch(/^membership undeclared +alice/m);
  expect(drift.stdout).toContain('Drift: 1 undeclared, 1 group undeclared, 1 membership undeclared (10 users declared, 12 in QuickSight; 4 groups declared, 5 in QuickSight; in 2 namespaces; 1 user named N/A left aside, see the warning).');
});

test('a user no declaration can hold is left out, untouched, and drift names it undeclared (the export said why)', async () => {
  seedSmallAccount();
  const exported = await cli([...exportArgs, '--output', 'with-rita.yaml'], dir);
  expect(exported.stderr).toContain("  - 'rita' (namespace default): role 'RESTRICTED_READER' is not currently available for use in QuickSight");
  const drift = await cli(['drift', '--file', 'with-rita.yaml'], dir);
  expect(drift.code).toBe(EXIT.CHANGES);
  expect(drift.stdout).toMatch(/^undeclared +rita +default +not in the file: declare it, or delete it in QuickSight$/m);
});

test('exporting twice gives the same bytes (the day in the header aside, and with --no-date any day)', async () => {
  seedSmallAccount();
  const first = await cli(exportArgs, dir);
  const second = await cli(exportArgs, dir);
  expect(second.stdout).toBe(first.stdout);
  const days = await Promise.all(['2026-11-28T00:00:01Z', '2027-03-01T23:59:59Z'].map((now) => cli([...exportArgs, '--no-date'], dir, { now: new Date(now) })));
  expect(days[1].stdout).toBe(days[0].stdout);
  expect(days[0].stdout).toContain('# 10 users and 4 groups, exported by quicksight-users export 0.1.0.\n');
  expect(days[0].stdout.replace('exported by', 'exported on 2026-11-28 by')).toBe(first.stdout);
});

describe('IAM paths', () => {
  test('IAM refuses ListRoles and ListUsers: the export goes on, each IAM ARN assumes the path / and says so', async () => {
    seedSmallAccount({ undeclarable: false });
    iam().deny('ListRoles', 'ListUsers');
    const { code, stdout, stderr } = await cli(exportArgs, dir);
    expect(code).toBe(EXIT.OK);
    expect(stdout).toContain(`  # IAM path not confirmed (iam:ListRoles: AccessDenied): the ARN assumes the path /; correct it if
  # it is wrong (an IAM path change is an update in place, not a new user)
  - iamArn: arn:aws:iam::123456789012:role/Analysts
    sessionName: carol
`);
    expect(stdout).toContain('\n  - iamArn: arn:aws:iam::123456789012:user/bob\n');
    expect(stdout).toContain('# IAM paths not confirmed: 5 users (see the comment on each).\n');
    expect(stderr).toContain('warning: IAM could not be read: iam:ListRoles: AccessDenied: User: arn:aws:sts::123456789012:assumed-role/QuickSightAdmin/exporter is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/ because no identity-based policy allows the iam:ListRoles action\n');
    expect(stderr).toContain(`warning: the IAM path of 5 IAM users could not be confirmed (a comment on each in the file says why):
  - 'Analysts/carol' (namespace default): arn:aws:iam::123456789012:role/Analysts
  - 'Ops' (namespace default): arn:aws:iam::123456789012:role/Ops
  - 'bob' (namespace default): arn:aws:iam::123456789012:user/bob
  - 'root-level' (namespace default): arn:aws:iam::123456789012:user/root-level
  - 'Analysts/ivy' (namespace finance): arn:aws:iam::123456789012:role/Analysts
`);
    // Still a valid file that matches the account.
    fs.writeFileSync(path.join(dir, 'unconfirmed.yaml'), stdout);
    expect((await cli(['validate', '--file', 'unconfirmed.yaml'], dir)).code).toBe(EXIT.OK);
    expect((await cli(['drift', '--file', 'unconfirmed.yaml'], dir)).code).toBe(EXIT.OK);
  });

  test('matched by unique id; by name only when IAM knows the name under another id; assumed when IAM knows neither', async () => {
    const role = iam().addRole({ name: 'Analysts', path: '/bi/' });
    roleUser(role, 'carol', { email: 'carol@corp.test', role: 'READER' });
    // The role was deleted and made again under the same name: QuickSight's principal id has the old id.
    put({ userName: 'Analysts/dan', identityType: 'IAM', email: 'dan@corp.test', role: 'READER', principalId: 'federated/iam/AROAOLDROLEID00000001:dan' });
    // An IAM user IAM no longer lists, whose QuickSight user still has its name.
    put({ userName: 'ghost', identityType: 'IAM', email: 'ghost@corp.test', role: 'READER', principalId: 'federated/iam/AIDAGHOST000000000001' });
    const result = await exportUsers({ awsAccountId: ACCOUNT, identityRegion: 'us-east-1', now: null });
    expect(result.unconfirmedIamPaths.map((u) => [u.userName, u.iamArn, u.note.replace(/; correct it if it is wrong.*/, '')])).toEqual([
      ['Analysts/dan', 'arn:aws:iam::123456789012:role/bi/Analysts', `IAM path not confirmed: IAM role Analysts has the unique id ${role.uniqueId}, not the AROAOLDROLEID00000001 of this user's principal id (deleted and made again?); the ARN is that role's`],
      ['ghost', 'arn:aws:iam::123456789012:user/ghost', 'IAM path not confirmed: IAM lists no user named ghost or with the unique id AIDAGHOST000000000001; the ARN assumes the path /'],
    ]);
    expect(result.text).toContain('  - iamArn: arn:aws:iam::123456789012:role/bi/Analysts\n    sessionName: carol\n');
  });

  test('--no-iam: IAM is not read', async () => {
    seedSmallAccount();
    const { code, stdout } = await cli([...exportArgs, '--no-iam'], dir);
    expect(code).toBe(EXIT.OK);
    expect(iam().calls).toEqual([]);
    expect(stdout).toContain('# IAM path not confirmed (IAM not read): the ARN assumes the path /;');
  });
});

describe('where export reads', () => {
  test('the account of the credentials (STS), and the identity region QuickSight names when the SDK\'s region is another', async () => {
    seedSmallAccount();
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      const { code, stdout, stderr } = await cli(['export'], dir);
      expect(code).toBe(EXIT.OK);
      expect(stderr).toMatch(/^QuickSight's identity region is us-east-1, not eu-west-1: reading there\.\n/);
      expect(stdout).toBe(SMALL_EXPORT);
      expect(iam().calls.filter((c) => c.service === 'sts').map((c) => `${c.action} ${c.status}`)).toEqual(['GetCallerIdentity 200']);
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  test('an identity region given that is not QuickSight\'s: exit 1, with the one to use', async () => {
    const { code, stdout, stderr } = await cli(['export', '--account', ACCOUNT, '--identity-region', 'eu-west-1'], dir);
    expect({ code, stdout }).toEqual({ code: EXIT.ERROR, stdout: '' });
    expect(stderr).toMatch(/^export failed: AccessDeniedException: Operation is being called from endpoint eu-west-1, but your identity region is us-east-1/);
  });

  test('--namespace (repeatable) exports those namespaces only; one that does not exist is an error', async () => {
    seedSmallAccount();
    emulator().addNamespace(ACCOUNT, 'empty');
    const finance = await cli([...exportArgs, '--namespace', 'finance', '--namespace', 'empty'], dir);
    expect(finance.code).toBe(EXIT.OK);
    expect(finance.stdout).toMatch(/^# QuickSight users of account 123456789012, identity region us-east-1, namespaces empty and finance:\n# 2 users and 2 groups,/);
    // Both users are in exactly [finance]: the default list, which neither repeats.
    expect(finance.stdout).toContain('defaults:\n  awsAccountId: \'123456789012\'\n  identityRegion: us-east-1\n  namespace: finance\n  role: AUTHOR\n  groups: [finance]\n\ngroups:\n  - groupName: auditors\n  - groupName: finance\n    description: Finance\n\nusers:\n');
    expect(finance.stdout).not.toMatch(/^ {4}groups:/m);
    expect(emulator().callCount('ListNamespaces')).toBe(0);
    const missing = await cli([...exportArgs, '--namespace', 'sales'], dir);
    expect(missing).toMatchObject({ code: EXIT.ERROR, stdout: '', stderr: "export failed: Error: namespace 'sales' does not exist in QuickSight account 123456789012 (us-east-1)\n" });
  });

  test('an account without users: a valid file with no users', async () => {
    const { code, stdout } = await cli(exportArgs, dir);
    expect(code).toBe(EXIT.OK);
    expect(stdout).toContain('# 0 users, exported on 2026-11-28');
    expect(stdout).toMatch(/\nusers: \[\]\n$/);
    fs.writeFileSync(path.join(dir, 'empty.yaml'), stdout);
    expect(await cli(['validate', '--file', 'empty.yaml'], dir)).toMatchObject({ code: EXIT.OK, stdout: 'empty.yaml: valid: 0 users in 0 namespaces; 1 stack: QuickSightUsers\n' });
  });
});

describe('progress', () => {
  test('--progress: lines on stderr, the last one complete; stdout untouched', async () => {
    seedSmallAccount();
    const { stdout, stderr } = await cli([...exportArgs, '--progress'], dir);
    expect(stdout).toBe(SMALL_EXPORT);
    expect(stderr).toMatch(/^listed \d+ users\n(.*\n)*read 11 of 11 users\nexported: 10 users/);
  });

  test('on a terminal: one line rewritten in place; --no-progress: none', async () => {
    seedSmallAccount();
    const tty = await cli(exportArgs, dir, { stderrIsTTY: true });
    expect(tty.stderr).toMatch(/\rread 11 of 11 users\x1b\[K\n/);
    const quiet = await cli([...exportArgs, '--no-progress'], dir, { stderrIsTTY: true });
    expect(quiet.stderr).not.toContain('read 11 of 11');
  });
});
