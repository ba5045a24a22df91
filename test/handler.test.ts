// The handler against the local QuickSight emulator, through the real SDK client over HTTP.
// Each test asserts the emulator's final state (the declared user exists, nothing else was
// deleted) and the calls that reached QuickSight.
import { OWNER_TAG_KEY, PREVIOUS_OWNER_TAG_KEY } from '../lib/model';
import { ownerOf } from '../lambda/lifecycle';
import { adoptedMarkerOf, registeredMarkerOf } from '../lambda/ownership';
import { handle } from '../lambda';
import { SdkQuickSightUsers } from '../lambda/quicksight';
import {
  ACCOUNT, cloudFormationEndpoint, createEvent, handlerPolicyFor, deleteEvent, failureOf, iamUser, logLines, quickSightUser, run, STACK_ID, updateEvent, useEmulator, userArn,
} from './handler-harness';

// IAM enforced: every call is checked against the policy the construct grants the handler.
// (The tests of the identity-region and namespace errors declare eu-west-1 and 'nowhere': granted too, as the construct would.)
const emulator = useEmulator({ policy: handlerPolicyFor(['default', 'finance', 'nowhere', 'eu-west-1/default']) });
const OWNER = ownerOf(STACK_ID, 'User');
/** The marker of a user registered by the handler tests' events of logical id User (request id req-User). */
const REGISTERED = registeredMarkerOf(OWNER, 'req-User');

function user(name: string, namespace = 'default') {
  return emulator().getUser(ACCOUNT, namespace, name);
}

function calls(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of emulator().calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
  return counts;
}

/** Creates a user through the handler, then forgets the calls it took. */
async function created(props: Record<string, unknown>, logicalId = 'User') {
  const outcome = await run(createEvent(props, logicalId));
  emulator().resetCalls();
  return outcome;
}

// ---- CREATE ----

