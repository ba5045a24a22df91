// `quicksight-users drift` (in-process) against the local QuickSight emulator, through the real SDK
// over HTTP: each kind of difference of users, groups and memberships, pagination past one
// ListUsers, ListGroups or ListGroupMemberships page, the calls it makes (the list pages and one
// ListTagsForResource per declared user, never a call per user for the groups), users named N/A
// (their IAM identity deleted: a warning, not drift), and the exit codes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, run } from '../gitops/cli/program';
import { detectDrift, DriftKind, type DriftReport } from '../gitops/drift';
import { OWNER_TAG_KEY } from '../lib/model';
import { parseUsersFile, type DeclaredUser } from '../gitops/users-file';
import type { CallRecord } from './emulator/quicksight-emulator';
import { ACCOUNT, useEmulator } from './handler-harness';

const emulator = useEmulator({ seed: 7 });

// The emulated account authenticates IAM and QuickSight users (IAM_AND_QUICKSIGHT), as a real
// account holds either those or IAM Identity Center users, never both.
const HEADER = `defaults:
  awsAccountId: '${ACCOUNT}'
  identityRegion: us-east-1
  role: READER
  tags:
    managed-by: quicksight-user-cdk
users:
`;

const USERS = `${HEADER}  - userName: alice
    identityType: QUICKSIGHT
    email: alice@corp.test
    role: AUTHOR
    customPermissionsName: NoDataSourceCreation
    tags:
      team: finance
  - identityType: IAM
    iamArn: arn:aws:iam::${ACCOUNT}:user/bob
    email: bob@corp.test
  - identityType: IAM
    iamArn: arn:aws:iam::${ACCOUNT}:role/Analysts
    sessionName: carol
    email: carol@corp.test
    externalLoginFederationProviderType: CUSTOM_OIDC
    customFederationProviderUrl: https://login.corp.test
    externalLoginId: carol-42
  - userName: dave
    identityType: QUICKSIGHT
    email: dave@corp.test
    namespace: finance
`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-drift-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFile(content: string, name = 'users.yaml'): string {
  fs.writeFileSync(path.join(dir, name), content);
  return name;
}

