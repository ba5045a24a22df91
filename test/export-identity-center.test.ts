// `quicksight-users export` of an account that authenticates IAM Identity Center users (an account
// holds those or IAM and QuickSight users, never both: export.test.ts has the other kind), and the
// same round trip: validate, no drift, no change against itself, a deployment that adopts every
// user as it is. Its groups and their memberships are Identity Center's: QuickSight refuses to
// create, change or delete them there, and an IAM_IDENTITY_CENTER user takes no `groups`. The export
// declares the groups `managed: false` (no description, which such a group cannot set), reads no
// member, gives no user `groups`; drift checks the groups and no membership; the deployment never
// touches a group.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../gitops/cli/program';
import { OWNER_TAG_KEY } from '../lib/model';
import { ACCOUNT, useEmulator } from './handler-harness';
import { callTally, cli, deployUsersFile, tempDir, useIamEndpoint, withoutMarker } from './export-harness';

const emulator = useEmulator({ seed: 12, authenticationMethod: 'IAM_IDENTITY_CENTER' });
const iam = useIamEndpoint();

let dir: string;
beforeAll(() => {
  dir = tempDir('qs-export-idc-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ROLES = ['READER', 'READER_PRO', 'AUTHOR', 'AUTHOR_PRO', 'ADMIN', 'ADMIN_PRO'];

/** More Identity Center users than one ListUsers page in the default namespace, a few in another; groups synced from Identity Center in both. */
function seed(): number {
  let count = 0;
  for (let i = 1; i <= 104; i++) {
    emulator().putUser({
      accountId: ACCOUNT, userName: `user${String(i).padStart(3, '0')}@corp.test`, identityType: 'IAM_IDENTITY_CENTER', email: `user${i}@corp.test`,
      role: i <= 90 ? 'READER' : ROLES[i % ROLES.length], customPermissionsName: i % 25 === 0 ? 'NoSharing' : undefined, tags: i % 7 === 0 ? { team: `team-${i % 3}` } : undefined,
    });
    count += 1;
  }
  for (const name of ['sam', 'sue', 'syd']) {
    emulator().putUser({ accountId: ACCOUNT, namespace: 'sales', userName: name, identityType: 'IAM_IDENTITY_CENTER', email: `${name}@corp.test`, role: 'AUTHOR', tags: { region: 'emea' } });
    count += 1;
  }
  const group = (groupName: string, members: string[], namespace?: string) => {
    emulator().putGroup({ accountId: ACCOUNT, groupName, namespace, description: `${groupName} (IAM Identity Center)` });
    for (const member of members) emulator().addMember(ACCOUNT, namespace ?? 'default', groupName, member);
  };
  const user = (i: number) => `user${String(i).padStart(3, '0')}@corp.test`;
  group('Synced', Array.from({ length: 30 }, (_, i) => user(i + 1)));
  group('Admins', Array.from({ length: 10 }, (_, i) => user(i + 95)));
  group('emea', ['sam', 'sue'], 'sales');
  return count;
}
const GROUPS = 3;

test('an IAM Identity Center account: the exported file holds IAM_IDENTITY_CENTER users, validates, shows no drift and no change; deployed, every user is adopted as it is', async () => {
  const users = seed();
  const exported = await cli(['export', '--account', ACCOUNT, '--identity-region', 'us-east-1', '-o', 'idc.yaml'], dir);
  expect(exported).toMatchObject({ code: EXIT.OK, stdout: '' });
  expect(exported.stderr).toBe([
    // ListNamespaces, ListUsers (2 pages in default, 1 in sales), ListGroups per namespace, the tags: no ListGroupMemberships.
    `wrote idc.yaml: ${users} users and ${GROUPS} groups of account 123456789012 (us-east-1) in 2 namespaces; ${1 + 3 + 2 + users} QuickSight calls.`,
    'note: the 3 groups are IAM Identity Center\'s: declared managed: false, without memberships (QuickSight refuses to create, change or delete them or their memberships in this account, and an IAM_IDENTITY_CENTER user takes no groups).',
    '',
  ].join('\n'));
  // No IAM user to rebuild an ARN for: IAM is not read.
  expect(iam().calls).toEqual([]);
  const text = fs.readFileSync(path.join(dir, 'idc.yaml'), 'utf8');
  expect(text).toContain(`#      The groups are IAM Identity Center's (managed: false): no deployment creates, changes or deletes them
#      or their memberships, which are managed in IAM Identity Center.
`);
  expect(text).not.toMatch(/^ +groups:/m);
  expect(text).toContain(`defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
  namespace: default
  role: READER

# IAM Identity Center's groups: QuickSight refuses to create, change or delete them or their memberships, so they are
# managed: false, and their memberships are managed in IAM Identity Center (an IAM_IDENTITY_CENTER user takes no groups)
groups:
  - groupName: Admins
    managed: false
  - groupName: Synced
    managed: false
  - groupName: emea
    namespace: sales
    managed: false

users:
  # namespace default: 104 users
  - userName: user001@corp.test
    identityType: IAM_IDENTITY_CENTER
    email: user1@corp.test
  - userName: user002@corp.test
`);
  expect(text).toContain(`  - userName: user100@corp.test
    identityType: IAM_IDENTITY_CENTER
    email: user100@corp.test
    role: ADMIN
    customPermissionsName: NoSharing
`);
  expect(text).toContain(`  # namespace sales: 3 users
  - userName: sam
    identityType: IAM_IDENTITY_CENTER
    email: sam@corp.test
    role: AUTHOR
    namespace: sales
    tags:
      region: emea
`);

  expect(await cli(['validate', '--file', 'idc.yaml'], dir)).toEqual({
    code: EXIT.OK, stdout: `idc.yaml: valid: ${users} users (${users} IAM_IDENTITY_CENTER) in 2 namespaces of 123456789012 (us-east-1); ${GROUPS} groups (${GROUPS} managed elsewhere); 1 stack: QuickSightUsers\n`, stderr: '',
  });
  emulator().resetCalls();
  const drift = await cli(['drift', '--file', 'idc.yaml'], dir);
  expect(drift).toEqual({ code: EXIT.OK, stdout: `Drift: idc.yaml → QuickSight\n\nNo drift (${users} users declared, ${users} in QuickSight; ${GROUPS} groups declared, ${GROUPS} in QuickSight; in 2 namespaces).\n`, stderr: '' });
  // The groups listed, their members not read: no file declares a membership in this account.
  expect(callTally(emulator())).toEqual({ 'ListUsers 200': 3, 'ListGroups 200': 2, 'ListTagsForResource 200': users });
  // A member added in Identity Center is no drift of the file; a group added there is.
  emulator().addMember(ACCOUNT, 'default', 'Synced', 'user050@corp.test');
  emulator().putGroup({ accountId: ACCOUNT, groupName: 'New' });
  const synced = await cli(['drift', '--file', 'idc.yaml'], dir);
  expect(synced.code).toBe(EXIT.CHANGES);
  expect(synced.stdout).toMatch(/\ngroup undeclared +New +default +not in the file: [^\n]*\n\nDrift: 1 group undeclared \(/);
  emulator().removeGroup(ACCOUNT, 'default', 'New');
  const plan = await cli(['plan', 'idc.yaml', 'idc.yaml', '--detailed-exitcode', '--fail-on-destructive'], dir);
  expect(plan).toEqual({ code: EXIT.OK, stdout: `Plan: idc.yaml → idc.yaml\n\nNo changes: ${users} users and ${GROUPS} groups as declared.\n`, stderr: '' });

  // Exporting twice gives the same bytes.
  expect((await cli(['export', '--account', ACCOUNT, '--identity-region', 'us-east-1'], dir)).stdout).toBe(text);

  const before = emulator().users();
  const groupsBefore = emulator().groups();
  emulator().resetCalls();
  // No groups stack (every group is managed: false), and no user joins a group: no group call at all.
  const { results } = await deployUsersFile(emulator(), text);
  expect(results.map((r) => r.status)).toEqual(['CREATE_COMPLETE']);
  expect(emulator().groups()).toEqual(groupsBefore);
  // RegisterUser answered 409 (how adoption starts), then DescribeUser, the tags and the owner marker: nothing else.
  expect(callTally(emulator())).toEqual({ 'RegisterUser 409': users, 'DescribeUser 200': users, 'ListTagsForResource 200': users, 'TagResource 200': users });
  const after = new Map(emulator().users().map((u) => [u.principalId, u]));
  expect(after.size).toBe(before.length);
  for (const user of before) {
    const now = after.get(user.principalId)!;
    expect(withoutMarker(now)).toEqual(withoutMarker(user));
    expect(now.tags[OWNER_TAG_KEY]).toMatch(/^adopted:/);
  }
  expect((await cli(['drift', '--file', 'idc.yaml'], dir)).code).toBe(EXIT.OK);
});
