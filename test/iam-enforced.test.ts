// IAM enforced: the CloudFormation simulator deploys templates synthesized from the real construct,
// and the emulator answers every QuickSight call with what the handler role's policy, taken from
// the template being deployed (test/security/handler-policy.ts), allows: anything else is the
// AccessDeniedException IAM answers. The judge of "granted" is the template, not
// lib/provider.ts's HANDLER_ACTIONS.
//
// Proven here, over every path the handler takes (register, adopt with differences, update each
// field, tags, replacement and its cleanup Delete, Delete with and without the owner marker, a user
// gone before its Delete, stack delete):
// - every call the handler sent was allowed (no 403), and every deployment converged;
// - every QuickSight operation the policy grants was sent at least once (nothing granted in vain);
// - the operations the handler's client can send (the *Command classes lambda/quicksight.ts
//   imports) are exactly the ones granted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Tags, type Stack } from 'aws-cdk-lib';
import { ExternalLoginFederationProviderType, IdentityType, QuickSightGroup, QuickSightUser, UserRole, type QuickSightUserProps } from '../lib';
import { checkState, CloudFormationSimulator, type OperationResult, type Template } from './cfn-simulator';
import { useEmulator } from './handler-harness';
import { quickSightModel } from './judges/quicksight-model';
import { synth } from './reliability/stacks';
import { DEFAULT_PSEUDO, grantedOperations, handlerChainOf, handlerPolicyOf } from './security/handler-policy';

const ACCOUNT = '123456789012';
const emulator = useEmulator({ seed: 31 });
const MODEL_OPERATIONS = Object.keys(quickSightModel().operations);

/** Every QuickSight operation the emulator answered (not refused by IAM) in this file, and every policy deployed. */
const sent = new Set<string>();
const granted = new Set<string>();

class EnforcedStack {
  public readonly cfn = new CloudFormationSimulator({ budgetMs: 10_000, log: () => undefined });

  /** Deploys a template with its own handler policy enforced for the whole operation (cleanup included: CloudFormation updates the policy first). */
  public async deploy(build: (stack: Stack) => void): Promise<OperationResult> {
    const template = synth(build, { stackName: this.cfn.stackName });
    this.enforce(template);
    return this.settle(await this.cfn.deploy(template));
  }

  public async deleteStack(): Promise<OperationResult> {
    return this.settle(await this.cfn.deleteStack());
  }

  private enforce(template: Template): void {
    const policy = handlerPolicyOf(template, { ...DEFAULT_PSEUDO, ...this.cfn.pseudo });
    for (const op of grantedOperations(policy, MODEL_OPERATIONS)) granted.add(op);
    emulator().setPolicy(policy);
  }

  private settle(result: OperationResult): OperationResult {
    const calls = emulator().calls;
    for (const call of calls) if (call.status >= 200 && call.status < 300) sent.add(call.operation);
    expect(calls.filter((c) => c.errorType === 'AccessDeniedException').map((c) => `${c.authorization?.action} on ${c.authorization?.resource}`)).toEqual([]);
    expect(result.events.filter((e) => e.status === 'FAILED').map((e) => `${e.logicalId}: ${e.reason}`)).toEqual([]);
    emulator().resetCalls();
    return result;
  }
}

function user(stack: Stack, id: string, name: string, props: Partial<QuickSightUserProps> = {}): void {
  new QuickSightUser(stack, id, { identityType: IdentityType.QUICKSIGHT, userName: name, email: `${name}@example.com`, role: UserRole.READER, stackOutputs: false, ...props });
}

afterEach(() => emulator().setPolicy(undefined));

