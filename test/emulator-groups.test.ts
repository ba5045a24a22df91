// The QuickSight emulator's groups and group memberships, driven like the user calls: the real
// @aws-sdk/client-quicksight over HTTP, pointed at it by AWS_ENDPOINT_URL_QUICKSIGHT.
import {
  CreateGroupCommand,
  CreateGroupMembershipCommand,
  DeleteGroupCommand,
  DeleteGroupMembershipCommand,
  DeleteUserByPrincipalIdCommand,
  DeleteUserCommand,
  DescribeGroupCommand,
  DescribeGroupMembershipCommand,
  ListGroupMembershipsCommand,
  ListGroupsCommand,
  ListUserGroupsCommand,
  ListUsersCommand,
  QuickSightClient,
  RegisterUserCommand,
  UpdateGroupCommand,
  paginateListGroupMemberships,
  paginateListGroups,
  paginateListUserGroups,
} from '@aws-sdk/client-quicksight';
import { CREATE_GROUP_STATUS, IDENTITY_CENTER_REFUSAL, QuickSightEmulator, type UserSeed } from './emulator/quicksight-emulator';
import { expectServiceError, failure, useSdkEmulator } from './emulator/sdk-harness';
import { quickSightModel, readRequest, shapeOf } from './judges/quicksight-model';

