// The example app's template as CloudFormation would take it: cfn-lint (AWS's linter) finds no
// error in it. W3005 (a DependsOn that a GetAtt already implies) is how aws-cdk-lib writes every
// Lambda function's dependency on its role policy, so it is the one warning let through.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ExampleUsersStack, readExampleUsers } from '../bin/example-stack';
import { QuickSightUsersStack } from '../gitops/users-app';

function lint(templateFile: string): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync('cfn-lint', ['--ignore-checks', 'W3005', '--', templateFile], { encoding: 'utf8' }) };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('cfn-lint is not installed: pip install cfn-lint');
    return { status: e.status ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test.each([
  ['env-agnostic', {}],
  ['with account and identity region', { awsAccountId: '123456789012', identityRegion: 'us-east-1' }],
])('the example template passes cfn-lint (%s)', (_name, props) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-users-'));
  const app = new App({ outdir });
  new ExampleUsersStack(app, 'QuickSightUsers', props);
  app.synth();
  const result = lint(path.join(outdir, 'QuickSightUsers.template.json'));
  expect(result).toEqual({ status: 0, output: '' });
});

test('a broken template does fail cfn-lint (the check is live)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'broken-')), 'broken.template.json');
  fs.writeFileSync(file, JSON.stringify({ Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs0.x' } } } }));
  expect(lint(file).status).not.toBe(0);
});

describe('the example app\'s groups, as `npx cdk synth` builds them (QuickSightUsersStack.fromUsersFile)', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-groups-'));
  const app = new App({ outdir });
  const { stacks, groupsStack } = QuickSightUsersStack.fromUsersFile(app, readExampleUsers());
  const assembly = app.synth();

  test('a stack of its own holds the managed groups, each with its removal policy; the group managed elsewhere is no resource', () => {
    expect(groupsStack?.stackName).toBe('QuickSightUsers-groups');
    const template = Template.fromStack(groupsStack!);
    template.resourceCountIs('Custom::QuickSightGroup', 2);
    template.resourceCountIs('Custom::QuickSightUser', 0);
    template.hasResource('Custom::QuickSightGroup', {
      Properties: { AwsAccountId: '123456789012', IdentityRegion: 'us-east-1', Namespace: 'default', GroupName: 'analysts', Description: 'Authors who build the analyses and dashboards' },
      DeletionPolicy: 'Delete',
    });
    template.hasResource('Custom::QuickSightGroup', { Properties: { GroupName: 'finance' }, DeletionPolicy: 'Retain' });
    for (const stack of stacks) Template.fromStack(stack).resourceCountIs('Custom::QuickSightGroup', 0);
  });

  test('the users carry their memberships, sorted; the user stack deploys after the groups stack', () => {
    const [users] = stacks;
    const template = Template.fromStack(users);
    template.hasResourceProperties('Custom::QuickSightUser', { UserName: 'alice', Groups: ['analysts', 'finance'] });
    template.hasResourceProperties('Custom::QuickSightUser', { UserName: 'dave', Groups: ['admins'] });
    template.hasResourceProperties('Custom::QuickSightUser', { UserName: 'frank', Groups: Match.absent() });
    expect(assembly.getStackByName(users.stackName).dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'))).toEqual(['QuickSightUsers-groups']);
    expect(assembly.getStackByName('QuickSightUsers-groups').dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'))).toEqual([]);
  });

  test('the groups stack passes cfn-lint', () => {
    expect(lint(path.join(outdir, 'QuickSightUsers-groups.template.json'))).toEqual({ status: 0, output: '' });
  });

  test('a users stack built by hand from the users alone leaves their memberships out, and says so', () => {
    const byHand = new App();
    const stack = new QuickSightUsersStack(byHand, 'ByHand', { users: readExampleUsers().users });
    Template.fromStack(stack).hasResourceProperties('Custom::QuickSightUser', { UserName: 'alice', Groups: Match.absent() });
    Annotations.fromStack(stack).hasWarning('/ByHand', Match.stringLikeRegexp('^4 users of this stack join groups, but the stack was given no groups: their memberships are left out\\. Pass the file\'s groups'));
    // Given the file's groups without a groups stack, it declares the managed ones itself.
    const file = readExampleUsers();
    const alone = new QuickSightUsersStack(new App(), 'Alone', { users: file.users, groups: file.groups });
    Template.fromStack(alone).resourceCountIs('Custom::QuickSightGroup', 2);
    Template.fromStack(alone).hasResourceProperties('Custom::QuickSightUser', { UserName: 'alice', Groups: ['analysts', 'finance'] });
  });
});