describe('the handler under the policy its stack grants it', () => {
  test('every path: register, adopt with differences, update every field and tags, replace, delete with and without marker, vanished users, stack delete', async () => {
    emulator().addNamespace(ACCOUNT, 'finance');
    // Made by hand before the stack: adopted, with every field and a tag different from the declaration.
    emulator().putUser({
      accountId: ACCOUNT, userName: 'adopted', email: 'old@example.com', role: 'ADMIN', identityType: 'QUICKSIGHT', customPermissionsName: 'Old',
      externalLoginFederationProviderType: 'COGNITO', externalLoginFederationProviderUrl: 'cognito-identity.amazonaws.com', tags: { stray: 'x' },
    });
    const stack = new EnforcedStack();
    const v1 = await stack.deploy((s) => {
      user(s, 'Alice', 'alice', {
        role: UserRole.AUTHOR, tags: { team: 'finance', old: 'x' }, customPermissionsName: 'NoExports',
        externalLoginFederationProviderType: ExternalLoginFederationProviderType.CUSTOM_OIDC, customFederationProviderUrl: 'https://idp.example.com', externalLoginId: 'a1',
      });
      user(s, 'Bob', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:user/bob` });
      user(s, 'Carol', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, sessionName: 'carol' });
      user(s, 'Dan', 'dan', { namespace: 'finance' });
      user(s, 'Adopted', 'adopted');
      user(s, 'Kept', 'kept', { removalPolicy: RemovalPolicy.RETAIN });
      user(s, 'Gone', 'gone');
      user(s, 'Unmarked', 'unmarked');
    });
    expect(v1.status).toBe('CREATE_COMPLETE');

    // Behind the stack's back: a user disappears.
    emulator().removeUser(ACCOUNT, 'default', 'gone');

    const v2 = await stack.deploy((s) => {
      user(s, 'Alice', 'alice', { role: UserRole.READER_PRO, email: 'alice.new@example.com', tags: { team: 'sales' } }); // every field, tags in and out
      user(s, 'Bob', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:user/bob` });
      user(s, 'Carol', 'x', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, sessionName: 'carol.jones' }); // replaced
      user(s, 'Dan', 'dan', { namespace: 'finance', role: UserRole.AUTHOR });
      user(s, 'Adopted', 'adopted');
      user(s, 'Kept', 'kept', { removalPolicy: RemovalPolicy.RETAIN });
      user(s, 'Unmarked', 'unmarked');
      // Gone is removed from the template: its Delete finds nothing.
      Tags.of(s).add('cost-center', '42'); // tags only, on everyone
    });
    expect(v2.status).toBe('UPDATE_COMPLETE');
    expect(emulator().getUser(ACCOUNT, 'default', 'alice')).toMatchObject({
      email: 'alice.new@example.com', role: 'READER_PRO', customPermissionsName: undefined, externalLoginFederationProviderType: undefined,
    });
    expect(emulator().getUser(ACCOUNT, 'default', 'Analysts/carol')).toBeUndefined();
    expect(emulator().getUser(ACCOUNT, 'default', 'bob')!.tags).toMatchObject({ 'cost-center': '42' });
    expect(checkState(emulator(), [stack.cfn])).toEqual({ lost: [], leaked: [], drifted: [] });

    // A user loses its owner marker (deleted without one); another vanishes between the ownership read and DeleteUser.
    const unmarked = emulator().getUser(ACCOUNT, 'default', 'unmarked')!;
    emulator().putUser({ ...unmarked, tags: {} });
    emulator().beforeNext('DeleteUser', ({ params }) => emulator().removeUser(params.AwsAccountId, params.Namespace, params.UserName));
    const deleted = await stack.deleteStack();
    expect(deleted.status).toBe('DELETE_COMPLETE');
    expect(emulator().getUser(ACCOUNT, 'default', 'kept')).toBeDefined();
    expect(emulator().getUser(ACCOUNT, 'default', 'unmarked')).toBeUndefined();
    expect(checkState(emulator(), [stack.cfn])).toEqual({ lost: [], leaked: [], drifted: [] });
  }, 60_000);
});

