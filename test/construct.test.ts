import { App, CfnParameter, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  ExternalLoginFederationProviderType, IdentityType, QuickSightUser, QuickSightUserProps, UserRole,
} from '../lib';
import { HANDLER_ACTIONS, HANDLER_GROUP_ACTIONS } from '../lib/provider';

const ACCOUNT = '123456789012';

function newStack(env: { account?: string; region?: string } = { account: ACCOUNT, region: 'us-east-1' }): Stack {
  return new Stack(new App(), 'TestStack', { env });
}

const alice: QuickSightUserProps = {
  identityType: IdentityType.QUICKSIGHT,
  userName: 'alice',
  email: 'alice@example.com',
  role: UserRole.AUTHOR,
};

function userResources(template: Template) {
  return template.findResources('Custom::QuickSightUser');
}

function quickSightStatements(template: Template) {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('quicksight:')));
}

describe('properties', () => {
  test('every prop reaches the resource under the API name', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new QuickSightUser(stack, 'Carol', {
      identityType: IdentityType.IAM,
      iamArn: 'arn:aws:iam::123456789012:role/Analysts',
      sessionName: 'carol',
      email: 'carol@example.com',
      role: UserRole.AUTHOR_PRO,
      namespace: 'finance',
      awsAccountId: ACCOUNT,
      identityRegion: 'eu-west-1',
      customPermissionsName: 'NoExports',
      externalLoginFederationProviderType: ExternalLoginFederationProviderType.CUSTOM_OIDC,
      customFederationProviderUrl: 'https://login.example.com',
      externalLoginId: 'carol-42',
      tags: { team: 'finance', cost: '42' },
      adoptExistingUser: false,
    });
    // THEN
    Template.fromStack(stack).hasResourceProperties('Custom::QuickSightUser', {
      AwsAccountId: ACCOUNT,
      Namespace: 'finance',
      IdentityRegion: 'eu-west-1',
      Email: 'carol@example.com',
      IdentityType: 'IAM',
      UserRole: 'AUTHOR_PRO',
      IamArn: 'arn:aws:iam::123456789012:role/Analysts',
      SessionName: 'carol',
      CustomPermissionsName: 'NoExports',
      ExternalLoginFederationProviderType: 'CUSTOM_OIDC',
      CustomFederationProviderUrl: 'https://login.example.com',
      ExternalLoginId: 'carol-42',
      Tags: [{ Key: 'cost', Value: '42' }, { Key: 'team', Value: 'finance' }],
      AdoptExistingUser: 'false',
    });
  });

  test('defaults: namespace default, stack account and region, no tags, adopt, DESTROY', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'Alice', alice);
    const template = Template.fromStack(stack);
    const [resource] = Object.values(userResources(template)) as any[];
    expect(resource.Properties).toEqual({
      ServiceToken: expect.anything(),
      AwsAccountId: ACCOUNT,
      Namespace: 'default',
      IdentityRegion: 'us-east-1',
      Email: 'alice@example.com',
      IdentityType: 'QUICKSIGHT',
      UserRole: 'AUTHOR',
      UserName: 'alice',
    });
    expect(resource.DeletionPolicy).toBe('Delete');
    expect(resource.UpdateReplacePolicy).toBe('Delete');
  });

  test('an env-agnostic stack sends its account and region as references', () => {
    const stack = newStack({});
    new QuickSightUser(stack, 'Alice', alice);
    Template.fromStack(stack).hasResourceProperties('Custom::QuickSightUser', {
      AwsAccountId: { Ref: 'AWS::AccountId' },
      IdentityRegion: { Ref: 'AWS::Region' },
    });
  });

  test('attributes are the resource attributes', () => {
    const stack = newStack();
    const user = new QuickSightUser(stack, 'Alice', alice);
    const logicalId = Object.keys(userResources(Template.fromStack(stack)))[0];
    expect(stack.resolve(user.userArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(stack.resolve(user.userName)).toEqual({ 'Fn::GetAtt': [logicalId, 'UserName'] });
    expect(stack.resolve(user.principalId)).toEqual({ 'Fn::GetAtt': [logicalId, 'PrincipalId'] });
    expect(stack.resolve(user.invitationUrl)).toEqual({ 'Fn::GetAtt': [logicalId, 'InvitationUrl'] });
  });
});

