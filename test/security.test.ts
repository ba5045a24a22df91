// A security review in CI: cdk-nag's AwsSolutions pack finds nothing on the example app (and on a
// stack that uses every option), the acknowledgements are narrow (one rule, one resource, the exact
// wildcards) and exactly what the pack would otherwise report; the handler's IAM policy has no `*`
// action and no `*` resource, and is scoped to the accounts, identity regions and namespaces in
// use; cfn-lint passes on every template here. (The log check runs over the whole scenario matrix,
// at the end of test/scenarios.test.ts.)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Aspects, CfnParameter, CfnResource, RemovalPolicy, Stack, Tags, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { ExampleUsersStack } from '../bin/example-stack';
import { IdentityType, QuickSightUser, UserRole } from '../lib';
import { HANDLER_ACTIONS, HANDLER_GROUP_ACTIONS } from '../lib/provider';
import { resolveValue, type Template } from './cfn-simulator';
import { writeFigures } from './reliability/figures';
import { acknowledgements, awsSolutionsFindings, policyStatements } from './security/checks';

const figures = { nagFindingsLeft: 0, nagAppsChecked: 0, acknowledgementsOnTheExampleApp: 0, policiesChecked: 0, cfnLintTemplates: 0 };
afterAll(() => writeFigures('security', figures));

const PSEUDO = { accountId: '111111111111', region: 'eu-west-1', partition: 'aws', stackName: 'S', stackId: 'arn:stack', urlSuffix: 'amazonaws.com' };

/** Every option of the construct in one stack: namespaces, accounts and identity regions, RETAIN, a parameter. */
function kitchenSink(app: App): Stack {
  const stack = new Stack(app, 'KitchenSink');
  const namespace = new CfnParameter(stack, 'TeamNamespace', { default: 'team' });
  const base = { identityType: IdentityType.QUICKSIGHT, role: UserRole.READER };
  new QuickSightUser(stack, 'A', { ...base, userName: 'a', email: 'a@example.com' });
  new QuickSightUser(stack, 'B', { ...base, userName: 'b', email: 'b@example.com', namespace: 'finance', removalPolicy: RemovalPolicy.RETAIN });
  new QuickSightUser(stack, 'C', { ...base, userName: 'c', email: 'c@example.com', namespace: 'finance', identityRegion: 'us-east-1' });
  new QuickSightUser(stack, 'D', { ...base, userName: 'd', email: 'd@example.com', awsAccountId: '222222222222', identityRegion: 'us-east-1', stackOutputs: false });
  new QuickSightUser(stack, 'E', { ...base, userName: 'e', email: 'e@example.com', namespace: namespace.valueAsString, adoptExistingUser: false });
  Tags.of(stack).add('cost-center', '42');
  return stack;
}

/** An App as the CDK CLI makes it: with each resource's construct path in its metadata. */
const newApp = (outdir?: string) => new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });

function exampleApp(props: ConstructorParameters<typeof ExampleUsersStack>[2] = {}): { app: App; stack: Stack } {
  const app = newApp();
  return { app, stack: new ExampleUsersStack(app, 'QuickSightUsers', props) };
}

const templateOf = (app: App, stack: Stack) => app.synth().getStackByName(stack.stackName).template as Template & { Metadata?: Record<string, unknown> };

/** Removes the acknowledgements before cdk-nag looks, to see what they acknowledge. */
class WithoutAcknowledgements implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof CfnResource) delete (node.cfnOptions.metadata as Record<string, unknown> | undefined)?.cdk_nag;
  }
}

// ---- cdk-nag ----

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['the example app', () => exampleApp().app],
    ['the example app with account and identity region', () => exampleApp({ awsAccountId: '123456789012', identityRegion: 'us-east-1' }).app],
    ['a stack with every option', () => { const app = newApp(); kitchenSink(app); return app; }],
  ])('%s: no findings left', (_name, build) => {
    const findings = awsSolutionsFindings(build());
    figures.nagAppsChecked += 1;
    figures.nagFindingsLeft += findings.length;
    expect(findings).toEqual([]);
  });

  test('the check is live: it reports a wildcard policy', () => {
    const app = new App();
    const stack = new Stack(app, 'Careless');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['quicksight:*'], resources: ['*'] }));
    expect(awsSolutionsFindings(stack)).toEqual(expect.arrayContaining([
      expect.objectContaining({ rule: 'AwsSolutions-IAM5', finding: 'Action::quicksight:*' }),
      expect.objectContaining({ rule: 'AwsSolutions-IAM5', finding: 'Resource::*' }),
    ]));
  });

  test.each([
    ['the example app', () => exampleApp().app, ['QuickSightUsers']],
    ['a stack with every option', () => { const app = newApp(); kitchenSink(app); return app; }, ['KitchenSink']],
  ])('%s: the acknowledgements are exactly the findings they answer, one rule and one resource each, with a reason', (_name, build, stacks) => {
    const withAcknowledgements = build();
    const acknowledged = stacks.flatMap((name) => acknowledgements(withAcknowledgements.synth().getStackByName(name).template));
    if (stacks[0] === 'QuickSightUsers') figures.acknowledgementsOnTheExampleApp = acknowledged.length;
    const bare = build();
    Aspects.of(bare).add(new WithoutAcknowledgements());
    const findings = awsSolutionsFindings(bare);

    // Nowhere stack-wide; each on one resource, for one rule, with exact wildcards and a real reason.
    for (const ack of acknowledged) {
      expect(ack.resource).not.toBe('(stack)');
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z0-9]+$/);
      expect(ack.reason.length).toBeGreaterThan(80);
      expect(ack.appliesTo!.length).toBeGreaterThan(0);
      for (const target of ack.appliesTo!) expect(typeof target).toBe('string');
    }
    const acknowledgedFindings = acknowledged.flatMap((ack) => ack.appliesTo!.map((target) => `/${ack.path} ${ack.id}[${target}]`)).sort();
    const reported = findings.map((f) => `${f.path} ${f.rule}[${f.finding}]`).sort();
    expect(acknowledgedFindings).toEqual(reported);
    // Only the wildcards the construct needs: user/* and group/* of each account and identity region for the handler, <handler ARN>:* for the framework.
    for (const ack of acknowledged) {
      expect(ack.path).toMatch(/\/QuickSightUserProvider\/(HandlerRole|FrameworkRole)\/DefaultPolicy\/Resource$/);
      const pattern = ack.path!.includes('HandlerRole')
        ? /^Resource::arn:(<[^>]+>|[^:<>]+):quicksight:(<[^>]+>|[^:<>]+):(<[^>]+>|[^:<>]+):(user|group)\/\*$/
        : /^Resource::<QuickSightUserProviderHandler[0-9A-F]{8}\.Arn>:\*$/;
      for (const target of ack.appliesTo!) expect(target).toMatch(pattern);
    }
  });
});