describe('groups and memberships under the policy their stack grants', () => {
  test('every path: create, adopt and update groups, join, adopt a user with groups, leave, memberships of imported users, rename, delete', async () => {
    emulator().putGroup({ accountId: ACCOUNT, groupName: 'existing', description: 'old' });
    emulator().putUser({ accountId: ACCOUNT, userName: 'olduser', email: 'olduser@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator().putUser({ accountId: ACCOUNT, userName: 'outsider', email: 'outsider@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator().putUser({ accountId: ACCOUNT, userName: 'member', email: 'member@example.com', role: 'READER', identityType: 'QUICKSIGHT' });
    emulator().addMember(ACCOUNT, 'default', 'existing', 'member');
    const stack = new EnforcedStack();
    const v1 = await stack.deploy((s) => {
      const analysts = new QuickSightGroup(s, 'Analysts', { groupName: 'analysts', description: 'a' });
      const existing = new QuickSightGroup(s, 'Existing', { groupName: 'existing', description: 'new' });
      user(s, 'Alice', 'alice', { groups: [analysts, existing] });
      user(s, 'OldUser', 'olduser', { groups: [analysts] });
      analysts.addMember(QuickSightUser.fromUserName(s, 'Outsider', 'outsider'));
      existing.addMember(QuickSightUser.fromUserName(s, 'Member', 'member'));
    });
    expect(v1.status).toBe('CREATE_COMPLETE');
    expect(emulator().membersOf(ACCOUNT, 'default', 'analysts')).toEqual(['alice', 'olduser', 'outsider']);
    expect(emulator().getGroup(ACCOUNT, 'default', 'existing')).toMatchObject({ description: 'new' });

    const v2 = await stack.deploy((s) => {
      const analysts = new QuickSightGroup(s, 'Analysts', { groupName: 'analysts-eu', description: 'b' }); // renamed: replaced
      const existing = new QuickSightGroup(s, 'Existing', { groupName: 'existing', description: 'newer' });
      user(s, 'Alice', 'alice', { groups: [analysts] });
      user(s, 'OldUser', 'olduser', { groups: [analysts, existing] });
    });
    expect(v2.status).toBe('UPDATE_COMPLETE');
    expect(emulator().groups().map((g) => g.groupName).sort()).toEqual(['analysts-eu', 'existing']);
    expect(emulator().membersOf(ACCOUNT, 'default', 'existing')).toEqual(['olduser']);

    const deleted = await stack.deleteStack();
    expect(deleted.status).toBe('DELETE_COMPLETE');
    expect(emulator().groups()).toEqual([]);
  }, 60_000);
});

describe('grants that change with the template', () => {
  // CloudFormation updates the role's policy before the custom resources that depend on it and
  // runs the cleanup Deletes last: when the last user of a namespace moves elsewhere, the cleanup
  // Delete of the old user runs under a policy that no longer names that namespace. The construct
  // grants what letting go of a user needs on user/* of each account and identity region in use.
  test('the last user of a namespace moves to another one: the cleanup Delete of the old user runs under the new policy', async () => {
    emulator().addNamespace(ACCOUNT, 'finance');
    const stack = new EnforcedStack();
    await stack.deploy((s) => user(s, 'Erin', 'erin', { namespace: 'finance' }));
    const template = synth((s) => user(s, 'Erin', 'erin'), { stackName: stack.cfn.stackName });
    const policy = handlerPolicyOf(template, { ...DEFAULT_PSEUDO, ...stack.cfn.pseudo });
    emulator().setPolicy(policy);
    const moved = await stack.cfn.deploy(template);
    expect(moved.status).toBe('UPDATE_COMPLETE');
    const refused = emulator().calls.filter((c) => c.errorType === 'AccessDeniedException').map((c) => `${c.authorization?.action} on ${c.authorization?.resource}`);
    // CloudFormation updates the role's policy before the custom resources that depend on it, and
    // runs the cleanup Deletes last: the old namespace is no longer granted then.
    expect({ refused, leaked: checkState(emulator(), [stack.cfn]).leaked }).toEqual({ refused: [], leaked: [] });
  });
});

describe('granted, and sent', () => {
  const handlerSource = fs.readFileSync(path.join(__dirname, '..', 'lambda', 'quicksight.ts'), 'utf8');
  const clientOperations = [...handlerSource.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-quicksight'/g)]
    .flatMap((m) => m[1].split(','))
    .map((name) => name.trim().replace(/^type\s+/, ''))
    .filter((name) => name.endsWith('Command'))
    .map((name) => name.replace(/Command$/, ''))
    .sort();

  test('the handler\'s client can send some QuickSight operations (the scan works)', () => {
    expect(clientOperations.length).toBeGreaterThan(3);
    expect(clientOperations.every((op) => MODEL_OPERATIONS.includes(op))).toBe(true);
  });

  test('every operation the handler\'s client can send is granted, and nothing else', () => {
    expect([...granted].sort()).toEqual(clientOperations);
  });

  test('every granted operation was sent, and allowed, while the handler went through its paths', () => {
    expect([...granted].filter((op) => !sent.has(op)).sort()).toEqual([]);
    expect([...sent].filter((op) => !granted.has(op)).sort()).toEqual([]);
  });

  test('the policy is found by following the template, not by name', () => {
    const template = synth((s) => user(s, 'A', 'a'));
    const chain = handlerChainOf(template);
    expect(chain.policies.length).toBeGreaterThan(0);
    expect(template.Resources![chain.handler].Type).toBe('AWS::Lambda::Function');
  });
});
