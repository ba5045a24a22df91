// The users file: a valid file becomes stacks; each kind of error is reported with its file, line,
// user and rule, all at once; two entries for one QuickSight user are an error. The value rules
// are the construct's own (model.ts), not a copy.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EXAMPLE_USERS_FILE, readExampleUsers } from '../bin/example-stack';
import { formatIssueInPropTerms, OWNER_TAG_KEY, validateUserSpec } from '../lib/model';
import { QuickSightUsersStack } from '../gitops/users-app';
import { parseUsersFile, readUsersFile, UserRemovalPolicy, UsersFileError, type UsersFile } from '../gitops/users-file';

const HEADER = `defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
  role: READER
users:
`;

/** The issues a file gives, as "line: user: message" (the file name and column are checked once, below). */
function errorsOf(content: string, file = 'users.yaml'): string[] {
  try {
    parseUsersFile(content, file);
  } catch (error) {
    if (!(error instanceof UsersFileError)) throw error;
    return error.issues.map((i) => `${i.line}: ${i.user ? `${i.user}: ` : ''}${i.message}`);
  }
  throw new Error('expected the file to be refused');
}

function stacksOf(file: UsersFile) {
  const app = new App();
  return QuickSightUsersStack.fromUsersFile(app, file).stacks;
}

describe('a valid file', () => {
  test('the example file: the identity types of an IAM and QuickSight account, the defaults applied, tags merged', () => {
    const file = readExampleUsers();
    expect(file.stackName).toBe('QuickSightUsers');
    expect(file.users.map((u) => [u.userName, u.spec.IdentityType, u.spec.UserRole])).toEqual([
      ['alice', 'QUICKSIGHT', 'AUTHOR'],
      ['erin', 'QUICKSIGHT', 'READER'],
      ['bob', 'IAM', 'READER'],
      ['QuickSightAnalysts/carol', 'IAM', 'AUTHOR_PRO'],
      ['dave', 'QUICKSIGHT', 'ADMIN'],
      ['frank', 'QUICKSIGHT', 'READER'],
    ]);
    const alice = file.users[0];
    expect(alice.spec).toMatchObject({ AwsAccountId: '123456789012', IdentityRegion: 'us-east-1', Namespace: 'default' });
    expect(alice.spec.Tags).toEqual([{ Key: 'managed-by', Value: 'quicksight-user-cdk' }, { Key: 'team', Value: 'finance' }]);
    expect(alice.line).toBe(fs.readFileSync(EXAMPLE_USERS_FILE, 'utf8').split('\n').indexOf('  - userName: alice') + 1);
    expect(file.users.map((u) => u.removalPolicy)).toEqual(['destroy', 'destroy', 'destroy', 'destroy', 'destroy', 'retain']);
    expect(file.users.every((u) => u.adoptExistingUser && !u.stackOutputs)).toBe(true);
  });

  test('the example file\'s groups: two managed (one retained), one managed elsewhere; the members\' groups', () => {
    const file = readExampleUsers();
    expect(file.groups.map((g) => [g.spec.GroupName, g.managed, g.removalPolicy])).toEqual([
      ['analysts', true, 'destroy'], ['finance', true, 'retain'], ['admins', false, 'retain'],
    ]);
    expect(file.users.map((u) => [u.userName, u.groups])).toEqual([
      ['alice', ['analysts', 'finance']], ['erin', ['finance']], ['bob', []], ['QuickSightAnalysts/carol', ['analysts']], ['dave', ['admins']], ['frank', []],
    ]);
  });

  test('-c account / -c identityRegion replace the defaults; a user\'s own value still wins', () => {
    const file = parseUsersFile(`${HEADER}  - {userName: a, identityType: QUICKSIGHT, email: a@example.com}
  - {userName: b, identityType: QUICKSIGHT, email: b@example.com, awsAccountId: '222222222222'}
`, 'users.yaml', { awsAccountId: '111111111111', identityRegion: 'eu-west-1' });
    expect(file.users.map((u) => [u.spec.AwsAccountId, u.spec.IdentityRegion])).toEqual([['111111111111', 'eu-west-1'], ['222222222222', 'eu-west-1']]);
  });

  test('becomes stacks: one QuickSightUser per user, with the file\'s values in the API\'s names', () => {
    const [stack, ...others] = stacksOf(readExampleUsers());
    expect(others).toEqual([]);
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::QuickSightUser', 6);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.hasResourceProperties('Custom::QuickSightUser', {
      AwsAccountId: '123456789012', IdentityRegion: 'us-east-1', Namespace: 'default', IdentityType: 'IAM',
      IamArn: 'arn:aws:iam::123456789012:role/QuickSightAnalysts', SessionName: 'carol', UserRole: 'AUTHOR_PRO',
      ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://login.example.com', ExternalLoginId: 'carol-42',
    });
    template.hasResource('Custom::QuickSightUser', { Properties: { UserName: 'frank' }, DeletionPolicy: 'Retain' });
    // Outputs are off unless the file asks for them.
    expect(Object.keys(template.toJSON().Outputs ?? {})).toEqual([]);
  });

  test('construct ids come from each user\'s identity, not its place: reordering the file changes no template', () => {
    const text = fs.readFileSync(EXAMPLE_USERS_FILE, 'utf8');
    const [head, list] = text.split('\nusers:\n');
    const entries = list.split(/\n(?=  - |  #)/);
    const reordered = `${head}\nusers:\n${[...entries].reverse().join('\n')}\n`;
    const original = Template.fromStack(stacksOf(parseUsersFile(text, 'users.yaml'))[0]).toJSON();
    const shuffled = Template.fromStack(stacksOf(parseUsersFile(reordered, 'users.yaml'))[0]).toJSON();
    expect(parseUsersFile(reordered, 'users.yaml').users[0].userName).toBe('frank');
    expect(shuffled).toEqual(original);
    expect(Object.keys(original.Resources).filter((id) => id.startsWith('alice'))).toEqual([expect.stringMatching(/^alicedefault123456789012useast1[0-9A-F]{8}$/)]);
  });

  test('a role session\'s "/" and a literal "%2F" give two different construct ids', () => {
    const file = parseUsersFile(`${HEADER}  - {identityType: IAM, iamArn: 'arn:aws:iam::123456789012:role/R', sessionName: sess, email: a@example.com}
  - {userName: 'R%2Fsess', identityType: QUICKSIGHT, email: b@example.com}
`, 'users.yaml');
    expect(file.users.map((u) => u.constructId)).toEqual(['R%2Fsess@default.123456789012.us-east-1', 'R%252Fsess@default.123456789012.us-east-1']);
  });

  test('an empty list is a valid file: one stack, deployable, with no users', () => {
    const [stack] = stacksOf(parseUsersFile('users: []\n', 'users.yaml'));
    const template = Template.fromStack(stack).toJSON();
    expect(Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type)).toEqual(['AWS::CloudFormation::WaitConditionHandle']);
  });
});