// ---- IAM ----

describe('the handler\'s IAM policy', () => {
  test.each([
    ['the example app', () => exampleApp()],
    ['the example app with account and identity region', () => exampleApp({ awsAccountId: '123456789012', identityRegion: 'us-east-1' })],
    ['a stack with every option', () => { const app = newApp(); return { app, stack: kitchenSink(app) }; }],
  ])('%s: no * action, no * resource, QuickSight scoped to the users of the accounts and identity regions in use', (_name, build) => {
    const { app, stack } = build();
    const template = templateOf(app, stack);
    const statements = policyStatements(template);
    figures.policiesChecked += 1;
    const resolve = (value: unknown) => resolveValue(value, {
      pseudo: PSEUDO,
      parameters: Object.fromEntries(Object.entries(template.Parameters ?? {}).map(([k, v]) => [k, String(v.Default)])),
      ref: (id) => id,
      getAtt: (id, attribute) => `arn:aws:${id}:${attribute}`,
      condition: () => false,
    }, 'policy');

    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const action of s.Action) expect(action).not.toContain('*');
      for (const resource of s.Resource) expect(resolve(resource)).not.toBe('*');
    }
    const quickSight = statements.filter((s) => s.Action.some((a) => a.startsWith('quicksight:')));
    expect(quickSight).toHaveLength(2);
    for (const s of quickSight) expect(s.policy).toMatch(/^QuickSightUserProviderHandlerRoleDefaultPolicy/);
    expect([...quickSight[0].Action].sort()).toEqual([...HANDLER_ACTIONS].sort());
    expect([...quickSight[1].Action].sort()).toEqual([...HANDLER_GROUP_ACTIONS].sort());
    // On the users and groups of each account and identity region in use (not per namespace: a
    // rollback or a cleanup Delete runs under a policy that may no longer name the old namespace).
    const inUse = (kind: string) => Object.values(template.Resources ?? {})
      .filter((r) => ['Custom::QuickSightUser', 'Custom::QuickSightGroup', 'Custom::QuickSightGroupMembership'].includes(r.Type)).map((r) => {
        const p = resolve(r.Properties) as Record<string, string>;
        return `arn:aws:quicksight:${p.IdentityRegion}:${p.AwsAccountId}:${kind}/*`;
      });
    expect(quickSight[0].Resource.map(resolve).sort()).toEqual([...new Set(inUse('user'))].sort());
    expect(quickSight[1].Resource.map(resolve).sort()).toEqual([...new Set(inUse('group'))].sort());

    // Logs only to the functions' own log groups; no managed policies.
    for (const s of statements.filter((st) => st.Action.some((a) => a.startsWith('logs:')))) {
      for (const resource of s.Resource) expect(JSON.stringify(resource)).toMatch(/Logs[0-9A-F]{8}/);
    }
    for (const role of Object.values(template.Resources ?? {}).filter((r) => r.Type === 'AWS::IAM::Role')) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });
});

// ---- cfn-lint ----

test('cfn-lint passes on the templates of every option', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-security-'));
  const app = newApp(outdir);
  kitchenSink(app);
  new ExampleUsersStack(app, 'ExampleWithEnv', { awsAccountId: '123456789012', identityRegion: 'us-east-1' });
  const assembly = app.synth();
  const files = assembly.stacks.map((s) => path.join(outdir, s.templateFile));
  expect(files).toHaveLength(2);
  figures.cfnLintTemplates = files.length;
  let output = '';
  try {
    // W3005 (a DependsOn a GetAtt already implies) is how aws-cdk-lib writes Lambda functions: see template.test.ts.
    output = execFileSync('cfn-lint', ['--ignore-checks', 'W3005', '--', ...files], { encoding: 'utf8' });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('cfn-lint is not installed: pip install cfn-lint');
    output = `${e.stdout ?? ''}${e.stderr ?? ''}` || String(error);
  }
  expect(output).toBe('');
});