describe('create', () => {
  test('a QUICKSIGHT user: one RegisterUser, invitation URL in Data, owner tag set', async () => {
    const outcome = await run(createEvent(quickSightUser('alice', { UserRole: 'AUTHOR', Tags: [{ Key: 'team', Value: 'finance' }] })));

    expect(outcome.PhysicalResourceId).toBe(userArn('alice'));
    expect(outcome.Data).toEqual({
      Arn: userArn('alice'), UserName: 'alice', PrincipalId: user('alice')!.principalId, InvitationUrl: expect.stringMatching(/^https:\/\//),
    });
    expect(user('alice')).toMatchObject({ email: 'alice@example.com', role: 'AUTHOR', identityType: 'QUICKSIGHT', tags: { team: 'finance', [OWNER_TAG_KEY]: REGISTERED } });
    expect(calls()).toEqual({ RegisterUser: 1 });
  });

  test('an IAM user: named after the IAM user, no invitation URL', async () => {
    const outcome = await run(createEvent(iamUser('bob')));
    expect(outcome.Data).toMatchObject({ Arn: userArn('bob'), UserName: 'bob', InvitationUrl: '' });
    expect(user('bob')).toMatchObject({ identityType: 'IAM', iamArn: `arn:aws:iam::${ACCOUNT}:user/bob` });
    expect(calls()).toEqual({ RegisterUser: 1 });
  });

  test('an IAM role session: named RoleName/SessionName, reachable through the encoded path', async () => {
    const props = iamUser('x', { IamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, SessionName: 'carol' });
    const outcome = await run(createEvent(props));
    expect(outcome.PhysicalResourceId).toBe(userArn('Analysts/carol'));
    expect(user('Analysts/carol')).toBeDefined();

    // An update goes through the encoded user name too.
    await run(updateEvent(outcome.PhysicalResourceId, props, { ...props, UserRole: 'AUTHOR' }));
    expect(user('Analysts/carol')!.role).toBe('AUTHOR');
  });

  test('external login and custom permissions are registered', async () => {
    await run(createEvent(iamUser('erin', {
      CustomPermissionsName: 'NoExports', ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://login.example.com', ExternalLoginId: 'erin-1',
    })));
    expect(user('erin')).toMatchObject({
      customPermissionsName: 'NoExports', externalLoginFederationProviderType: 'CUSTOM_OIDC', externalLoginFederationProviderUrl: 'https://login.example.com', externalLoginId: 'erin-1',
    });
  });
});

describe('adopt', () => {
  test('a replayed create adopts the user it registered the first time', async () => {
    const props = quickSightUser('alice', { Tags: [{ Key: 'team', Value: 'finance' }] });
    const first = await created(props);

    const replay = await run(createEvent(props));

    expect(replay.PhysicalResourceId).toBe(first.PhysicalResourceId);
    expect(replay.Data).toMatchObject({ Arn: userArn('alice'), UserName: 'alice', PrincipalId: user('alice')!.principalId, InvitationUrl: '' });
    expect(emulator().users()).toHaveLength(1);
    // Register (409), Describe, ListTags; nothing to converge, and the marker stays the registered
    // one (the same request id): a rollback would remove the user this event registered.
    expect(calls()).toEqual({ RegisterUser: 1, DescribeUser: 1, ListTagsForResource: 1 });
    expect(user('alice')!.tags[OWNER_TAG_KEY]).toBe(REGISTERED);
  });

  test('a user this resource registered in an earlier event (then retained) is adopted, not taken for its own', async () => {
    await created(quickSightUser('alice'));
    // The same resource declares it again later: another CloudFormation event, another request id.
    await run({ ...createEvent(quickSightUser('alice')), RequestId: 'req-later' });
    expect(user('alice')!.tags[OWNER_TAG_KEY]).toBe(adoptedMarkerOf(OWNER));
  });

  test('a user made by hand is converged to the declared email, role, permissions, external login and tags', async () => {
    emulator().putUser({
      accountId: ACCOUNT, userName: 'alice', email: 'old@example.com', role: 'ADMIN', identityType: 'QUICKSIGHT',
      customPermissionsName: 'Legacy', tags: { team: 'old', stray: 'x' },
    });

    await run(createEvent(quickSightUser('alice', { UserRole: 'READER', Tags: [{ Key: 'team', Value: 'finance' }] })));

    expect(user('alice')).toMatchObject({ email: 'alice@example.com', role: 'READER', tags: { team: 'finance', [OWNER_TAG_KEY]: adoptedMarkerOf(OWNER) } });
    expect(user('alice')!.customPermissionsName).toBeUndefined();
    expect(calls()).toEqual({ RegisterUser: 1, DescribeUser: 1, UpdateUser: 1, ListTagsForResource: 1, UntagResource: 1, TagResource: 1 });
  });

  test('adoptExistingUser false: a clear FAILED, and the existing user is left untouched', async () => {
    emulator().putUser({ accountId: ACCOUNT, userName: 'alice', email: 'old@example.com', role: 'ADMIN', identityType: 'QUICKSIGHT' });

    const reason = await failureOf(createEvent(quickSightUser('alice', { AdoptExistingUser: 'false' })));

    expect(reason).toBe("QuickSight user 'alice' already exists in namespace 'default' of account 123456789012, and adoptExistingUser is false: delete that user, declare another name, or set adoptExistingUser: true to manage the existing user.");
    expect(user('alice')).toMatchObject({ email: 'old@example.com', role: 'ADMIN' });
    // ListTagsForResource: the failed event checks whether the existing user is its own (a replay).
    expect(calls()).toEqual({ RegisterUser: 1, ListTagsForResource: 1 });
  });

  test('an existing user of another identity type is not adopted', async () => {
    emulator().putUser({ accountId: ACCOUNT, userName: 'dave', email: 'dave@example.com', role: 'READER', identityType: 'IAM', iamArn: `arn:aws:iam::${ACCOUNT}:user/dave` });
    const reason = await failureOf(createEvent(quickSightUser('dave')));
    expect(reason).toMatch(/^QuickSight user 'dave' already exists with identity type IAM, but this stack declares QUICKSIGHT/);
    expect(user('dave')!.identityType).toBe('IAM');
  });
});

// ---- UPDATE ----

describe('update in place', () => {
  const base = quickSightUser('alice', { UserRole: 'READER', Tags: [{ Key: 'team', Value: 'finance' }] });

  test.each([
    ['email', { Email: 'alice.new@example.com' }, { email: 'alice.new@example.com' }],
    ['role up', { UserRole: 'ADMIN_PRO' }, { role: 'ADMIN_PRO' }],
    ['custom permissions on', { CustomPermissionsName: 'NoExports' }, { customPermissionsName: 'NoExports' }],
  ])('%s: one UpdateUser, same physical id', async (_name, change, expected) => {
    const { PhysicalResourceId } = await created(base);

    const outcome = await run(updateEvent(PhysicalResourceId, base, { ...base, ...change }));

    expect(outcome.PhysicalResourceId).toBe(PhysicalResourceId);
    expect(outcome.Data).toMatchObject({ Arn: PhysicalResourceId, UserName: 'alice', PrincipalId: user('alice')!.principalId, InvitationUrl: '' });
    expect(user('alice')).toMatchObject(expected);
    expect(calls()).toEqual({ UpdateUser: 1 });
  });

  test('role down, from ADMIN to READER', async () => {
    const admin = { ...base, UserRole: 'ADMIN' };
    const { PhysicalResourceId } = await created(admin);
    await run(updateEvent(PhysicalResourceId, admin, base));
    expect(user('alice')!.role).toBe('READER');
    expect(calls()).toEqual({ UpdateUser: 1 });
  });

  test('custom permissions off: UnapplyCustomPermissions', async () => {
    const withPermissions = { ...base, CustomPermissionsName: 'NoExports' };
    const { PhysicalResourceId } = await created(withPermissions);
    await run(updateEvent(PhysicalResourceId, withPermissions, base));
    expect(user('alice')!.customPermissionsName).toBeUndefined();
    expect(calls()).toEqual({ UpdateUser: 1 });
  });

  test('external login on, changed, then off (NONE)', async () => {
    const bob = iamUser('bob');
    const cognito = { ...bob, ExternalLoginFederationProviderType: 'COGNITO', ExternalLoginId: 'bob-1' };
    const oidc = { ...bob, ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://login.example.com', ExternalLoginId: 'bob-2' };
    const { PhysicalResourceId } = await created(bob);

    await run(updateEvent(PhysicalResourceId, bob, cognito));
    expect(user('bob')).toMatchObject({ externalLoginFederationProviderType: 'COGNITO', externalLoginId: 'bob-1' });
    await run(updateEvent(PhysicalResourceId, cognito, oidc));
    expect(user('bob')).toMatchObject({ externalLoginFederationProviderType: 'CUSTOM_OIDC', externalLoginFederationProviderUrl: 'https://login.example.com', externalLoginId: 'bob-2' });
    await run(updateEvent(PhysicalResourceId, oidc, bob));
    expect(user('bob')!.externalLoginFederationProviderType).toBeUndefined();
    expect(calls()).toEqual({ UpdateUser: 3 });
  });

  test('tags added, changed and removed: TagResource and UntagResource, the owner tag kept', async () => {
    const { PhysicalResourceId } = await created({ ...base, Tags: [{ Key: 'team', Value: 'finance' }, { Key: 'old', Value: '1' }] });

    await run(updateEvent(PhysicalResourceId, { ...base, Tags: [{ Key: 'team', Value: 'finance' }, { Key: 'old', Value: '1' }] },
      { ...base, Tags: [{ Key: 'team', Value: 'sales' }, { Key: 'new', Value: '2' }] }));

    expect(user('alice')!.tags).toEqual({ team: 'sales', new: '2', [OWNER_TAG_KEY]: REGISTERED });
    // The attributes need the PrincipalId, which only DescribeUser returns when UpdateUser is not called.
    expect(calls()).toEqual({ UntagResource: 1, TagResource: 1, DescribeUser: 1 });
  });

  test('all tags removed', async () => {
    const { PhysicalResourceId } = await created(base);
    const { Tags: _none, ...untagged } = base;
    await run(updateEvent(PhysicalResourceId, base, untagged));
    expect(user('alice')!.tags).toEqual({ [OWNER_TAG_KEY]: REGISTERED });
  });

  test('a change the user does not see (adoptExistingUser) makes one DescribeUser only', async () => {
    const { PhysicalResourceId } = await created(base);
    const outcome = await run(updateEvent(PhysicalResourceId, base, { ...base, AdoptExistingUser: 'false' }));
    expect(outcome.PhysicalResourceId).toBe(PhysicalResourceId);
    expect(calls()).toEqual({ DescribeUser: 1 });
  });

  test('a user deleted outside the stack is registered again on the next update', async () => {
    const { PhysicalResourceId } = await created(base);
    emulator().removeUser(ACCOUNT, 'default', 'alice');

    const outcome = await run(updateEvent(PhysicalResourceId, base, { ...base, UserRole: 'AUTHOR' }));

    expect(outcome.PhysicalResourceId).toBe(PhysicalResourceId);
    expect(outcome.Data!.InvitationUrl).toMatch(/^https:\/\//);
    expect(user('alice')).toMatchObject({ role: 'AUTHOR', tags: { team: 'finance', [OWNER_TAG_KEY]: REGISTERED } });
    expect(calls()).toEqual({ UpdateUser: 1, RegisterUser: 1 });
  });
});

describe('replacement', () => {
  test('a new name registers a new user; the old one goes with CloudFormation\'s cleanup Delete', async () => {
    const alice = quickSightUser('alice');
    const old = await created(alice);
    const renamed = quickSightUser('alicia', { Email: 'alice@example.com' });

    const outcome = await run(updateEvent(old.PhysicalResourceId, alice, renamed));

    expect(outcome.PhysicalResourceId).toBe(userArn('alicia'));
    expect(outcome.Data!.InvitationUrl).toMatch(/^https:\/\//);
    expect(calls()).toEqual({ RegisterUser: 1 });
    expect(user('alice')).toBeDefined(); // still there until the update succeeds as a whole

    await run(deleteEvent(old.PhysicalResourceId, alice));
    expect(emulator().users().map((u) => u.userName)).toEqual(['alicia']);
  });

  test('a new namespace is a new user', async () => {
    emulator().addNamespace(ACCOUNT, 'finance');
    const alice = quickSightUser('alice');
    const old = await created(alice);
    const outcome = await run(updateEvent(old.PhysicalResourceId, alice, { ...alice, Namespace: 'finance' }));
    expect(outcome.PhysicalResourceId).toBe(userArn('alice', 'finance'));
    await run(deleteEvent(old.PhysicalResourceId, alice));
    expect(emulator().users().map((u) => u.arn)).toEqual([userArn('alice', 'finance')]);
  });

  test('a new identity type on the same name is refused before any change: the user is never deregistered', async () => {
    const asQuickSight = quickSightUser('dave');
    const old = await created(asQuickSight);
    const before = user('dave')!;
    const asIdentityCenter = { ...asQuickSight, IdentityType: 'IAM_IDENTITY_CENTER' };

    const reason = await failureOf(updateEvent(old.PhysicalResourceId, asQuickSight, asIdentityCenter));

    expect(reason).toMatch(/^QuickSight user 'dave' has identity type QUICKSIGHT; this update declares identity type IAM_IDENTITY_CENTER under the same name\..*refused and the user left untouched\. To change it, deploy once without this user/);
    expect(user('dave')).toEqual(before);
    expect(calls()).toEqual({ DescribeUser: 1, ListTagsForResource: 1 });
  });

  test('the rollback of a refused identity change converges the untouched user', async () => {
    const asQuickSight = quickSightUser('dave', { Tags: [{ Key: 'team', Value: 'a' }] });
    const old = await created(asQuickSight);
    const before = user('dave')!;
    const asIdentityCenter = { ...asQuickSight, IdentityType: 'IAM_IDENTITY_CENTER', Tags: [{ Key: 'team', Value: 'b' }] };
    await failureOf(updateEvent(old.PhysicalResourceId, asQuickSight, asIdentityCenter));

    // CloudFormation rolls back: the old properties go back to the same physical id.
    const outcome = await run(updateEvent(old.PhysicalResourceId, asIdentityCenter, asQuickSight));

    expect(outcome.PhysicalResourceId).toBe(old.PhysicalResourceId);
    expect(user('dave')).toEqual(before);
    expect(calls().DeleteUser ?? 0).toBe(0);
    expect(calls().RegisterUser ?? 0).toBe(0);
  });

  test('an IAM user moved to another IAM path keeps its QuickSight user (IAM names are unique in an account): updated in place', async () => {
    const bob = iamUser('bob');
    const old = await created(bob);
    const { principalId } = user('bob')!;
    const moved = { ...bob, IamArn: `arn:aws:iam::${ACCOUNT}:user/team/bob`, UserRole: 'AUTHOR' };
    const outcome = await run(updateEvent(old.PhysicalResourceId, bob, moved));
    expect(outcome.PhysicalResourceId).toBe(old.PhysicalResourceId);
    expect(user('bob')).toMatchObject({ principalId, role: 'AUTHOR', tags: { [OWNER_TAG_KEY]: REGISTERED } });
    expect(calls()).toEqual({ DescribeUser: 1, ListTagsForResource: 1, UpdateUser: 1 });
  });

  test('two resources that swap names keep both users through the cleanup Deletes', async () => {
    const a = await created(quickSightUser('alice'), 'A');
    const b = await created(quickSightUser('bob'), 'B');

    const newA = await run(updateEvent(a.PhysicalResourceId, quickSightUser('alice'), quickSightUser('bob'), 'A'));
    const newB = await run(updateEvent(b.PhysicalResourceId, quickSightUser('bob'), quickSightUser('alice'), 'B'));
    await run(deleteEvent(a.PhysicalResourceId, quickSightUser('alice'), 'A'));
    await run(deleteEvent(b.PhysicalResourceId, quickSightUser('bob'), 'B'));

    expect(newA.PhysicalResourceId).toBe(userArn('bob'));
    expect(newB.PhysicalResourceId).toBe(userArn('alice'));
    expect(emulator().users().map((u) => u.userName).sort()).toEqual(['alice', 'bob']);
    expect(calls().DeleteUser ?? 0).toBe(0);
  });
});

// ---- DELETE ----

describe('delete', () => {
  test('deregisters the user, and nothing else', async () => {
    const { PhysicalResourceId } = await created(quickSightUser('alice'));
    await created(quickSightUser('bob'), 'Other');

    const outcome = await run(deleteEvent(PhysicalResourceId, quickSightUser('alice')));

    expect(outcome.PhysicalResourceId).toBe(PhysicalResourceId);
    expect(emulator().users().map((u) => u.userName)).toEqual(['bob']);
    expect(calls()).toEqual({ ListTagsForResource: 1, DeleteUser: 1 });
  });

  test('a missing user is success', async () => {
    const outcome = await run(deleteEvent(userArn('ghost'), quickSightUser('ghost')));
    expect(outcome.PhysicalResourceId).toBe(userArn('ghost'));
    expect(calls()).toEqual({ ListTagsForResource: 1 });
  });

  test('a replayed delete is success', async () => {
    const { PhysicalResourceId } = await created(quickSightUser('alice'));
    await run(deleteEvent(PhysicalResourceId, quickSightUser('alice')));
    await run(deleteEvent(PhysicalResourceId, quickSightUser('alice')));
    expect(emulator().users()).toEqual([]);
  });

  test('a user that another stack resource has taken over is left in place', async () => {
    const { PhysicalResourceId } = await created(quickSightUser('alice'), 'Old');
    await created(quickSightUser('alice'), 'New'); // adopts it

    await run(deleteEvent(PhysicalResourceId, quickSightUser('alice'), 'Old'));

    expect(user('alice')!.tags[OWNER_TAG_KEY]).toBe(adoptedMarkerOf(ownerOf(STACK_ID, 'New')));
    // Old lets go: the previous-owner marker New kept for it is removed.
    expect(user('alice')!.tags[PREVIOUS_OWNER_TAG_KEY]).toBeUndefined();
    expect(calls()).toEqual({ ListTagsForResource: 1, UntagResource: 1 });
  });

  test('a physical id that is not a user ARN (never created) makes no call', async () => {
    await run(deleteEvent('not-an-arn', quickSightUser('alice')));
    expect(emulator().calls).toEqual([]);
  });
});

// ---- ERRORS ----

describe('errors', () => {
  test('the wrong identity region: the reason says which identityRegion to set', async () => {
    const reason = await failureOf(createEvent(quickSightUser('alice', { IdentityRegion: 'eu-west-1' })));
    expect(reason).toBe("QuickSight RegisterUser for user 'alice' failed with AccessDeniedException (HTTP 401, 1 attempt): Operation is being called from endpoint eu-west-1, but your identity region is us-east-1. Please use the us-east-1 endpoint. QuickSight only accepts user calls in the account's identity region: set identityRegion: 'us-east-1' on this QuickSightUser (it is 'eu-west-1' now) and deploy again.");
    expect(emulator().users()).toEqual([]);
  });

  test('an unknown namespace: the reason names it', async () => {
    const reason = await failureOf(createEvent(quickSightUser('alice', { Namespace: 'nowhere' })));
    expect(reason).toMatch(/^QuickSight RegisterUser for user 'alice' failed with ResourceNotFoundException \(HTTP 404, 1 attempt\): .*nowhere.* Check that namespace 'nowhere' exists in QuickSight account 123456789012 \(identity region us-east-1\)\.$/);
  });

  test('invalid properties fail before any call, naming every broken rule', async () => {
    const reason = await failureOf(createEvent(quickSightUser('alice', { Email: 'not-an-email', UserRole: 'OWNER', SessionName: 'x', Emial: 'typo' })));
    expect(reason).toBe("Invalid properties for QuickSight user 'alice': Emial is not a property of Custom::QuickSightUser; Email 'not-an-email' must be an email address (name@domain); UserRole 'OWNER' must be one of READER, AUTHOR, ADMIN, READER_PRO, AUTHOR_PRO, ADMIN_PRO; SessionName 'x' must be 2 to 64 characters (it has 1); SessionName 'x' is only accepted with the ARN of an IAM role (IamArn ...:role/...), as the session of that role.");
    expect(emulator().calls).toEqual([]);
  });

  test('values CloudFormation stringified are read back', async () => {
    const outcome = await run(createEvent(quickSightUser('alice', { AwsAccountId: Number(ACCOUNT), AdoptExistingUser: 'FALSE', Tags: [{ Key: 'cost', Value: 42 }] })));
    expect(outcome.PhysicalResourceId).toBe(userArn('alice'));
    expect(user('alice')!.tags.cost).toBe('42');
  });

  test('throttling, then success: the SDK retries with backoff', async () => {
    emulator().faults.next('throttle', { count: 3 });
    const outcome = await run(createEvent(quickSightUser('alice')));
    expect(outcome.PhysicalResourceId).toBe(userArn('alice'));
    expect(emulator().callCount('RegisterUser')).toBe(4);
    expect(emulator().users()).toHaveLength(1);
  });

  test('a 500 and a 503, then success', async () => {
    emulator().faults.next('internal', { count: 1 });
    emulator().faults.next('unavailable', { count: 1 });
    const outcome = await run(createEvent(quickSightUser('alice')));
    expect(outcome.PhysicalResourceId).toBe(userArn('alice'));
    expect(emulator().callCount('RegisterUser')).toBe(3);
    expect(emulator().users()).toHaveLength(1);
  });

  test('a dropped connection, then success', async () => {
    emulator().faults.next('drop', { count: 1 });
    const outcome = await run(createEvent(quickSightUser('alice')));
    expect(outcome.PhysicalResourceId).toBe(userArn('alice'));
    expect(emulator().users()).toHaveLength(1);
  });

  test('a persistent 500: a clear FAILED before the deadline, never a hang', async () => {
    emulator().faults.always('internal');
    const started = Date.now();
    const reason = await failureOf(createEvent(quickSightUser('alice')), 3_000);
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(reason).toMatch(/^QuickSight did not complete RegisterUser for user 'alice' within the handler's time budget of 3 s \(last answer: InternalFailureException \(HTTP 500\): .*\); nothing was lost: deploy again/);
    expect(emulator().users()).toEqual([]);
  });

  test('slow answers: a clear FAILED before the deadline', async () => {
    emulator().faults.always('slow', { delayMs: 30_000 });
    const started = Date.now();
    const reason = await failureOf(deleteEvent(userArn('alice'), quickSightUser('alice')), 2_000);
    expect(Date.now() - started).toBeLessThan(3_500);
    expect(reason).toMatch(/^QuickSight did not complete ListTagsForResource for user 'alice' within the handler's time budget of 2 s/);
  });

  test('the Lambda entry point keeps a margin before the Lambda timeout', async () => {
    const { handler } = await import('../lambda');
    emulator().faults.always('unavailable');
    const started = Date.now();
    const error = await handler(createEvent(quickSightUser('alice')), { getRemainingTimeInMillis: () => 7_000 }).catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(3_500);
    expect((error as Error).message).toMatch(/time budget of 2 s .*ResourceUnavailableException \(HTTP 503\)/);
  });
});

describe('logs', () => {
  test('log lines carry the request type, user name and outcome', async () => {
    await run(createEvent(quickSightUser('alice')));
    const line = JSON.parse(logLines.at(-1)!);
    expect(line).toMatchObject({ requestType: 'Create', logicalResourceId: 'User', userName: 'alice', outcome: 'succeeded', calls: { RegisterUser: 1 } });
  });
});

afterAll(() => {
  // Across every test of this file: no email address and no invitation URL was ever logged.
  expect(logLines.length).toBeGreaterThan(20);
  for (const line of logLines) {
    expect(line).not.toMatch(/@example\.com|https?:\/\//);
  }
});

// ---- ROLLBACK SAFETY ----

describe('a rollback never deregisters a user that was there before', () => {
  const adoptedByHand = () => emulator().putUser({ accountId: ACCOUNT, userName: 'alice', email: 'alice@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
  const describeStacksCalls = () => cloudFormationEndpoint().calls.length;

  test.each(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS'])(
    'an adopted user is released in %s: owner marker removed, nothing else', async (status) => {
      const { principalId } = adoptedByHand();
      const { PhysicalResourceId } = await created(quickSightUser('alice', { Tags: [{ Key: 'team', Value: 'finance' }] }));
      cloudFormationEndpoint().setStatus(STACK_ID, status);

      await run(deleteEvent(PhysicalResourceId, quickSightUser('alice')));

      expect(user('alice')).toMatchObject({ principalId, tags: { team: 'finance' } });
      expect(user('alice')!.tags[OWNER_TAG_KEY]).toBeUndefined();
      expect(calls()).toEqual({ ListTagsForResource: 1, UntagResource: 1 });
      expect(cloudFormationEndpoint().calls).toEqual([{ stackName: STACK_ID, status: 200, answered: status }]);
    });

  test.each(['DELETE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'])('an adopted user is deregistered in %s (an intended delete)', async (status) => {
    adoptedByHand();
    const { PhysicalResourceId } = await created(quickSightUser('alice'));
    cloudFormationEndpoint().setStatus(STACK_ID, status);
    await run(deleteEvent(PhysicalResourceId, quickSightUser('alice')));
    expect(user('alice')).toBeUndefined();
    expect(describeStacksCalls()).toBe(1);
  });

  test('a user this resource registered is deregistered in a rollback, without asking CloudFormation', async () => {
    const { PhysicalResourceId } = await created(quickSightUser('alice'));
    cloudFormationEndpoint().setStatus(STACK_ID, 'ROLLBACK_IN_PROGRESS');
    await run(deleteEvent(PhysicalResourceId, quickSightUser('alice')));
    expect(user('alice')).toBeUndefined();
    expect(describeStacksCalls()).toBe(0);
  });

  test('a user without an owner marker is left in place in a rollback', async () => {
    adoptedByHand();
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    await run(deleteEvent(userArn('alice'), quickSightUser('alice')));
    expect(user('alice')).toBeDefined();
    expect(calls()).toEqual({ ListTagsForResource: 1 });
  });

  test('when the stack status cannot be read, the Delete fails with a clear reason and the user is untouched', async () => {
    adoptedByHand();
    const { PhysicalResourceId } = await created(quickSightUser('alice'));
    const before = user('alice');
    cloudFormationEndpoint().fail('AccessDenied', { status: 403, message: 'User is not authorized to perform: cloudformation:DescribeStacks' });

    const reason = await failureOf(deleteEvent(PhysicalResourceId, quickSightUser('alice')));

    expect(reason).toMatch(new RegExp(`^Could not read the status of stack ${STACK_ID.replace(/[/.]/g, '\\$&')} \\(cloudformation:DescribeStacks failed with AccessDenied: User is not authorized.*\\), so this Delete cannot tell a rollback from an intended delete\\. The user was left untouched`));
    expect(user('alice')).toEqual(before);
  });

  test('a status that is neither a rollback nor an intended delete is never guessed', async () => {
    adoptedByHand();
    const { PhysicalResourceId } = await created(quickSightUser('alice'));
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_IN_PROGRESS');
    const reason = await failureOf(deleteEvent(PhysicalResourceId, quickSightUser('alice')));
    expect(reason).toMatch(/is in status UPDATE_IN_PROGRESS, which is neither a rollback nor a delete or update cleanup.*left untouched/);
    expect(user('alice')).toBeDefined();
  });

  test('a rename onto a user that already exists, rolled back: the existing user survives, unmarked', async () => {
    const { principalId } = emulator().putUser({ accountId: ACCOUNT, userName: 'bob', email: 'bob@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    const alice = await created(quickSightUser('alice'));
    const renamed = await run(updateEvent(alice.PhysicalResourceId, quickSightUser('alice'), quickSightUser('bob')));
    expect(renamed.PhysicalResourceId).toBe(userArn('bob'));

    // Another resource fails: the rollback's cleanup deletes the new physical id.
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    await run(deleteEvent(renamed.PhysicalResourceId, quickSightUser('bob')));

    expect(user('bob')).toMatchObject({ principalId });
    expect(user('bob')!.tags[OWNER_TAG_KEY]).toBeUndefined();
    expect(user('alice')).toBeDefined();
  });
});

describe('a failed event leaves no user it registered', () => {
  test('a Create whose RegisterUser answer never arrives deregisters the user it registered', async () => {
    // QuickSight registers the user, and the answer is lost (the deadline, a dropped connection).
    const lostAnswer = (region: string, signal: AbortSignal) => {
      const api = new SdkQuickSightUsers(region, signal);
      const register = api.register.bind(api);
      api.register = async (spec, tags) => {
        await register(spec, tags);
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
      };
      return api;
    };

    const reason = await handle(createEvent(quickSightUser('alice')), { quickSight: lostAnswer, log: (l) => logLines.push(l) }).then(() => '', (e: Error) => e.message);

    expect(reason).toMatch(/^QuickSight RegisterUser for user 'alice' failed with TimeoutError: socket hang up/);
    expect(emulator().users()).toEqual([]);
    expect(calls()).toEqual({ RegisterUser: 1, ListTagsForResource: 1, DeleteUser: 1 });
  });

  test('never a user it adopted: a lost answer on a user that existed is left alone', async () => {
    emulator().putUser({ accountId: ACCOUNT, userName: 'alice', email: 'alice@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    const failingTag = (region: string, signal: AbortSignal) => {
      const api = new SdkQuickSightUsers(region, signal);
      api.tag = async () => { throw Object.assign(new Error('Injected'), { name: 'InternalFailureException', $metadata: { httpStatusCode: 500 } }); };
      return api;
    };
    await handle(createEvent(quickSightUser('alice')), { quickSight: failingTag, log: (l) => logLines.push(l) }).then(() => '', (e: Error) => e.message);
    expect(user('alice')).toBeDefined();
    expect(calls().DeleteUser ?? 0).toBe(0);
  });

  test('a user declared in another account than the stack\'s fails before any call', async () => {
    const reason = await failureOf(createEvent(quickSightUser('alice', { AwsAccountId: '210987654321' })));
    expect(reason).toBe("QuickSight user 'alice' is declared in account 210987654321 (AwsAccountId), but this stack deploys to account 123456789012: QuickSight only accepts user calls for the caller's own account. Deploy this user from a stack in account 210987654321.");
    expect(emulator().calls).toEqual([]);
  });
});

describe('a user passing from one stack resource to another', () => {
  test('the resource that takes it over keeps the previous owner\'s marker until that one lets go', async () => {
    await created(quickSightUser('alice'), 'Old');
    const oldMarker = user('alice')!.tags[OWNER_TAG_KEY];
    await created(quickSightUser('alice'), 'New');
    expect(user('alice')!.tags).toMatchObject({ [OWNER_TAG_KEY]: adoptedMarkerOf(ownerOf(STACK_ID, 'New')), [PREVIOUS_OWNER_TAG_KEY]: oldMarker });
  });

  test('while the previous owner has not let go (its deployment failed), the new owner\'s Delete hands the user back, never deregisters it', async () => {
    const { principalId } = (await created(quickSightUser('alice'), 'Old'), user('alice')!);
    const oldMarker = user('alice')!.tags[OWNER_TAG_KEY];
    const taken = await created(quickSightUser('alice'), 'New');
    cloudFormationEndpoint().setStatus(STACK_ID, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');

    await run(deleteEvent(taken.PhysicalResourceId, quickSightUser('alice'), 'New'));

    expect(user('alice')).toMatchObject({ principalId, tags: { [OWNER_TAG_KEY]: oldMarker } });
    expect(user('alice')!.tags[PREVIOUS_OWNER_TAG_KEY]).toBeUndefined();
    expect(calls().DeleteUser ?? 0).toBe(0);
  });

  test('once the previous owner has let go, the new owner manages the user alone: its stack delete deregisters it', async () => {
    const old = await created(quickSightUser('alice'), 'Old');
    const taken = await created(quickSightUser('alice'), 'New');
    await run(deleteEvent(old.PhysicalResourceId, quickSightUser('alice'), 'Old'));
    await run(deleteEvent(taken.PhysicalResourceId, quickSightUser('alice'), 'New'));
    expect(user('alice')).toBeUndefined();
  });

  test('a release whose marker change fails still succeeds, the user in place (a failed rollback Delete would lead to a stack delete)', async () => {
    emulator().putUser({ accountId: ACCOUNT, userName: 'alice', email: 'alice@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    const { PhysicalResourceId } = await created(quickSightUser('alice'));
    cloudFormationEndpoint().setStatus(STACK_ID, 'ROLLBACK_IN_PROGRESS');
    emulator().faults.always('unavailable', { operation: 'UntagResource' });
    const outcome = await run(deleteEvent(PhysicalResourceId, quickSightUser('alice')), 3_000);
    expect(outcome.PhysicalResourceId).toBe(PhysicalResourceId);
    expect(user('alice')).toBeDefined();
  });
});
