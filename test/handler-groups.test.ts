// The handler's groups and memberships against the local QuickSight emulator, through the real SDK
// client over HTTP, with the handler policy the construct grants a stack with groups enforced.
// Each test asserts the emulator's final state and the calls that reached QuickSight.
import {
  ACCOUNT, cloudFormationEndpoint, createEvent, deleteEvent, failureOf, groupArn, groupMembership, handlerPolicyFor, logLines, ofType,
  quickSightGroup, quickSightUser, run, STACK_ID, updateEvent, useEmulator, userArn,
} from './handler-harness';
import { handle } from '../lambda';
import { membershipIdOf, parseMembershipId } from '../lambda/groups';

const GROUP = 'Custom::QuickSightGroup';
const MEMBERSHIP = 'Custom::QuickSightGroupMembership';

const emulator = useEmulator({ policy: handlerPolicyFor(['default', 'finance', 'eu-west-1/default'], { groups: true }) });

function calls(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of emulator().calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
  return counts;
}

function groupsOf(userName: string, namespace = 'default'): string[] {
  return emulator().groupsOf(ACCOUNT, namespace, userName);
}

function membersOf(groupName: string, namespace = 'default'): string[] {
  return emulator().membersOf(ACCOUNT, namespace, groupName);
}

function group(groupName: string, namespace = 'default') {
  return emulator().getGroup(ACCOUNT, namespace, groupName);
}

function seedGroups(...names: string[]): void {
  for (const groupName of names) emulator().putGroup({ accountId: ACCOUNT, groupName });
}

function seedUser(userName: string): void {
  emulator().putUser({ accountId: ACCOUNT, userName, email: `${userName}@example.com`, identityType: 'QUICKSIGHT', role: 'READER' });
}

const runGroup = (event: Parameters<typeof handle>[0]) => handle(event, { budgetMs: 20_000, log: (line) => logLines.push(line) });

async function groupFailure(event: Parameters<typeof handle>[0]): Promise<string> {
  const outcome = await runGroup(event).then(() => undefined, (error: Error) => error.message);
  if (outcome === undefined) throw new Error('expected the event to fail, but it succeeded');
  return outcome;
}

// ---- GROUPS ----

