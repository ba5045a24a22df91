// The handler against a QuickSight account that authenticates with IAM Identity Center, as the
// emulator models it from the public record (test/emulator/account.ts): users of other identity
// types are refused, and IAM Identity Center users cannot be deleted through the API. Where the
// record is unclear (the exact refusal of DeleteUser), the handler is tested against each
// plausible answer: it must recognise the refusal by what is certain, not by its wording.
import { ownerOf } from '../lambda/lifecycle';
import { registeredMarkerOf } from '../lambda/ownership';
import { QuickSightEmulator } from './emulator/quicksight-emulator';
import { ACCOUNT, createEvent, deleteEvent, failureOf, logLines, quickSightUser, run, STACK_ID, updateEvent, useEmulator, userArn } from './handler-harness';

const emulator = useEmulator({ authenticationMethod: 'IAM_IDENTITY_CENTER' });
const dave = (extra = {}) => quickSightUser('dave', { IdentityType: 'IAM_IDENTITY_CENTER', ...extra });

test('an IAM Identity Center user is registered, with its custom permissions', async () => {
  const outcome = await run(createEvent(dave({ CustomPermissionsName: 'NoExports' })));
  expect(outcome.Data).toMatchObject({ UserName: 'dave', InvitationUrl: '' });
  expect(emulator().getUser(ACCOUNT, 'default', 'dave')).toMatchObject({
    identityType: 'IAM_IDENTITY_CENTER', customPermissionsName: 'NoExports', tags: { 'quicksight-user-cdk:owner': registeredMarkerOf(ownerOf(STACK_ID, 'User'), 'req-User') },
  });
});

test('a QUICKSIGHT user is refused by the account, with QuickSight\'s own error, and nothing is left behind', async () => {
  const reason = await failureOf(createEvent(quickSightUser('alice')));
  expect(reason).toMatch(/^QuickSight RegisterUser for user 'alice' failed with AccessDeniedException \(HTTP 401, 1 attempt\): Operation is disabled for identities managed by IAM Identity Center/);
  expect(emulator().users()).toEqual([]);
});

test('an identity change to QUICKSIGHT keeping the name is refused before any call that changes the user', async () => {
  const { PhysicalResourceId } = await run(createEvent(dave()));
  const before = emulator().getUser(ACCOUNT, 'default', 'dave');
  const reason = await failureOf(updateEvent(PhysicalResourceId, dave(), quickSightUser('dave')));
  expect(reason).toMatch(/has identity type IAM_IDENTITY_CENTER; this update declares identity type QUICKSIGHT under the same name/);
  expect(emulator().getUser(ACCOUNT, 'default', 'dave')).toEqual(before);
});

describe('DeleteUser of an IAM Identity Center user: refused, left in place, and the Delete succeeds', () => {
  // The record shows AccessDeniedException with this message for RegisterUser and CreateGroup in
  // such accounts; for DeleteUser the message is only in screenshots. Each plausible answer:
  const answers = [
    { type: 'AccessDeniedException', message: 'Operation is disabled for identities managed by IAM Identity Center' },
    { type: 'AccessDeniedException', message: 'User is not authorized to delete this user' },
    { type: 'InvalidParameterValueException', message: 'Cannot delete an IAM Identity Center user' },
  ] as const;

  test.each(answers)('answered with %o', async (refusal) => {
    const other = await QuickSightEmulator.start({ authenticationMethod: 'IAM_IDENTITY_CENTER', identityCenter: { refusal } });
    const saved = process.env.AWS_ENDPOINT_URL_QUICKSIGHT;
    process.env.AWS_ENDPOINT_URL_QUICKSIGHT = other.endpoint;
    try {
      const { PhysicalResourceId } = await run(createEvent(dave()));
      const linesBefore = logLines.length;
      const outcome = await run(deleteEvent(PhysicalResourceId, dave()));
      expect(outcome.PhysicalResourceId).toBe(userArn('dave'));
      expect(other.getUser(ACCOUNT, 'default', 'dave')).toBeDefined();
      expect(other.calls.map((c) => `${c.operation} ${c.status}`)).toEqual(['RegisterUser 201', 'ListTagsForResource 200', `DeleteUser ${refusal.type === 'AccessDeniedException' ? 401 : 400}`, 'DescribeUser 200']);
      expect(logLines.slice(linesBefore).some((line) => line.includes('left in place: managed by IAM Identity Center'))).toBe(true);
    } finally {
      process.env.AWS_ENDPOINT_URL_QUICKSIGHT = saved;
      await other.stop();
    }
  });

  test('an AccessDeniedException on a user of another identity type is a real refusal: the Delete fails', async () => {
    const other = await QuickSightEmulator.start({ policy: [{ Effect: 'Deny', Action: 'quicksight:DeleteUser', Resource: '*' }, { Effect: 'Allow', Action: 'quicksight:*', Resource: '*' }] });
    const saved = process.env.AWS_ENDPOINT_URL_QUICKSIGHT;
    process.env.AWS_ENDPOINT_URL_QUICKSIGHT = other.endpoint;
    try {
      const { PhysicalResourceId } = await run(createEvent(quickSightUser('alice')));
      const reason = await failureOf(deleteEvent(PhysicalResourceId, quickSightUser('alice')));
      expect(reason).toMatch(/^QuickSight DeleteUser for user 'alice' failed with AccessDeniedException \(HTTP 40[13]/);
      expect(other.getUser(ACCOUNT, 'default', 'alice')).toBeDefined();
    } finally {
      process.env.AWS_ENDPOINT_URL_QUICKSIGHT = saved;
      await other.stop();
    }
  });
});