describe('errors: each with its line and user, all at once', () => {
  test('YAML syntax, with its line', () => {
    expect(errorsOf(`${HEADER}  - userName: alice\n    email: [unclosed\n`)).toEqual([expect.stringMatching(/^8: YAML: /)]);
    expect(errorsOf(`${HEADER}  - userName: alice\n    userName: bob\n`)).toEqual([expect.stringMatching(/^7: YAML: Map keys must be unique/)]);
    // Aliases that would expand without bound are refused, not expanded.
    const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 7 }, (_, i) => `a${i + 1}: &a${i + 1} [${new Array(10).fill(`*a${i}`).join(', ')}]`), 'users: []'];
    expect(errorsOf(bomb.join('\n'))).toEqual(['1: YAML: Excessive alias count indicates a resource exhaustion attack']);
  });

  test('the message names the file, line and column', () => {
    try {
      parseUsersFile(`${HEADER}  - {userName: alice, identityType: QUICKSIGHT, email: nope}\n`, 'teams/bi/users.yaml');
      throw new Error('expected an error');
    } catch (error) {
      expect((error as Error).message).toBe(`teams/bi/users.yaml has 1 error:\nteams/bi/users.yaml:6:56: user 'alice': ${formatIssueInPropTerms(validateUserSpec({ Email: 'nope' }).find((i) => i.field === 'Email')!)}`);
    }
  });

  test('shape: unknown fields (with a suggestion), wrong types, empty values, all in one report', () => {
    const errors = errorsOf(`stacks: 0
color: blue
${HEADER}  - userName: alice
    identityType: QUICKSIGHT
    emial: alice@example.com
  - userName: bob
    identityType: QUICKSIGHT
    email: bob@example.com
    awsAccountId: 012345678901
    stackOutputs: yes
    removalPolicy: snapshot
    customPermissionsName:
    tags:
      cost-center: 42
  - just a name
`);
    expect(errors).toEqual([
      '1: stacks must be at least 1 (it is 0)',
      "2: unknown field 'color': the fields are stackName, stacks, defaults, groups, users",
      "10: user 'alice': unknown field 'emial': did you mean 'email'?",
      "14: user 'bob': awsAccountId must be a string: YAML reads 012345678901 as a number; quote it: '012345678901'",
      "15: user 'bob': stackOutputs must be true or false (it is \"yes\")",
      "16: user 'bob': removalPolicy must be one of destroy, retain (it is \"snapshot\")",
      "17: user 'bob': customPermissionsName has no value: give one, or leave the field out",
      "19: user 'bob': tags.cost-center must be a string: YAML reads 42 as a number; quote it: '42'",
      '20: users[2]: the entry must be a map of fields (it is "just a name")',
    ]);
  });

  test('values: the construct\'s rules, word for word, at the field\'s line', () => {
    const errors = errorsOf(`${HEADER}  - userName: alice
    identityType: QUICKSIGHT
    email: alice
    role: author
  - identityType: IAM
    iamArn: arn:aws:iam::123456789012:user/bob
    userName: bob
    email: bob@example.com
  - identityType: IAM
    iamArn: arn:aws:iam::123456789012:user/carol
    sessionName: s1
    email: carol@example.com
  - userName: dave
    email: dave@example.com
  - userName: erin
    identityType: QUICKSIGHT
    email: erin@example.com
    externalLoginFederationProviderType: CUSTOM_OIDC
    tags:
      aws:team: x
`);
    const rule = (spec: Record<string, unknown>, field: string) => formatIssueInPropTerms(validateUserSpec(spec).find((i) => i.field === field)!);
    expect(errors).toEqual([
      `8: user 'alice': ${rule({ Email: 'alice' }, 'Email')}`,
      `9: user 'alice': ${rule({ UserRole: 'author' }, 'UserRole')}`,
      `12: user 'bob': ${rule({ IdentityType: 'IAM', IamArn: 'arn:aws:iam::123456789012:user/bob', UserName: 'bob' }, 'UserName')}`,
      `16: user 'carol': ${rule({ IamArn: 'arn:aws:iam::123456789012:user/carol', SessionName: 's1' }, 'SessionName')}`,
      "18: user 'dave': identityType (not set) is required: set it on the user or in `defaults`",
      `20: user 'erin': ${rule({ ExternalLoginFederationProviderType: 'CUSTOM_OIDC' }, 'CustomFederationProviderUrl')}`,
      `25: user 'erin': tags key 'aws:team' must not start with "aws:" (reserved by AWS)`,
    ]);
    // The construct's own words, in its prop names.
    expect(errors[2]).toContain('is not accepted when identityType is IAM');
  });

  test('a broken default is reported once, at the default, with the users it reaches', () => {
    expect(errorsOf(`defaults:
  awsAccountId: '1234'
  identityRegion: us-east-1
  role: READER
  userName: shared
  tags:
    ${OWNER_TAG_KEY}: mine
users:
  - {userName: a, identityType: QUICKSIGHT, email: a@example.com}
  - {userName: b, identityType: QUICKSIGHT, email: b@example.com}
  - {userName: c, identityType: QUICKSIGHT, email: c@example.com, awsAccountId: '123456789012'}
`)).toEqual([
      "2: defaults: awsAccountId '1234' must be a 12-digit AWS account id (pattern ^[0-9]{12}$) (inherited by 2 users)",
      "5: `defaults` cannot set 'userName': it names one user, so it belongs on each user",
      `7: defaults: tags key '${OWNER_TAG_KEY}' is reserved: keys starting with "quicksight-user-cdk:" mark the managing stack resources (inherited by 3 users)`,
    ]);
  });

  test('a required field set nowhere says where it may go', () => {
    expect(errorsOf('users:\n  - {userName: a, identityType: QUICKSIGHT, email: a@example.com, role: READER}\n')).toEqual([
      "2: user 'a': awsAccountId (not set) is required: set it on the user or in `defaults`",
      "2: user 'a': identityRegion (not set) is required: set it on the user or in `defaults`",
    ]);
  });

  test('the file itself: empty, no users list, a list of the wrong kind, a bad stack name', () => {
    expect(errorsOf('')).toEqual(['1: is empty: it needs a `users` list']);
    expect(errorsOf('defaults: {role: READER}\n')).toEqual(['1: users is missing: the file needs a `users` list']);
    expect(errorsOf('users:\n')).toEqual(['1: users has no value: list the users, or write `users: []`']);
    expect(errorsOf('users: alice\n')).toEqual(['1: users must be a list of users']);
    expect(errorsOf('stackName: 1users\nusers: []\n')).toEqual([expect.stringMatching(/^1: stackName must start with a letter .* \(it is "1users"\)$/)]);
  });

  test('an unreadable file', () => {
    expect(() => readUsersFile(path.join(os.tmpdir(), 'no-such-users.yaml'))).toThrow(/no-such-users\.yaml:0:0: cannot be read: ENOENT/);
  });
});

