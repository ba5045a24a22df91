// The handler against QuickSight's own rules, as the emulator now keeps them (test/emulator/account.ts,
// iam.ts): an account that uses IAM Identity Center and refuses what the record shows it refuses,
// with each answer the record leaves open; another account's users; a user that vanishes between
// two calls; a hard limit that must not be retried.
import { OWNER_TAG_KEY } from '../lib/model';
import type { EmulatorOptions, QuickSightEmulator } from './emulator/quicksight-emulator';
import { QuickSightEmulator as Emulator } from './emulator/quicksight-emulator';
import { ACCOUNT, createEvent, deleteEvent, failureOf, logLines, quickSightUser, run, useEmulator, userArn } from './handler-harness';

const emulator = useEmulator({ seed: 17 });

/** Runs `body` with the handler pointed at another emulated account (its own QuickSight endpoint). */
async function inAccount(options: EmulatorOptions, body: (account: QuickSightEmulator) => Promise<void>): Promise<void> {
  const account = await Emulator.start(options);
  const saved = process.env.AWS_ENDPOINT_URL_QUICKSIGHT;
  process.env.AWS_ENDPOINT_URL_QUICKSIGHT = account.endpoint;
  try {
    await body(account);
  } finally {
    process.env.AWS_ENDPOINT_URL_QUICKSIGHT = saved;
    await account.stop();
  }
}

const operations = (e: QuickSightEmulator) => e.calls.map((c) => `${c.operation} ${c.status}`);

