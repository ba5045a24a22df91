// The construct side of groups and memberships: QuickSightGroup, QuickSightGroupMembership,
// QuickSightUser's groups / addToGroup, the dependencies they add, their validation messages at
// synth, and the IAM they grant.
import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IdentityType, QuickSightGroup, QuickSightUser, UserRole, type QuickSightUserProps } from '../lib';
import { HANDLER_ACTIONS, HANDLER_GROUP_ACTIONS, HANDLER_STACK_ACTIONS } from '../lib/provider';

const ACCOUNT = '123456789012';

function newStack(app = new App(), id = 'TestStack', env: { account?: string; region?: string } = { account: ACCOUNT, region: 'us-east-1' }): Stack {
  return new Stack(app, id, { env });
}

function user(userName: string, extra: Partial<QuickSightUserProps> = {}): QuickSightUserProps {
  return { identityType: IdentityType.QUICKSIGHT, userName, email: `${userName}@example.com`, role: UserRole.READER, ...extra };
}

function only(template: Template, type: string): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

function statements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function resolvedArn(value: any): string {
  // Fn::Join of the partition reference and literals.
  if (typeof value === 'string') return value;
  return value['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : '<partition>')).join('');
}

describe('QuickSightGroup', () => {
  test('every prop reaches the resource under the API name; attributes are the handler\'s', () => {
    const stack = newStack();
    const group = new QuickSightGroup(stack, 'Analysts', {
      groupName: 'analysts', description: 'People who build analyses', namespace: 'team', identityRegion: 'eu-west-1', adoptExistingGroup: false,
    });
    const template = Template.fromStack(stack);
    const { id, resource } = only(template, 'Custom::QuickSightGroup');
    expect(resource.Properties).toEqual({
      ServiceToken: expect.anything(),
      AwsAccountId: ACCOUNT, Namespace: 'team', IdentityRegion: 'eu-west-1', GroupName: 'analysts', Description: 'People who build analyses', AdoptExistingGroup: 'false',
    });
    expect(resource.DeletionPolicy).toBe('Delete');
    expect(stack.resolve(group.groupArn)).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
    expect(stack.resolve(group.principalId)).toEqual({ 'Fn::GetAtt': [id, 'PrincipalId'] });
    expect(group.groupName).toBe('analysts');
  });

  test('defaults: namespace default, the stack\'s account and region, adoption on, DESTROY', () => {
    const stack = newStack();
    new QuickSightGroup(stack, 'G', { groupName: 'finance' });
    const { resource } = only(Template.fromStack(stack), 'Custom::QuickSightGroup');
    expect(resource.Properties).toEqual({ ServiceToken: expect.anything(), AwsAccountId: ACCOUNT, Namespace: 'default', IdentityRegion: 'us-east-1', GroupName: 'finance' });
    expect(resource.DeletionPolicy).toBe('Delete');
  });

  test('RETAIN keeps the group; other removal policies are refused by name', () => {
    const stack = newStack();
    new QuickSightGroup(stack, 'G', { groupName: 'finance', removalPolicy: RemovalPolicy.RETAIN });
    expect(only(Template.fromStack(stack), 'Custom::QuickSightGroup').resource.DeletionPolicy).toBe('Retain');
    expect(() => new QuickSightGroup(stack, 'H', { groupName: 'other', removalPolicy: RemovalPolicy.SNAPSHOT }))
      .toThrow('QuickSightGroup TestStack/H: removalPolicy RemovalPolicy.SNAPSHOT is not supported for a QuickSight group: use RemovalPolicy.DESTROY (delete) or RemovalPolicy.RETAIN (keep)');
  });

  test.each([
    ['', "groupName '' must be 1 or more characters"],
    ['tab\there', "groupName 'tab\\there' may only contain characters U+0020 to U+00FF (pattern [\\u0020-\\u00FF]+), no control characters"],
    ['snow☃', "groupName 'snow☃' may only contain characters U+0020 to U+00FF (pattern [\\u0020-\\u00FF]+), no control characters"],
    ['..', "groupName '..' must not be \".\" or \"..\""],
  ])('group name %j is refused at synth, naming the field, value and rule', (groupName, message) => {
    expect(() => new QuickSightGroup(newStack(), 'G', { groupName })).toThrow(`QuickSightGroup TestStack/G: ${message}`);
  });

  test('names with spaces, slashes and Latin-1 letters are accepted (the API\'s range U+0020-U+00FF)', () => {
    const stack = newStack();
    new QuickSightGroup(stack, 'G', { groupName: 'Équipe finance/Nord' });
    expect(only(Template.fromStack(stack), 'Custom::QuickSightGroup').resource.Properties.GroupName).toBe('Équipe finance/Nord');
  });

  test('description: 1 to 512 characters', () => {
    expect(() => new QuickSightGroup(newStack(), 'G', { groupName: 'g', description: '' }))
      .toThrow("QuickSightGroup TestStack/G: description '' must be 1 to 512 characters (it has 0); leave it out for no description");
    expect(() => new QuickSightGroup(newStack(), 'G', { groupName: 'g', description: 'x'.repeat(513) }))
      .toThrow(/description 'x{77}\.\.\.' must be 1 to 512 characters \(it has 513\)/);
    expect(() => new QuickSightGroup(newStack(), 'G', { groupName: 'g', description: 'x'.repeat(512) })).not.toThrow();
  });

  test('several broken rules are reported together', () => {
    expect(() => new QuickSightGroup(newStack(), 'G', { groupName: '', namespace: 'bad ns', identityRegion: 'nowhere' }))
      .toThrow(/QuickSightGroup TestStack\/G has 3 errors:\n- namespace 'bad ns' may only contain.*\n- identityRegion 'nowhere' must be an AWS region name.*\n- groupName '' must be 1 or more characters/);
  });

  test('another account than the stack\'s is refused at synth', () => {
    expect(() => new QuickSightGroup(newStack(), 'G', { groupName: 'g', awsAccountId: '210987654321' }))
      .toThrow("QuickSightGroup TestStack/G: awsAccountId '210987654321' is not the account of stack TestStack ('123456789012'): QuickSight only accepts group calls from the account that holds the QuickSight account, so declare this group in a stack of account 210987654321 (or leave awsAccountId unset)");
  });

  test('tokens (parameters) are left to the handler', () => {
    const stack = newStack();
    const name = new CfnParameter(stack, 'GroupName');
    new QuickSightGroup(stack, 'G', { groupName: name.valueAsString });
    expect(only(Template.fromStack(stack), 'Custom::QuickSightGroup').resource.Properties.GroupName).toEqual({ Ref: 'GroupName' });
  });

  test('the same group declared twice in an app is refused at synth', () => {
    const app = new App();
    new QuickSightGroup(newStack(app, 'A'), 'G', { groupName: 'analysts' });
    new QuickSightGroup(newStack(app, 'B'), 'G', { groupName: 'analysts' });
    expect(() => app.synth()).toThrow('QuickSight group declared more than once (A/G, B/G): each group (account, identity region, namespace, name) must be declared by one QuickSightGroup only');
  });

  test('fromGroupName and fromGroupArn import a group; a bad ARN is refused', () => {
    const stack = newStack();
    const byName = QuickSightGroup.fromGroupName(stack, 'ByName', 'finance', { namespace: 'team', identityRegion: 'eu-west-1' });
    expect(resolvedArn(stack.resolve(byName.groupArn))).toBe('arn:<partition>:quicksight:eu-west-1:123456789012:group/team/finance');
    expect([byName.groupName, byName.namespace, byName.identityRegion, byName.awsAccountId]).toEqual(['finance', 'team', 'eu-west-1', ACCOUNT]);
    const byArn = QuickSightGroup.fromGroupArn(stack, 'ByArn', 'arn:aws:quicksight:us-east-1:123456789012:group/default/a b/c');
    expect([byArn.groupName, byArn.namespace, byArn.identityRegion, byArn.awsAccountId]).toEqual(['a b/c', 'default', 'us-east-1', ACCOUNT]);
    expect(() => byArn.principalId).toThrow('TestStack/ByArn: the principalId of an imported QuickSight group is not known to the stack');
    expect(() => QuickSightGroup.fromGroupArn(stack, 'Bad', 'arn:aws:quicksight:us-east-1:123456789012:user/default/alice'))
      .toThrow("TestStack/Bad: groupArn 'arn:aws:quicksight:us-east-1:123456789012:user/default/alice' is not a QuickSight group ARN (arn:<partition>:quicksight:<region>:<account>:group/<namespace>/<group name>)");
    expect(() => QuickSightGroup.fromGroupName(stack, 'BadName', 'tab\there')).toThrow(/TestStack\/BadName: groupName 'tab\\there' may only contain/);
  });
});

describe('memberships of managed users: the Groups property', () => {
  test('groups and addToGroup give a sorted list of names, each once; no groups, no property', () => {
    const stack = newStack();
    const finance = new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    const analysts = new QuickSightGroup(stack, 'Analysts', { groupName: 'analysts' });
    const alice = new QuickSightUser(stack, 'Alice', user('alice', { groups: [finance] }));
    alice.addToGroup(analysts);
    alice.addToGroup(finance);
    analysts.addMember(alice);
    new QuickSightUser(stack, 'Bob', user('bob'));
    const users = Template.fromStack(stack).findResources('Custom::QuickSightUser');
    const byName = Object.fromEntries(Object.values(users).map((u: any) => [u.Properties.UserName, u]));
    expect(byName.alice.Properties.Groups).toEqual(['analysts', 'finance']);
    expect(byName.bob.Properties).not.toHaveProperty('Groups');
    // One resource per user, still: no membership resources for managed users.
    expect(Template.fromStack(stack).findResources('Custom::QuickSightGroupMembership')).toEqual({});
  });

  test('a group of the same stack: the user depends on it', () => {
    const stack = newStack();
    const finance = new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    new QuickSightUser(stack, 'Alice', user('alice', { groups: [finance] }));
    const template = Template.fromStack(stack);
    const groupId = only(template, 'Custom::QuickSightGroup').id;
    const userResource = only(template, 'Custom::QuickSightUser').resource;
    expect(userResource.DependsOn).toEqual(expect.arrayContaining([groupId]));
  });

  test('a group of another stack: the user\'s stack depends on the group\'s, with no export', () => {
    const app = new App();
    const groupsStack = newStack(app, 'Groups');
    const usersStack = newStack(app, 'Users');
    const finance = new QuickSightGroup(groupsStack, 'Finance', { groupName: 'finance' });
    new QuickSightUser(usersStack, 'Alice', user('alice', { groups: [finance] }));
    expect(usersStack.dependencies.map((s) => s.stackName)).toEqual(['Groups']);
    expect(Template.fromStack(groupsStack).toJSON().Outputs ?? {}).toEqual({});
    expect(only(Template.fromStack(usersStack), 'Custom::QuickSightUser').resource.Properties.Groups).toEqual(['finance']);
  });

  test('an imported group adds no dependency', () => {
    const stack = newStack();
    const finance = QuickSightGroup.fromGroupName(stack, 'Finance', 'finance');
    new QuickSightUser(stack, 'Alice', user('alice', { groups: [finance] }));
    const userResource = only(Template.fromStack(stack), 'Custom::QuickSightUser').resource;
    expect(userResource.Properties.Groups).toEqual(['finance']);
    expect(userResource.DependsOn).toBeUndefined();
  });

  test('a group of another namespace, account or identity region is refused at synth', () => {
    const stack = newStack();
    const other = QuickSightGroup.fromGroupName(stack, 'Other', 'finance', { namespace: 'team' });
    expect(() => new QuickSightUser(stack, 'Alice', user('alice', { groups: [other] })))
      .toThrow("QuickSightUser TestStack/Alice: is in namespace 'default' and cannot join group 'finance' of namespace 'team': a QuickSight group's members are users of its own namespace");
    const elsewhere = QuickSightGroup.fromGroupName(stack, 'Elsewhere', 'finance', { identityRegion: 'eu-west-1' });
    expect(() => new QuickSightUser(stack, 'Bob', user('bob', { groups: [elsewhere] })))
      .toThrow("QuickSightUser TestStack/Bob: is in identity region us-east-1 and cannot join group 'finance' of identity region eu-west-1: one QuickSight account has one identity region");
  });
});

describe('IAM Identity Center accounts', () => {
  test('an IAM_IDENTITY_CENTER user cannot be added to a group', () => {
    const stack = newStack();
    const finance = QuickSightGroup.fromGroupName(stack, 'Finance', 'finance');
    expect(() => new QuickSightUser(stack, 'Ivy', user('ivy', { identityType: IdentityType.IAM_IDENTITY_CENTER, groups: [finance] })))
      .toThrow('QuickSightUser TestStack/Ivy: an IAM_IDENTITY_CENTER user cannot be added to QuickSight groups: QuickSight refuses group changes for identities managed by IAM Identity Center, whose users take their groups from IAM Identity Center (manage the membership there)');
  });

  test('a QuickSightGroup in an account declared with IAM Identity Center users is refused at synth', () => {
    const app = new App();
    const stack = newStack(app);
    new QuickSightUser(stack, 'Ivy', user('ivy', { identityType: IdentityType.IAM_IDENTITY_CENTER }));
    new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    expect(() => app.synth()).toThrow('QuickSightGroup TestStack/Finance: account 123456789012 is declared with IAM Identity Center users, whose QuickSight groups come from IAM Identity Center: QuickSight refuses to create or change groups there, so manage this group in IAM Identity Center and import it with QuickSightGroup.fromGroupName');
  });
});

describe('QuickSightGroupMembership: users the app does not manage', () => {
  test('addMember with an imported user adds one membership resource next to the group, after it (one per member name)', () => {
    const stack = newStack();
    const finance = new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    finance.addMember(QuickSightUser.fromUserName(stack, 'Dave', 'Analysts/dave'));
    finance.addMember(QuickSightUser.fromUserName(stack, 'Dave2', 'Analysts/dave'));
    finance.addMember(QuickSightUser.fromUserArn(stack, 'Erin', 'arn:aws:quicksight:us-east-1:123456789012:user/default/erin'));
    const template = Template.fromStack(stack);
    const memberships = Object.values(template.findResources('Custom::QuickSightGroupMembership')) as any[];
    expect(memberships.map((m) => m.Properties.MemberName).sort()).toEqual(['Analysts/dave', 'erin']);
    expect(memberships[0].Properties).toEqual({
      ServiceToken: expect.anything(), AwsAccountId: ACCOUNT, Namespace: 'default', IdentityRegion: 'us-east-1', GroupName: 'finance', MemberName: 'Analysts/dave',
    });
    expect(memberships[0].DependsOn).toEqual(expect.arrayContaining([only(template, 'Custom::QuickSightGroup').id]));
  });

  test('an imported user of another namespace cannot join', () => {
    const stack = newStack();
    const finance = new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    expect(() => finance.addMember(QuickSightUser.fromUserName(stack, 'Dave', 'dave', { namespace: 'team' })))
      .toThrow(/QuickSightGroupMembership TestStack\/Finance\/Member.*: user 'dave' is in namespace 'team' and cannot join group 'finance' of namespace 'default'/);
  });

  test('addMember with a managed user goes through the user\'s Groups, not a membership resource', () => {
    const stack = newStack();
    const finance = new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    const alice = new QuickSightUser(stack, 'Alice', user('alice'));
    finance.addMember(alice);
    const template = Template.fromStack(stack);
    expect(template.findResources('Custom::QuickSightGroupMembership')).toEqual({});
    expect(only(template, 'Custom::QuickSightUser').resource.Properties.Groups).toEqual(['finance']);
    expect(alice.memberOf.map((g) => g.groupName)).toEqual(['finance']);
  });
});

describe('IAM for groups', () => {
  test('group actions on group/* of each account and identity region in use, never *; the stack actions on the stack only', () => {
    const stack = newStack();
    new QuickSightGroup(stack, 'Finance', { groupName: 'finance', identityRegion: 'eu-west-1' });
    new QuickSightGroup(stack, 'Analysts', { groupName: 'analysts', identityRegion: 'eu-west-1', namespace: 'team' });
    new QuickSightUser(stack, 'Alice', user('alice'));
    const all = statements(Template.fromStack(stack));
    const groupStatement = all.find((s) => [s.Action].flat().includes('quicksight:CreateGroup'));
    expect([groupStatement.Action].flat().sort()).toEqual([...HANDLER_GROUP_ACTIONS].sort());
    expect([groupStatement.Resource].flat().map(resolvedArn).sort()).toEqual([
      'arn:<partition>:quicksight:eu-west-1:123456789012:group/*', 'arn:<partition>:quicksight:us-east-1:123456789012:group/*',
    ]);
    const userStatement = all.find((s) => [s.Action].flat().includes('quicksight:RegisterUser'));
    expect([userStatement.Action].flat()).toEqual(HANDLER_ACTIONS);
    expect(HANDLER_ACTIONS).toContain('quicksight:ListUserGroups');
    expect([userStatement.Resource].flat().map(resolvedArn).sort()).toEqual([
      'arn:<partition>:quicksight:eu-west-1:123456789012:user/*', 'arn:<partition>:quicksight:us-east-1:123456789012:user/*',
    ]);
    const stackStatement = all.find((s) => [s.Action].flat().includes('cloudformation:ListStackResources'));
    expect([stackStatement.Action].flat()).toEqual(HANDLER_STACK_ACTIONS);
    expect(stackStatement.Resource).toEqual({ Ref: 'AWS::StackId' });
    for (const s of all) {
      if ([s.Action].flat().some((a: string) => a.startsWith('quicksight:'))) expect([s.Resource].flat()).not.toContain('*');
    }
  });

  test('a stack without groups gets the group actions too, in the same scopes: the deployment that drops its last group deletes it under that policy', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'Alice', user('alice'));
    const groupStatement = statements(Template.fromStack(stack)).find((s) => [s.Action].flat().includes('quicksight:DeleteGroup'));
    expect([groupStatement.Resource].flat().map(resolvedArn)).toEqual(['arn:<partition>:quicksight:us-east-1:123456789012:group/*']);
  });

  test('a user joining an imported group of its scope adds no grant', () => {
    const withGroup = newStack();
    new QuickSightUser(withGroup, 'Alice', user('alice', { groups: [QuickSightGroup.fromGroupName(withGroup, 'F', 'finance')] }));
    const without = newStack();
    new QuickSightUser(without, 'Alice', user('alice'));
    expect(statements(Template.fromStack(withGroup))).toEqual(statements(Template.fromStack(without)));
  });

  test('a stack with only groups synthesizes, with the same grant as a stack of users', () => {
    const stack = newStack();
    new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    const actions = statements(Template.fromStack(stack)).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining([...HANDLER_ACTIONS, ...HANDLER_GROUP_ACTIONS, ...HANDLER_STACK_ACTIONS]));
  });

  test('the handler policy\'s wildcards are acknowledged for cdk-nag, naming each ARN', () => {
    const stack = newStack();
    new QuickSightGroup(stack, 'Finance', { groupName: 'finance' });
    new QuickSightUser(stack, 'Alice', user('alice'));
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Metadata: { cdk_nag: Match.anyValue() } });
    const rules = Object.values(policies).flatMap((p: any) => p.Metadata.cdk_nag.rules_to_suppress);
    const handlerRule = rules.find((r: any) => /group\/\*/.test(r.reason));
    expect(handlerRule.applies_to.filter((a: string) => a.includes('group/*'))).toHaveLength(1);
    expect(handlerRule.applies_to.filter((a: string) => a.includes('user/*'))).toHaveLength(1);
  });
});
