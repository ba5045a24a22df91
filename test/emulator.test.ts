// The QuickSight emulator, driven the way the handler tests drive it: the real
// @aws-sdk/client-quicksight over HTTP, pointed at it by AWS_ENDPOINT_URL_QUICKSIGHT.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DescribeAccountSubscriptionCommand,
  DeleteUserByPrincipalIdCommand,
  DeleteUserCommand,
  DescribeUserCommand,
  ListTagsForResourceCommand,
  ListUsersCommand,
  QuickSightClient,
  RegisterUserCommand,
  type RegisterUserCommandInput,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateUserCommand,
  type UpdateUserCommandInput,
  paginateListUsers,
} from '@aws-sdk/client-quicksight';
import { ERROR_STATUS, IDENTITY_CENTER_REFUSAL, QuickSightEmulator } from './emulator/quicksight-emulator';
import { parseArgs } from './emulator/main';
import { ROUTES } from './emulator/operations';
import { MAX_RESULTS, SHAPES, TAG_LIST } from './emulator/validation';
import { expectServiceError, failure, useSdkEmulator } from './emulator/sdk-harness';
import { memberShape, quickSightModel, readRequest, shapeOf } from './judges/quicksight-model';

const ACCOUNT = '123456789012';
const NS = 'default';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/Analyst`;

const { client, closeAfterTest, withEmulator, raw, emulator: theEmulator } = useSdkEmulator('us-east-1');
let emulator: QuickSightEmulator;
beforeAll(() => {
  emulator = theEmulator();
});

const quicksightUser = (overrides: Partial<RegisterUserCommandInput> = {}): RegisterUserCommandInput => ({
  AwsAccountId: ACCOUNT, Namespace: NS, IdentityType: 'QUICKSIGHT', UserName: 'alice', Email: 'alice@example.com', UserRole: 'READER', ...overrides,
});
const iamRoleUser = (overrides: Partial<RegisterUserCommandInput> = {}): RegisterUserCommandInput => ({
  AwsAccountId: ACCOUNT, Namespace: NS, IdentityType: 'IAM', IamArn: ROLE_ARN, SessionName: 'bob', Email: 'bob@example.com', UserRole: 'AUTHOR', ...overrides,
});
const update = (overrides: Partial<UpdateUserCommandInput> = {}): UpdateUserCommandInput => ({
  AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice', Email: 'alice@example.com', Role: 'READER', ...overrides,
});
const tags = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));
const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261128/us-east-1/quicksight/aws4_request, SignedHeaders=host, Signature=00' };

describe('RegisterUser', () => {
  test('a QUICKSIGHT user: 201, inactive, with an invitation URL', async () => {
    const out = await client().send(new RegisterUserCommand(quicksightUser({ Tags: [{ Key: 'team', Value: 'bi' }] })));

    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.Status).toBe(201);
    expect(out.UserInvitationUrl).toMatch(new RegExp(`^https://us-east-1\\.quicksight\\.aws\\.amazon\\.com/sn/accounts/${ACCOUNT}/invite/\\w+$`));
    expect(out.RequestId).toBe(out.$metadata.requestId);
    expect(out.User).toEqual({
      Arn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/alice`,
      UserName: 'alice', Email: 'alice@example.com', Role: 'READER', IdentityType: 'QUICKSIGHT', Active: false,
      PrincipalId: expect.any(String),
    });
    expect(emulator.getUser(ACCOUNT, NS, 'alice')).toMatchObject({ principalId: out.User!.PrincipalId, tags: { team: 'bi' }, region: 'us-east-1' });
  });

  test('an IAM user: the name is the IAM user name, active, no invitation URL', async () => {
    const out = await client().send(new RegisterUserCommand({
      AwsAccountId: ACCOUNT, Namespace: NS, IdentityType: 'IAM', IamArn: `arn:aws:iam::${ACCOUNT}:user/division/carol`, Email: 'c@example.com', UserRole: 'AUTHOR_PRO',
    }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.UserInvitationUrl).toBeUndefined();
    expect(out.User).toMatchObject({ UserName: 'carol', Active: true, IdentityType: 'IAM', Role: 'AUTHOR_PRO', Arn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/carol` });
  });

  test('an IAM role with a session: RoleName/SessionName', async () => {
    const out = await client().send(new RegisterUserCommand(iamRoleUser()));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.UserInvitationUrl).toBeUndefined();
    expect(out.User).toMatchObject({ UserName: 'Analyst/bob', Arn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/Analyst/bob`, Active: true });
    expect(emulator.getUser(ACCOUNT, NS, 'Analyst/bob')).toMatchObject({ iamArn: ROLE_ARN, sessionName: 'bob' });
  });

  test('an IAM role without a session: the role name', async () => {
    const out = await client().send(new RegisterUserCommand(iamRoleUser({ SessionName: undefined })));
    expect(out.User?.UserName).toBe('Analyst');
  });

  test('an IAM Identity Center user, in an account that authenticates with IAM Identity Center: active, no invitation URL', async () => {
    await withEmulator({ authenticationMethod: 'IAM_IDENTITY_CENTER' }, async (sso, qs) => {
      const out = await qs.send(new RegisterUserCommand(quicksightUser({ IdentityType: 'IAM_IDENTITY_CENTER', UserName: 'dana@corp' })));
      expect(out.$metadata.httpStatusCode).toBe(201);
      expect(out.UserInvitationUrl).toBeUndefined();
      expect(out.User).toMatchObject({ UserName: 'dana@corp', IdentityType: 'IAM_IDENTITY_CENTER', Active: true });
      expect(sso.users()).toHaveLength(1);
    });
  });

  test('external logins: COGNITO gets the Cognito URL, CUSTOM_OIDC keeps its URL', async () => {
    const cognito = await client().send(new RegisterUserCommand(quicksightUser({ ExternalLoginFederationProviderType: 'COGNITO', ExternalLoginId: 'id-1' })));
    expect(cognito.User).toMatchObject({
      ExternalLoginFederationProviderType: 'COGNITO', ExternalLoginFederationProviderUrl: 'cognito-identity.amazonaws.com', ExternalLoginId: 'id-1',
    });
    const oidc = await client().send(new RegisterUserCommand(quicksightUser({
      UserName: 'erin', ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://idp.example.com', ExternalLoginId: 'id-2',
    })));
    expect(oidc.User).toMatchObject({ ExternalLoginFederationProviderType: 'CUSTOM_OIDC', ExternalLoginFederationProviderUrl: 'https://idp.example.com' });
  });

  test('principal ids are unique', async () => {
    for (const name of ['u1', 'u2', 'u3']) await client().send(new RegisterUserCommand(quicksightUser({ UserName: name })));
    expect(new Set(emulator.users().map((u) => u.principalId)).size).toBe(3);
  });

  test('registering the same user twice: ResourceExistsException 409', async () => {
    await client().send(new RegisterUserCommand(quicksightUser()));
    const error = await expectServiceError(client().send(new RegisterUserCommand(quicksightUser({ Email: 'other@example.com' }))), 'ResourceExistsException', 409, /alice/);
    expect(error.ResourceType).toBe('USER');
    expect(emulator.getUser(ACCOUNT, NS, 'alice')?.email).toBe('alice@example.com');
  });
});

describe('a user name with a slash travels as one encoded path segment', () => {
  test('Describe, Update, the tag calls and Delete all reach Analyst/bob', async () => {
    const qs = client();
    const { User } = await qs.send(new RegisterUserCommand(iamRoleUser({ Tags: [{ Key: 'a', Value: '1' }] })));
    const path = { AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'Analyst/bob' };

    expect((await qs.send(new DescribeUserCommand(path))).User?.Arn).toBe(User!.Arn);
    expect((await qs.send(new UpdateUserCommand({ ...path, Email: 'new@example.com', Role: 'ADMIN' }))).User).toMatchObject({ Email: 'new@example.com', Role: 'ADMIN' });
    await qs.send(new TagResourceCommand({ ResourceArn: User!.Arn!, Tags: [{ Key: 'b', Value: '2' }] }));
    await qs.send(new UntagResourceCommand({ ResourceArn: User!.Arn!, TagKeys: ['a'] }));
    expect((await qs.send(new ListTagsForResourceCommand({ ResourceArn: User!.Arn! }))).Tags).toEqual([{ Key: 'b', Value: '2' }]);
    await qs.send(new DeleteUserCommand(path));

    expect(emulator.users()).toEqual([]);
    expect(emulator.calls.map((c) => [c.operation, c.status, c.userName ?? c.resourceArn])).toEqual([
      ['RegisterUser', 201, 'Analyst/bob'],
      ['DescribeUser', 200, 'Analyst/bob'],
      ['UpdateUser', 200, 'Analyst/bob'],
      ['TagResource', 200, User!.Arn],
      ['UntagResource', 200, User!.Arn],
      ['ListTagsForResource', 200, User!.Arn],
      ['DeleteUser', 200, 'Analyst/bob'],
    ]);
  });

  test('an unencoded slash is another path, which no operation has', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'Analyst/bob', email: 'b@example.com', role: 'READER', identityType: 'IAM' });
    const encoded = await raw('GET', `/accounts/${ACCOUNT}/namespaces/default/users/Analyst%2Fbob`, SIGNED);
    const unencoded = await raw('GET', `/accounts/${ACCOUNT}/namespaces/default/users/Analyst/bob`, SIGNED);
    expect(encoded.status).toBe(200);
    expect(unencoded.status).toBe(404);
    expect(unencoded.headers['x-amzn-errortype']).toBe('UnknownOperationException');
  });
});

describe('validation: InvalidParameterValueException 400 naming the field and the value', () => {
  // Loosely typed: the cases send values the SDK's types forbid but its serializer passes on.
  const register = (input: Record<string, unknown>) => (qs: QuickSightClient) =>
    qs.send(new RegisterUserCommand(quicksightUser(input as Partial<RegisterUserCommandInput>)));
  const registerIam = (input: Partial<RegisterUserCommandInput>) => (qs: QuickSightClient) => qs.send(new RegisterUserCommand(iamRoleUser(input)));
  const updateAlice = (input: Record<string, unknown>) => (qs: QuickSightClient) =>
    qs.send(new UpdateUserCommand(update(input as Partial<UpdateUserCommandInput>)));
  const describe_ = (input: Record<string, string>) => (qs: QuickSightClient) =>
    qs.send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice', ...input }));
  const tagAlice = (Tags: Array<{ Key: string; Value: string }>) => (qs: QuickSightClient) =>
    qs.send(new TagResourceCommand({ ResourceArn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/alice`, Tags }));

  const cases: Array<[string, (qs: QuickSightClient) => Promise<unknown>, RegExp]> = [
    ['AwsAccountId pattern', describe_({ AwsAccountId: '12345' }), /Value '12345' at 'awsAccountId'.*\^\[0-9\]\{12\}\$/],
    ['Namespace pattern', describe_({ Namespace: 'sales team' }), /Value 'sales team' at 'namespace'.*regular expression pattern/],
    ['Namespace length', describe_({ Namespace: 'n'.repeat(65) }), /at 'namespace'.*length less than or equal to 64/],
    ['UserName pattern (U+0020 to U+00FF only)', register({ UserName: 'Łukasz' }), /Value 'Łukasz' at 'userName'.*regular expression pattern/],
    ['UserName length (an empty path label)', describe_({ UserName: '' }), /Value '' at 'userName'.*length greater than or equal to 1/],
    ['SessionName length', registerIam({ SessionName: 'x' }), /Value 'x' at 'sessionName'.*length greater than or equal to 2/],
    ['SessionName pattern', registerIam({ SessionName: 'bob smith' }), /Value 'bob smith' at 'sessionName'.*regular expression pattern/],
    ['CustomPermissionsName pattern', register({ CustomPermissionsName: 'no spaces' }), /Value 'no spaces' at 'customPermissionsName'.*pattern/],
    ['CustomPermissionsName length', register({ CustomPermissionsName: 'p'.repeat(65) }), /at 'customPermissionsName'.*less than or equal to 64/],
    ['IdentityType enum', register({ IdentityType: 'ROOT' }), /Value 'ROOT' at 'identityType'.*enum value set: \[IAM, QUICKSIGHT, IAM_IDENTITY_CENTER\]/],
    ['UserRole enum', register({ UserRole: 'OWNER' }), /Value 'OWNER' at 'userRole'.*enum value set/],
    ['Role enum (UpdateUser)', updateAlice({ Role: 'OWNER' }), /Value 'OWNER' at 'role'.*enum value set/],
    ['RESTRICTED_READER is not available', register({ UserRole: 'RESTRICTED_READER' }), /'RESTRICTED_READER' is not currently available for use/],
    ['RESTRICTED_AUTHOR is not available (UpdateUser)', updateAlice({ Role: 'RESTRICTED_AUTHOR' }), /'RESTRICTED_AUTHOR' is not currently available for use/],
    ['Email required (RegisterUser)', register({ Email: undefined }), /Value null at 'email'.*must not be null/],
    ['IdentityType required', register({ IdentityType: undefined }), /Value null at 'identityType'/],
    ['UserRole required', register({ UserRole: undefined }), /Value null at 'userRole'/],
    ['Email required (UpdateUser)', updateAlice({ Email: undefined }), /Value null at 'email'/],
    ['Role required (UpdateUser)', updateAlice({ Role: undefined }), /Value null at 'role'/],
    ['all violations reported at once', register({ Email: undefined, UserRole: 'OWNER' }), /^2 validation errors detected: .*'email'.*; .*'userRole'/],
    ['Email without @', register({ Email: 'alice.example.com' }), /Email 'alice.example.com'/],
    ['Email with two @', register({ Email: 'a@b@example.com' }), /Email 'a@b@example.com'/],
    ['Email without a local part', updateAlice({ Email: '@example.com' }), /Email '@example.com'/],
    ['Tags: at least 1', register({ Tags: [] }), /at 'tags'.*length greater than or equal to 1/],
    ['Tags: at most 200', register({ Tags: tags(201) }), /at 'tags'.*length less than or equal to 200/],
    ['Tag key: at least 1 character', tagAlice([{ Key: '', Value: 'v' }]), /Value '' at 'tags.1.member.key'/],
    ['Tag key: at most 128 characters', tagAlice([{ Key: 'k'.repeat(129), Value: 'v' }]), /at 'tags.1.member.key'.*less than or equal to 128/],
    ['Tag value: at least 1 character', register({ Tags: [{ Key: 'a', Value: 'b' }, { Key: 'k', Value: '' }] }), /Value '' at 'tags.2.member.value'/],
    ['Tag value: at most 256 characters', tagAlice([{ Key: 'k', Value: 'v'.repeat(257) }]), /at 'tags.1.member.value'.*less than or equal to 256/],
    ['UntagResource: keys required', (qs) => qs.send(new UntagResourceCommand({ ResourceArn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/alice`, TagKeys: [] })), /Value null at 'tagKeys'/],
    ['MaxResults at least 1', (qs) => qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS, MaxResults: 0 })), /Value '0' at 'maxResults'.*greater than or equal to 1/],
    ['MaxResults at most 100', (qs) => qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS, MaxResults: 101 })), /Value '101' at 'maxResults'.*less than or equal to 100/],
    ['IAM without IamArn', registerIam({ IamArn: undefined, SessionName: undefined }), /^Invalid resource identifiers provided$/],
    ['IAM with UserName', registerIam({ UserName: 'bob' }), /^The following parameters are not applicable to this identity type: User Name$/],
    ['IamArn that is no IAM user or role', registerIam({ IamArn: `arn:aws:iam::${ACCOUNT}:group/admins` }), /IamArn 'arn:aws:iam::123456789012:group\/admins'/],
    ['SessionName with an IAM user', registerIam({ IamArn: `arn:aws:iam::${ACCOUNT}:user/carol` }), /SessionName 'bob' is only accepted with the ARN of an IAM role/],
    ['QUICKSIGHT with IamArn', register({ IamArn: ROLE_ARN }), /not applicable to this identity type: Iam Arn$/],
    ['QUICKSIGHT with SessionName', register({ SessionName: 'bob' }), /not applicable to this identity type: Session Name$/],
    ['QUICKSIGHT without UserName', register({ UserName: undefined }), /UserName is required for identity type QUICKSIGHT/],
    ['ExternalLoginFederationProviderType value', register({ ExternalLoginFederationProviderType: 'SAML' }), /ExternalLoginFederationProviderType 'SAML'/],
    ['ExternalLoginFederationProviderType NONE only on UpdateUser', register({ ExternalLoginFederationProviderType: 'NONE' }), /ExternalLoginFederationProviderType 'NONE'/],
    ['CUSTOM_OIDC requires CustomFederationProviderUrl', register({ ExternalLoginFederationProviderType: 'CUSTOM_OIDC' }), /CustomFederationProviderUrl is required/],
    ['CustomFederationProviderUrl only with CUSTOM_OIDC', register({ ExternalLoginFederationProviderType: 'COGNITO', CustomFederationProviderUrl: 'https://x' }), /CustomFederationProviderUrl 'https:\/\/x' is only accepted/],
    ['ExternalLoginId only with a provider type', updateAlice({ ExternalLoginId: 'id-1' }), /ExternalLoginId 'id-1'/],
    ['UnapplyCustomPermissions false', updateAlice({ UnapplyCustomPermissions: false }), /UnapplyCustomPermissions accepts only the value 'true'/],
    ['UnapplyCustomPermissions with CustomPermissionsName', updateAlice({ UnapplyCustomPermissions: true, CustomPermissionsName: 'p1' }), /CustomPermissionsName 'p1' cannot be combined/],
  ];

  test.each(cases)('%s', async (_name, call, message) => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'alice@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    const before = emulator.users();
    await expectServiceError(call(client()), 'InvalidParameterValueException', 400, message);
    expect(emulator.users()).toEqual(before);
  });

  test('a valid request passes the same checks', async () => {
    await expect(client().send(new RegisterUserCommand(quicksightUser({ CustomPermissionsName: 'p1', Tags: tags(3) })))).resolves.toBeDefined();
    await expect(client().send(new UpdateUserCommand(update({ UnapplyCustomPermissions: true })))).resolves.toBeDefined();
    expect(emulator.getUser(ACCOUNT, NS, 'alice')?.customPermissionsName).toBeUndefined();
  });
});

describe('errors as the SDK surfaces them', () => {
  const describeAlice = (qs = client()) => qs.send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' }));

  test.each([
    ['AccessDeniedException', 401, () => describeAlice(client({ region: 'eu-west-1' }))],
    ['InvalidParameterValueException', 400, () => client().send(new RegisterUserCommand(quicksightUser({ Email: 'nope' })))],
    ['PreconditionNotMetException', 400, () => (emulator.faults.error('PreconditionNotMetException'), describeAlice())],
    ['ResourceNotFoundException', 404, () => describeAlice()],
    ['ResourceExistsException', 409, () => (emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT' }),
      client().send(new RegisterUserCommand(quicksightUser())))],
    ['LimitExceededException', 409, () => client().send(new RegisterUserCommand(quicksightUser({ Tags: tags(51) })))],
    ['ThrottlingException', 429, () => (emulator.faults.next('throttle'), describeAlice())],
    ['InternalFailureException', 500, () => (emulator.faults.next('internal'), describeAlice())],
    ['ResourceUnavailableException', 503, () => (emulator.faults.next('unavailable'), describeAlice())],
    ['InvalidNextTokenException', 400, () => client().send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS, NextToken: 'forged' }))],
  ] as Array<[string, number, () => Promise<unknown>]>)('%s: HTTP %d', async (name, status, call) => {
    const error = await expectServiceError(call(), name, status);
    expect(error.$fault).toBe(status >= 500 ? 'server' : 'client');
    expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).not.toBe('UnknownError');
    expect(emulator.calls.at(-1)).toMatchObject({ status, errorType: name });
  });

  test('on the wire: status, x-amzn-ErrorType, a JSON body with __type, Message and RequestId', async () => {
    const res = await raw('GET', `/accounts/${ACCOUNT}/namespaces/default/users/nobody`, SIGNED);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(res.body).toEqual({ __type: 'ResourceNotFoundException', Message: expect.stringContaining('nobody'), RequestId: res.headers['x-amzn-requestid'], ResourceType: 'USER' });
  });

  test('an unknown route: 404 UnknownOperationException', async () => {
    const res = await raw('PATCH', `/accounts/${ACCOUNT}/namespaces/default/users/alice`, SIGNED);
    expect(res.status).toBe(404);
    expect(res.body.__type).toBe('UnknownOperationException');
    expect(res.headers['x-amzn-requestid']).toBe(res.body.RequestId);
    expect(emulator.callCount()).toBe(0);
    expect(emulator.calls).toEqual([expect.objectContaining({ operation: 'UnknownOperation', status: 404 })]);
  });

  test('a request without Authorization: 401 AccessDeniedException', async () => {
    const res = await raw('GET', `/accounts/${ACCOUNT}/namespaces/default/users`);
    expect(res.status).toBe(401);
    expect(res.headers['x-amzn-errortype']).toBe('AccessDeniedException');
  });

  test('malformed JSON: 400 SerializationException', async () => {
    const res = await raw('POST', `/accounts/${ACCOUNT}/namespaces/default/users`, { ...SIGNED, 'content-type': 'application/json' }, '{"Email":');
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe('SerializationException');
  });

  test('the SDK retries LimitExceededException by default (it classes it as throttling)', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT', tags: Object.fromEntries(tags(50).map((t) => [t.Key, t.Value])) });
    const arn = emulator.getUser(ACCOUNT, NS, 'alice')!.arn;
    const error = await expectServiceError(client({ maxAttempts: 2 }).send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'one', Value: 'more' }] })), 'LimitExceededException', 409);
    expect(error.$metadata.attempts).toBe(2);
    expect(emulator.callCount('TagResource')).toBe(2);
  });
});

describe('identity region', () => {
  test('a call signed for another region is refused with the identity region in the message', async () => {
    await expectServiceError(client({ region: 'us-west-2' }).send(new RegisterUserCommand(quicksightUser())), 'AccessDeniedException', 401,
      'Operation is being called from endpoint us-west-2, but your identity region is us-east-1. Please use the us-east-1 endpoint.');
    expect(emulator.users()).toEqual([]);
    expect(emulator.calls).toEqual([expect.objectContaining({ operation: 'RegisterUser', region: 'us-west-2', status: 401 })]);
  });

  test('an emulator with another identity region', async () => {
    const other = await QuickSightEmulator.start({ identityRegion: 'eu-west-1' });
    try {
      await expectServiceError(client({ endpoint: other.endpoint }).send(new RegisterUserCommand(quicksightUser())), 'AccessDeniedException', 401,
        'Operation is being called from endpoint us-east-1, but your identity region is eu-west-1. Please use the eu-west-1 endpoint.');
      const out = await client({ endpoint: other.endpoint, region: 'eu-west-1' }).send(new RegisterUserCommand(quicksightUser()));
      expect(out.User?.Arn).toBe(`arn:aws:quicksight:eu-west-1:${ACCOUNT}:user/default/alice`);
      expect(out.UserInvitationUrl).toMatch(/^https:\/\/eu-west-1\.quicksight\.aws\.amazon\.com\//);
    } finally {
      await other.stop();
    }
  });
});

describe('ListUsers', () => {
  beforeEach(() => {
    for (let i = 0; i < 250; i++) {
      emulator.putUser({ accountId: ACCOUNT, userName: `user${String(i).padStart(3, '0')}`, email: `u${i}@example.com`, role: 'READER', identityType: 'QUICKSIGHT' });
    }
  });

  test('250 users in pages of MaxResults 100', async () => {
    const qs = client();
    const pages: number[] = [];
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const out = await qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS, MaxResults: 100, NextToken }));
      pages.push(out.UserList!.length);
      names.push(...out.UserList!.map((u) => u.UserName!));
      NextToken = out.NextToken;
    } while (NextToken);
    expect(pages).toEqual([100, 100, 50]);
    expect(new Set(names).size).toBe(250);
  });

  test('the default page is 100 users (the SDK paginator)', async () => {
    const pages: number[] = [];
    for await (const page of paginateListUsers({ client: client() }, { AwsAccountId: ACCOUNT, Namespace: NS })) pages.push(page.UserList!.length);
    expect(pages).toEqual([100, 100, 50]);
    expect(emulator.callCount('ListUsers')).toBe(3);
  });

  test('a token is bound to its namespace', async () => {
    emulator.addNamespace(ACCOUNT, 'sales');
    const first = await client().send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS, MaxResults: 10 }));
    await expectServiceError(client().send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: 'sales', NextToken: first.NextToken })), 'InvalidNextTokenException', 400);
  });
});

describe('tags', () => {
  const arn = `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/alice`;

  test('add, replace and remove', async () => {
    const qs = client();
    await qs.send(new RegisterUserCommand(quicksightUser({ Tags: [{ Key: 'team', Value: 'bi' }, { Key: 'cost center', Value: '42' }] })));
    await qs.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'data' }, { Key: 'env', Value: 'prod' }] }));
    expect((await qs.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: 'team', Value: 'data' }, { Key: 'cost center', Value: '42' }, { Key: 'env', Value: 'prod' },
    ]);
    await qs.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['cost center', 'team', 'absent'] }));
    expect(emulator.getUser(ACCOUNT, NS, 'alice')?.tags).toEqual({ env: 'prod' });
  });

  test('at most 50 tags: TagResource over the limit is LimitExceededException and changes nothing', async () => {
    const qs = client();
    await qs.send(new RegisterUserCommand(quicksightUser({ Tags: tags(50) })));
    await expectServiceError(qs.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'extra', Value: 'x' }] })), 'LimitExceededException', 409);
    expect(Object.keys(emulator.getUser(ACCOUNT, NS, 'alice')!.tags)).toHaveLength(50);
    await qs.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k0', Value: 'replaced' }] }));
    expect(emulator.getUser(ACCOUNT, NS, 'alice')!.tags.k0).toBe('replaced');
  });

  test('RegisterUser with 51 tags is LimitExceededException and creates nothing', async () => {
    await expectServiceError(client().send(new RegisterUserCommand(quicksightUser({ Tags: tags(51) }))), 'LimitExceededException', 409);
    expect(emulator.users()).toEqual([]);
  });

  test('the tag calls on a missing user: ResourceNotFoundException', async () => {
    await expectServiceError(client().send(new ListTagsForResourceCommand({ ResourceArn: arn })), 'ResourceNotFoundException', 404);
    await expectServiceError(client().send(new TagResourceCommand({ ResourceArn: arn, Tags: tags(1) })), 'ResourceNotFoundException', 404);
    await expectServiceError(client().send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['k'] })), 'ResourceNotFoundException', 404);
  });
});

describe('namespaces', () => {
  test('an unknown namespace: ResourceNotFoundException until it is added', async () => {
    await expectServiceError(client().send(new RegisterUserCommand(quicksightUser({ Namespace: 'sales' }))), 'ResourceNotFoundException', 404, 'Namespace sales not found');
    await expectServiceError(client().send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: 'sales', UserName: 'alice' })), 'ResourceNotFoundException', 404, 'Namespace sales not found');
    emulator.addNamespace(ACCOUNT, 'sales');
    const out = await client().send(new RegisterUserCommand(quicksightUser({ Namespace: 'sales' })));
    expect(out.User?.Arn).toBe(`arn:aws:quicksight:us-east-1:${ACCOUNT}:user/sales/alice`);
    await expectServiceError(client().send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' })), 'ResourceNotFoundException', 404);
  });

});

describe('UpdateUser', () => {
  beforeEach(() => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'alice@example.com', role: 'READER', identityType: 'QUICKSIGHT', customPermissionsName: 'p1' });
  });

  test('changes email and role, keeps what it is not told to change', async () => {
    const out = await client().send(new UpdateUserCommand(update({ Email: 'a2@example.com', Role: 'AUTHOR' })));
    expect(out.User).toMatchObject({ Email: 'a2@example.com', Role: 'AUTHOR', CustomPermissionsName: 'p1', Active: false });
    expect(emulator.getUser(ACCOUNT, NS, 'alice')).toMatchObject({ email: 'a2@example.com', role: 'AUTHOR', customPermissionsName: 'p1' });
  });

  test('UnapplyCustomPermissions clears the custom permissions', async () => {
    const out = await client().send(new UpdateUserCommand(update({ UnapplyCustomPermissions: true })));
    expect(out.User?.CustomPermissionsName).toBeUndefined();
  });

  test('an external login is set, then cleared with NONE', async () => {
    await client().send(new UpdateUserCommand(update({ ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://idp', ExternalLoginId: 'x' })));
    expect(emulator.getUser(ACCOUNT, NS, 'alice')).toMatchObject({ externalLoginFederationProviderType: 'CUSTOM_OIDC', externalLoginFederationProviderUrl: 'https://idp', externalLoginId: 'x' });
    const out = await client().send(new UpdateUserCommand(update({ ExternalLoginFederationProviderType: 'NONE' })));
    expect(out.User).not.toHaveProperty('ExternalLoginFederationProviderType');
    expect(emulator.getUser(ACCOUNT, NS, 'alice')).toMatchObject({ externalLoginFederationProviderType: undefined, externalLoginId: undefined });
  });

  test('a missing user: ResourceNotFoundException', async () => {
    await expectServiceError(client().send(new UpdateUserCommand(update({ UserName: 'nobody' }))), 'ResourceNotFoundException', 404);
  });
});

describe('deleting users', () => {
  test('DeleteUser, then the user is gone', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT' });
    const out = await client().send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(emulator.getUser(ACCOUNT, NS, 'alice')).toBeUndefined();
    await expectServiceError(client().send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' })), 'ResourceNotFoundException', 404);
  });

  test('DeleteUserByPrincipalId (a principal id with slashes travels encoded)', async () => {
    const user = emulator.putUser({ accountId: ACCOUNT, userName: 'Analyst/bob', email: 'a@b', role: 'READER', identityType: 'IAM', iamArn: ROLE_ARN, sessionName: 'bob' });
    expect(user.principalId).toContain('/');
    await client().send(new DeleteUserByPrincipalIdCommand({ AwsAccountId: ACCOUNT, Namespace: NS, PrincipalId: user.principalId }));
    expect(emulator.users()).toEqual([]);
    expect(emulator.calls[0]).toMatchObject({ operation: 'DeleteUserByPrincipalId', status: 200, userName: 'Analyst/bob' });
  });

  test('a user whose identity is gone (N/A) is only reached by its principal id', async () => {
    const bob = emulator.putUser({ accountId: ACCOUNT, userName: 'bob', email: 'b@example.com', role: 'READER', identityType: 'IAM', iamArn: `arn:aws:iam::${ACCOUNT}:user/bob` });
    emulator.orphanUser(ACCOUNT, NS, 'bob');
    await expectServiceError(client().send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'bob' })), 'ResourceNotFoundException', 404);
    await client().send(new DeleteUserByPrincipalIdCommand({ AwsAccountId: ACCOUNT, Namespace: NS, PrincipalId: bob.principalId }));
    expect(emulator.users()).toEqual([]);
    expect(emulator.calls.at(-1)).toMatchObject({ operation: 'DeleteUserByPrincipalId', status: 200, userName: 'N/A' });
  });
});

describe('state the tests can inspect', () => {
  test('users() and getUser() return copies', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT', tags: { a: '1' } });
    emulator.users()[0].tags.a = 'changed';
    emulator.getUser(ACCOUNT, NS, 'alice')!.email = 'changed';
    expect(emulator.getUser(ACCOUNT, NS, 'alice')).toMatchObject({ email: 'a@b', tags: { a: '1' }, active: false });
  });

  test('removeUser deletes behind the caller\'s back; reset() forgets everything', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator.removeUser(ACCOUNT, NS, 'alice');
    await expectServiceError(client().send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' })), 'ResourceNotFoundException', 404);
    emulator.addNamespace(ACCOUNT, 'sales');
    emulator.faults.always('internal');
    emulator.reset();
    expect(emulator.calls).toEqual([]);
    expect(emulator.faultCounts.internal).toBe(0);
    await expectServiceError(client().send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: 'sales' })), 'ResourceNotFoundException', 404, 'Namespace sales not found');
  });
});

describe('faults', () => {
  const describeAlice = (qs: QuickSightClient) => qs.send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' }));

  test.each([
    ['throttle', 'ThrottlingException', 429, 'Rate exceeded'],
    ['internal', 'InternalFailureException', 500, undefined],
    ['unavailable', 'ResourceUnavailableException', 503, undefined],
  ] as const)('%s: %s %d, and no state change', async (kind, name, status, message) => {
    emulator.faults.next(kind);
    await expectServiceError(client().send(new RegisterUserCommand(quicksightUser())), name, status, message);
    expect(emulator.users()).toEqual([]);
    expect(emulator.faultCounts[kind]).toBe(1);
    expect(emulator.calls).toEqual([expect.objectContaining({ operation: 'RegisterUser', status, errorType: name, fault: kind })]);
    await client().send(new RegisterUserCommand(quicksightUser()));
    expect(emulator.users()).toHaveLength(1);
  });

  test('drop: the connection closes without an answer, and nothing changes', async () => {
    emulator.faults.next('drop');
    const error = await failure(client().send(new RegisterUserCommand(quicksightUser())));
    // Outside jest: TimeoutError, code ECONNRESET. Under jest the SDK wraps node's error, which comes
    // from another realm, into "AWS SDK error wrapper for TimeoutError: socket hang up".
    expect(error.message).toMatch(/socket hang up/);
    expect(error.$metadata.httpStatusCode).toBeUndefined();
    expect(emulator.users()).toEqual([]);
    expect(emulator.calls).toEqual([expect.objectContaining({ operation: 'RegisterUser', status: 0, fault: 'drop' })]);
    expect(emulator.faultCounts.drop).toBe(1);
  });

  test('slow: answers normally after the delay', async () => {
    emulator.faults.next('slow', { delayMs: 300 });
    const started = Date.now();
    const out = await client().send(new RegisterUserCommand(quicksightUser()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(emulator.calls).toEqual([expect.objectContaining({ operation: 'RegisterUser', status: 201, fault: 'slow' })]);
  });

  test('next: only the matching operation, only count times', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator.faults.next('internal', { operation: 'DescribeUser', count: 2 });
    const qs = client();
    await qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS }));
    await expectServiceError(describeAlice(qs), 'InternalFailureException', 500);
    await expectServiceError(describeAlice(qs), 'InternalFailureException', 500);
    await expect(describeAlice(qs)).resolves.toBeDefined();
    expect(emulator.calls.map((c) => c.status)).toEqual([200, 500, 500, 200]);
    expect(emulator.callCount('DescribeUser')).toBe(3);
  });

  test('always: until clear()', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator.faults.always('unavailable');
    const qs = client();
    for (let i = 0; i < 3; i++) await expectServiceError(describeAlice(qs), 'ResourceUnavailableException', 503);
    emulator.faults.clear();
    await expect(describeAlice(qs)).resolves.toBeDefined();
    expect(emulator.faultCounts.unavailable).toBe(3);
  });

  test('the SDK\'s default retries get through next(\'throttle\', {count: 2})', async () => {
    emulator.faults.next('throttle', { count: 2 });
    const qs = closeAfterTest(new QuickSightClient({ region: 'us-east-1' }));
    const out = await qs.send(new RegisterUserCommand(quicksightUser()));
    expect(out.$metadata.attempts).toBe(3);
    expect(emulator.calls.map((c) => c.status)).toEqual([429, 429, 201]);
    expect(emulator.users()).toHaveLength(1);
  });

  test('throttle: a token bucket answers ThrottlingException over its rate', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator.faults.throttle({ ratePerSecond: 1, burst: 3 });
    const qs = client();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => describeAlice(qs)));
    const throttled = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(throttled).toHaveLength(2);
    for (const r of throttled) expect((r as PromiseRejectedResult).reason).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect(emulator.faultCounts.throttle).toBe(2);
  });

  test('random: the same seed gives the same faults, another seed others', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@b', role: 'READER', identityType: 'QUICKSIGHT' });
    const run = async (seed: number) => {
      emulator.resetCalls();
      emulator.faults.random({ seed, rates: { internal: 0.3, throttle: 0.2, unavailable: 0.1 } });
      const qs = client();
      for (let i = 0; i < 40; i++) await describeAlice(qs).catch(() => undefined);
      return emulator.calls.map((c) => c.fault ?? '-');
    };
    const first = await run(7);
    const again = await run(7);
    const other = await run(8);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first.filter((f) => f !== '-').length).toBeGreaterThan(8);
    expect(first).toContain('-');
  });

  test('stop() does not hang with a slow answer in flight', async () => {
    const doomed = await QuickSightEmulator.start();
    doomed.faults.always('slow', { delayMs: 30_000 });
    const pending = failure(client({ endpoint: doomed.endpoint }).send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS })));
    while (doomed.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await doomed.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await pending).message).toMatch(/socket hang up/);
    expect(doomed.calls).toEqual([expect.objectContaining({ operation: 'ListUsers', status: 0, fault: 'slow' })]);
  });
});

describe('another account: QuickSight only answers for the caller\'s own account', () => {
  const OTHER = '210987654321';
  const otherArn = `arn:aws:quicksight:us-east-1:${OTHER}:user/default/alice`;
  const calls: Array<[string, (qs: QuickSightClient) => Promise<unknown>, string]> = [
    ['RegisterUser', (qs) => qs.send(new RegisterUserCommand(quicksightUser({ AwsAccountId: OTHER }))), otherArn],
    ['DescribeUser', (qs) => qs.send(new DescribeUserCommand({ AwsAccountId: OTHER, Namespace: NS, UserName: 'alice' })), otherArn],
    ['UpdateUser', (qs) => qs.send(new UpdateUserCommand(update({ AwsAccountId: OTHER }))), otherArn],
    ['DeleteUser', (qs) => qs.send(new DeleteUserCommand({ AwsAccountId: OTHER, Namespace: NS, UserName: 'alice' })), otherArn],
    ['DeleteUserByPrincipalId', (qs) => qs.send(new DeleteUserByPrincipalIdCommand({ AwsAccountId: OTHER, Namespace: NS, PrincipalId: 'p' })), `arn:aws:quicksight:us-east-1:${OTHER}:user/default/*`],
    ['ListUsers', (qs) => qs.send(new ListUsersCommand({ AwsAccountId: OTHER, Namespace: NS })), `arn:aws:quicksight:us-east-1:${OTHER}:user/default/*`],
    ['TagResource', (qs) => qs.send(new TagResourceCommand({ ResourceArn: otherArn, Tags: tags(1) })), otherArn],
    ['UntagResource', (qs) => qs.send(new UntagResourceCommand({ ResourceArn: otherArn, TagKeys: ['k'] })), otherArn],
    ['ListTagsForResource', (qs) => qs.send(new ListTagsForResourceCommand({ ResourceArn: otherArn })), otherArn],
    ['DescribeAccountSubscription', (qs) => qs.send(new DescribeAccountSubscriptionCommand({ AwsAccountId: OTHER })), '*'],
  ];

  test.each(calls)('%s: AccessDeniedException 403 in IAM\'s words, nothing changes', async (operation, call, resource) => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'alice@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    const before = emulator.users();
    await expectServiceError(call(client()), 'AccessDeniedException', 403,
      `User: ${emulator.callerArn} is not authorized to perform: quicksight:${operation} on resource: ${resource} because no resource-based policy allows the quicksight:${operation} action`);
    expect(emulator.users()).toEqual(before);
    expect(emulator.calls.at(-1)).toMatchObject({ operation, status: 403, authorization: { action: `quicksight:${operation}` } });
  });

  test('an emulator of another account answers for that account, and refuses the default one', async () => {
    await withEmulator({ accountId: OTHER }, async (other, qs) => {
      expect(other.accountId).toBe(OTHER);
      const out = await qs.send(new RegisterUserCommand(quicksightUser({ AwsAccountId: OTHER })));
      expect(out.User?.Arn).toBe(otherArn);
      await expectServiceError(qs.send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' })), 'AccessDeniedException', 403,
        /is not authorized to perform: quicksight:DescribeUser on resource: arn:aws:quicksight:us-east-1:123456789012:user\/default\/alice because no resource-based policy/);
    });
  });

  test('putUser refuses users of another account: the emulator is one account', () => {
    expect(() => emulator.putUser({ accountId: OTHER, userName: 'x', email: 'x@example.com', role: 'READER', identityType: 'QUICKSIGHT' }))
      .toThrow(/QuickSight account 123456789012; it holds no users of account 210987654321/);
  });
});

describe('the account\'s authentication method', () => {
  const register = (qs: QuickSightClient, input: Partial<RegisterUserCommandInput>) => qs.send(new RegisterUserCommand(quicksightUser(input)));

  test('IAM_AND_QUICKSIGHT (the default) registers IAM and QUICKSIGHT users, and refuses IAM_IDENTITY_CENTER ones', async () => {
    expect(emulator.account.authenticationMethod).toBe('IAM_AND_QUICKSIGHT');
    await register(client(), {});
    await client().send(new RegisterUserCommand(iamRoleUser()));
    await expectServiceError(register(client(), { IdentityType: 'IAM_IDENTITY_CENTER', UserName: 'dana' }), 'InvalidParameterValueException', 400,
      'IdentityType IAM_IDENTITY_CENTER is not available: this QuickSight account authenticates with IAM_AND_QUICKSIGHT, whose users are IAM or QUICKSIGHT');
    expect(emulator.users().map((u) => u.identityType).sort()).toEqual(['IAM', 'QUICKSIGHT']);
    expect(() => emulator.putUser({ accountId: ACCOUNT, userName: 'dana', email: 'd@example.com', role: 'READER', identityType: 'IAM_IDENTITY_CENTER' }))
      .toThrow(/authenticates with IAM_AND_QUICKSIGHT: it holds no IAM_IDENTITY_CENTER users/);
  });

  test('the refusal of another identity type can be any answer the record leaves open', async () => {
    await withEmulator({ identityTypeRefusal: { type: 'AccessDeniedException', message: 'Not supported for this account' } }, async (other, qs) => {
      await expectServiceError(register(qs, { IdentityType: 'IAM_IDENTITY_CENTER', UserName: 'dana' }), 'AccessDeniedException', 401, 'Not supported for this account');
      expect(other.users()).toEqual([]);
    });
  });

  test('IAM_ONLY refuses QUICKSIGHT users', async () => {
    await withEmulator({ authenticationMethod: 'IAM_ONLY' }, async (other, qs) => {
      await expectServiceError(register(qs, {}), 'InvalidParameterValueException', 400, /IdentityType QUICKSIGHT is not available: .* IAM_ONLY, whose users are IAM$/);
      await qs.send(new RegisterUserCommand(iamRoleUser()));
      expect(other.users().map((u) => u.userName)).toEqual(['Analyst/bob']);
    });
  });

  describe('IAM_IDENTITY_CENTER', () => {
    const sso = { authenticationMethod: 'IAM_IDENTITY_CENTER' } as const;
    const dana = { accountId: ACCOUNT, userName: 'dana', email: 'd@example.com', role: 'READER', identityType: 'IAM_IDENTITY_CENTER' } as const;

    test.each([
      ['QUICKSIGHT', {}],
      ['IAM', { IdentityType: 'IAM', UserName: undefined, IamArn: ROLE_ARN, SessionName: 'bob' }],
    ] as Array<[string, Partial<RegisterUserCommandInput>]>)('RegisterUser of a %s user: AccessDeniedException 401 "Operation is disabled for identities managed by IAM Identity Center"', async (_type, input) => {
      await withEmulator(sso, async (other, qs) => {
        await expectServiceError(register(qs, input), 'AccessDeniedException', 401, 'Operation is disabled for identities managed by IAM Identity Center');
        expect(other.users()).toEqual([]);
      });
    });

    test('DeleteUser and DeleteUserByPrincipalId are refused the same way, and the user stays', async () => {
      await withEmulator(sso, async (other, qs) => {
        const { principalId } = other.putUser(dana);
        await expectServiceError(qs.send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'dana' })), 'AccessDeniedException', 401, IDENTITY_CENTER_REFUSAL.message);
        await expectServiceError(qs.send(new DeleteUserByPrincipalIdCommand({ AwsAccountId: ACCOUNT, Namespace: NS, PrincipalId: principalId })), 'AccessDeniedException', 401, IDENTITY_CENTER_REFUSAL.message);
        expect(other.getUser(ACCOUNT, NS, 'dana')).toBeDefined();
        // A missing user is still not found first.
        await expectServiceError(qs.send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'nobody' })), 'ResourceNotFoundException', 404);
      });
    });

    test('UpdateUser, the tag calls and the reads are accepted (by default)', async () => {
      await withEmulator(sso, async (other, qs) => {
        const { arn } = other.putUser(dana);
        await qs.send(new UpdateUserCommand(update({ UserName: 'dana', Email: 'd2@example.com', Role: 'AUTHOR' })));
        await qs.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags(1) }));
        expect((await qs.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual(tags(1));
        expect((await qs.send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'dana' }))).User).toMatchObject({ Email: 'd2@example.com', Role: 'AUTHOR' });
        expect((await qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS }))).UserList).toHaveLength(1);
      });
    });

    test('each point the record leaves open can be answered the other way', async () => {
      const refusal = { type: 'InvalidParameterValueException', message: 'Identity Center users are managed in IAM Identity Center' } as const;
      await withEmulator({ ...sso, identityCenter: { registerUser: 'refuse', updateUser: 'refuse', deleteUser: 'accept', refusal } }, async (other, qs) => {
        await expectServiceError(register(qs, { IdentityType: 'IAM_IDENTITY_CENTER', UserName: 'erin' }), 'InvalidParameterValueException', 400, refusal.message);
        other.putUser(dana);
        await expectServiceError(qs.send(new UpdateUserCommand(update({ UserName: 'dana' }))), 'InvalidParameterValueException', 400, refusal.message);
        await qs.send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'dana' }));
        expect(other.users()).toEqual([]);
      });
    });

    test('putUser refuses QUICKSIGHT and IAM users there', async () => {
      await withEmulator(sso, async (other) => {
        expect(() => other.putUser({ ...dana, identityType: 'QUICKSIGHT' })).toThrow(/IAM_IDENTITY_CENTER: it holds no QUICKSIGHT users/);
      });
    });
  });
});

describe('DescribeAccountSubscription: how the account authenticates', () => {
  test('AccountInfo has the model\'s members; AuthenticationType names the method', async () => {
    const out = await client().send(new DescribeAccountSubscriptionCommand({ AwsAccountId: ACCOUNT }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.Status).toBe(200);
    expect(out.AccountInfo).toMatchObject({ AuthenticationType: 'IAM_AND_QUICKSIGHT', Edition: 'ENTERPRISE', AccountSubscriptionStatus: 'ACCOUNT_CREATED' });
    expect(out.AccountInfo).not.toHaveProperty('IAMIdentityCenterInstanceArn');
    expect(Object.keys(out.AccountInfo!).every((k) => k in shapeOf('AccountInfo').members!)).toBe(true);
  });

  test('an IAM Identity Center account, and any other AuthenticationType value a reader must cope with', async () => {
    await withEmulator({ authenticationMethod: 'IAM_IDENTITY_CENTER' }, async (_other, qs) => {
      const out = await qs.send(new DescribeAccountSubscriptionCommand({ AwsAccountId: ACCOUNT }));
      expect(out.AccountInfo).toMatchObject({ AuthenticationType: 'IAM_IDENTITY_CENTER', IAMIdentityCenterInstanceArn: expect.stringMatching(/^arn:aws:sso:::instance\//) });
    });
    await withEmulator({ authenticationType: 'IDENTITY_POOL' }, async (_other, qs) => {
      expect((await qs.send(new DescribeAccountSubscriptionCommand({ AwsAccountId: ACCOUNT }))).AccountInfo?.AuthenticationType).toBe('IDENTITY_POOL');
    });
  });

  test('only in the identity region, like the user calls', async () => {
    await expectServiceError(client({ region: 'eu-west-1' }).send(new DescribeAccountSubscriptionCommand({ AwsAccountId: ACCOUNT })), 'AccessDeniedException', 401, /identity region is us-east-1/);
  });
});

describe('ListUsers rows whose identity is gone: UserName and Arn N/A', () => {
  test('listed with N/A, PrincipalId intact; the name reaches nothing and can be registered again', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    const bob = emulator.putUser({ accountId: ACCOUNT, userName: 'bob', email: 'b@example.com', role: 'AUTHOR', identityType: 'IAM', iamArn: `arn:aws:iam::${ACCOUNT}:user/bob` });
    const orphan = emulator.orphanUser(ACCOUNT, NS, 'bob');
    expect(orphan).toMatchObject({ orphaned: true, principalId: bob.principalId });

    const { UserList } = await client().send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS }));
    expect(UserList).toEqual([
      expect.objectContaining({ UserName: 'N/A', Arn: 'N/A', PrincipalId: bob.principalId, Email: 'b@example.com', Role: 'AUTHOR', IdentityType: 'IAM' }),
      expect.objectContaining({ UserName: 'alice', Arn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/alice` }),
    ]);
    await expectServiceError(client().send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'bob' })), 'ResourceNotFoundException', 404);
    await expectServiceError(client().send(new ListTagsForResourceCommand({ ResourceArn: bob.arn })), 'ResourceNotFoundException', 404);
    await expectServiceError(client().send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'N/A' })), 'ResourceNotFoundException', 404);

    // The IAM user comes back under the same name: a new QuickSight user, next to the N/A row.
    const again = await client().send(new RegisterUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, IdentityType: 'IAM', IamArn: `arn:aws:iam::${ACCOUNT}:user/bob`, Email: 'b@example.com', UserRole: 'READER' }));
    expect(again.User?.PrincipalId).not.toBe(bob.principalId);
    expect(emulator.users().map((u) => [u.userName, !!u.orphaned])).toEqual([['alice', false], ['bob', true], ['bob', false]]);
  });

  test('pages stay whole with several N/A rows', async () => {
    for (const name of ['a', 'b', 'c', 'd']) {
      emulator.putUser({ accountId: ACCOUNT, userName: name, email: `${name}@example.com`, role: 'READER', identityType: 'IAM', iamArn: `arn:aws:iam::${ACCOUNT}:user/${name}` });
    }
    for (const name of ['a', 'c', 'd']) emulator.orphanUser(ACCOUNT, NS, name);
    const seen: string[] = [];
    for await (const page of paginateListUsers({ client: client(), pageSize: 1 }, { AwsAccountId: ACCOUNT, Namespace: NS })) {
      seen.push(...page.UserList!.map((u) => `${u.UserName}:${u.PrincipalId}`));
    }
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    expect(seen.filter((s) => s.startsWith('N/A:'))).toHaveLength(3);
  });

  test('orphanUser of a missing user is a mistake in the test', () => {
    expect(() => emulator.orphanUser(ACCOUNT, NS, 'nobody')).toThrow(/no user 'nobody'/);
  });
});

describe('IAM: a policy the emulator enforces', () => {
  const userArn = (name: string) => `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/${name}`;
  const describeUser = (qs: QuickSightClient, name = 'alice') => qs.send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: name }));
  const seedAlice = (e: QuickSightEmulator) => e.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@example.com', role: 'READER', identityType: 'QUICKSIGHT' });

  test('allowed: the action on the resource; anything else: AccessDeniedException 403 naming the action and resource', async () => {
    const policy = [{ Effect: 'Allow', Action: ['quicksight:DescribeUser'], Resource: [`arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/*`] }];
    await withEmulator({ policy }, async (other, qs) => {
      seedAlice(other);
      await expect(describeUser(qs)).resolves.toBeDefined();
      await expectServiceError(qs.send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' })), 'AccessDeniedException', 403,
        `User: ${other.callerArn} is not authorized to perform: quicksight:DeleteUser on resource: ${userArn('alice')} because no identity-based policy allows the quicksight:DeleteUser action`);
      other.addNamespace(ACCOUNT, 'sales');
      await expectServiceError(qs.send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: 'sales', UserName: 'alice' })), 'AccessDeniedException', 403, /on resource: arn:aws:quicksight:us-east-1:123456789012:user\/sales\/alice/);
      expect(other.getUser(ACCOUNT, NS, 'alice')).toBeDefined();
    });
  });

  test('wildcards: * and ? in actions (any case) and resources; an explicit Deny wins; NotAction and NotResource', async () => {
    const policy = {
      Statement: [
        { Effect: 'Allow', Action: 'QuickSight:*User', Resource: 'arn:aws:quicksight:*:123456789012:user/default/a????' },
        { Effect: 'Deny', Action: 'quicksight:DeleteUser', Resource: '*' },
        { Effect: 'Allow', NotAction: 'quicksight:DeleteUser', Resource: 'arn:aws:quicksight:us-east-1:123456789012:user/default/bob' },
        { Effect: 'Allow', Action: 'quicksight:ListTagsForResource', NotResource: 'arn:aws:quicksight:us-east-1:123456789012:user/default/carol' },
      ],
    };
    await withEmulator({ policy }, async (other, qs) => {
      for (const name of ['alice', 'alex', 'bob', 'carol']) other.putUser({ accountId: ACCOUNT, userName: name, email: `${name}@example.com`, role: 'READER', identityType: 'QUICKSIGHT' });
      await expect(describeUser(qs, 'alice')).resolves.toBeDefined();
      await expectServiceError(describeUser(qs, 'alex'), 'AccessDeniedException', 403, /because no identity-based policy allows/);
      await expectServiceError(qs.send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' })), 'AccessDeniedException', 403,
        /quicksight:DeleteUser on resource: .*user\/default\/alice with an explicit deny in an identity-based policy$/);
      await expect(describeUser(qs, 'bob')).resolves.toBeDefined();
      await expect(qs.send(new ListTagsForResourceCommand({ ResourceArn: userArn('bob') }))).resolves.toBeDefined();
      await expectServiceError(qs.send(new ListTagsForResourceCommand({ ResourceArn: userArn('carol') })), 'AccessDeniedException', 403, /ListTagsForResource on resource: .*carol/);
    });
  });

  test('the resource of RegisterUser is the user it would create; of ListUsers, user/<namespace>/*', async () => {
    const policy = [
      { Effect: 'Allow', Action: 'quicksight:RegisterUser', Resource: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/Analyst/*` },
      { Effect: 'Allow', Action: 'quicksight:ListUsers', Resource: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/*` },
    ];
    await withEmulator({ policy }, async (other, qs) => {
      await qs.send(new RegisterUserCommand(iamRoleUser()));
      await expectServiceError(qs.send(new RegisterUserCommand(quicksightUser())), 'AccessDeniedException', 403, /quicksight:RegisterUser on resource: .*user\/default\/alice /);
      expect((await qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS }))).UserList).toHaveLength(1);
      expect(other.calls.map((c) => c.authorization?.resource)).toEqual([userArn('Analyst/bob'), userArn('alice'), userArn('*')]);
    });
  });

  test('IAM is asked before the identity region; the policy survives reset() and can be changed', async () => {
    await withEmulator({ policy: [] }, async (other, qs) => {
      seedAlice(other);
      await expectServiceError(describeUser(client({ endpoint: other.endpoint, region: 'eu-west-1' })), 'AccessDeniedException', 403, /user\/default\/alice because/);
      other.reset();
      seedAlice(other);
      await expectServiceError(describeUser(qs), 'AccessDeniedException', 403);
      other.setPolicy(undefined);
      await expect(describeUser(qs)).resolves.toBeDefined();
    });
  });

  test('a policy the emulator cannot evaluate faithfully is refused up front', async () => {
    await expect(QuickSightEmulator.start({ policy: [{ Effect: 'Allow', Action: 'quicksight:*', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } }] }))
      .rejects.toThrow(/does not evaluate Condition/);
    await expect(QuickSightEmulator.start({ policy: [{ Effect: 'Allow', Action: 'quicksight:*', Resource: { 'Fn::Join': ['', []] } as never }] }))
      .rejects.toThrow(/resolve the template's intrinsics first/);
  });
});

describe('the emulator follows the official model (botocore), not the library', () => {
  const model = quickSightModel();

  test.each(ROUTES.map((r) => [r.operation, r]))('%s: the model\'s method and path', (operation, route) => {
    const op = model.operations[operation as string];
    expect(op).toBeDefined();
    expect({ method: route.method, path: `/${route.segments.join('/')}` }).toEqual({ method: op.http.method, path: op.http.requestUri.split('?')[0] });
  });

  test('the constraints of its shapes are the model\'s', () => {
    const constraintsOf = (shape: { min?: number; max?: number; pattern?: string; enum?: readonly string[] }) =>
      ({ min: shape.min, max: shape.max, pattern: shape.pattern, enum: shape.enum && [...shape.enum] });
    for (const [name, shape] of Object.entries(SHAPES)) {
      expect({ name, ...constraintsOf(shape) }).toEqual({ name, ...constraintsOf(shapeOf(name)) });
    }
    expect({ min: TAG_LIST.min, max: TAG_LIST.max }).toEqual({ min: memberShape('RegisterUser', 'Tags').min, max: memberShape('RegisterUser', 'Tags').max });
    expect({ min: TAG_LIST.min, max: TAG_LIST.max }).toEqual({ min: memberShape('UntagResource', 'TagKeys').min, max: memberShape('UntagResource', 'TagKeys').max });
    expect({ min: MAX_RESULTS.min, max: MAX_RESULTS.max }).toEqual({ min: memberShape('ListUsers', 'MaxResults').min, max: memberShape('ListUsers', 'MaxResults').max });
  });

  test('its error statuses are the model\'s (the front end\'s own errors aside)', () => {
    for (const [name, status] of Object.entries(ERROR_STATUS)) {
      if (name === 'UnknownOperationException' || name === 'SerializationException') continue;
      expect({ name, status }).toEqual({ name, status: shapeOf(name).error?.httpStatusCode });
    }
  });

  test('every answer carries only members of the operation\'s output shape', async () => {
    const operations = new Set<string>();
    const answers: Array<{ operation: string; body: Record<string, unknown> }> = [];
    const replay = async (method: string, path: string, body?: object) => {
      const res = await raw(method, path, { ...SIGNED, 'content-type': 'application/json' }, body && JSON.stringify(body));
      expect(res.status).toBeLessThan(300);
      const verdict = readRequest({ method, path: path.split('?')[0], query: path.split('?')[1] ?? '', body: body ? JSON.stringify(body) : '' });
      answers.push({ operation: verdict.operation!, body: res.body });
    };
    const arn = encodeURIComponent(`arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/alice`);
    await replay('POST', `/accounts/${ACCOUNT}/namespaces/default/users`, { IdentityType: 'QUICKSIGHT', UserName: 'alice', Email: 'a@example.com', UserRole: 'READER', CustomPermissionsName: 'p' });
    await replay('GET', `/accounts/${ACCOUNT}/namespaces/default/users/alice`);
    await replay('PUT', `/accounts/${ACCOUNT}/namespaces/default/users/alice`, { Email: 'a@example.com', Role: 'AUTHOR' });
    await replay('GET', `/accounts/${ACCOUNT}/namespaces/default/users?max-results=10`);
    await replay('POST', `/resources/${arn}/tags`, { Tags: tags(2) });
    await replay('GET', `/resources/${arn}/tags`);
    await replay('DELETE', `/resources/${arn}/tags?keys=k0`);
    await replay('GET', `/account/${ACCOUNT}`);
    await replay('DELETE', `/accounts/${ACCOUNT}/namespaces/default/users/alice`);
    for (const { operation, body } of answers) {
      operations.add(operation);
      const output = shapeOf(model.operations[operation].output!.shape);
      const bodyMembers = Object.entries(output.members!).filter(([, ref]) => ref.location === undefined).map(([name]) => name);
      expect({ operation, extra: Object.keys(body).filter((k) => !bodyMembers.includes(k)) }).toEqual({ operation, extra: [] });
      for (const user of [body.User, ...((body.UserList as unknown[]) ?? [])].filter(Boolean) as Array<Record<string, unknown>>) {
        expect(Object.keys(user).filter((k) => !(k in shapeOf('User').members!))).toEqual([]);
      }
    }
    expect(operations.size).toBe(9);
  });
});

describe('hooks and the call log', () => {
  test('beforeNext runs once, right before the next request of that operation', async () => {
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator.beforeNext('DeleteUser', ({ params }) => emulator.removeUser(params.AwsAccountId, params.Namespace, params.UserName));
    await client().send(new DescribeUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' }));
    await expectServiceError(client().send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' })), 'ResourceNotFoundException', 404);
    emulator.putUser({ accountId: ACCOUNT, userName: 'alice', email: 'a@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    await client().send(new DeleteUserCommand({ AwsAccountId: ACCOUNT, Namespace: NS, UserName: 'alice' }));
    expect(emulator.calls.map((c) => c.status)).toEqual([200, 404, 200]);
  });

  test('each call keeps the request as it arrived (encoded path, query, body)', async () => {
    await client().send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: NS, MaxResults: 5 }));
    await client().send(new RegisterUserCommand(iamRoleUser()));
    await client().send(new UntagResourceCommand({ ResourceArn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/Analyst/bob`, TagKeys: ['a b', 'c'] }));
    const [list, register, untag] = emulator.calls.map((c) => c.request!);
    expect(list).toEqual({ method: 'GET', path: `/accounts/${ACCOUNT}/namespaces/default/users`, query: 'max-results=5', body: '' });
    expect(JSON.parse(register.body)).toMatchObject({ IdentityType: 'IAM', SessionName: 'bob' });
    expect(untag.path).toBe(`/resources/${encodeURIComponent(`arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/Analyst/bob`)}/tags`);
    expect(new URLSearchParams(untag.query).getAll('keys')).toEqual(['a b', 'c']);
  });
});

describe('main.ts: the emulator as its own process', () => {
  test('the account and its authentication method are options', () => {
    expect(parseArgs(['--account-id', '210987654321', '--authentication-method', 'IAM_IDENTITY_CENTER'])).toMatchObject({ accountId: '210987654321', authenticationMethod: 'IAM_IDENTITY_CENTER' });
    expect(() => parseArgs(['--authentication-method', 'SAML'])).toThrow(/--authentication-method takes one of IAM_AND_QUICKSIGHT, IAM_ONLY, IAM_IDENTITY_CENTER/);
    expect(() => parseArgs(['--identity-center-users-deletable'])).toThrow(/Unknown option/);
  });

  test('prints its endpoint as one JSON line, applies argv options, stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qs-emulator-'));
    try {
      const bundle = join(dir, 'emulator.js');
      require('esbuild').buildSync({ entryPoints: [join(__dirname, 'emulator', 'main.ts')], bundle: true, platform: 'node', outfile: bundle, logLevel: 'silent' });
      const child = spawn(process.execPath, [bundle, '--throttle', '1', '--burst', '1', '--namespace', `${ACCOUNT}/sales`], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const info = JSON.parse(line);
      expect(info).toMatchObject({
        endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), identityRegion: 'us-east-1', accountId: ACCOUNT, authenticationMethod: 'IAM_AND_QUICKSIGHT', pid: child.pid,
      });

      const qs = client({ endpoint: info.endpoint });
      const out = await qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: 'sales' }));
      expect(out.UserList).toEqual([]);
      await expectServiceError(qs.send(new ListUsersCommand({ AwsAccountId: ACCOUNT, Namespace: 'sales' })), 'ThrottlingException', 429, 'Rate exceeded');

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