describe('a user that vanishes between the ownership read and DeleteUser', () => {
  test('DeleteUser answers 404: the Delete succeeds, and nothing else is touched', async () => {
    const { PhysicalResourceId } = await run(createEvent(quickSightUser('alice')));
    emulator().putUser({ accountId: ACCOUNT, userName: 'bob', email: 'bob@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator().resetCalls();
    emulator().beforeNext('DeleteUser', ({ params }) => emulator().removeUser(params.AwsAccountId, params.Namespace, params.UserName));

    await expect(run(deleteEvent(PhysicalResourceId, quickSightUser('alice')))).resolves.toMatchObject({ PhysicalResourceId });
    expect(operations(emulator())).toEqual(expect.arrayContaining(['ListTagsForResource 200', 'DeleteUser 404']));
    expect(emulator().callCount('DeleteUser')).toBe(1);
    expect(emulator().users().map((u) => u.userName)).toEqual(['bob']);
  });
});

describe('LimitExceededException is a hard limit: not retried', () => {
  test('one RegisterUser attempt, and a FAILED that names the limit', async () => {
    emulator().faults.error('LimitExceededException', { operation: 'RegisterUser', count: 10, message: 'The user limit of this account is reached' });
    const reason = await failureOf(createEvent(quickSightUser('alice')));
    expect(reason).toMatch(/LimitExceededException \(HTTP 409, 1 attempt\): The user limit of this account is reached/);
    expect(emulator().callCount('RegisterUser')).toBe(1);
    expect(emulator().users()).toEqual([]);
  });

  test('the count is live: a ThrottlingException is retried', async () => {
    emulator().faults.error('ThrottlingException', { operation: 'RegisterUser', count: 1, message: 'Rate exceeded' });
    await run(createEvent(quickSightUser('alice')));
    expect(emulator().callCount('RegisterUser')).toBe(2);
  });
});

describe('another account than the caller\'s', () => {
  test('nothing is registered anywhere; whatever reached QuickSight was refused by IAM', async () => {
    const reason = await failureOf(createEvent(quickSightUser('alice', { AwsAccountId: '210987654321' })));
    expect(reason).toMatch(/210987654321/);
    expect(emulator().users()).toEqual([]);
    expect(emulator().calls.filter((c) => c.status >= 200 && c.status < 300)).toEqual([]);
    expect(emulator().calls.every((c) => c.errorType === 'AccessDeniedException' && c.status === 403)).toBe(true);
  });
});

describe('an account that authenticates with IAM and QuickSight (the default)', () => {
  test('an IAM Identity Center user is refused by QuickSight: FAILED with its answer, no user', async () => {
    const reason = await failureOf(createEvent(quickSightUser('dave', { IdentityType: 'IAM_IDENTITY_CENTER' })));
    expect(reason).toMatch(/InvalidParameterValueException.*IdentityType IAM_IDENTITY_CENTER is not available/);
    expect(emulator().users()).toEqual([]);
  });

  test('the same with the other plausible answer, AccessDeniedException', async () => {
    await inAccount({ identityTypeRefusal: { type: 'AccessDeniedException', message: 'Operation is not supported for this account' } }, async (account) => {
      const reason = await failureOf(createEvent(quickSightUser('dave', { IdentityType: 'IAM_IDENTITY_CENTER' })));
      expect(reason).toMatch(/AccessDeniedException.*Operation is not supported for this account/);
      expect(account.users()).toEqual([]);
      expect(account.callCount('RegisterUser')).toBe(1);
    });
  });
});

describe('an account that authenticates with IAM Identity Center', () => {
  const sso = { authenticationMethod: 'IAM_IDENTITY_CENTER', seed: 18 } as const;
  const dave = quickSightUser('dave', { IdentityType: 'IAM_IDENTITY_CENTER' });

  test('a QUICKSIGHT user is refused with QuickSight\'s answer (AccessDeniedException 401)', async () => {
    await inAccount(sso, async (account) => {
      const reason = await failureOf(createEvent(quickSightUser('alice')));
      expect(reason).toMatch(/AccessDeniedException \(HTTP 401, 1 attempt\): Operation is disabled for identities managed by IAM Identity Center/);
      expect(account.users()).toEqual([]);
    });
  });

  // The refusal of DeleteUser, in each form the record allows: the user is left in place (it leaves
  // QuickSight when it leaves IAM Identity Center) and the Delete succeeds.
  test.each([
    ['AccessDeniedException 401, the recorded message', undefined],
    ['InvalidParameterValueException 400, the same message', { type: 'InvalidParameterValueException', message: 'Operation is disabled for identities managed by IAM Identity Center' }],
    ['AccessDeniedException 401, another message', { type: 'AccessDeniedException', message: 'Users of this account are managed in IAM Identity Center' }],
  ] as const)('DeleteUser refused (%s): left in place, the Delete succeeds', async (_name, refusal) => {
    await inAccount({ ...sso, identityCenter: refusal ? { refusal: { ...refusal } } : undefined }, async (account) => {
      const { PhysicalResourceId } = await run(createEvent(dave));
      expect(account.getUser(ACCOUNT, 'default', 'dave')!.tags[OWNER_TAG_KEY]).toBeDefined();
      await expect(run(deleteEvent(PhysicalResourceId, dave))).resolves.toMatchObject({ PhysicalResourceId });
      expect(account.getUser(ACCOUNT, 'default', 'dave')).toBeDefined();
      expect(logLines.some((line) => line.includes('dave') && /IAM Identity Center/.test(line))).toBe(true);
    });
  });

  test('where QuickSight accepts the DeleteUser (the record leaves it open), the user is deleted', async () => {
    await inAccount({ ...sso, identityCenter: { deleteUser: 'accept' } }, async (account) => {
      const { PhysicalResourceId } = await run(createEvent(dave));
      await run(deleteEvent(PhysicalResourceId, dave));
      expect(account.users()).toEqual([]);
    });
  });

  // IAM's own refusal (a missing permission: 403, "User: ... is not authorized to perform:
  // quicksight:DeleteUser") must fail the Delete, not pass for IAM Identity Center's refusal (401).
  test('a missing permission is not IAM Identity Center: IAM\'s refusal (403) of DeleteUser fails the Delete', async () => {
    const policy = [{ Effect: 'Allow', Action: ['quicksight:RegisterUser', 'quicksight:DescribeUser', 'quicksight:ListTagsForResource', 'quicksight:TagResource', 'quicksight:UntagResource'], Resource: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/*` }];
    await inAccount({ ...sso, identityCenter: { deleteUser: 'accept' }, policy }, async (account) => {
      const { PhysicalResourceId } = await run(createEvent(dave));
      const reason = await failureOf(deleteEvent(PhysicalResourceId, dave));
      expect(reason).toMatch(/AccessDeniedException \(HTTP 403.*not authorized to perform: quicksight:DeleteUser/);
      expect(account.getUser(ACCOUNT, 'default', 'dave')).toBeDefined();
    });
  });

  test('RegisterUser of an IAM Identity Center user refused too (the record leaves it open): FAILED, no user', async () => {
    await inAccount({ ...sso, identityCenter: { registerUser: 'refuse' } }, async (account) => {
      const reason = await failureOf(createEvent(dave));
      expect(reason).toMatch(/AccessDeniedException \(HTTP 401, 1 attempt\): Operation is disabled for identities managed by IAM Identity Center/);
      expect(account.users()).toEqual([]);
    });
  });

  test('an existing IAM Identity Center user is adopted; an UpdateUser refused (the record leaves it open) fails the event and changes nothing', async () => {
    await inAccount({ ...sso, identityCenter: { updateUser: 'refuse' } }, async (account) => {
      account.putUser({ accountId: ACCOUNT, userName: 'dave', email: 'dave@example.com', role: 'READER', identityType: 'IAM_IDENTITY_CENTER' });
      await expect(run(createEvent(dave))).resolves.toMatchObject({ PhysicalResourceId: userArn('dave') });
      account.resetCalls();
      const reason = await failureOf(createEvent(quickSightUser('dave', { IdentityType: 'IAM_IDENTITY_CENTER', UserRole: 'AUTHOR' }), 'Other'));
      expect(reason).toMatch(/Operation is disabled for identities managed by IAM Identity Center/);
      expect(account.getUser(ACCOUNT, 'default', 'dave')!.role).toBe('READER');
    });
  });
});