describe('outputs', () => {
  test('a QUICKSIGHT user gets its ARN and invitation URL as outputs', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'Alice', alice);
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(Object.values(outputs).map((o: any) => o.Value['Fn::GetAtt'][1]).sort()).toEqual(['Arn', 'InvitationUrl']);
  });

  test('an IAM user gets only its ARN (QuickSight gives IAM users no invitation URL)', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'Bob', { identityType: IdentityType.IAM, iamArn: 'arn:aws:iam::123456789012:user/bob', email: 'bob@example.com', role: UserRole.READER });
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(Object.values(outputs).map((o: any) => o.Value['Fn::GetAtt'][1])).toEqual(['Arn']);
  });

  test('stackOutputs: false adds none', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'Alice', { ...alice, stackOutputs: false });
    expect(Template.fromStack(stack).findOutputs('*')).toEqual({});
  });
});

describe('provider', () => {
  test('50 users share one handler, one provider and one QuickSight statement on users (and one on groups)', () => {
    const stack = newStack();
    for (let i = 0; i < 50; i++) new QuickSightUser(stack, `User${i}`, { ...alice, userName: `user${i}`, stackOutputs: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::QuickSightUser', 50);
    template.resourceCountIs('AWS::Lambda::Function', 2); // the handler and the Provider framework's onEvent
    const tokens = new Set(Object.values(userResources(template)).map((r: any) => JSON.stringify(r.Properties.ServiceToken)));
    expect(tokens.size).toBe(1);
    const statements = quickSightStatements(template);
    expect(statements).toHaveLength(2);
    expect(statements[0].Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':quicksight:us-east-1:123456789012:user/*']] });
    expect(statements[1].Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':quicksight:us-east-1:123456789012:group/*']] });
  });

  test('the QuickSight statement lists exactly the actions the handler calls, on user/* of each account and identity region in use', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'A', alice);
    new QuickSightUser(stack, 'B', { ...alice, userName: 'b', namespace: 'finance' });
    new QuickSightUser(stack, 'C', { ...alice, userName: 'c', namespace: 'finance' });
    new QuickSightUser(stack, 'D', { ...alice, userName: 'd', identityRegion: 'eu-west-1' });
    const [statement, groups, ...others] = quickSightStatements(Template.fromStack(stack));
    expect(others).toEqual([]);
    expect(statement.Action).toEqual(HANDLER_ACTIONS);
    // Not per namespace: CloudFormation rolls the policy back after the users, and a rollback or a
    // cleanup Delete acts on a user of a namespace the policy in force may no longer name.
    expect(statement.Resource.map((r: any) => r['Fn::Join'][1].slice(2).join(''))).toEqual([
      ':quicksight:us-east-1:123456789012:user/*',
      ':quicksight:eu-west-1:123456789012:user/*',
    ]);
    // The group actions in the same scopes, groups declared or not (see groups-construct.test.ts).
    expect(groups.Action).toEqual(HANDLER_GROUP_ACTIONS);
    expect(groups.Resource.map((r: any) => r['Fn::Join'][1].slice(2).join(''))).toEqual([
      ':quicksight:us-east-1:123456789012:group/*',
      ':quicksight:eu-west-1:123456789012:group/*',
    ]);
  });

  test('the handler may read its own stack\'s status and resources, and no other stack\'s', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'A', alice);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('cloudformation:')));
    expect(statements).toEqual([{ Action: ['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'], Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } }]);
  });

  test('no statement grants an action or a QuickSight resource "*", and no role has an AWS managed policy', () => {
    const stack = newStack({});
    new QuickSightUser(stack, 'A', alice);
    const template = Template.fromStack(stack);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    for (const statement of statements) {
      expect([statement.Action].flat()).not.toContain('*');
      if ([statement.Action].flat().some((a: string) => a.startsWith('quicksight:'))) {
        expect([statement.Resource].flat()).not.toContain('*');
      }
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as any[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('the handler runs on a current Node.js runtime with its own log group, and the framework keeps its FATAL log level', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'A', alice);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Timeout: 300,
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: Match.stringLikeRegexp('HandlerLogs') } }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'framework.onEvent',
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'FATAL' }),
    });
  });

  test('users in two stacks get one provider each', () => {
    const app = new App();
    const one = new Stack(app, 'One', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const two = new Stack(app, 'Two', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new QuickSightUser(one, 'A', alice);
    new QuickSightUser(two, 'B', { ...alice, userName: 'bob' });
    Template.fromStack(one).resourceCountIs('AWS::Lambda::Function', 2);
    Template.fromStack(two).resourceCountIs('AWS::Lambda::Function', 2);
  });
});