describe('group: create and adopt', () => {
  test('create: one CreateGroup; the ARN is the physical id; Arn, GroupName and PrincipalId in Data', async () => {
    const outcome = await runGroup(ofType(createEvent(quickSightGroup('analysts', { Description: 'Builds analyses' }), 'Analysts'), GROUP));
    expect(outcome.PhysicalResourceId).toBe(groupArn('analysts'));
    expect(outcome.Data).toEqual({ Arn: groupArn('analysts'), GroupName: 'analysts', PrincipalId: group('analysts')!.principalId });
    expect(group('analysts')).toMatchObject({ description: 'Builds analyses' });
    expect(calls()).toEqual({ CreateGroup: 1 });
  });

  test('a name with spaces and a slash travels encoded in the path', async () => {
    const outcome = await runGroup(ofType(createEvent(quickSightGroup('Équipe a/b'), 'G'), GROUP));
    expect(outcome.PhysicalResourceId).toBe(groupArn('Équipe a/b'));
    expect(group('Équipe a/b')).toBeDefined();
  });

  test('adopt: an existing group keeps its members and takes the declared description', async () => {
    emulator().putGroup({ accountId: ACCOUNT, groupName: 'analysts', description: 'old' });
    seedUser('alice');
    emulator().addMember(ACCOUNT, 'default', 'analysts', 'alice');
    const before = group('analysts')!;
    emulator().resetCalls();
    const outcome = await runGroup(ofType(createEvent(quickSightGroup('analysts', { Description: 'new' }), 'Analysts'), GROUP));
    expect(outcome.Data).toEqual({ Arn: groupArn('analysts'), GroupName: 'analysts', PrincipalId: before.principalId });
    expect(group('analysts')).toMatchObject({ description: 'new', principalId: before.principalId });
    expect(membersOf('analysts')).toEqual(['alice']);
    expect(calls()).toEqual({ CreateGroup: 1, DescribeGroup: 1, UpdateGroup: 1 });
  });

  test('adopt with the same description: no UpdateGroup', async () => {
    emulator().putGroup({ accountId: ACCOUNT, groupName: 'analysts', description: 'same' });
    emulator().resetCalls();
    await runGroup(ofType(createEvent(quickSightGroup('analysts', { Description: 'same' }), 'Analysts'), GROUP));
    expect(calls()).toEqual({ CreateGroup: 1, DescribeGroup: 1 });
  });

  test('adoptExistingGroup false: FAILED, naming the group and the way out; the group is untouched', async () => {
    emulator().putGroup({ accountId: ACCOUNT, groupName: 'analysts', description: 'old' });
    const reason = await groupFailure(ofType(createEvent(quickSightGroup('analysts', { Description: 'new', AdoptExistingGroup: 'false' }), 'Analysts'), GROUP));
    expect(reason).toBe("QuickSight group 'analysts' already exists in namespace 'default' of account 123456789012, and adoptExistingGroup is false: delete that group, declare another name, or set adoptExistingGroup: true to manage the existing group.");
    expect(group('analysts')).toMatchObject({ description: 'old' });
  });

  test('invalid properties: FAILED naming the field, value and rule, before any call', async () => {
    const reason = await groupFailure(ofType(createEvent(quickSightGroup('tab\there', { Description: 'x'.repeat(513), Colour: 'red' }), 'G'), GROUP));
    expect(reason).toMatch(/^Invalid properties for QuickSight group /);
    expect(reason).toContain('Colour is not a property of Custom::QuickSightGroup');
    expect(reason).toContain("GroupName 'tab\\there' may only contain characters U+0020 to U+00FF");
    expect(reason).toContain('Description');
    expect(reason).toContain('must be 1 to 512 characters (it has 513)');
    expect(emulator().calls).toEqual([]);
  });

  test('the wrong identity region: the reason says which identityRegion to set on the QuickSightGroup', async () => {
    const reason = await groupFailure(ofType(createEvent(quickSightGroup('analysts', { IdentityRegion: 'eu-west-1' }), 'G'), GROUP));
    expect(reason).toMatch(/^QuickSight CreateGroup for group 'analysts' failed with AccessDeniedException .*set identityRegion: 'us-east-1' on this QuickSightGroup \(it is 'eu-west-1' now\)/);
    expect(emulator().groups()).toEqual([]);
  });

  test('another account than the stack\'s: refused before any call', async () => {
    const reason = await groupFailure(ofType(createEvent(quickSightGroup('analysts', { AwsAccountId: '210987654321' }), 'G'), GROUP));
    expect(reason).toBe("QuickSight group 'analysts' is declared in account 210987654321 (AwsAccountId), but this stack deploys to account 123456789012: QuickSight only accepts group calls for the caller's own account. Deploy it from a stack in account 210987654321.");
    expect(emulator().calls).toEqual([]);
  });
});