const ACCOUNT = '123456789012';
const NS = 'default';
const REGION = 'us-east-1';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/Role`;
const groupArn = (name: string, namespace = NS) => `arn:aws:quicksight:${REGION}:${ACCOUNT}:group/${namespace}/${name}`;
const userArn = (name: string, namespace = NS) => `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/${namespace}/${name}`;

const { client, withEmulator, raw, emulator: theEmulator } = useSdkEmulator(REGION);
let emulator: QuickSightEmulator;
beforeAll(() => {
  emulator = theEmulator();
});

const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261128/us-east-1/quicksight/aws4_request, SignedHeaders=host, Signature=00' };

// ---- calls ----

const ids = (namespace = NS) => ({ AwsAccountId: ACCOUNT, Namespace: namespace });
const createGroup = (name: string, description?: string, qs = client(), namespace = NS) =>
  qs.send(new CreateGroupCommand({ ...ids(namespace), GroupName: name, Description: description }));
const describeGroup = (name: string, qs = client(), namespace = NS) => qs.send(new DescribeGroupCommand({ ...ids(namespace), GroupName: name }));
const updateGroup = (name: string, description?: string, qs = client()) => qs.send(new UpdateGroupCommand({ ...ids(), GroupName: name, Description: description }));
const deleteGroup = (name: string, qs = client()) => qs.send(new DeleteGroupCommand({ ...ids(), GroupName: name }));
const addMember = (group: string, member: string, qs = client()) => qs.send(new CreateGroupMembershipCommand({ ...ids(), GroupName: group, MemberName: member }));
const removeMember = (group: string, member: string, qs = client()) => qs.send(new DeleteGroupMembershipCommand({ ...ids(), GroupName: group, MemberName: member }));
const describeMember = (group: string, member: string, qs = client()) => qs.send(new DescribeGroupMembershipCommand({ ...ids(), GroupName: group, MemberName: member }));
const listMembers = (group: string, qs = client(), extra: { MaxResults?: number; NextToken?: string } = {}) =>
  qs.send(new ListGroupMembershipsCommand({ ...ids(), GroupName: group, ...extra }));
const listGroups = (qs = client(), extra: { MaxResults?: number; NextToken?: string } = {}, namespace = NS) => qs.send(new ListGroupsCommand({ ...ids(namespace), ...extra }));
const listUserGroups = (user: string, qs = client(), extra: { MaxResults?: number; NextToken?: string } = {}) =>
  qs.send(new ListUserGroupsCommand({ ...ids(), UserName: user, ...extra }));

const person = (userName: string, overrides: Partial<UserSeed> = {}): UserSeed => ({
  accountId: ACCOUNT, userName, email: `${userName.replace(/\W/g, '')}@example.com`, role: 'READER', identityType: 'QUICKSIGHT', ...overrides,
});
/** An IAM role session user: the name is Role/<session>. */
const roleSession = (session: string) => person(`Role/${session}`, { identityType: 'IAM', iamArn: ROLE_ARN, sessionName: session });

// ---- the tests ----

describe('CreateGroup', () => {
  test(`answers ${CREATE_GROUP_STATUS} with the Group (Arn, GroupName, Description, PrincipalId)`, async () => {
    const out = await createGroup('Sales', 'Sales Management - Forecasting');
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.Status).toBe(201);
    expect(out.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Group).toEqual({
      Arn: groupArn('Sales'), GroupName: 'Sales', Description: 'Sales Management - Forecasting',
      PrincipalId: expect.stringMatching(/^group\/d-[0-9a-f]{10}\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    expect(emulator.getGroup(ACCOUNT, NS, 'Sales')).toMatchObject({ arn: groupArn('Sales'), description: 'Sales Management - Forecasting', principalId: out.Group!.PrincipalId });
  });

  test('without a description the Group has none; principal ids are unique and share the account\'s directory', async () => {
    const a = (await createGroup('A')).Group!;
    const b = (await createGroup('B')).Group!;
    expect(a).not.toHaveProperty('Description');
    expect(a.PrincipalId).not.toBe(b.PrincipalId);
    expect(a.PrincipalId!.split('/')[1]).toBe(b.PrincipalId!.split('/')[1]);
  });

  test('an existing name in that namespace: ResourceExistsException 409 (ResourceType GROUP); another namespace may hold the same name', async () => {
    await createGroup('Sales', 'first');
    const error = await expectServiceError(createGroup('Sales', 'second'), 'ResourceExistsException', 409, `Group ${groupArn('Sales')} already exists`);
    expect(error.ResourceType).toBe('GROUP');
    expect(emulator.getGroup(ACCOUNT, NS, 'Sales')!.description).toBe('first');
    emulator.addNamespace(ACCOUNT, 'finance');
    await expect(createGroup('Sales', undefined, client(), 'finance')).resolves.toMatchObject({ Group: { Arn: groupArn('Sales', 'finance') } });
  });

  test('a missing namespace: ResourceNotFoundException 404 (ResourceType NAMESPACE), as the user calls answer it', async () => {
    const error = await expectServiceError(createGroup('Sales', undefined, client(), 'nowhere'), 'ResourceNotFoundException', 404, 'Namespace nowhere not found');
    expect(error.ResourceType).toBe('NAMESPACE');
    const userError = await expectServiceError(client().send(new ListUsersCommand(ids('nowhere'))), 'ResourceNotFoundException', 404);
    expect(userError.message).toBe(error.message);
    await expectServiceError(listGroups(client(), {}, 'nowhere'), 'ResourceNotFoundException', 404, 'Namespace nowhere not found');
    await expectServiceError(describeGroup('Sales', client(), 'nowhere'), 'ResourceNotFoundException', 404, 'Namespace nowhere not found');
    expect(emulator.groups()).toEqual([]);
  });
});

describe('validation: InvalidParameterValueException 400, the model\'s constraints', () => {
  test.each([
    ['GroupName outside U+0020-U+00FF', () => createGroup('Łukasz'), /Value 'Łukasz' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\u0020-\\u00FF\]\+/],
    ['GroupName missing', () => client().send(new CreateGroupCommand({ ...ids(), GroupName: undefined as never })), /Value null at 'groupName' failed to satisfy constraint: Member must not be null/],
    ['Description empty', () => createGroup('Sales', ''), /at 'description' failed to satisfy constraint: Member must have length greater than or equal to 1/],
    ['Description of 513 characters', () => createGroup('Sales', 'd'.repeat(513)), /at 'description' failed to satisfy constraint: Member must have length less than or equal to 512/],
    ['UpdateGroup Description of 513', () => (emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' }), updateGroup('Sales', 'd'.repeat(513))), /less than or equal to 512/],
    ['MemberName of 257 characters', () => addMember('Sales', 'm'.repeat(257)), /at 'memberName' failed to satisfy constraint: Member must have length less than or equal to 256/],
    ['MemberName outside U+0020-U+00FF', () => describeMember('Sales', 'Zoë ✓'), /at 'memberName' failed to satisfy constraint: Member must satisfy regular expression pattern/],
    ['Namespace with a space', () => describeGroup('Sales', client(), 'sales team'), /at 'namespace' failed to satisfy constraint/],
    ['ListGroups MaxResults 0', () => listGroups(client(), { MaxResults: 0 }), /Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1/],
    ['ListGroupMemberships MaxResults 101', () => listMembers('Sales', client(), { MaxResults: 101 }), /Member must have value less than or equal to 100/],
    ['ListUserGroups MaxResults 101', () => listUserGroups('alice', client(), { MaxResults: 101 }), /Member must have value less than or equal to 100/],
    ['two violations at once', () => createGroup('Łukasz', 'd'.repeat(513)), /^2 validation errors detected: .*groupName.*; .*description/],
  ] as Array<[string, () => Promise<unknown>, RegExp]>)('%s', async (_name, call, message) => {
    await expectServiceError(call(), 'InvalidParameterValueException', 400, message);
  });

  test('validation comes before any lookup, and a valid request of the same shapes passes', async () => {
    await expectServiceError(describeGroup('Łukasz', client(), 'nowhere'), 'InvalidParameterValueException', 400);
    emulator.putUser(person('x'.repeat(256)));
    await createGroup('ÿ '.repeat(200), 'd'.repeat(512));
    await expect(addMember('ÿ '.repeat(200), 'x'.repeat(256))).resolves.toBeDefined();
  });
});

describe('DescribeGroup, UpdateGroup, DeleteGroup', () => {
  test('describe, change the description (kept when UpdateGroup sends none), delete', async () => {
    await createGroup('Sales', 'old');
    expect((await describeGroup('Sales')).Group).toMatchObject({ GroupName: 'Sales', Description: 'old', Arn: groupArn('Sales') });
    const updated = await updateGroup('Sales', 'new');
    expect(updated.Status).toBe(200);
    expect(updated.Group).toMatchObject({ GroupName: 'Sales', Description: 'new' });
    expect((await updateGroup('Sales')).Group!.Description).toBe('new');
    expect((await describeGroup('Sales')).Group!.Description).toBe('new');
    const deleted = await deleteGroup('Sales');
    expect(deleted.Status).toBe(200);
    expect(emulator.getGroup(ACCOUNT, NS, 'Sales')).toBeUndefined();
  });

  test.each([
    ['DescribeGroup', () => describeGroup('Nobody')],
    ['UpdateGroup', () => updateGroup('Nobody', 'x')],
    ['DeleteGroup', () => deleteGroup('Nobody')],
    ['ListGroupMemberships', () => listMembers('Nobody')],
  ] as Array<[string, () => Promise<unknown>]>)('%s of a missing group: ResourceNotFoundException 404 naming the group', async (_name, call) => {
    const error = await expectServiceError(call(), 'ResourceNotFoundException', 404, `Group not found: ${groupArn('Nobody')}`);
    expect(error.ResourceType).toBe('GROUP');
  });

  test('DeleteGroup removes all its memberships: a group created again with the name starts empty', async () => {
    for (const name of ['alice', 'bob']) emulator.putUser(person(name));
    await createGroup('Sales');
    await createGroup('Other');
    await addMember('Sales', 'alice');
    await addMember('Sales', 'bob');
    await addMember('Other', 'alice');
    await deleteGroup('Sales');
    expect(emulator.groupsOf(ACCOUNT, NS, 'alice')).toEqual(['Other']);
    expect((await listUserGroups('bob')).GroupList).toEqual([]);
    await createGroup('Sales');
    expect((await listMembers('Sales')).GroupMemberList).toEqual([]);
    await expectServiceError(describeMember('Sales', 'alice'), 'ResourceNotFoundException', 404);
  });
});

describe('ListGroups', () => {
  const seedGroups = (n: number, namespace = NS) => {
    for (let i = 0; i < n; i++) emulator.putGroup({ accountId: ACCOUNT, namespace, groupName: `g${String(i).padStart(3, '0')}` });
  };

  test('250 groups in pages of MaxResults 100, by name, each once', async () => {
    seedGroups(250);
    const qs = client();
    const first = await listGroups(qs, { MaxResults: 100 });
    expect(first.GroupList).toHaveLength(100);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await listGroups(qs, { MaxResults: 100, NextToken: first.NextToken });
    const third = await listGroups(qs, { MaxResults: 100, NextToken: second.NextToken });
    expect([second.GroupList!.length, third.GroupList!.length, third.NextToken]).toEqual([100, 50, undefined]);
    const names = [...first.GroupList!, ...second.GroupList!, ...third.GroupList!].map((g) => g.GroupName);
    expect(names).toEqual(Array.from({ length: 250 }, (_, i) => `g${String(i).padStart(3, '0')}`));
    expect(first.GroupList![0]).toEqual({ Arn: groupArn('g000'), GroupName: 'g000', PrincipalId: expect.stringMatching(/^group\//) });
  });

  test('the SDK paginator, default page size 100; an empty namespace lists nothing', async () => {
    seedGroups(201);
    const pages = [];
    for await (const page of paginateListGroups({ client: client() }, ids())) pages.push(page.GroupList!.length);
    expect(pages).toEqual([100, 100, 1]);
    emulator.addNamespace(ACCOUNT, 'empty');
    expect((await listGroups(client(), {}, 'empty')).GroupList).toEqual([]);
  });

  test('a bad token: InvalidNextTokenException 400; a token is bound to its namespace and to its list', async () => {
    seedGroups(3);
    seedGroups(3, 'finance');
    for (let i = 0; i < 3; i++) emulator.putUser(person(`u${i}`));
    await expectServiceError(listGroups(client(), { NextToken: 'forged' }), 'InvalidNextTokenException', 400, 'The NextToken provided is not valid');
    const { NextToken } = await listGroups(client(), { MaxResults: 1 });
    await expectServiceError(listGroups(client(), { NextToken }, 'finance'), 'InvalidNextTokenException', 400);
    await expectServiceError(client().send(new ListUsersCommand({ ...ids(), NextToken })), 'InvalidNextTokenException', 400);
    const users = await client().send(new ListUsersCommand({ ...ids(), MaxResults: 1 }));
    await expectServiceError(listGroups(client(), { NextToken: users.NextToken }), 'InvalidNextTokenException', 400);
    expect((await listGroups(client(), { NextToken })).GroupList!.map((g) => g.GroupName)).toEqual(['g001', 'g002']);
  });
});

describe('group memberships', () => {
  beforeEach(async () => {
    emulator.putUser(person('alice'));
    await createGroup('Sales');
  });

  test('CreateGroupMembership: 200 with GroupMember {Arn of the user, MemberName}; adding again is 200 and changes nothing', async () => {
    const out = await addMember('Sales', 'alice');
    expect(out.Status).toBe(200);
    expect(out.GroupMember).toEqual({ Arn: userArn('alice'), MemberName: 'alice' });
    const again = await addMember('Sales', 'alice');
    expect([again.Status, again.GroupMember]).toEqual([200, { Arn: userArn('alice'), MemberName: 'alice' }]);
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual(['alice']);
  });

  test('DescribeGroupMembership: 200 with the GroupMember when a member, else 404', async () => {
    const error = await expectServiceError(describeMember('Sales', 'alice'), 'ResourceNotFoundException', 404, `User alice is not a member of group ${groupArn('Sales')}`);
    expect(error.ResourceType).toBeUndefined();
    await addMember('Sales', 'alice');
    const out = await describeMember('Sales', 'alice');
    expect([out.Status, out.GroupMember]).toEqual([200, { Arn: userArn('alice'), MemberName: 'alice' }]);
  });

  test('DeleteGroupMembership: 200, then the membership is gone; a second delete is 404', async () => {
    await addMember('Sales', 'alice');
    expect((await removeMember('Sales', 'alice')).Status).toBe(200);
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual([]);
    await expectServiceError(removeMember('Sales', 'alice'), 'ResourceNotFoundException', 404, /User alice is not a member of group/);
  });

  test.each([
    ['CreateGroupMembership', addMember],
    ['DescribeGroupMembership', describeMember],
    ['DeleteGroupMembership', removeMember],
  ] as Array<[string, (group: string, member: string) => Promise<unknown>]>)('%s: a missing group, or a missing user, is ResourceNotFoundException 404 naming which', async (_name, call) => {
    const noGroup = await expectServiceError(call('Nobody', 'alice'), 'ResourceNotFoundException', 404, `Group not found: ${groupArn('Nobody')}`);
    expect(noGroup.ResourceType).toBe('GROUP');
    const noUser = await expectServiceError(call('Sales', 'nobody'), 'ResourceNotFoundException', 404, `User not found: ${userArn('nobody')}`);
    expect(noUser.ResourceType).toBe('USER');
    // Both missing: the group is looked up first.
    await expectServiceError(call('Nobody', 'nobody'), 'ResourceNotFoundException', 404, /^Group not found/);
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual([]);
  });

  test('a member must be a user of the group\'s namespace', async () => {
    emulator.putUser(person('gina', { namespace: 'finance' }));
    await expectServiceError(addMember('Sales', 'gina'), 'ResourceNotFoundException', 404, `User not found: ${userArn('gina')}`);
  });

  test('ListGroupMemberships: 250 members in pages, by name; ListUserGroups: 150 groups in pages', async () => {
    for (let i = 0; i < 250; i++) {
      emulator.putUser(person(`m${String(i).padStart(3, '0')}`));
      emulator.addMember(ACCOUNT, NS, 'Sales', `m${String(i).padStart(3, '0')}`);
    }
    const qs = client();
    const first = await listMembers('Sales', qs, { MaxResults: 100 });
    expect(first.GroupMemberList![0]).toEqual({ Arn: userArn('m000'), MemberName: 'm000' });
    const second = await listMembers('Sales', qs, { MaxResults: 100, NextToken: first.NextToken });
    const third = await listMembers('Sales', qs, { MaxResults: 100, NextToken: second.NextToken });
    const names = [first, second, third].flatMap((p) => p.GroupMemberList!.map((m) => m.MemberName));
    expect(names).toEqual(Array.from({ length: 250 }, (_, i) => `m${String(i).padStart(3, '0')}`));
    expect(third.NextToken).toBeUndefined();
    const memberPages = [];
    for await (const page of paginateListGroupMemberships({ client: qs }, { ...ids(), GroupName: 'Sales' })) memberPages.push(page.GroupMemberList!.length);
    expect(memberPages).toEqual([100, 100, 50]);

    for (let i = 0; i < 150; i++) {
      emulator.putGroup({ accountId: ACCOUNT, groupName: `team ${String(i).padStart(3, '0')}` });
      emulator.addMember(ACCOUNT, NS, `team ${String(i).padStart(3, '0')}`, 'alice');
    }
    emulator.addMember(ACCOUNT, NS, 'Sales', 'alice');
    const userPages: string[][] = [];
    for await (const page of paginateListUserGroups({ client: qs, pageSize: 100 }, { ...ids(), UserName: 'alice' })) userPages.push(page.GroupList!.map((g) => g.GroupName!));
    expect(userPages.map((p) => p.length)).toEqual([100, 51]);
    expect(userPages.flat()).toEqual([...Array.from({ length: 150 }, (_, i) => `team ${String(i).padStart(3, '0')}`), 'Sales'].sort());
    const one = (await listUserGroups('alice', qs, { MaxResults: 1 })).GroupList![0];
    expect(one).toEqual({ Arn: groupArn('Sales'), GroupName: 'Sales', PrincipalId: emulator.getGroup(ACCOUNT, NS, 'Sales')!.principalId });
  });

  test('the membership list tokens: a bad token is InvalidNextTokenException 400; a token is bound to its group, its user and its list', async () => {
    emulator.putUser(person('bob'));
    await createGroup('Other');
    for (const [group, user] of [['Sales', 'alice'], ['Sales', 'bob'], ['Other', 'alice'], ['Other', 'bob']]) await addMember(group, user);
    await expectServiceError(listMembers('Sales', client(), { NextToken: 'forged' }), 'InvalidNextTokenException', 400, 'The NextToken provided is not valid');
    await expectServiceError(listUserGroups('alice', client(), { NextToken: 'forged' }), 'InvalidNextTokenException', 400);
    const members = await listMembers('Sales', client(), { MaxResults: 1 });
    await expectServiceError(listMembers('Other', client(), { NextToken: members.NextToken }), 'InvalidNextTokenException', 400);
    await expectServiceError(listUserGroups('alice', client(), { NextToken: members.NextToken }), 'InvalidNextTokenException', 400);
    const groups = await listUserGroups('alice', client(), { MaxResults: 1 });
    await expectServiceError(listUserGroups('bob', client(), { NextToken: groups.NextToken }), 'InvalidNextTokenException', 400);
    await expect(listUserGroups('alice', client(), { NextToken: groups.NextToken })).resolves.toMatchObject({ GroupList: [{ GroupName: 'Sales' }] });
    await expect(listMembers('Sales', client(), { NextToken: members.NextToken })).resolves.toMatchObject({ GroupMemberList: [{ MemberName: 'bob' }] });
  });

  test('ListUserGroups of a missing user: ResourceNotFoundException 404; of a user in no group: an empty list', async () => {
    const error = await expectServiceError(listUserGroups('nobody'), 'ResourceNotFoundException', 404, `User not found: ${userArn('nobody')}`);
    expect(error.ResourceType).toBe('USER');
    expect((await listUserGroups('alice')).GroupList).toEqual([]);
  });
});

describe('deleting a user drops its memberships', () => {
  test('DeleteUser: gone from every group; registered again, it is a member of none', async () => {
    emulator.putUser(person('alice'));
    emulator.putUser(person('bob'));
    for (const g of ['Sales', 'Ops']) {
      await createGroup(g);
      await addMember(g, 'alice');
      await addMember(g, 'bob');
    }
    await client().send(new DeleteUserCommand({ ...ids(), UserName: 'alice' }));
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual(['bob']);
    expect((await listMembers('Ops')).GroupMemberList!.map((m) => m.MemberName)).toEqual(['bob']);
    await client().send(new RegisterUserCommand({ ...ids(), IdentityType: 'QUICKSIGHT', UserName: 'alice', Email: 'a@example.com', UserRole: 'READER' }));
    expect((await listUserGroups('alice')).GroupList).toEqual([]);
    await expectServiceError(describeMember('Sales', 'alice'), 'ResourceNotFoundException', 404, /not a member/);
  });

  test('DeleteUserByPrincipalId, also of a user whose identity is gone (listed as N/A among the members)', async () => {
    const { principalId } = emulator.putUser(roleSession('carol'));
    emulator.putUser(person('alice'));
    await createGroup('Sales');
    await addMember('Sales', 'Role/carol');
    await addMember('Sales', 'alice');
    emulator.orphanUser(ACCOUNT, NS, 'Role/carol');
    // Listed by the name shown, as ListUsers lists them ('N/A' sorts before lower case).
    expect((await listMembers('Sales')).GroupMemberList).toEqual([{ Arn: 'N/A', MemberName: 'N/A' }, { Arn: userArn('alice'), MemberName: 'alice' }]);
    await client().send(new DeleteUserByPrincipalIdCommand({ ...ids(), PrincipalId: principalId }));
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual(['alice']);
  });

  test('removeUser (behind the caller\'s back) drops them too', async () => {
    emulator.putUser(person('alice'));
    emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' });
    emulator.addMember(ACCOUNT, NS, 'Sales', 'alice');
    emulator.removeUser(ACCOUNT, NS, 'alice');
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual([]);
  });
});

describe('names travel percent-encoded, one path segment each', () => {
  test('a group named \'a b/c%d\' and a member \'Role/Session\': every call reaches them', async () => {
    const name = 'a b/c%d';
    emulator.putUser(roleSession('Session'));
    const created = await createGroup(name, 'odd');
    expect(created.Group).toMatchObject({ GroupName: name, Arn: groupArn(name) });
    expect((await describeGroup(name)).Group!.GroupName).toBe(name);
    expect((await updateGroup(name, 'odder')).Group!.Description).toBe('odder');
    expect((await addMember(name, 'Role/Session')).GroupMember).toEqual({ Arn: userArn('Role/Session'), MemberName: 'Role/Session' });
    expect((await describeMember(name, 'Role/Session')).GroupMember!.MemberName).toBe('Role/Session');
    expect((await listMembers(name)).GroupMemberList).toEqual([{ Arn: userArn('Role/Session'), MemberName: 'Role/Session' }]);
    expect((await listUserGroups('Role/Session')).GroupList!.map((g) => g.GroupName)).toEqual([name]);
    await removeMember(name, 'Role/Session');
    await deleteGroup(name);
    expect(emulator.groups()).toEqual([]);

    const paths = emulator.calls.map((c) => `${c.request!.method} ${c.request!.path}`);
    const base = `/accounts/${ACCOUNT}/namespaces/default`;
    expect(paths).toEqual([
      `POST ${base}/groups`,
      `GET ${base}/groups/a%20b%2Fc%25d`,
      `PUT ${base}/groups/a%20b%2Fc%25d`,
      `PUT ${base}/groups/a%20b%2Fc%25d/members/Role%2FSession`,
      `GET ${base}/groups/a%20b%2Fc%25d/members/Role%2FSession`,
      `GET ${base}/groups/a%20b%2Fc%25d/members`,
      `GET ${base}/users/Role%2FSession/groups`,
      `DELETE ${base}/groups/a%20b%2Fc%25d/members/Role%2FSession`,
      `DELETE ${base}/groups/a%20b%2Fc%25d`,
    ]);
    expect(emulator.calls.map((c) => [c.operation, c.status, c.groupName, c.userName])).toEqual([
      ['CreateGroup', 201, name, undefined],
      ['DescribeGroup', 200, name, undefined],
      ['UpdateGroup', 200, name, undefined],
      ['CreateGroupMembership', 200, name, 'Role/Session'],
      ['DescribeGroupMembership', 200, name, 'Role/Session'],
      ['ListGroupMemberships', 200, name, undefined],
      ['ListUserGroups', 200, undefined, 'Role/Session'],
      ['DeleteGroupMembership', 200, name, 'Role/Session'],
      ['DeleteGroup', 200, name, undefined],
    ]);
    // The official model reads every one of these requests as the operation it is, and finds nothing wrong.
    for (const call of emulator.calls) expect(readRequest(call.request!)).toMatchObject({ operation: call.operation, violations: [] });
  });

  test('names spelled like the path\'s own words, and the whole U+0020-U+00FF range', async () => {
    const names = ['members', 'groups', '..', ' ', 'Équipe ÿ ~!*\'()', Array.from({ length: 0xe0 }, (_, i) => String.fromCharCode(0x20 + i)).join('')];
    emulator.putUser(person('members'));
    for (const name of names) {
      await createGroup(name);
      await addMember(name, 'members');
      expect((await describeGroup(name)).Group!.GroupName).toBe(name);
      expect((await listMembers(name)).GroupMemberList!.map((m) => m.MemberName)).toEqual(['members']);
    }
    expect(emulator.groupsOf(ACCOUNT, NS, 'members')).toEqual([...names].sort());
  });

  test('an unencoded slash is another path, which no operation has', async () => {
    const res = await raw('GET', `/accounts/${ACCOUNT}/namespaces/default/groups/a/b`, SIGNED);
    expect([res.status, res.headers['x-amzn-errortype']]).toEqual([404, 'UnknownOperationException']);
  });
});

describe('on the wire', () => {
  test('an error: status, x-amzn-ErrorType, a JSON body with __type, Message, RequestId and ResourceType', async () => {
    const res = await raw('GET', `/accounts/${ACCOUNT}/namespaces/default/groups/Nobody`, SIGNED);
    expect(res.status).toBe(404);
    expect(res.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(res.body).toEqual({ __type: 'ResourceNotFoundException', Message: `Group not found: ${groupArn('Nobody')}`, RequestId: res.headers['x-amzn-requestid'], ResourceType: 'GROUP' });
    const exists = (emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' }),
      await raw('POST', `/accounts/${ACCOUNT}/namespaces/default/groups`, { ...SIGNED, 'content-type': 'application/json' }, JSON.stringify({ GroupName: 'Sales' })));
    expect([exists.status, exists.headers['x-amzn-errortype'], exists.body.__type, exists.body.ResourceType]).toEqual([409, 'ResourceExistsException', 'ResourceExistsException', 'GROUP']);
    const malformed = await raw('POST', `/accounts/${ACCOUNT}/namespaces/default/groups`, { ...SIGNED, 'content-type': 'application/json' }, '{"GroupName":');
    expect([malformed.status, malformed.body.__type]).toEqual([400, 'SerializationException']);
  });

  test('every answer carries only members of the operation\'s output shape (Status travels as the HTTP status)', async () => {
    const model = quickSightModel();
    emulator.putUser(person('alice'));
    const base = `/accounts/${ACCOUNT}/namespaces/default`;
    const exchanges: Array<[string, string, object?]> = [
      ['POST', `${base}/groups`, { GroupName: 'Sales', Description: 'd' }],
      ['GET', `${base}/groups/Sales`],
      ['PUT', `${base}/groups/Sales`, { Description: 'e' }],
      ['GET', `${base}/groups?max-results=10`],
      ['PUT', `${base}/groups/Sales/members/alice`],
      ['GET', `${base}/groups/Sales/members/alice`],
      ['GET', `${base}/groups/Sales/members?max-results=10`],
      ['GET', `${base}/users/alice/groups`],
      ['DELETE', `${base}/groups/Sales/members/alice`],
      ['DELETE', `${base}/groups/Sales`],
    ];
    const seen = new Set<string>();
    for (const [method, path, body] of exchanges) {
      const res = await raw(method, path, { ...SIGNED, 'content-type': 'application/json' }, body && JSON.stringify(body));
      const verdict = readRequest({ method, path: path.split('?')[0], query: path.split('?')[1] ?? '', body: body ? JSON.stringify(body) : '' });
      const operation = verdict.operation!;
      seen.add(operation);
      expect({ operation, status: res.status, violations: verdict.violations }).toEqual({ operation, status: operation === 'CreateGroup' ? 201 : 200, violations: [] });
      const output = shapeOf(model.operations[operation].output!.shape);
      const bodyMembers = Object.entries(output.members!).filter(([, ref]) => ref.location === undefined).map(([name]) => name);
      expect({ operation, extra: Object.keys(res.body).filter((k) => !bodyMembers.includes(k)) }).toEqual({ operation, extra: [] });
      for (const group of [res.body.Group, ...(res.body.GroupList ?? [])].filter(Boolean)) {
        expect(Object.keys(group).filter((k) => !(k in shapeOf('Group').members!))).toEqual([]);
      }
      for (const member of [res.body.GroupMember, ...(res.body.GroupMemberList ?? [])].filter(Boolean)) {
        expect(Object.keys(member).filter((k) => !(k in shapeOf('GroupMember').members!))).toEqual([]);
      }
    }
    expect(seen.size).toBe(10);
  });
});

describe('IAM: the policy the emulator enforces', () => {
  const denial = (caller: string, action: string, resource: string) =>
    `User: ${caller} is not authorized to perform: quicksight:${action} on resource: ${resource} because no identity-based policy allows the quicksight:${action} action`;

  test('group calls are authorized on the group\'s ARN; denied: AccessDeniedException 403 in IAM\'s words, and nothing changes', async () => {
    const policy = [
      { Effect: 'Allow', Action: ['quicksight:CreateGroup', 'quicksight:DescribeGroup', 'quicksight:CreateGroupMembership'], Resource: `arn:aws:quicksight:${REGION}:${ACCOUNT}:group/default/team-*` },
    ];
    await withEmulator({ policy }, async (other, qs) => {
      other.putUser(person('alice'));
      await createGroup('team-a', undefined, qs);
      await addMember('team-a', 'alice', qs);
      await expectServiceError(createGroup('sales', undefined, qs), 'AccessDeniedException', 403, denial(other.callerArn, 'CreateGroup', groupArn('sales')));
      await expectServiceError(deleteGroup('team-a', qs), 'AccessDeniedException', 403, denial(other.callerArn, 'DeleteGroup', groupArn('team-a')));
      await expectServiceError(removeMember('team-a', 'alice', qs), 'AccessDeniedException', 403, denial(other.callerArn, 'DeleteGroupMembership', groupArn('team-a')));
      await expectServiceError(describeMember('team-a', 'alice', qs), 'AccessDeniedException', 403, /quicksight:DescribeGroupMembership on resource: .*group\/default\/team-a because/);
      await expectServiceError(updateGroup('team-a', 'x', qs), 'AccessDeniedException', 403, /quicksight:UpdateGroup/);
      await expectServiceError(listMembers('team-a', qs), 'AccessDeniedException', 403, /quicksight:ListGroupMemberships on resource: .*group\/default\/team-a /);
      expect(other.groups().map((g) => g.groupName)).toEqual(['team-a']);
      expect(other.membersOf(ACCOUNT, NS, 'team-a')).toEqual(['alice']);
      const error = await failure(createGroup('sales', undefined, qs));
      expect(error.$metadata.httpStatusCode).toBe(403);
    });
  });

  test('the resources: CreateGroup the group it would create, ListGroups group/<namespace>/*, ListUserGroups the user, memberships the group', async () => {
    const policy = [{ Effect: 'Allow', Action: 'quicksight:*', Resource: '*' }];
    await withEmulator({ policy }, async (other, qs) => {
      other.putUser(roleSession('carol'));
      await createGroup('a b/c', undefined, qs);
      await listGroups(qs);
      await describeGroup('a b/c', qs);
      await updateGroup('a b/c', 'x', qs);
      await addMember('a b/c', 'Role/carol', qs);
      await describeMember('a b/c', 'Role/carol', qs);
      await listMembers('a b/c', qs);
      await listUserGroups('Role/carol', qs);
      await removeMember('a b/c', 'Role/carol', qs);
      await deleteGroup('a b/c', qs);
      expect(other.calls.map((c) => [c.authorization!.action, c.authorization!.resource])).toEqual([
        ['quicksight:CreateGroup', groupArn('a b/c')],
        ['quicksight:ListGroups', groupArn('*')],
        ['quicksight:DescribeGroup', groupArn('a b/c')],
        ['quicksight:UpdateGroup', groupArn('a b/c')],
        ['quicksight:CreateGroupMembership', groupArn('a b/c')],
        ['quicksight:DescribeGroupMembership', groupArn('a b/c')],
        ['quicksight:ListGroupMemberships', groupArn('a b/c')],
        ['quicksight:ListUserGroups', userArn('Role/carol')],
        ['quicksight:DeleteGroupMembership', groupArn('a b/c')],
        ['quicksight:DeleteGroup', groupArn('a b/c')],
      ]);
    });
  });

  test('a policy without the action, or on another resource, refuses ListGroups and ListUserGroups; an explicit Deny wins', async () => {
    const policy = [
      { Effect: 'Allow', Action: 'quicksight:ListGroups', Resource: `arn:aws:quicksight:${REGION}:${ACCOUNT}:group/finance/*` },
      { Effect: 'Allow', Action: 'quicksight:List*', Resource: `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/default/*` },
      { Effect: 'Allow', Action: 'quicksight:*Group*', Resource: `arn:aws:quicksight:${REGION}:${ACCOUNT}:group/default/*` },
      { Effect: 'Deny', Action: 'quicksight:DeleteGroup', Resource: '*' },
    ];
    await withEmulator({ policy }, async (other, qs) => {
      other.putUser(person('alice'));
      other.addNamespace(ACCOUNT, 'finance');
      await expect(listGroups(qs, {}, 'finance')).resolves.toBeDefined();
      // group/default/* is allowed by the *Group* statement, for ListGroups too.
      await expect(listGroups(qs)).resolves.toBeDefined();
      await expect(listUserGroups('alice', qs)).resolves.toBeDefined();
      await createGroup('Sales', undefined, qs);
      await expectServiceError(deleteGroup('Sales', qs), 'AccessDeniedException', 403,
        `User: ${other.callerArn} is not authorized to perform: quicksight:DeleteGroup on resource: ${groupArn('Sales')} with an explicit deny in an identity-based policy`);
    });
    await withEmulator({ policy: [{ Effect: 'Allow', Action: 'quicksight:ListUsers', Resource: '*' }] }, async (other, qs) => {
      other.putUser(person('alice'));
      await expectServiceError(listGroups(qs), 'AccessDeniedException', 403, denial(other.callerArn, 'ListGroups', groupArn('*')));
      await expectServiceError(listUserGroups('alice', qs), 'AccessDeniedException', 403, denial(other.callerArn, 'ListUserGroups', userArn('alice')));
    });
  });

  test('another account\'s groups are out of reach (no resource-based policy)', async () => {
    const error = await expectServiceError(client().send(new DescribeGroupCommand({ AwsAccountId: '210987654321', Namespace: NS, GroupName: 'Sales' })), 'AccessDeniedException', 403);
    expect(error.message).toMatch(/quicksight:DescribeGroup on resource: arn:aws:quicksight:us-east-1:210987654321:group\/default\/Sales because no resource-based policy allows/);
  });
});

describe('identity region', () => {
  test.each([
    ['CreateGroup', (qs: QuickSightClient) => createGroup('Sales', undefined, qs)],
    ['ListGroups', (qs: QuickSightClient) => listGroups(qs)],
    ['CreateGroupMembership', (qs: QuickSightClient) => addMember('Sales', 'alice', qs)],
    ['ListUserGroups', (qs: QuickSightClient) => listUserGroups('alice', qs)],
  ] as Array<[string, (qs: QuickSightClient) => Promise<unknown>]>)('%s signed for another region: AccessDeniedException 401 with the identity region, as the user calls get it', async (_name, call) => {
    emulator.putUser(person('alice'));
    emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' });
    const message = 'Operation is being called from endpoint eu-west-1, but your identity region is us-east-1. Please use the us-east-1 endpoint.';
    await expectServiceError(call(client({ region: 'eu-west-1' })), 'AccessDeniedException', 401, message);
    await expectServiceError(client({ region: 'eu-west-1' }).send(new ListUsersCommand(ids())), 'AccessDeniedException', 401, message);
    expect(emulator.groups().map((g) => g.groupName)).toEqual(['Sales']);
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual([]);
  });

  test('an emulator in another identity region: its group ARNs carry that region', async () => {
    await withEmulator({ identityRegion: 'eu-central-1' }, async (_other, qs) => {
      expect((await createGroup('Sales', undefined, qs)).Group!.Arn).toBe(`arn:aws:quicksight:eu-central-1:${ACCOUNT}:group/default/Sales`);
    });
  });
});

describe('an account that authenticates with IAM Identity Center', () => {
  const sso = { authenticationMethod: 'IAM_IDENTITY_CENTER' } as const;
  const dana = person('dana', { identityType: 'IAM_IDENTITY_CENTER' });

  test('the writing group calls are refused: AccessDeniedException 401 "Operation is disabled for identities managed by IAM Identity Center", and nothing changes', async () => {
    await withEmulator(sso, async (other, qs) => {
      other.putUser(dana);
      other.putUser(person('erin', { identityType: 'IAM_IDENTITY_CENTER' }));
      other.putGroup({ accountId: ACCOUNT, groupName: 'Synced', description: 'from Identity Center' });
      other.addMember(ACCOUNT, NS, 'Synced', 'dana');
      const refused: Array<[string, () => Promise<unknown>]> = [
        ['CreateGroup', () => createGroup('New', undefined, qs)],
        ['UpdateGroup', () => updateGroup('Synced', 'changed', qs)],
        ['DeleteGroup', () => deleteGroup('Synced', qs)],
        ['CreateGroupMembership', () => addMember('Synced', 'erin', qs)],
        ['DeleteGroupMembership', () => removeMember('Synced', 'dana', qs)],
      ];
      for (const [operation, call] of refused) {
        const error = await expectServiceError(call(), 'AccessDeniedException', 401, 'Operation is disabled for identities managed by IAM Identity Center');
        expect({ operation, message: error.message }).toEqual({ operation, message: IDENTITY_CENTER_REFUSAL.message });
      }
      expect(other.groups().map((g) => [g.groupName, g.description])).toEqual([['Synced', 'from Identity Center']]);
      expect(other.membersOf(ACCOUNT, NS, 'Synced')).toEqual(['dana']);
      expect(other.calls.map((c) => [c.operation, c.status, c.errorType])).toEqual(refused.map(([operation]) => [operation, 401, 'AccessDeniedException']));
    });
  });

  test('the reads are answered', async () => {
    await withEmulator(sso, async (other, qs) => {
      other.putUser(dana);
      const { principalId } = other.putGroup({ accountId: ACCOUNT, groupName: 'Synced' });
      other.addMember(ACCOUNT, NS, 'Synced', 'dana');
      expect((await describeGroup('Synced', qs)).Group).toEqual({ Arn: groupArn('Synced'), GroupName: 'Synced', PrincipalId: principalId });
      expect((await listGroups(qs)).GroupList!.map((g) => g.GroupName)).toEqual(['Synced']);
      expect((await describeMember('Synced', 'dana', qs)).GroupMember!.MemberName).toBe('dana');
      expect((await listMembers('Synced', qs)).GroupMemberList!.map((m) => m.MemberName)).toEqual(['dana']);
      expect((await listUserGroups('dana', qs)).GroupList!.map((g) => g.GroupName)).toEqual(['Synced']);
    });
  });

  test('a missing group, user or membership is not found first (like DeleteUser there); CreateGroup is refused before anything is looked up', async () => {
    await withEmulator(sso, async (other, qs) => {
      other.putUser(dana);
      other.putGroup({ accountId: ACCOUNT, groupName: 'Synced' });
      await expectServiceError(deleteGroup('Nobody', qs), 'ResourceNotFoundException', 404);
      await expectServiceError(addMember('Synced', 'nobody', qs), 'ResourceNotFoundException', 404);
      await expectServiceError(removeMember('Synced', 'dana', qs), 'ResourceNotFoundException', 404, /not a member/);
      await expectServiceError(createGroup('Synced', undefined, qs), 'AccessDeniedException', 401);
      await expectServiceError(createGroup('New', undefined, qs, 'nowhere'), 'AccessDeniedException', 401);
      // The model's constraints come first of all.
      await expectServiceError(createGroup('Łukasz', undefined, qs), 'InvalidParameterValueException', 400);
    });
  });

  test('the point the record leaves open can be answered the other way: groupWrites accept, or another refusal', async () => {
    await withEmulator({ ...sso, identityCenter: { groupWrites: 'accept' } }, async (other, qs) => {
      other.putUser(dana);
      await createGroup('New', undefined, qs);
      await addMember('New', 'dana', qs);
      expect(other.membersOf(ACCOUNT, NS, 'New')).toEqual(['dana']);
    });
    await withEmulator({ ...sso, identityCenter: { refusal: { type: 'PreconditionNotMetException', message: 'Managed elsewhere' } } }, async (_other, qs) => {
      await expectServiceError(createGroup('New', undefined, qs), 'PreconditionNotMetException', 400, 'Managed elsewhere');
    });
  });
});

describe('faults: the group calls are injectable like the others', () => {
  beforeEach(() => {
    emulator.putUser(person('alice'));
    emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' });
  });

  test.each([
    ['throttle', 'CreateGroup', 'ThrottlingException', 429, () => createGroup('New')],
    ['internal', 'ListGroups', 'InternalFailureException', 500, () => listGroups()],
    ['unavailable', 'CreateGroupMembership', 'ResourceUnavailableException', 503, () => addMember('Sales', 'alice')],
    ['throttle', 'ListUserGroups', 'ThrottlingException', 429, () => listUserGroups('alice')],
  ] as Array<['throttle' | 'internal' | 'unavailable', string, string, number, () => Promise<unknown>]>)('next(%s) on %s: %s %d, and nothing changes', async (kind, operation, name, status, call) => {
    emulator.faults.next(kind, { operation });
    await expectServiceError(call(), name, status);
    expect(emulator.calls.at(-1)).toMatchObject({ operation, status, errorType: name, fault: kind });
    expect(emulator.faultCounts[kind]).toBe(1);
    expect(emulator.groups().map((g) => g.groupName)).toEqual(['Sales']);
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual([]);
    await expect(call()).resolves.toBeDefined();
  });

  test('an error on demand (LimitExceededException on CreateGroup: the 10,000 groups of a namespace); the SDK retries it as throttling', async () => {
    emulator.faults.error('LimitExceededException', { operation: 'CreateGroup', count: 2, message: 'You have reached the limit of 10,000 groups in a namespace' });
    const error = await expectServiceError(createGroup('New', undefined, client({ maxAttempts: 2 })), 'LimitExceededException', 409, 'You have reached the limit of 10,000 groups in a namespace');
    expect(error.$metadata.attempts).toBe(2);
    expect(emulator.callCount('CreateGroup')).toBe(2);
  });

  test('the SDK\'s default retries get through next(\'throttle\', {count: 2}) on a membership call', async () => {
    emulator.faults.next('throttle', { count: 2, operation: 'CreateGroupMembership' });
    const out = await addMember('Sales', 'alice', client({ maxAttempts: 3 }));
    expect(out.$metadata.attempts).toBe(3);
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual(['alice']);
  });

  test('drop: the connection closes without an answer; always(): until clear()', async () => {
    emulator.faults.next('drop', { operation: 'DeleteGroup' });
    await expect(deleteGroup('Sales')).rejects.toThrow();
    expect(emulator.getGroup(ACCOUNT, NS, 'Sales')).toBeDefined();
    emulator.faults.always('unavailable', { operation: 'DescribeGroupMembership' });
    await expectServiceError(describeMember('Sales', 'alice'), 'ResourceUnavailableException', 503);
    await expectServiceError(describeMember('Sales', 'alice'), 'ResourceUnavailableException', 503);
    emulator.faults.clear();
    await expectServiceError(describeMember('Sales', 'alice'), 'ResourceNotFoundException', 404);
  });

  test('beforeNext: a group deleted behind the caller\'s back between two of its calls', async () => {
    emulator.beforeNext('CreateGroupMembership', ({ params }) => emulator.removeGroup(params.AwsAccountId, params.Namespace, params.GroupName));
    await describeGroup('Sales');
    await expectServiceError(addMember('Sales', 'alice'), 'ResourceNotFoundException', 404, /^Group not found/);
  });
});

describe('state the tests can set up and inspect', () => {
  test('putGroup, getGroup and groups() hand out copies; putGroup again replaces the group and its members', () => {
    emulator.putUser(person('alice'));
    const group = emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales', description: 'd', principalId: 'group/d-0000000000/fixed' });
    expect(group).toEqual({ accountId: ACCOUNT, namespace: NS, region: REGION, arn: groupArn('Sales'), groupName: 'Sales', description: 'd', principalId: 'group/d-0000000000/fixed' });
    group.description = 'changed here';
    emulator.groups()[0].description = 'and here';
    expect(emulator.getGroup(ACCOUNT, NS, 'Sales')!.description).toBe('d');
    emulator.addMember(ACCOUNT, NS, 'Sales', 'alice');
    emulator.addMember(ACCOUNT, NS, 'Sales', 'alice');
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual(['alice']);
    expect(emulator.groupsOf(ACCOUNT, NS, 'alice')).toEqual(['Sales']);
    emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' });
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual([]);
  });

  test('a group in another namespace adds the namespace; removeMember and removeGroup work behind the caller\'s back', async () => {
    emulator.putUser(person('gina', { namespace: 'finance' }));
    emulator.putGroup({ accountId: ACCOUNT, namespace: 'finance', groupName: 'Audit' });
    emulator.addMember(ACCOUNT, 'finance', 'Audit', 'gina');
    expect((await listGroups(client(), {}, 'finance')).GroupList!.map((g) => g.Arn)).toEqual([groupArn('Audit', 'finance')]);
    emulator.removeMember(ACCOUNT, 'finance', 'Audit', 'gina');
    expect(emulator.groupsOf(ACCOUNT, 'finance', 'gina')).toEqual([]);
    emulator.removeGroup(ACCOUNT, 'finance', 'Audit');
    emulator.removeGroup(ACCOUNT, 'finance', 'Audit');
    expect(emulator.groups()).toEqual([]);
  });

  test('a user registered again with the same name (a new principal id) is no member of the old one\'s groups', () => {
    emulator.putUser(person('alice'));
    emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' });
    emulator.addMember(ACCOUNT, NS, 'Sales', 'alice');
    emulator.putUser(person('alice'));
    expect(emulator.membersOf(ACCOUNT, NS, 'Sales')).toEqual([]);
  });

  test('mistakes in a test are errors, not silent no-ops', () => {
    emulator.putUser(person('alice'));
    emulator.putGroup({ accountId: ACCOUNT, groupName: 'Sales' });
    expect(() => emulator.putGroup({ accountId: '210987654321', groupName: 'Sales' })).toThrow(/holds no groups of account 210987654321/);
    expect(() => emulator.addMember(ACCOUNT, NS, 'Nobody', 'alice')).toThrow(/addMember: no group 'Nobody'/);
    expect(() => emulator.addMember(ACCOUNT, NS, 'Sales', 'nobody')).toThrow(/addMember: no user 'nobody'/);
    expect(() => emulator.removeMember(ACCOUNT, NS, 'Sales', 'nobody')).toThrow(/removeMember: no user/);
    expect(() => emulator.membersOf(ACCOUNT, NS, 'Nobody')).toThrow(/membersOf: no group 'Nobody'/);
    expect(() => emulator.groupsOf(ACCOUNT, NS, 'nobody')).toThrow(/groupsOf: no user 'nobody'/);
  });

  test('reset() forgets groups and memberships, and the same seed gives the same principal ids again', async () => {
    const first = (await createGroup('Sales')).Group!.PrincipalId;
    emulator.reset();
    expect(emulator.groups()).toEqual([]);
    const again = (await createGroup('Sales')).Group!.PrincipalId;
    expect(again).toBe(first);
  });
});