/** Puts the user into QuickSight as a deployment would leave it (owner tag included). */
function deployed(user: DeclaredUser): void {
  const { spec } = user;
  emulator().putUser({
    accountId: spec.AwsAccountId,
    namespace: spec.Namespace,
    userName: user.userName,
    email: spec.Email,
    role: spec.UserRole,
    identityType: spec.IdentityType,
    iamArn: spec.IamArn,
    sessionName: spec.SessionName,
    customPermissionsName: spec.CustomPermissionsName,
    externalLoginFederationProviderType: spec.ExternalLoginFederationProviderType,
    externalLoginFederationProviderUrl: spec.CustomFederationProviderUrl,
    externalLoginId: spec.ExternalLoginId,
    tags: { ...Object.fromEntries((spec.Tags ?? []).map((t) => [t.Key, t.Value])), [OWNER_TAG_KEY]: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/QuickSightUsers/x/${user.constructId}` },
  });
}

async function drift(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['drift', ...argv], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd: dir });
  return { code, stdout, stderr };
}

async function jsonDrift(...argv: string[]): Promise<{ code: number; report: DriftReport; stderr: string }> {
  const { code, stdout, stderr } = await drift(...argv, '--format', 'json');
  return { code, report: JSON.parse(stdout) as DriftReport, stderr };
}

const file = () => parseUsersFile(USERS, 'users.yaml');

/** The QuickSight calls made, by operation. */
function callTally(): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const call of emulator().calls) tally[call.operation] = (tally[call.operation] ?? 0) + 1;
  return tally;
}

test('no drift: every declared user as declared (the owner tag is not drift); exit 0', async () => {
  file().users.forEach(deployed);
  const { code, stdout } = await drift('--file', writeFile(USERS));
  expect(code).toBe(EXIT.OK);
  expect(stdout).toBe('Drift: users.yaml → QuickSight\n\nNo drift (4 declared, 4 in QuickSight, in 2 namespaces).\n');
  // One page per namespace (its rows carry every field), then each declared user's tags: never DescribeUser.
  expect({ list: emulator().callCount('ListUsers'), describe: emulator().callCount('DescribeUser'), tags: emulator().callCount('ListTagsForResource') }).toEqual({ list: 2, describe: 0, tags: 4 });
  expect(emulator().calls.every((c) => c.region === 'us-east-1' && c.status === 200)).toBe(true);
});

test('users named N/A are no drift of the file: exit 0, and a warning on stderr', async () => {
  const clean = `${HEADER}  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test}\n  - {identityType: IAM, iamArn: 'arn:aws:iam::${ACCOUNT}:role/Analysts', sessionName: carol, email: carol@corp.test}\n`;
  parseUsersFile(clean, 'clean.yaml').users.forEach(deployed);
  emulator().putUser({ accountId: ACCOUNT, userName: 'gone', email: 'gone@corp.test', role: 'AUTHOR', identityType: 'IAM', principalId: 'federated/iam/AROAGONE000000000001:sam' });
  emulator().orphanUser(ACCOUNT, 'default', 'gone');
  const { code, stdout, stderr } = await drift('--file', writeFile(clean, 'clean.yaml'));
  expect(code).toBe(EXIT.OK);
  expect(stdout).toBe('Drift: clean.yaml → QuickSight\n\nNo drift (2 declared, 3 in QuickSight, in 1 namespace; 1 user named N/A left aside, see the warning).\n');
  expect(stderr).toMatch(/^warning: 1 QuickSight user is named N\/A: [^]*\n  - federated\/iam\/AROAGONE000000000001:sam \(namespace default, IAM, AUTHOR\): aws quicksight delete-user-by-principal-id /);
});

describe('each kind of difference; exit 2', () => {
  let result: { code: number; report: DriftReport; stderr: string };
  let calls: CallRecord[];
  const item = (kind: DriftKind, userName: string) => result.report.items.find((i) => i.kind === kind && i.userName === userName);

  // After the harness's reset of the emulator (beforeEach runs outer first).
  beforeEach(async () => {
    const [alice, bob, carol, dave] = file().users;
    deployed(alice);
    deployed(carol);
    deployed(dave);
    // Changed behind the stack's back: role, email, custom permissions, tags; external login off.
    const live = emulator().getUser(ACCOUNT, 'default', 'alice')!;
    emulator().putUser({ ...live, role: 'ADMIN', email: 'alice@elsewhere.test', customPermissionsName: undefined, tags: { ...live.tags, team: 'sales', extra: 'x', [OWNER_TAG_KEY]: 'another-owner' } });
    const session = emulator().getUser(ACCOUNT, 'default', 'Analysts/carol')!;
    emulator().putUser({ ...session, externalLoginFederationProviderType: undefined, externalLoginFederationProviderUrl: undefined, externalLoginId: undefined });
    // bob is missing; erin was made by hand; an IAM user whose IAM identity was deleted shows as N/A.
    void bob;
    emulator().putUser({ accountId: ACCOUNT, userName: 'erin', email: 'erin@corp.test', role: 'AUTHOR', identityType: 'QUICKSIGHT' });
    emulator().putUser({ accountId: ACCOUNT, userName: 'N/A', email: 'gone@corp.test', role: 'READER', identityType: 'IAM', principalId: 'federated/iam/AIDADELETED0000000001' });
    // Outside the managed namespaces: not the file's business.
    emulator().putUser({ accountId: ACCOUNT, namespace: 'marketing', userName: 'mallory', email: 'm@corp.test', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator().resetCalls();
    writeFile(USERS.replace('    namespace: finance\n', '    namespace: finance\n  - {userName: zed, identityType: QUICKSIGHT, email: zed@corp.test, namespace: sales}\n'), 'drifted.yaml');
    result = await jsonDrift('--file', 'drifted.yaml');
    calls = emulator().calls;
    emulator().resetCalls();
  });

  test('exit 2, and a summary of every kind', () => {
    expect(result.code).toBe(EXIT.CHANGES);
    expect(result.report.items.map((i) => `${i.kind} ${i.namespace}/${i.userName}`)).toEqual([
      'namespace missing sales/', 'missing default/bob', 'different default/Analysts/carol', 'different default/alice', 'undeclared default/erin',
    ]);
  });

  test('declared but missing; with a hint when the namespace lists N/A users', () => {
    expect(item(DriftKind.MISSING, 'bob')).toMatchObject({ identityType: 'IAM', note: expect.stringContaining('this namespace lists N/A users, one of which may be this user with its IAM identity deleted') });
  });

  test('field differences: declared and live values, the email redacted, the owner tag ignored', () => {
    expect(item(DriftKind.DIFFERENT, 'alice')!.fields).toEqual([
      { field: 'role', declared: 'AUTHOR', live: 'ADMIN' },
      { field: 'email', redacted: true },
      { field: 'customPermissionsName', declared: 'NoDataSourceCreation' },
      { field: 'tags.extra', live: 'x' },
      { field: 'tags.team', declared: 'finance', live: 'sales' },
    ]);
    expect(item(DriftKind.DIFFERENT, 'Analysts/carol')!.fields).toEqual([
      { field: 'externalLoginFederationProviderType', declared: 'CUSTOM_OIDC' },
      { field: 'customFederationProviderUrl', declared: 'https://login.corp.test' },
      { field: 'externalLoginId', declared: 'carol-42' },
    ]);
  });

  test('present but undeclared, in the managed namespaces only; N/A users a warning on stderr (principal id, what to do), never read by name', () => {
    expect(item(DriftKind.UNDECLARED, 'erin')).toMatchObject({ identityType: 'QUICKSIGHT', role: 'AUTHOR' });
    expect(result.report.items.some((i) => i.userName === 'mallory')).toBe(false);
    expect(result.report.orphaned).toEqual([{ namespace: 'default', awsAccountId: ACCOUNT, identityRegion: 'us-east-1', identityType: 'IAM', role: 'READER', principalId: 'federated/iam/AIDADELETED0000000001' }]);
    expect(result.stderr).toBe([
      'warning: 1 QuickSight user is named N/A: the IAM user or role it was registered for has been deleted.',
      '  No users file can declare it (QuickSight gives it no name), so this is not drift of the file. What it owns (dashboards, analyses,',
      '  datasets) stays until deleted: give those assets new owners, then delete each user by its principal id:',
      '  - federated/iam/AIDADELETED0000000001 (namespace default, IAM, READER): aws quicksight delete-user-by-principal-id --aws-account-id 123456789012 --namespace default --principal-id federated/iam/AIDADELETED0000000001 --region us-east-1',
      '',
    ].join('\n'));
    // The list pages (ListGroups in the namespaces that exist), and the tags of the declared users found (alice, carol, dave): nothing else.
    expect(calls.map((c) => c.operation).filter((o) => o !== 'ListUsers')).toEqual(['ListGroups', 'ListGroups', 'ListTagsForResource', 'ListTagsForResource', 'ListTagsForResource']);
    expect(calls.filter((c) => c.userName === 'N/A' || c.resourceArn?.endsWith('/N/A'))).toEqual([]);
  });

  test('a namespace that does not exist', () => {
    expect(result.report.items[0]).toMatchObject({ kind: DriftKind.NAMESPACE_MISSING, namespace: 'sales', note: expect.stringContaining("namespace 'sales' does not exist: its 1 declared user is missing") });
  });

  test('table and markdown name each difference; no email is printed', async () => {
    const table = await drift('--file', 'drifted.yaml');
    expect(table.code).toBe(EXIT.CHANGES);
    expect(table.stdout).toMatch(/^different +alice +default +role: declared AUTHOR, live ADMIN; email: differs; customPermissionsName: declared NoDataSourceCreation, live \(none\); tags\.extra: declared \(none\), live x; tags\.team: declared finance, live sales$/m);
    expect(table.stdout).not.toMatch(/N\/A +default/);
    expect(table.stdout).toContain('Drift: 1 namespace missing, 1 missing, 2 different, 1 undeclared (5 declared, 5 in QuickSight, in 3 namespaces; 1 user named N/A left aside, see the warning).');
    const markdown = await drift('--file', 'drifted.yaml', '--format', 'markdown');
    expect(markdown.stdout).toContain('| drift | user | namespace | details |');
    expect(markdown.stdout).toContain('| different | `alice` | default | role: declared `AUTHOR`, live `ADMIN`; email: differs;');
    for (const out of [table.stdout, markdown.stdout, JSON.stringify(result.report)]) expect(out).not.toMatch(/@corp\.test|@elsewhere\.test/);
  });
});

test('pagination: more users than one ListUsers page, every page read', async () => {
  const count = 230;
  const users = Array.from({ length: count }, (_, i) => `  - {userName: user${String(i).padStart(3, '0')}, identityType: QUICKSIGHT, email: u${i}@corp.test}`);
  const yaml = `${HEADER}${users.join('\n')}\n`;
  parseUsersFile(yaml, 'many.yaml').users.forEach(deployed);
  // Sorted last, so only the third page has them: found only if every page is read.
  emulator().putUser({ accountId: ACCOUNT, userName: 'zz-undeclared', email: 'z@corp.test', role: 'READER', identityType: 'QUICKSIGHT' });
  emulator().putUser({ accountId: ACCOUNT, userName: 'N/A', email: 'gone@corp.test', role: 'READER', identityType: 'IAM' });
  emulator().removeUser(ACCOUNT, 'default', 'user150');
  emulator().resetCalls();

  const { code, report } = await jsonDrift('--file', writeFile(yaml, 'many.yaml'));
  expect(code).toBe(EXIT.CHANGES);
  expect(report.items.map((i) => `${i.kind} ${i.userName}`)).toEqual(['missing user150', 'undeclared zz-undeclared']);
  expect(report.orphaned).toHaveLength(1);
  expect(report).toMatchObject({ declared: count, live: count + 1 });
  // 231 users: pages of 100, 100 and 31; the tags of each declared user found; no DescribeUser.
  expect(emulator().callCount('ListUsers')).toBe(3);
  expect(emulator().callCount('ListTagsForResource')).toBe(count - 1);
  expect(emulator().callCount('DescribeUser')).toBe(0);
  expect(report.calls).toEqual({ ListUsers: 3, ListGroups: 1, ListTagsForResource: count - 1 });
});

test('detectDrift counts its calls and can read through another reader', async () => {
  const pages: string[] = [];
  const report = await detectDrift(file(), {
    pageSize: 1,
    reader: () => ({
      listNamespaces: async () => { throw new Error('drift reads the namespaces of the file only'); },
      listUsers: async (_account, namespace, nextToken) => {
        pages.push(`${namespace}:${nextToken ?? 'first'}`);
        return nextToken ? { users: [] } : { users: [{ UserName: 'N/A', IdentityType: 'IAM' }], nextToken: 'next' };
      },
      listTags: async () => { throw new Error('N/A users and missing users are never read'); },
      listGroups: async (_account, namespace, nextToken) => {
        pages.push(`groups of ${namespace}:${nextToken ?? 'first'}`);
        return nextToken ? { groups: [] } : { groups: [{ GroupName: 'undeclared' }], nextToken: 'next' };
      },
      listGroupMembers: async () => { throw new Error('the members of undeclared groups are never read'); },
    }),
  });
  expect(pages).toEqual([
    'default:first', 'default:next', 'groups of default:first', 'groups of default:next',
    'finance:first', 'finance:next', 'groups of finance:first', 'groups of finance:next',
  ]);
  expect(report.calls).toEqual({ ListUsers: 4, ListGroups: 4 });
  expect(report.items.filter((i) => i.kind === DriftKind.MISSING)).toHaveLength(4);
  expect(report.items.filter((i) => i.kind === DriftKind.GROUP_UNDECLARED).map((i) => `${i.namespace}/${i.groupName}`)).toEqual(['default/undeclared', 'finance/undeclared']);
});

describe('groups and memberships', () => {
  // Groups the file declares in default (managed, and managed: false), one in a namespace where it
  // declares no user (audit), and each user's groups.
  const GROUPS = `defaults:
  awsAccountId: '${ACCOUNT}'
  identityRegion: us-east-1
  role: READER
groups:
  - groupName: analysts
    description: Analysts of every team
  - groupName: finance-team
    description: Finance
  - groupName: ops
  - groupName: synced
    managed: false
  - groupName: idp-admins
    managed: false
  - groupName: auditors
    namespace: audit
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, groups: [analysts, finance-team]}
  - {userName: bob, identityType: QUICKSIGHT, email: bob@corp.test, groups: [analysts, idp-admins, synced]}
  - {userName: carol, identityType: QUICKSIGHT, email: carol@corp.test, groups: [ops]}
`;
  const group = (groupName: string, options: { namespace?: string; description?: string; members?: string[] } = {}) => {
    emulator().putGroup({ accountId: ACCOUNT, groupName, namespace: options.namespace, description: options.description });
    for (const member of options.members ?? []) emulator().addMember(ACCOUNT, options.namespace ?? 'default', groupName, member);
  };
  /** The file's users and groups as a deployment leaves them. */
  const deployAll = () => {
    const parsed = parseUsersFile(GROUPS, 'groups.yaml');
    parsed.users.forEach(deployed);
    for (const g of parsed.groups) group(g.spec.GroupName, { namespace: g.spec.Namespace, description: g.spec.Description });
    for (const user of parsed.users) for (const name of user.groups) emulator().addMember(ACCOUNT, 'default', name, user.userName);
  };

  test('no drift: every group as declared, every member declared; the lists only (ListGroups per namespace, ListGroupMemberships per declared group)', async () => {
    deployAll();
    // Outside the namespaces the file declares users or groups in: not its business.
    group('mkt', { namespace: 'marketing' });
    emulator().resetCalls();
    const { code, stdout } = await drift('--file', writeFile(GROUPS, 'groups.yaml'));
    expect(code).toBe(EXIT.OK);
    expect(stdout).toBe('Drift: groups.yaml → QuickSight\n\nNo drift (3 users declared, 3 in QuickSight; 6 groups declared, 6 in QuickSight; in 2 namespaces).\n');
    expect(callTally()).toEqual({ ListUsers: 1, ListGroups: 2, ListGroupMemberships: 6, ListTagsForResource: 3 });
  });

  describe('each kind of group and membership drift; exit 2', () => {
    beforeEach(() => {
      const parsed = parseUsersFile(GROUPS, 'groups.yaml');
      parsed.users.forEach(deployed);
      emulator().putUser({ accountId: ACCOUNT, userName: 'erin', email: 'erin@corp.test', role: 'READER', identityType: 'QUICKSIGHT' });
      emulator().putUser({ accountId: ACCOUNT, userName: 'gone', email: 'gone@corp.test', role: 'READER', identityType: 'IAM', principalId: 'federated/iam/AIDAGONE0000000000001' });
      emulator().putUser({ accountId: ACCOUNT, namespace: 'audit', userName: 'zoe', email: 'zoe@corp.test', role: 'READER', identityType: 'QUICKSIGHT' });
      // analysts: its description changed, bob taken out, erin (not in the file) added.
      group('analysts', { description: 'Analysts', members: ['alice', 'erin'] });
      // finance-team: bob added by hand, though his groups do not name it.
      group('finance-team', { description: 'Finance', members: ['alice', 'bob'] });
      // ops (managed) and idp-admins (managed: false) missing; synced with a member whose IAM identity was deleted.
      group('synced', { description: 'synced from the IdP', members: ['bob', 'gone'] });
      emulator().orphanUser(ACCOUNT, 'default', 'gone');
      group('legacy', { description: 'made by hand' });
      group('auditors', { namespace: 'audit', members: ['zoe'] });
      group('old-auditors', { namespace: 'audit' });
      group('mkt', { namespace: 'marketing', members: [] });
      writeFile(GROUPS, 'groups.yaml');
      emulator().resetCalls();
    });

    test('the table: each kind, with a group column; the summary counts groups and memberships', async () => {
      const { code, stdout, stderr } = await drift('--file', 'groups.yaml');
      expect(code).toBe(EXIT.CHANGES);
      expect(stdout.split('\n')).toEqual([
        'Drift: groups.yaml → QuickSight',
        '',
        'drift                  user  group         namespace  details',
        'undeclared             erin                default    not in the file: declare it, or delete it in QuickSight',
        'group missing                idp-admins    default    declared managed: false (line 13): it must exist in QuickSight, and does not: the user that names it cannot join it (a deployment that registers or adopts it fails) until it is created where it is managed',
        'group missing                ops           default    declared (line 10) but not in QuickSight: not deployed yet, or deleted outside its stack (then a deployment that changes its declaration creates it again)',
        'group different              analysts      default    description: declared Analysts of every team, live Analysts',
        'group undeclared             old-auditors  audit      not in the file: declare it (with managed: false if it is managed elsewhere), or delete it in QuickSight',
        'group undeclared             legacy        default    not in the file: declare it (with managed: false if it is managed elsewhere), or delete it in QuickSight',
        'membership missing     bob   analysts      default    the user\'s groups (line 19) name it, but the user is not a member: not deployed yet, or removed outside its stack (a deployment adds only the memberships its change names: add it back with create-group-membership)',
        'membership undeclared  zoe   auditors      audit      a member the file does not declare: declare the user with this group in its groups, or remove the membership in QuickSight',
        'membership undeclared  erin  analysts      default    a member the file does not declare: declare the user with this group in its groups, or remove the membership in QuickSight',
        'membership undeclared  bob   finance-team  default    a member in QuickSight, but the user\'s groups (line 19) do not name it: add it there, or remove the membership in QuickSight (no deployment removes a membership it never declared)',
        '',
        'Drift: 1 undeclared, 2 groups missing, 1 group different, 2 groups undeclared, 1 membership missing, 3 memberships undeclared (3 users declared, 5 in QuickSight; 6 groups declared, 6 in QuickSight; in 2 namespaces; 1 user named N/A left aside, see the warning).',
        '',
      ]);
      // The member named N/A is the orphan warning's, not membership drift.
      expect(stderr).toMatch(/^warning: 1 QuickSight user is named N\/A/);
      // Lists only: no call per user for the groups, and the members of the declared groups found only (not ops, idp-admins, legacy, old-auditors, mkt).
      expect(callTally()).toEqual({ ListUsers: 1, ListGroups: 2, ListGroupMemberships: 4, ListTagsForResource: 3 });
      expect(emulator().calls.filter((c) => c.operation === 'ListGroupMemberships').map((c) => c.groupName).sort()).toEqual(['analysts', 'auditors', 'finance-team', 'synced']);
    });

    test('JSON: the group and the member of each item, managed: false on a declared group; the counts', async () => {
      const { code, report } = await jsonDrift('--file', 'groups.yaml');
      expect(code).toBe(EXIT.CHANGES);
      const where = { namespace: 'default', awsAccountId: ACCOUNT, identityRegion: 'us-east-1' };
      expect(report.items.filter((i) => i.groupName !== undefined && i.kind !== DriftKind.GROUP_UNDECLARED).map(({ note: _note, ...item }) => item)).toEqual([
        { ...where, kind: DriftKind.GROUP_MISSING, userName: '', groupName: 'idp-admins', managed: false, fields: [] },
        { ...where, kind: DriftKind.GROUP_MISSING, userName: '', groupName: 'ops', managed: true, fields: [] },
        { ...where, kind: DriftKind.GROUP_DIFFERENT, userName: '', groupName: 'analysts', managed: true, fields: [{ field: 'description', declared: 'Analysts of every team', live: 'Analysts' }] },
        { ...where, kind: DriftKind.MEMBERSHIP_MISSING, userName: 'bob', groupName: 'analysts', fields: [] },
        { ...where, namespace: 'audit', kind: DriftKind.MEMBERSHIP_UNDECLARED, userName: 'zoe', groupName: 'auditors', fields: [] },
        { ...where, kind: DriftKind.MEMBERSHIP_UNDECLARED, userName: 'erin', groupName: 'analysts', fields: [] },
        { ...where, kind: DriftKind.MEMBERSHIP_UNDECLARED, userName: 'bob', groupName: 'finance-team', fields: [] },
      ]);
      expect(report.items.find((i) => i.groupName === 'legacy')).toMatchObject({ kind: DriftKind.GROUP_UNDECLARED, principalId: expect.stringMatching(/^group\//) });
      // zoe, in a namespace where the file declares groups only, is no undeclared user: the file declares no user there.
      expect(report.items.filter((i) => i.kind === DriftKind.UNDECLARED).map((i) => i.userName)).toEqual(['erin']);
      expect(report).toMatchObject({ declared: 3, live: 5, declaredGroups: 6, liveGroups: 6, namespaces: [`${ACCOUNT}/us-east-1/default`, `${ACCOUNT}/us-east-1/audit`] });
    });

    test('markdown: the group column', async () => {
      const { stdout } = await drift('--file', 'groups.yaml', '--format', 'markdown');
      expect(stdout).toContain('| drift | user | group | namespace | details |\n|---|---|---|---|---|\n| undeclared | `erin` |  | default | not in the file: declare it, or delete it in QuickSight |\n');
      expect(stdout).toContain('| group different |  | `analysts` | default | description: declared `Analysts of every team`, live `Analysts` |\n');
      expect(stdout).toContain('| membership missing | `bob` | `analysts` | default | the user\'s groups (line 19) name it');
    });
  });

  test('a description the file does not declare is no drift (QuickSight cannot remove one); a group only declared in a namespace that does not exist', async () => {
    const yaml = `defaults: {awsAccountId: '${ACCOUNT}', identityRegion: us-east-1, role: READER}
groups:
  - {groupName: analysts}
  - {groupName: auditors, namespace: nowhere}
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, groups: [analysts]}
`;
    parseUsersFile(yaml, 'nowhere.yaml').users.forEach(deployed);
    group('analysts', { description: 'set by hand', members: ['alice'] });
    const { code, report } = await jsonDrift('--file', writeFile(yaml, 'nowhere.yaml'));
    expect(code).toBe(EXIT.CHANGES);
    expect(report.items).toEqual([{
      kind: DriftKind.NAMESPACE_MISSING, userName: '', namespace: 'nowhere', awsAccountId: ACCOUNT, identityRegion: 'us-east-1', fields: [],
      note: "namespace 'nowhere' does not exist: its 1 declared group is missing (create the namespace, then deploy)",
    }]);
  });

  test('pagination: more groups than one ListGroups page, more members than one ListGroupMemberships page', async () => {
    const users = Array.from({ length: 230 }, (_, i) => `u${String(i).padStart(3, '0')}`);
    const groupNames = Array.from({ length: 105 }, (_, i) => `g${String(i).padStart(3, '0')}`);
    const yaml = `defaults: {awsAccountId: '${ACCOUNT}', identityRegion: us-east-1, role: READER, groups: [everyone]}
groups:
  - {groupName: everyone}
${groupNames.map((g) => `  - {groupName: ${g}, managed: false}`).join('\n')}
users:
${users.map((u) => `  - {userName: ${u}, identityType: QUICKSIGHT, email: ${u}@corp.test}`).join('\n')}
`;
    parseUsersFile(yaml, 'many-groups.yaml').users.forEach(deployed);
    group('everyone', { members: users.filter((u) => u !== 'u229') });
    for (const g of groupNames) group(g);
    // Sorted last: on the second ListGroups page only.
    group('zz-undeclared');
    emulator().resetCalls();
    const { code, report } = await jsonDrift('--file', writeFile(yaml, 'many-groups.yaml'));
    expect(code).toBe(EXIT.CHANGES);
    expect(report.items.map((i) => `${i.kind} ${i.groupName}${i.userName ? ` ${i.userName}` : ''}`)).toEqual(['group undeclared zz-undeclared', 'membership missing everyone u229']);
    // 107 groups: 2 ListGroups pages; the members of the 106 declared groups, 229 of everyone's in 3 pages.
    expect(report.calls).toEqual({ ListUsers: 3, ListGroups: 2, ListGroupMemberships: 105 + 3, ListTagsForResource: 230 });
    expect(emulator().callCount('ListUserGroups') + emulator().callCount('DescribeGroup')).toBe(0);
  });
});

describe('exit 1 when the check cannot run', () => {
  test('an invalid file: its line and rule', async () => {
    const { code, stdout, stderr } = await drift('--file', writeFile(`${HEADER}  - {userName: a, identityType: QUICKSIGHT, email: nope}\n`, 'bad.yaml'));
    expect(code).toBe(EXIT.ERROR);
    expect(stdout).toBe('');
    expect(stderr).toBe("bad.yaml has 1 error:\nbad.yaml:8:52: user 'a': email 'nope' must be an email address (name@domain)\n");
  });

  test('QuickSight refuses: the wrong identity region, named in the error', async () => {
    const { code, stderr } = await drift('--file', writeFile(USERS), '--identity-region', 'eu-west-1');
    expect(code).toBe(EXIT.ERROR);
    expect(stderr).toMatch(/^drift check failed: AccessDeniedException: Operation is being called from endpoint eu-west-1, but your identity region is us-east-1/);
  });

  test('a bad option', async () => {
    expect(await drift('--concurrency', '0')).toEqual({ code: EXIT.ERROR, stdout: '', stderr: "error: option '--concurrency <n>' argument '0' is invalid. a whole number from 1 to 64\n(quicksight-users drift --help for usage)\n" });
  });
});