describe('group: update', () => {
  test('a description change: one UpdateGroup, in place', async () => {
    seedGroups('analysts');
    emulator().resetCalls();
    const outcome = await runGroup(ofType(updateEvent(groupArn('analysts'), quickSightGroup('analysts', { Description: 'a' }), quickSightGroup('analysts', { Description: 'b' }), 'Analysts'), GROUP));
    expect(outcome.PhysicalResourceId).toBe(groupArn('analysts'));
    expect(group('analysts')).toMatchObject({ description: 'b' });
    expect(calls()).toEqual({ UpdateGroup: 1 });
  });

  test('no change QuickSight knows (a new service token): one DescribeGroup for the attributes', async () => {
    seedGroups('analysts');
    emulator().resetCalls();
    const outcome = await runGroup(ofType(updateEvent(groupArn('analysts'), quickSightGroup('analysts', { ServiceToken: 'old' }), quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(outcome.Data).toMatchObject({ GroupName: 'analysts' });
    expect(calls()).toEqual({ DescribeGroup: 1 });
  });

  test('a rename is a replacement: the new group is created; the old one stays until its cleanup Delete, which deletes it', async () => {
    seedGroups('analysts');
    seedUser('alice');
    emulator().addMember(ACCOUNT, 'default', 'analysts', 'alice');
    emulator().resetCalls();
    const outcome = await runGroup(ofType(updateEvent(groupArn('analysts'), quickSightGroup('analysts'), quickSightGroup('analysts-eu'), 'Analysts'), GROUP));
    expect(outcome.PhysicalResourceId).toBe(groupArn('analysts-eu'));
    expect(emulator().groups().map((g) => g.groupName).sort()).toEqual(['analysts', 'analysts-eu']);
    expect(calls()).toEqual({ CreateGroup: 1 });

    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await runGroup(ofType(deleteEvent(groupArn('analysts'), quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(emulator().groups().map((g) => g.groupName)).toEqual(['analysts-eu']);
  });

  test('a group deleted outside the stack is created again on update', async () => {
    const outcome = await runGroup(ofType(updateEvent(groupArn('analysts'), quickSightGroup('analysts', { Description: 'a' }), quickSightGroup('analysts', { Description: 'b' }), 'Analysts'), GROUP));
    expect(outcome.PhysicalResourceId).toBe(groupArn('analysts'));
    expect(group('analysts')).toMatchObject({ description: 'b' });
  });
});

describe('group: delete', () => {
  test.each(['DELETE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'])('an intended delete (%s) deletes the group, and QuickSight drops its memberships', async (status) => {
    seedGroups('analysts');
    seedUser('alice');
    emulator().addMember(ACCOUNT, 'default', 'analysts', 'alice');
    emulator().resetCalls();
    cloudFormationEndpoint().setStatus(STACK_ID, status);
    await runGroup(ofType(deleteEvent(groupArn('analysts'), quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(group('analysts')).toBeUndefined();
    expect(groupsOf('alice')).toEqual([]);
    expect(calls()).toEqual({ DeleteGroup: 1 });
  });

  test('the delete of a group already gone succeeds', async () => {
    await runGroup(ofType(deleteEvent(groupArn('analysts'), quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(calls()).toEqual({ DeleteGroup: 1 });
    expect(logLines.some((line) => line.includes("group 'analysts' was already deleted"))).toBe(true);
  });

  test.each(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'])('a rollback (%s) never deletes a group: it may have been adopted', async (status) => {
    seedGroups('analysts');
    seedUser('alice');
    emulator().addMember(ACCOUNT, 'default', 'analysts', 'alice');
    emulator().resetCalls();
    cloudFormationEndpoint().setStatus(STACK_ID, status);
    await runGroup(ofType(deleteEvent(groupArn('analysts'), quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(membersOf('analysts')).toEqual(['alice']);
    expect(calls()).toEqual({});
  });

  test('a group another resource of the stack holds now (its construct id changed) is left to it', async () => {
    seedGroups('analysts');
    emulator().resetCalls();
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    cloudFormationEndpoint().setResources(STACK_ID, [
      { logicalId: 'AnalystsRenamed', physicalId: groupArn('analysts'), type: GROUP, status: 'CREATE_COMPLETE' },
      { logicalId: 'Analysts', physicalId: groupArn('analysts'), type: GROUP, status: 'DELETE_IN_PROGRESS' },
    ]);
    await runGroup(ofType(deleteEvent(groupArn('analysts'), quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(group('analysts')).toBeDefined();
    expect(calls()).toEqual({});
    expect(logLines.some((line) => line.includes("left group 'analysts' in place: AnalystsRenamed of this stack manages it now"))).toBe(true);
  });

  test('a stack status that cannot be read: FAILED, the group untouched', async () => {
    seedGroups('analysts');
    cloudFormationEndpoint().fail('AccessDenied', { status: 403, count: 10, message: 'not authorized' });
    const reason = await groupFailure(ofType(deleteEvent(groupArn('analysts'), quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(reason).toMatch(/^Could not read the status of stack .* so this Delete cannot tell a rollback from an intended delete\. Group 'analysts' was left untouched, while this Delete can be retried/);
    expect(group('analysts')).toBeDefined();
  });

  test.each([
    [GROUP, quickSightGroup('analysts'), groupArn('analysts')],
    [MEMBERSHIP, groupMembership('analysts', 'dave'), `${groupArn('analysts')}#member=dave`],
  ])('%s: an unknown request type is FAILED, never taken for a Delete', async (type, props, physicalId) => {
    seedGroups('analysts');
    const event = { ...ofType(deleteEvent(physicalId, props, 'Analysts'), type), RequestType: 'Destroy' } as never;
    expect(await groupFailure(event)).toBe('Unknown request type "Destroy": expected Create, Update or Delete.');
    expect(group('analysts')).toBeDefined();
    expect(emulator().calls).toEqual([]);
  });

  test('a physical id that is not a group ARN (a failed create): nothing to delete', async () => {
    const outcome = await runGroup(ofType(deleteEvent('not-an-arn', quickSightGroup('analysts'), 'Analysts'), GROUP));
    expect(outcome.PhysicalResourceId).toBe('not-an-arn');
    expect(emulator().calls).toEqual([]);
  });
});

// ---- MEMBERSHIPS CARRIED BY THE USER RESOURCE ----

describe('user memberships (Groups)', () => {
  test('create with k groups: RegisterUser and k CreateGroupMembership, nothing else', async () => {
    seedGroups('analysts', 'finance');
    emulator().resetCalls();
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts', 'finance'] })));
    expect(groupsOf('alice')).toEqual(['analysts', 'finance']);
    expect(calls()).toEqual({ RegisterUser: 1, CreateGroupMembership: 2 });
  });

  test('a group that does not exist fails the create, naming the group and the user, and leaves no user behind', async () => {
    seedGroups('analysts');
    const reason = await failureOf(createEvent(quickSightUser('alice', { Groups: ['analysts', 'missing'] })));
    expect(reason).toBe("QuickSight user 'alice' cannot join group 'missing': the group does not exist in namespace 'default' of account 123456789012 (identity region us-east-1). Declare it (QuickSightGroup, or the users file's groups), create it, or remove it from the user's groups.");
    expect(emulator().getUser(ACCOUNT, 'default', 'alice')).toBeUndefined();
    expect(membersOf('analysts')).toEqual([]);
  });

  test('a missing group on the adoption of an existing user fails without touching the user', async () => {
    seedUser('alice');
    const reason = await failureOf(createEvent(quickSightUser('alice', { Groups: ['missing'] })));
    expect(reason).toContain("QuickSight user 'alice' cannot join group 'missing'");
    expect(emulator().getUser(ACCOUNT, 'default', 'alice')).toBeDefined();
  });

  test('adopt: adds the declared memberships that are missing, leaves the undeclared ones', async () => {
    seedGroups('analysts', 'finance', 'sales');
    seedUser('alice');
    emulator().addMember(ACCOUNT, 'default', 'sales', 'alice');
    emulator().addMember(ACCOUNT, 'default', 'analysts', 'alice');
    emulator().resetCalls();
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts', 'finance'] })));
    expect(groupsOf('alice')).toEqual(['analysts', 'finance', 'sales']);
    expect(calls()).toMatchObject({ ListUserGroups: 1, CreateGroupMembership: 1 });
  });

  test('update adding one group: that one call, plus the DescribeUser the attributes need', async () => {
    seedGroups('analysts', 'finance');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts'] })));
    emulator().resetCalls();
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'] }), quickSightUser('alice', { Groups: ['analysts', 'finance'] })));
    expect(groupsOf('alice')).toEqual(['analysts', 'finance']);
    expect(calls()).toEqual({ DescribeUser: 1, CreateGroupMembership: 1 });
  });

  test('update removing one group: one DeleteGroupMembership; memberships never declared stay', async () => {
    seedGroups('analysts', 'finance', 'sales');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts', 'finance'] })));
    emulator().addMember(ACCOUNT, 'default', 'sales', 'alice');
    emulator().resetCalls();
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts', 'finance'] }), quickSightUser('alice', { Groups: ['analysts'] })));
    expect(groupsOf('alice')).toEqual(['analysts', 'sales']);
    expect(calls()).toEqual({ DescribeUser: 1, DeleteGroupMembership: 1 });
  });

  test('removing the last group leaves the property out; the membership goes', async () => {
    seedGroups('analysts');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts'] })));
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'] }), quickSightUser('alice')));
    expect(groupsOf('alice')).toEqual([]);
  });

  test('the rollback of a membership change takes the failed deployment\'s membership away again', async () => {
    seedGroups('analysts', 'finance');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts'] })));
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'] }), quickSightUser('alice', { Groups: ['finance'] })));
    expect(groupsOf('alice')).toEqual(['finance']);
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['finance'] }), quickSightUser('alice', { Groups: ['analysts'] })));
    expect(groupsOf('alice')).toEqual(['analysts']);
  });

  test('a rollback that would put the user back in a group deleted since skips it, rather than leave the stack in UPDATE_ROLLBACK_FAILED', async () => {
    seedGroups('analysts', 'finance');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts', 'finance'] })));
    // The failed update took alice out of finance; the groups stack's cleanup then deleted finance.
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts', 'finance'] }), quickSightUser('alice', { Groups: ['analysts'] })));
    emulator().removeGroup(ACCOUNT, 'default', 'finance');
    seedGroups('sales');
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'] }), quickSightUser('alice', { Groups: ['analysts', 'finance', 'sales'] })));
    expect(groupsOf('alice')).toEqual(['analysts', 'sales']);
    expect(logLines.some((line) => line.includes("not put back in group 'finance' by the rollback: the group no longer exists"))).toBe(true);
  });

  test('outside a rollback, an update naming a group deleted since still fails, naming it', async () => {
    seedGroups('analysts');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts'] })));
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_IN_PROGRESS');
    const reason = await failureOf(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'] }), quickSightUser('alice', { Groups: ['analysts', 'finance'] })));
    expect(reason).toBe("QuickSight user 'alice' cannot join group 'finance': the group does not exist in namespace 'default' of account 123456789012 (identity region us-east-1). Declare it (QuickSightGroup, or the users file's groups), create it, or remove it from the user's groups.");
  });

  test('removing a membership whose group was deleted meanwhile succeeds', async () => {
    seedGroups('analysts', 'finance');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts', 'finance'] })));
    emulator().removeGroup(ACCOUNT, 'default', 'finance');
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts', 'finance'] }), quickSightUser('alice', { Groups: ['analysts'] })));
    expect(groupsOf('alice')).toEqual(['analysts']);
  });

  test('delete: no membership call (QuickSight drops a deleted user\'s memberships)', async () => {
    seedGroups('analysts');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts'] })));
    emulator().resetCalls();
    await run(deleteEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'] })));
    expect(membersOf('analysts')).toEqual([]);
    expect(Object.keys(calls()).filter((op) => op.includes('Group'))).toEqual([]);
  });

  test('a replacement (new user name) joins the new user to every declared group', async () => {
    seedGroups('analysts');
    await run(createEvent(quickSightUser('alice', { Groups: ['analysts'] })));
    const outcome = await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'] }), quickSightUser('alicia', { Groups: ['analysts'] })));
    expect(outcome.PhysicalResourceId).toBe(userArn('alicia'));
    expect(membersOf('analysts')).toEqual(['alice', 'alicia']);
  });

  test('a user deleted outside the stack is registered again on update, with its groups', async () => {
    seedGroups('analysts');
    await run(updateEvent(userArn('alice'), quickSightUser('alice', { Groups: ['analysts'], UserRole: 'AUTHOR' }), quickSightUser('alice', { Groups: ['analysts'] })));
    expect(groupsOf('alice')).toEqual(['analysts']);
  });

  test('Groups on an IAM_IDENTITY_CENTER user: FAILED before any call', async () => {
    const reason = await failureOf(createEvent(quickSightUser('ivy', { IdentityType: 'IAM_IDENTITY_CENTER', Groups: ['analysts'] })));
    expect(reason).toContain('Groups is not accepted when IdentityType is IAM_IDENTITY_CENTER: QuickSight refuses group changes for identities managed by IAM Identity Center (manage the membership there)');
    expect(emulator().calls).toEqual([]);
  });

  test('Groups with a broken name: FAILED naming it, before any call', async () => {
    const reason = await failureOf(createEvent(quickSightUser('alice', { Groups: ['ok', 'tab\there', 'ok'] })));
    expect(reason).toContain("Groups 'tab\\there' has a group name that may only contain characters U+0020 to U+00FF");
    expect(reason).toContain("Groups 'ok' names that group more than once");
    expect(emulator().calls).toEqual([]);
  });
});

// ---- MEMBERSHIPS OF USERS THE APP DOES NOT MANAGE ----

describe('Custom::QuickSightGroupMembership', () => {
  test('create adds the membership; its intended delete removes it', async () => {
    seedGroups('analysts');
    seedUser('Analysts/dave');
    emulator().resetCalls();
    const outcome = await runGroup(ofType(createEvent(groupMembership('analysts', 'Analysts/dave'), 'Dave'), MEMBERSHIP));
    expect(parseMembershipId(outcome.PhysicalResourceId)).toEqual({ group: expect.objectContaining({ groupName: 'analysts' }), memberName: 'Analysts/dave', found: false });
    expect(membersOf('analysts')).toEqual(['Analysts/dave']);
    expect(calls()).toEqual({ DescribeGroupMembership: 1, CreateGroupMembership: 1 });

    await runGroup(ofType(deleteEvent(outcome.PhysicalResourceId, groupMembership('analysts', 'Analysts/dave'), 'Dave'), MEMBERSHIP));
    expect(membersOf('analysts')).toEqual([]);
    // One listing of the stack's resources answers for both forms of the membership's id.
    expect(cloudFormationEndpoint().calls.filter((c) => c.action === 'ListStackResources')).toHaveLength(1);
  });

  test('a membership that was there is found; a rollback leaves it, an intended delete removes it', async () => {
    seedGroups('analysts');
    seedUser('dave');
    emulator().addMember(ACCOUNT, 'default', 'analysts', 'dave');
    emulator().resetCalls();
    const outcome = await runGroup(ofType(createEvent(groupMembership('analysts', 'dave'), 'Dave'), MEMBERSHIP));
    expect(parseMembershipId(outcome.PhysicalResourceId)?.found).toBe(true);
    expect(calls()).toEqual({ DescribeGroupMembership: 1 });

    cloudFormationEndpoint().setStatus(STACK_ID, 'ROLLBACK_IN_PROGRESS');
    await runGroup(ofType(deleteEvent(outcome.PhysicalResourceId, groupMembership('analysts', 'dave'), 'Dave'), MEMBERSHIP));
    expect(membersOf('analysts')).toEqual(['dave']);

    cloudFormationEndpoint().setStatus(STACK_ID, 'DELETE_IN_PROGRESS');
    await runGroup(ofType(deleteEvent(outcome.PhysicalResourceId, groupMembership('analysts', 'dave'), 'Dave'), MEMBERSHIP));
    expect(membersOf('analysts')).toEqual([]);
  });

  test('a rollback removes a membership the failed deployment added', async () => {
    seedGroups('analysts');
    seedUser('dave');
    cloudFormationEndpoint().setStatus(STACK_ID, 'ROLLBACK_IN_PROGRESS');
    await runGroup(ofType(deleteEvent(membershipIdOf({ partition: 'aws', region: 'us-east-1', accountId: ACCOUNT, namespace: 'default', groupName: 'analysts' }, 'dave', false), groupMembership('analysts', 'dave'), 'Dave'), MEMBERSHIP));
    expect(membersOf('analysts')).toEqual([]);
    emulator().addMember(ACCOUNT, 'default', 'analysts', 'dave');
    await runGroup(ofType(deleteEvent(membershipIdOf({ partition: 'aws', region: 'us-east-1', accountId: ACCOUNT, namespace: 'default', groupName: 'analysts' }, 'dave', false), groupMembership('analysts', 'dave'), 'Dave'), MEMBERSHIP));
    expect(membersOf('analysts')).toEqual([]);
  });

  test('a missing group: FAILED naming the group and the user', async () => {
    seedUser('dave');
    const reason = await groupFailure(ofType(createEvent(groupMembership('missing', 'dave'), 'Dave'), MEMBERSHIP));
    expect(reason).toBe("QuickSight user 'dave' cannot join group 'missing': the group does not exist in namespace 'default' of account 123456789012 (identity region us-east-1). Declare it (QuickSightGroup, or the users file's groups), create it, or remove it from the user's groups.");
  });

  test('a missing user: FAILED saying the group or the user does not exist', async () => {
    seedGroups('analysts');
    const reason = await groupFailure(ofType(createEvent(groupMembership('analysts', 'nobody'), 'Dave'), MEMBERSHIP));
    expect(reason).toBe("QuickSight user 'nobody' cannot join group 'analysts': QuickSight answered that the group or the user 'nobody' does not exist in namespace 'default' of account 123456789012 (identity region us-east-1).");
  });

  test('member and group names survive the physical id, whatever their characters', () => {
    const group = { partition: 'aws', region: 'us-east-1', accountId: ACCOUNT, namespace: 'default', groupName: 'a#member=b&found' };
    for (const member of ['Role/Session', 'x&found', 'é #%']) {
      for (const found of [true, false]) expect(parseMembershipId(membershipIdOf(group, member, found))).toEqual({ group, memberName: member, found });
    }
  });
});
