// The model judge itself: it reads the official QuickSight model, maps requests as they travelled
// to operations and members, and finds what breaks the model, and only that.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { javaToJavaScript, judgeInput, modelFile, quickSightModel, readRequest, wholeMatch, type WireRequest } from './quicksight-model';

const ACCOUNT = '123456789012';
const USERS = `/accounts/${ACCOUNT}/namespaces/default/users`;
const ARN = `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/alice`;
const GROUPS = `/accounts/${ACCOUNT}/namespaces/default/groups`;
const register = (body: Record<string, unknown>): WireRequest => ({
  method: 'POST', path: USERS, query: '', body: JSON.stringify({ IdentityType: 'QUICKSIGHT', UserName: 'alice', Email: 'a@example.com', UserRole: 'READER', ...body }),
});

describe('the model', () => {
  test('is botocore\'s QuickSight 2018-04-01 rest-json model', () => {
    const model = quickSightModel();
    expect(model.metadata).toMatchObject({ apiVersion: '2018-04-01', serviceId: 'QuickSight', protocol: 'rest-json' });
    expect(modelFile()).toMatch(/botocore[\\/]data[\\/]quicksight[\\/]2018-04-01[\\/]service-2\.json(\.gz)?$|service-2\.json(\.gz)?$/);
    expect(Object.keys(model.operations).length).toBeGreaterThan(100);
  });

  test('a missing model is a clear error, not a lenient judge', () => {
    const saved = process.env.QUICKSIGHT_MODEL;
    process.env.QUICKSIGHT_MODEL = '/nonexistent/service-2.json';
    try {
      expect(() => modelFile()).toThrow('QUICKSIGHT_MODEL=/nonexistent/service-2.json: no such file');
    } finally {
      if (saved === undefined) delete process.env.QUICKSIGHT_MODEL;
      else process.env.QUICKSIGHT_MODEL = saved;
    }
  });

  test('every pattern of the model translates to JavaScript', () => {
    const patterns = Object.values(quickSightModel().shapes).flatMap((s) => (s.pattern === undefined ? [] : [s.pattern]));
    expect(patterns.length).toBeGreaterThan(20);
    for (const pattern of patterns) expect(() => wholeMatch(pattern)).not.toThrow();
  });

  test('Java patterns: whole-value match, \\u escapes, \\A \\z, possessive quantifiers; \\p{} refused', () => {
    expect(wholeMatch('[\\u0020-\\u00FF]+').test('José Ñ')).toBe(true);
    expect(wholeMatch('[\\u0020-\\u00FF]+').test('Łukasz')).toBe(false);
    expect(wholeMatch('[\\w+=.@-]*').test('bob smith')).toBe(false);
    expect(wholeMatch('[\\w+=.@-]*').test('bob.smith@x')).toBe(true);
    expect(wholeMatch('^[0-9]{12}$').test('123456789012\n')).toBe(false);
    expect(javaToJavaScript('\\Aa++b*+\\z')).toBe('^a+b*$');
    expect(javaToJavaScript('[*+]')).toBe('[*+]');
    expect(() => javaToJavaScript('\\p{Alpha}+')).toThrow(/not translated/);
  });

  test('the judge depends on nothing of the code under test', () => {
    const source = fs.readFileSync(path.join(__dirname, 'quicksight-model.ts'), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.every((i) => i.startsWith('node:'))).toBe(true);
  });
});