describe('an account authenticates one kind of user', () => {
  test('IAM Identity Center users beside IAM and QuickSight users of the same account: an error at the first that does not fit', () => {
    expect(errorsOf(`${HEADER}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com}
  - {identityType: IAM, iamArn: 'arn:aws:iam::123456789012:user/bob', email: b@example.com}
  - {userName: dave, identityType: IAM_IDENTITY_CENTER, email: d@example.com}
`)).toEqual([
      "8: user 'dave': identityType IAM_IDENTITY_CENTER cannot sit in account 123456789012 beside user 'alice' (line 6, QUICKSIGHT): a QuickSight account authenticates either IAM and QuickSight users or IAM Identity Center users (its authentication method), never both",
    ]);
  });

  test('each account its own kind', () => {
    const file = parseUsersFile(`${HEADER}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com}
  - {userName: dave, identityType: IAM_IDENTITY_CENTER, email: d@example.com, awsAccountId: '222222222222'}
`, 'users.yaml');
    expect(file.users).toHaveLength(2);
  });
});

describe('duplicates', () => {
  test('the same user twice is an error at the second, naming both lines', () => {
    expect(errorsOf(`${HEADER}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com}
  - {userName: bob, identityType: QUICKSIGHT, email: b@example.com}
  - {userName: alice, identityType: QUICKSIGHT, email: other@example.com, role: AUTHOR}
`)).toEqual([
      "8: user 'alice': is declared twice (lines 6 and 8) in namespace 'default' of account 123456789012 (us-east-1): each user (account, identity region, namespace, name) must be declared once",
    ]);
  });

  test('an IAM user and a QUICKSIGHT user with its name are one QuickSight user', () => {
    expect(errorsOf(`${HEADER}  - {userName: bob, identityType: QUICKSIGHT, email: a@example.com}
  - {identityType: IAM, iamArn: 'arn:aws:iam::123456789012:user/bob', email: b@example.com}
`)).toEqual([expect.stringMatching(/^7: user 'bob': is declared twice \(lines 6 and 7\)/)]);
  });

  test('the same name in another namespace, account or identity region is another user', () => {
    const file = parseUsersFile(`${HEADER}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com}
  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com, namespace: finance}
  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com, awsAccountId: '222222222222'}
  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com, identityRegion: eu-west-1}
`, 'users.yaml');
    expect(new Set(file.users.map((u) => u.constructId)).size).toBe(4);
    const [stack] = stacksOf({ ...file, stacks: 1 });
    Template.fromStack(stack).resourceCountIs('Custom::QuickSightUser', 4);
  });
});