describe('tags', () => {
  test('Tags.of(scope) reaches the user, and wins over a prop tag with the same key', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'A', { ...alice, tags: { team: 'finance', env: 'dev' } });
    Tags.of(stack).add('env', 'prod');
    Tags.of(stack).add('owner', 'data-platform');
    Template.fromStack(stack).hasResourceProperties('Custom::QuickSightUser', {
      Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'data-platform' }, { Key: 'team', Value: 'finance' }],
    });
  });

  test('a tag added with Tags.of that breaks a rule fails synth with the construct path', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'A', alice);
    Tags.of(stack).add('aws:owner', 'x');
    expect(() => Template.fromStack(stack)).toThrow(/TestStack\/A.*tags .* key 'aws:owner' must not start with "aws:"/);
  });
});

describe('removal policy', () => {
  test('RETAIN keeps the user: CloudFormation sends no Delete', () => {
    const stack = newStack();
    new QuickSightUser(stack, 'A', { ...alice, removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResource('Custom::QuickSightUser', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('SNAPSHOT is refused', () => {
    expect(() => new QuickSightUser(newStack(), 'A', { ...alice, removalPolicy: RemovalPolicy.SNAPSHOT }))
      .toThrow("TestStack/A: removalPolicy RemovalPolicy.SNAPSHOT is not supported for a QuickSight user: use RemovalPolicy.DESTROY (deregister) or RemovalPolicy.RETAIN (keep)");
  });
});

describe('imports', () => {
  test('fromUserArn takes the name from the ARN, including role sessions', () => {
    const stack = newStack();
    const user = QuickSightUser.fromUserArn(stack, 'Imported', 'arn:aws:quicksight:us-east-1:123456789012:user/default/Analysts/carol');
    expect(user.userName).toBe('Analysts/carol');
    expect(user.userArn).toBe('arn:aws:quicksight:us-east-1:123456789012:user/default/Analysts/carol');
    expect(() => user.principalId).toThrow(/principalId of an imported QuickSight user is not known/);
  });

  test('fromUserArn refuses an ARN that is not a QuickSight user', () => {
    expect(() => QuickSightUser.fromUserArn(newStack(), 'Imported', 'arn:aws:iam::123456789012:user/bob'))
      .toThrow("TestStack/Imported: userArn 'arn:aws:iam::123456789012:user/bob' is not a QuickSight user ARN");
  });

  test('fromUserName builds the ARN in the stack partition, account and region', () => {
    const stack = newStack();
    const user = QuickSightUser.fromUserName(stack, 'Imported', 'dave', { namespace: 'finance' });
    expect(stack.resolve(user.userArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':quicksight:us-east-1:123456789012:user/finance/dave']] });
    expect(user.userName).toBe('dave');
  });
});

describe('validation at synth time', () => {
  test('another account than the stack\'s is refused at synth, naming both', () => {
    const stack = newStack();
    expect(() => new QuickSightUser(stack, 'A', { ...alice, awsAccountId: '210987654321' })).toThrow(
      "QuickSightUser TestStack/A: awsAccountId '210987654321' is not the account of stack TestStack ('123456789012'): QuickSight only accepts user calls from the account that holds the QuickSight account");
  });

  test('IAM Identity Center users beside IAM and QuickSight users of one account fail synth (an account authenticates one kind)', () => {
    const app = new App();
    const one = new Stack(app, 'One', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const two = new Stack(app, 'Two', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new QuickSightUser(one, 'Alice', alice);
    new QuickSightUser(two, 'Dave', { ...alice, userName: 'dave', identityType: IdentityType.IAM_IDENTITY_CENTER });
    expect(() => app.synth()).toThrow(/QuickSight account 123456789012 is declared with IAM and QuickSight users \(One\/Alice\) and with IAM Identity Center users \(Two\/Dave\): a QuickSight account authenticates either IAM and QuickSight users or IAM Identity Center users \(its authentication method\), never both/);
  });

  test('in an env-agnostic stack the account is only known at deploy time: the handler checks it then', () => {
    const stack = newStack({});
    new QuickSightUser(stack, 'A', { ...alice, awsAccountId: '210987654321' });
    Template.fromStack(stack).hasResourceProperties('Custom::QuickSightUser', { AwsAccountId: '210987654321' });
  });

  const iamUser: QuickSightUserProps = { identityType: IdentityType.IAM, iamArn: 'arn:aws:iam::123456789012:user/bob', email: 'bob@example.com', role: UserRole.READER };
  const role: QuickSightUserProps = { ...iamUser, iamArn: 'arn:aws:iam::123456789012:role/Analysts' };

  // One failing case per rule, with the message it must give (construct path, prop, value, rule).
  const cases: Array<[string, QuickSightUserProps, string]> = [
    ['account pattern', { ...alice, awsAccountId: '12345' }, "awsAccountId '12345' must be a 12-digit AWS account id (pattern ^[0-9]{12}$)"],
    ['namespace length', { ...alice, namespace: 'n'.repeat(65) }, 'namespace \'' + 'n'.repeat(65).slice(0, 77) + "' must be at most 64 characters (it has 65)"],
    ['namespace pattern', { ...alice, namespace: 'fin/ance' }, `namespace 'fin/ance' may only contain letters, digits, ".", "_" and "-"`],
    ['identity region', { ...alice, identityRegion: 'useast1' }, "identityRegion 'useast1' must be an AWS region name such as us-east-1"],
    ['email', { ...alice, email: 'alice' }, "email 'alice' must be an email address (name@domain)"],
    ['identity type enum', { ...alice, identityType: 'LDAP' as IdentityType }, "identityType 'LDAP' must be one of IAM, QUICKSIGHT, IAM_IDENTITY_CENTER"],
    ['role enum', { ...alice, role: 'OWNER' as UserRole }, "role 'OWNER' must be one of READER, AUTHOR, ADMIN, READER_PRO, AUTHOR_PRO, ADMIN_PRO"],
    ['restricted role', { ...alice, role: UserRole.RESTRICTED_READER }, "role 'RESTRICTED_READER' is not currently available for use in QuickSight"],
    ['user name characters', { ...alice, userName: 'al\u0007ice' }, "userName 'al\\u0007ice' may only contain characters U+0020 to U+00FF"],
    ['user name unicode', { ...alice, userName: 'ålice\u4e16' }, "userName 'ålice\u4e16' may only contain characters U+0020 to U+00FF"],
    ['user name slash', { ...alice, userName: '../admin' }, "userName '../admin' must not contain \"/\""],
    ['user name dot-dot', { ...alice, userName: '..' }, "userName '..' must not be \".\" or \"..\""],
    ['session name length', { ...role, sessionName: 'c' }, "sessionName 'c' must be 2 to 64 characters (it has 1)"],
    ['session name pattern', { ...role, sessionName: 'carol smith' }, "sessionName 'carol smith' may only contain letters, digits and + = . @ _ -"],
    ['custom permissions length', { ...alice, customPermissionsName: 'p'.repeat(65) }, 'must be at most 64 characters (it has 65)'],
    ['custom permissions pattern', { ...alice, customPermissionsName: 'no exports' }, "customPermissionsName 'no exports' may only contain letters, digits and + = , . @ _ -"],
    ['tag count', { ...alice, tags: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v'])) }, 'must have at most 48 tags (it has 49)'],
    ['tag key length', { ...alice, tags: { ['k'.repeat(129)]: 'v' } }, 'must be 1 to 128 characters (it has 129)'],
    ['tag value length', { ...alice, tags: { team: 'v'.repeat(257) } }, "value of 'team' must be 1 to 256 characters (it has 257)"],
    ['tag value empty', { ...alice, tags: { team: '' } }, "value of 'team' must be 1 to 256 characters (it has 0)"],
    ['tag reserved key', { ...alice, tags: { 'quicksight-user-cdk:owner': 'me' } }, "key 'quicksight-user-cdk:owner' is reserved"],
    ['iam needs iamArn', { ...iamUser, iamArn: undefined }, 'iamArn (not set) is required when identityType is IAM'],
    ['iamArn is an IAM user or role', { ...iamUser, iamArn: 'arn:aws:iam::123456789012:group/admins' }, "iamArn 'arn:aws:iam::123456789012:group/admins' must be the ARN of an IAM user or role"],
    ['iam refuses userName', { ...iamUser, userName: 'bob' }, "userName 'bob' is not accepted when identityType is IAM"],
    ['quicksight needs userName', { ...alice, userName: undefined }, 'userName (not set) is required when identityType is QUICKSIGHT'],
    ['identity center needs userName', { ...alice, identityType: IdentityType.IAM_IDENTITY_CENTER, userName: undefined }, 'userName (not set) is required when identityType is IAM_IDENTITY_CENTER'],
    ['quicksight refuses iamArn', { ...alice, iamArn: 'arn:aws:iam::123456789012:user/bob' }, 'is only accepted when identityType is IAM, not QUICKSIGHT'],
    ['session name only with a role', { ...iamUser, sessionName: 'carol' }, "sessionName 'carol' is only accepted with the ARN of an IAM role"],
    ['provider URL only with CUSTOM_OIDC', { ...role, externalLoginFederationProviderType: ExternalLoginFederationProviderType.COGNITO, customFederationProviderUrl: 'https://x' }, 'is only accepted when externalLoginFederationProviderType is CUSTOM_OIDC, not COGNITO'],
    ['CUSTOM_OIDC needs provider URL', { ...role, externalLoginFederationProviderType: ExternalLoginFederationProviderType.CUSTOM_OIDC }, 'customFederationProviderUrl (not set) is required when externalLoginFederationProviderType is CUSTOM_OIDC'],
    ['external login id needs a provider', { ...role, externalLoginId: 'x' }, "externalLoginId 'x' is only accepted together with externalLoginFederationProviderType"],
    ['empty optional value', { ...alice, customPermissionsName: '' }, "customPermissionsName '' must not be empty (leave it out instead)"],
  ];

  test.each(cases)('%s', (_name, props, message) => {
    const stack = newStack();
    let error: Error | undefined;
    try {
      new QuickSightUser(stack, 'Bad', props);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toContain('QuickSightUser TestStack/Bad');
    expect(error?.message).toContain(message);
  });

  test('all the errors of one user are reported at once', () => {
    expect(() => new QuickSightUser(newStack(), 'Bad', { ...alice, email: 'x', awsAccountId: '1' }))
      .toThrow(/TestStack\/Bad has 2 errors:\n- awsAccountId '1' .*\n- email 'x' /);
  });

  test('values only known at deploy time are not judged at synth', () => {
    const stack = newStack();
    const email = new CfnParameter(stack, 'Email').valueAsString;
    const name = new CfnParameter(stack, 'Name').valueAsString;
    const account = new CfnParameter(stack, 'Account').valueAsString;
    const arn = new CfnParameter(stack, 'Arn').valueAsString;
    new QuickSightUser(stack, 'A', { ...alice, email, userName: name, awsAccountId: account });
    new QuickSightUser(stack, 'B', { identityType: IdentityType.IAM, iamArn: arn, sessionName: 'carol', email, role: UserRole.READER });
    Template.fromStack(stack).resourceCountIs('Custom::QuickSightUser', 2);
  });

  test('the same user declared twice in an app fails synth, naming both', () => {
    const app = new App();
    const one = new Stack(app, 'One', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const two = new Stack(app, 'Two', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new QuickSightUser(one, 'A', alice);
    new QuickSightUser(two, 'B', { ...alice, email: 'other@example.com' });
    expect(() => app.synth()).toThrow(/QuickSight user declared more than once \(One\/A, Two\/B\)/);
  });

  test('the same name in two env-agnostic stacks is not a duplicate (they may deploy to different accounts)', () => {
    const app = new App();
    new QuickSightUser(new Stack(app, 'One'), 'A', alice);
    new QuickSightUser(new Stack(app, 'Two'), 'A', alice);
    expect(() => app.synth()).not.toThrow();
  });
});