describe('requests that break the model', () => {
  const cases: Array<[string, WireRequest, string, RegExp]> = [
    ['Email missing', register({ Email: undefined }), 'Email', /is required/],
    ['IdentityType not in the enum', register({ IdentityType: 'SAML' }), 'IdentityType', /"SAML" is not one of IAM, QUICKSIGHT, IAM_IDENTITY_CENTER/],
    ['UserRole not in the enum', register({ UserRole: 'OWNER' }), 'UserRole', /not one of/],
    ['UserName outside U+0020-U+00FF', register({ UserName: 'Łukasz' }), 'UserName', /does not match/],
    ['UserName empty', register({ UserName: '' }), 'UserName', /0 characters, fewer than 1/],
    ['SessionName of one character', register({ IdentityType: 'IAM', UserName: undefined, IamArn: 'x', SessionName: 'b' }), 'SessionName', /fewer than 2/],
    ['SessionName with a space', register({ SessionName: 'bob smith' }), 'SessionName', /does not match/],
    ['CustomPermissionsName of 65', register({ CustomPermissionsName: 'p'.repeat(65) }), 'CustomPermissionsName', /65 characters, more than 64/],
    ['Tags empty', register({ Tags: [] }), 'Tags', /0 entries, fewer than 1/],
    ['a tag without Value', register({ Tags: [{ Key: 'k' }] }), 'Tags[0].Value', /is required/],
    ['a tag value of 257', register({ Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }), 'Tags[0].Value', /more than 256/],
    ['Email not a string', register({ Email: 12 }), 'Email', /must be a string/],
    ['a member the operation does not have', register({ Password: 'x' }), 'Password', /not a member of RegisterUser's input/],
    ['Namespace with a space', { method: 'GET', path: `/accounts/${ACCOUNT}/namespaces/sales%20team/users/alice`, query: '', body: '' }, 'Namespace', /does not match/],
    ['AwsAccountId of 5 digits', { method: 'GET', path: '/accounts/12345/namespaces/default/users/alice', query: '', body: '' }, 'AwsAccountId', /fewer than 12/],
    ['MaxResults 101', { method: 'GET', path: USERS, query: 'max-results=101', body: '' }, 'MaxResults', /101 is more than 100/],
    ['MaxResults not a number', { method: 'GET', path: USERS, query: 'max-results=ten', body: '' }, 'MaxResults', /must be an integer/],
    ['UntagResource without keys', { method: 'DELETE', path: `/resources/${encodeURIComponent(ARN)}/tags`, query: '', body: '' }, 'TagKeys', /is required/],
    ['UntagResource with 201 keys', { method: 'DELETE', path: `/resources/${encodeURIComponent(ARN)}/tags`, query: Array.from({ length: 201 }, (_, i) => `keys=k${i}`).join('&'), body: '' }, 'TagKeys', /201 entries, more than 200/],
    ['UpdateUser without Role', { method: 'PUT', path: `${USERS}/alice`, query: '', body: JSON.stringify({ Email: 'a@example.com' }) }, 'Role', /is required/],
    ['a path no operation has (an unencoded slash)', { method: 'GET', path: `${USERS}/Analyst/bob`, query: '', body: '' }, `GET ${USERS}/Analyst/bob`, /matches no operation/],
    ['an unknown query parameter', { method: 'GET', path: USERS, query: 'page=2', body: '' }, '?page', /not a query parameter of ListUsers/],
    ['a body that is no JSON object', { method: 'POST', path: USERS, query: '', body: '[1]' }, '(body)', /must be a JSON object/],
    ['CreateGroup without GroupName', { method: 'POST', path: GROUPS, query: '', body: JSON.stringify({ Description: 'd' }) }, 'GroupName', /is required/],
    ['CreateGroup, GroupName outside U+0020-U+00FF', { method: 'POST', path: GROUPS, query: '', body: JSON.stringify({ GroupName: 'Łukasz' }) }, 'GroupName', /does not match/],
    ['CreateGroup, Description of 513', { method: 'POST', path: GROUPS, query: '', body: JSON.stringify({ GroupName: 'g', Description: 'd'.repeat(513) }) }, 'Description', /513 characters, more than 512/],
    ['UpdateGroup, Description empty', { method: 'PUT', path: `${GROUPS}/g`, query: '', body: JSON.stringify({ Description: '' }) }, 'Description', /0 characters, fewer than 1/],
    ['CreateGroupMembership, MemberName of 257', { method: 'PUT', path: `${GROUPS}/g/members/${'m'.repeat(257)}`, query: '', body: '' }, 'MemberName', /257 characters, more than 256/],
    ['ListGroups, MaxResults 0', { method: 'GET', path: GROUPS, query: 'max-results=0', body: '' }, 'MaxResults', /0 is less than 1/],
    ['ListUserGroups, an unknown query parameter', { method: 'GET', path: `${USERS}/alice/groups`, query: 'page=2', body: '' }, '?page', /not a query parameter of ListUserGroups/],
  ];

  test.each(cases)('%s', (_name, request, at, rule) => {
    const { violations } = readRequest(request);
    expect(violations).toEqual(expect.arrayContaining([{ at, rule: expect.stringMatching(rule) }]));
  });
});

describe('requests the model accepts', () => {
  const cases: Array<[string, WireRequest, string]> = [
    ['RegisterUser, every member', register({
      IdentityType: 'IAM', UserName: undefined, IamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, SessionName: 'carol', CustomPermissionsName: 'NoExports',
      ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://idp', ExternalLoginId: 'x', Tags: [{ Key: 'team', Value: 'bi' }],
    }), 'RegisterUser'],
    ['DescribeUser of Role/Session (one encoded segment)', { method: 'GET', path: `${USERS}/Analysts%2Fcarol`, query: '', body: '' }, 'DescribeUser'],
    ['UpdateUser with UnapplyCustomPermissions', { method: 'PUT', path: `${USERS}/alice`, query: '', body: JSON.stringify({ Email: 'a@example.com', Role: 'AUTHOR_PRO', UnapplyCustomPermissions: true }) }, 'UpdateUser'],
    ['DeleteUser', { method: 'DELETE', path: `${USERS}/alice`, query: '', body: '' }, 'DeleteUser'],
    ['ListUsers, a page', { method: 'GET', path: USERS, query: 'max-results=100&next-token=abc', body: '' }, 'ListUsers'],
    ['TagResource', { method: 'POST', path: `/resources/${encodeURIComponent(ARN)}/tags`, query: '', body: JSON.stringify({ Tags: [{ Key: 'k', Value: 'v' }] }) }, 'TagResource'],
    ['UntagResource', { method: 'DELETE', path: `/resources/${encodeURIComponent(ARN)}/tags`, query: 'keys=a&keys=b', body: '' }, 'UntagResource'],
    ['ListTagsForResource', { method: 'GET', path: `/resources/${encodeURIComponent(ARN)}/tags`, query: '', body: '' }, 'ListTagsForResource'],
    ['DescribeAccountSubscription', { method: 'GET', path: `/account/${ACCOUNT}`, query: '', body: '' }, 'DescribeAccountSubscription'],
    ['CreateGroup', { method: 'POST', path: GROUPS, query: '', body: JSON.stringify({ GroupName: 'a b/c%d', Description: 'd' }) }, 'CreateGroup'],
    ['DescribeGroup of \'a b/c%d\' (one encoded segment)', { method: 'GET', path: `${GROUPS}/a%20b%2Fc%25d`, query: '', body: '' }, 'DescribeGroup'],
    ['UpdateGroup', { method: 'PUT', path: `${GROUPS}/g`, query: '', body: JSON.stringify({ Description: 'd' }) }, 'UpdateGroup'],
    ['DeleteGroup', { method: 'DELETE', path: `${GROUPS}/g`, query: '', body: '' }, 'DeleteGroup'],
    ['ListGroups, a page', { method: 'GET', path: GROUPS, query: 'max-results=100&next-token=abc', body: '' }, 'ListGroups'],
    ['CreateGroupMembership of Role/Session', { method: 'PUT', path: `${GROUPS}/g/members/Role%2FSession`, query: '', body: '' }, 'CreateGroupMembership'],
    ['DescribeGroupMembership', { method: 'GET', path: `${GROUPS}/g/members/alice`, query: '', body: '' }, 'DescribeGroupMembership'],
    ['DeleteGroupMembership', { method: 'DELETE', path: `${GROUPS}/g/members/alice`, query: '', body: '' }, 'DeleteGroupMembership'],
    ['ListGroupMemberships (a group named members)', { method: 'GET', path: `${GROUPS}/members/members`, query: 'max-results=5', body: '' }, 'ListGroupMemberships'],
    ['ListUserGroups of Role/Session', { method: 'GET', path: `${USERS}/Role%2FSession/groups`, query: 'next-token=x', body: '' }, 'ListUserGroups'],
    // The model constrains no more than this: the library's rules (no '/' in a QUICKSIGHT name, an email shape) are its own.
    ['a QUICKSIGHT user name with a slash and an odd email', register({ UserName: 'a/b', Email: 'not an email' }), 'RegisterUser'],
  ];

  test.each(cases)('%s', (_name, request, operation) => {
    expect(readRequest(request)).toMatchObject({ operation, violations: [] });
  });

  test('judgeInput takes an operation\'s input as the SDK names it', () => {
    expect(judgeInput('DescribeUser', { AwsAccountId: ACCOUNT, Namespace: 'default', UserName: 'alice' })).toEqual([]);
    expect(judgeInput('DescribeUser', { AwsAccountId: ACCOUNT, Namespace: 'default' })).toEqual([{ at: 'UserName', rule: 'is required' }]);
    expect(judgeInput('NoSuchOperation', {})).toEqual([{ at: 'NoSuchOperation', rule: 'is no operation of the model' }]);
  });
});