test('the file format covers every prop of the construct', () => {
  const file = parseUsersFile(`${HEADER}  - userName: alice
    identityType: QUICKSIGHT
    email: alice@example.com
    namespace: finance
    awsAccountId: '210987654321'
    identityRegion: eu-west-1
    customPermissionsName: Restricted
    externalLoginFederationProviderType: COGNITO
    externalLoginId: alice-1
    tags: {team: bi}
    removalPolicy: retain
    adoptExistingUser: false
    stackOutputs: true
`, 'users.yaml');
  expect(file.users[0]).toMatchObject({ removalPolicy: UserRemovalPolicy.RETAIN, adoptExistingUser: false, stackOutputs: true });
  const template = Template.fromStack(stacksOf(file)[0]);
  template.hasResource('Custom::QuickSightUser', {
    Properties: {
      AwsAccountId: '210987654321', IdentityRegion: 'eu-west-1', Namespace: 'finance', CustomPermissionsName: 'Restricted',
      ExternalLoginFederationProviderType: 'COGNITO', ExternalLoginId: 'alice-1', Tags: [{ Key: 'team', Value: 'bi' }], AdoptExistingUser: 'false',
    },
    DeletionPolicy: 'Retain',
  });
  expect(Object.keys(template.toJSON().Outputs)).toHaveLength(2);
});

describe('groups and memberships', () => {
  const GROUPS = `groups:
  - groupName: analysts
    description: People who build analyses
  - groupName: finance
    removalPolicy: retain
    adoptExistingGroup: false
  - groupName: admins
    managed: false
`;
  const NOT_DECLARED = "declare it in the file's top-level `groups` list (with `managed: false` if it exists in QuickSight and is managed elsewhere)";

  test('declared groups: the defaults applied, managed or not, ids from their identity; members with sorted group names', () => {
    const file = parseUsersFile(`${HEADER.replace('users:\n', `  groups: [analysts]\n${GROUPS}users:\n`)}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com, groups: [finance, analysts, admins]}
  - {userName: bob, identityType: QUICKSIGHT, email: b@example.com}
  - {userName: carol, identityType: QUICKSIGHT, email: c@example.com, groups: []}
`, 'users.yaml');
    expect(file.groups).toEqual([
      {
        spec: { AwsAccountId: '123456789012', Namespace: 'default', IdentityRegion: 'us-east-1', GroupName: 'analysts', Description: 'People who build analyses' },
        managed: true, key: '123456789012|us-east-1|default|analysts', constructId: 'analysts@default.123456789012.us-east-1',
        removalPolicy: UserRemovalPolicy.DESTROY, adoptExistingGroup: true, line: 7,
      },
      expect.objectContaining({ key: '123456789012|us-east-1|default|finance', managed: true, removalPolicy: UserRemovalPolicy.RETAIN, adoptExistingGroup: false, line: 9 }),
      // Never created nor deleted: retained, nothing to adopt.
      expect.objectContaining({ key: '123456789012|us-east-1|default|admins', managed: false, removalPolicy: UserRemovalPolicy.RETAIN, adoptExistingGroup: false, line: 12 }),
    ]);
    // A user's own list replaces `defaults.groups` (`[]`: no groups at all).
    expect(file.users.map((u) => [u.userName, u.groups])).toEqual([['alice', ['admins', 'analysts', 'finance']], ['bob', ['analysts']], ['carol', []]]);
  });

  test('a file without groups: none, and no user in any', () => {
    const file = parseUsersFile(`${HEADER}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com}\n`, 'users.yaml');
    expect(file.groups).toEqual([]);
    expect(file.users[0].groups).toEqual([]);
  });

  test('a group takes the account, identity region and namespace of `defaults` and the overrides, its own value winning', () => {
    const file = parseUsersFile(`defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, namespace: finance}
groups:
  - {groupName: a}
  - {groupName: b, namespace: default, awsAccountId: '222222222222'}
users: []
`, 'users.yaml', { identityRegion: 'eu-west-1' });
    expect(file.groups.map((g) => g.key)).toEqual(['123456789012|eu-west-1|finance|a', '222222222222|eu-west-1|default|b']);
  });

  test('a user naming a group the file does not declare where the user is: an error at the name, naming the user and the group, with the fix', () => {
    expect(errorsOf(`${HEADER.replace('users:\n', `${GROUPS}  - {groupName: sales, namespace: sales}\nusers:\n`)}  - userName: alice
    identityType: QUICKSIGHT
    email: a@example.com
    groups: [analysts, marketing, sales]
`)).toEqual([
      `18: user 'alice': group 'marketing' is not declared in namespace 'default' of account 123456789012 (us-east-1): ${NOT_DECLARED}, or take it out of the user's \`groups\``,
      `18: user 'alice': group 'sales' is not declared in namespace 'default' of account 123456789012 (us-east-1): ${NOT_DECLARED}, or take it out of the user's \`groups\`; the file declares it in namespace 'sales' of account 123456789012 (us-east-1) only, and a user can only join a group of its own account, identity region and namespace`,
    ]);
  });

  test('an undeclared group in `defaults.groups`: once, at the default, with the users it reaches', () => {
    expect(errorsOf(`${HEADER.replace('users:\n', `  groups: [analysts, ghosts]\n${GROUPS}users:\n`)}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com}
  - {userName: bob, identityType: QUICKSIGHT, email: b@example.com}
  - {userName: carol, identityType: QUICKSIGHT, email: c@example.com, groups: [analysts]}
`)).toEqual([
      `5: defaults: group 'ghosts' is not declared in namespace 'default' of account 123456789012 (us-east-1): ${NOT_DECLARED}, or take it out of \`defaults.groups\` (inherited by 2 users)`,
    ]);
  });

  test('a user\'s list of groups: each a valid group name, each once, a list', () => {
    expect(errorsOf(`${HEADER.replace('users:\n', `${GROUPS}users:\n`)}  - userName: alice
    identityType: QUICKSIGHT
    email: a@example.com
    groups: [analysts, '', analysts, '..']
  - {userName: bob, identityType: QUICKSIGHT, email: b@example.com, groups: analysts}
  - {userName: carol, identityType: QUICKSIGHT, email: c@example.com, groups: [analysts, 42]}
`)).toEqual([
      "17: user 'alice': groups '' has a group name that must be 1 or more characters",
      "17: user 'alice': groups 'analysts' names that group more than once",
      "17: user 'alice': groups '..' has a group name that must not be \".\" or \"..\"",
      "18: user 'bob': groups must be a list of group names, as [analysts, finance] (it is \"analysts\")",
      "19: user 'carol': groups[1] must be a string: YAML reads 42 as a number; quote it: '42'",
    ]);
  });

  test('group fields: the construct\'s rules, the shape, managed: false takes no description, removal policy or adoption', () => {
    expect(errorsOf(`defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}
groups:
  - groupName: '..'
  - groupName: big
    description: ''
  - groupName: away
    awsAccountId: '1234'
  - description: no name
  - groupName: typo
    descrption: x
  - groupName: admins
    managed: false
    description: Administrators
    removalPolicy: retain
    adoptExistingGroup: true
  - groupName: oops
    managed: 'no'
users: []
`)).toEqual([
      "3: group '..': groupName '..' must not be \".\" or \"..\"",
      "5: group 'big': description '' must be 1 to 512 characters (it has 0); leave it out for no description",
      "7: group 'away': awsAccountId '1234' must be a 12-digit AWS account id (pattern ^[0-9]{12}$)",
      '8: groups[3]: groupName is required',
      "10: group 'typo': unknown field 'descrption': did you mean 'description'?",
      "13: group 'admins': description cannot be set on a group with managed: false: the group is managed elsewhere, and no deployment of this file changes it",
      "14: group 'admins': removalPolicy cannot be set on a group with managed: false: no deployment of this file creates or deletes the group",
      "15: group 'admins': adoptExistingGroup cannot be set on a group with managed: false: no deployment of this file creates the group, so there is nothing to adopt",
      "17: group 'oops': managed must be true or false (it is \"no\")",
    ]);
  });

  test('a group name broken in its entry is not reported again at each member', () => {
    expect(errorsOf(`${HEADER.replace('users:\n', 'groups:\n  - {groupName: analysts, description: \'\'}\nusers:\n')}  - {userName: alice, identityType: QUICKSIGHT, email: a@example.com, groups: [analysts]}
`)).toEqual(["6: group 'analysts': description '' must be 1 to 512 characters (it has 0); leave it out for no description"]);
  });

  test('a group set nowhere in an account, a broken default shared by users and groups, the top-level list', () => {
    expect(errorsOf('groups:\n  - {groupName: analysts}\nusers: []\n')).toEqual([
      "2: group 'analysts': awsAccountId (not set) is required: set it on the group or in `defaults`",
      "2: group 'analysts': identityRegion (not set) is required: set it on the group or in `defaults`",
    ]);
    expect(errorsOf(`defaults: {awsAccountId: '1234', identityRegion: us-east-1, role: READER}
groups: [{groupName: analysts}]
users: [{userName: a, identityType: QUICKSIGHT, email: a@example.com}]
`)).toEqual(["1: defaults: awsAccountId '1234' must be a 12-digit AWS account id (pattern ^[0-9]{12}$) (inherited by 1 user and 1 group)"]);
    expect(errorsOf('groups: analysts\nusers: []\n')).toEqual(['1: groups must be a list of groups, each with a groupName (it is "analysts")']);
    expect(errorsOf('groups:\nusers: []\n')).toEqual(['1: groups has no value: list the groups, or leave the field out']);
  });

  test('IAM Identity Center users take their groups from IAM Identity Center: no groups on them, no managed group in their account', () => {
    const IDC = "defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}\n";
    const refused = 'groups cannot be given to an IAM_IDENTITY_CENTER user: QuickSight refuses group changes for identities managed by IAM Identity Center, whose users take their groups from IAM Identity Center (manage the membership there)';
    expect(errorsOf(`${IDC}groups:
  - {groupName: analysts}
  - {groupName: sso-readers, managed: false}
users:
  - {userName: gina, identityType: IAM_IDENTITY_CENTER, email: g@example.com, groups: [sso-readers]}
  - {userName: hal, identityType: IAM_IDENTITY_CENTER, email: h@example.com, groups: []}
`)).toEqual([
      "3: group 'analysts': account 123456789012 is declared with IAM Identity Center users (user 'hal', line 7), whose QuickSight groups come from IAM Identity Center: QuickSight refuses to create or change groups there, so manage this group in IAM Identity Center and declare it `managed: false`",
      `6: user 'gina': ${refused}`,
    ]);
    expect(errorsOf(`${IDC.replace('role: READER', 'role: READER, groups: [sso-readers]')}groups: [{groupName: sso-readers, managed: false}]
users:
  - {userName: gina, identityType: IAM_IDENTITY_CENTER, email: g@example.com}
  - {userName: hal, identityType: IAM_IDENTITY_CENTER, email: h@example.com}
`)).toEqual([`1: defaults: ${refused}; set \`groups: []\` on those users (inherited by 2 users)`]);
    // A group managed elsewhere, with no members, is fine there.
    expect(parseUsersFile(`${IDC}groups: [{groupName: sso-readers, managed: false}]\nusers: [{userName: gina, identityType: IAM_IDENTITY_CENTER, email: g@example.com}]\n`, 'users.yaml').groups).toHaveLength(1);
  });

  test('the same group twice (managed or not) is an error at the second, naming both lines', () => {
    expect(errorsOf(`defaults: {awsAccountId: '123456789012', identityRegion: us-east-1}
groups:
  - {groupName: analysts}
  - {groupName: analysts, namespace: other}
  - {groupName: analysts, managed: false}
users: []
`)).toEqual([
      "5: group 'analysts': is declared twice (lines 3 and 5) in namespace 'default' of account 123456789012 (us-east-1): each group (account, identity region, namespace, name) must be declared once",
    ]);
  });
});
