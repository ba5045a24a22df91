import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Aws, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/**
 * The QuickSight actions the handler calls, and nothing else: granted on the users (`user/*`) of
 * each account and identity region the stack declares, not on namespaces. CloudFormation updates
 * the handler role's policy before the users and rolls it back after them, so a cleanup Delete, or
 * the rollback of an update, acts on a user of a namespace the policy in force no longer declares
 * (a user moved to another namespace): a grant per namespace would refuse it, leaving the user
 * behind or the stack in UPDATE_ROLLBACK_FAILED for good. The owner marker keeps the handler from
 * deleting a user it does not manage.
 */
export const HANDLER_ACTIONS = [
  'quicksight:RegisterUser',
  'quicksight:DescribeUser',
  'quicksight:UpdateUser',
  'quicksight:DeleteUser',
  'quicksight:TagResource',
  'quicksight:UntagResource',
  'quicksight:ListTagsForResource',
  'quicksight:ListUserGroups',
];

/**
 * The QuickSight actions on groups and memberships, on the groups (`group/*`) of the same accounts
 * and identity regions. Every stack gets them, with or without groups now: a deployment that stops
 * declaring a stack's last group (or a user's last group) makes its cleanup Delete, and its
 * rollback, under the new template's policy, which would otherwise no longer grant them (the model
 * found both: a group left behind, and a stack stuck in UPDATE_ROLLBACK_FAILED).
 */
export const HANDLER_GROUP_ACTIONS = [
  'quicksight:CreateGroup',
  'quicksight:DescribeGroup',
  'quicksight:UpdateGroup',
  'quicksight:DeleteGroup',
  'quicksight:CreateGroupMembership',
  'quicksight:DeleteGroupMembership',
  'quicksight:DescribeGroupMembership',
];

/**
 * The CloudFormation actions the handler calls, on the stack's own id (AWS::StackId), nothing else:
 * on a Delete of a user it did not register itself, or of a group, it reads its own stack's status
 * to tell a rollback from an intended delete; before deleting a group or a membership, it lists its
 * own stack's resources, so that one another resource of the stack has taken over (a construct id
 * changed) is left to it.
 */
export const HANDLER_STACK_ACTIONS = ['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'];

/** How long one event may run: the handler answers 5 s before this, whatever QuickSight does. */
export const HANDLER_TIMEOUT = Duration.minutes(5);

/**
 * The construct id of the provider under its stack. Part of the public contract: CloudFormation
 * refuses a change of a custom resource's ServiceToken, so it must never change.
 */
const PROVIDER_ID = 'QuickSightUserProvider';

/**
 * The custom resource provider of a stack's QuickSight users: one handler Lambda (and one Provider
 * framework function) per stack, however many users it declares. Its QuickSight permissions are
 * scoped to `user/*` and `group/*` of the accounts and identity regions in use (see HANDLER_ACTIONS), so the
 * policy grows with the identity regions, never with the users.
 */
export class QuickSightUserProvider extends Construct {
  /** The stack's provider, created on first use. */
  public static of(scope: Construct): QuickSightUserProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    return (existing as QuickSightUserProvider | undefined) ?? new QuickSightUserProvider(stack, PROVIDER_ID);
  }

  /** The ServiceToken of the custom resources. */
  public readonly serviceToken: string;
  /** The Lambda function that calls QuickSight. */
  public readonly handler: lambda.Function;
  private statements?: { users: iam.PolicyStatement; groups: iam.PolicyStatement };
  private readonly grantedScopes = new Set<string>();
  private readonly handlerRole: iam.Role;
  private readonly grantedArns: string[] = [];
  private readonly handlerPolicy: CfnResource;

  private constructor(scope: Construct, id: string) {
    super(scope, id);

    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Registers, updates and deregisters the QuickSight users, groups and memberships declared in this stack',
    });
    handlerLogs.grant(handlerRole, 'logs:CreateLogStream', 'logs:PutLogEvents');
    this.handlerRole = handlerRole;
    handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: HANDLER_STACK_ACTIONS, resources: [Aws.STACK_ID] }));
    this.handlerPolicy = defaultPolicyOf(handlerRole);

    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Custom::QuickSightUser handler: RegisterUser, UpdateUser, DeleteUser and tags',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerBundleDir()),
      timeout: HANDLER_TIMEOUT,
      memorySize: 256,
      role: handlerRole,
      logGroup: handlerLogs,
      loggingFormat: lambda.LoggingFormat.JSON,
    });

    const frameworkLogs = new logs.LogGroup(this, 'FrameworkLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const frameworkRole = new iam.Role(this, 'FrameworkRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the CDK custom resource Provider framework for the QuickSight users of this stack',
    });
    frameworkLogs.grant(frameworkRole, 'logs:CreateLogStream', 'logs:PutLogEvents');
    // The framework's own log level stays at its default (FATAL): at INFO it would log whole
    // requests (emails) and results (invitation URLs).
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler,
      logGroup: frameworkLogs,
      frameworkOnEventRole: frameworkRole,
    });
    this.serviceToken = provider.serviceToken;
    acknowledgeNagFinding(defaultPolicyOf(frameworkRole), 'AwsSolutions-IAM5', [`Resource::${nagForm(Stack.of(this).resolve(this.handler.functionArn))}:*`],
      'The CDK Provider framework only invokes this stack\'s QuickSightUser handler: aws-cdk-lib grants lambda:InvokeFunction on that function and on its versions and aliases (<function ARN>:*), no other function.');
  }

  /**
   * Lets the handler manage the users (`user/*`) and groups (`group/*`) of an account's identity
   * region; once per scope. Users and groups get the same grant: a deployment that stops declaring
   * the last group (or user) of a scope still makes their cleanup Delete and rollback under it.
   */
  public grantScope(awsAccountId: string, identityRegion: string): void {
    const key = [awsAccountId, identityRegion].join('|');
    if (this.grantedScopes.has(key)) return;
    this.grantedScopes.add(key);
    if (this.statements === undefined) {
      this.statements = {
        users: new iam.PolicyStatement({ actions: HANDLER_ACTIONS, resources: [] }),
        groups: new iam.PolicyStatement({ actions: HANDLER_GROUP_ACTIONS, resources: [] }),
      };
      this.handlerRole.addToPrincipalPolicy(this.statements.users);
      this.handlerRole.addToPrincipalPolicy(this.statements.groups);
    }
    const arn = (resource: string) => Stack.of(this).formatArn({
      service: 'quicksight', region: identityRegion, account: awsAccountId, resource, resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.grant(this.statements.users, arn('user'));
    this.grant(this.statements.groups, arn('group'));
    acknowledgeNagFinding(this.handlerPolicy, 'AwsSolutions-IAM5', this.grantedArns, NAG_REASON);
  }

  private grant(statement: iam.PolicyStatement, arn: string): void {
    statement.addResources(arn);
    this.grantedArns.push(`Resource::${nagForm(Stack.of(this).resolve(arn))}`);
  }
}

// ---- cdk-nag acknowledgements ----

const NAG_REASON = 'The handler registers, updates and deregisters the QuickSight users, and creates, updates and deletes the groups and memberships, this stack declares, whose names are only final at deploy time (IAM role sessions, parameters), and lets go of the ones it stops declaring, in any namespace (a cleanup Delete or a rollback runs under a policy that may no longer name the old namespace, or any group): its QuickSight actions are granted on user/* and group/* of each account and identity region in use, never on the rest of QuickSight.';
// Written in cdk-nag's documented metadata format (Metadata.cdk_nag.rules_to_suppress), so that the
// library needs no dependency on cdk-nag. Each names one rule, one resource and the exact wildcards,
// and holds for every use of the construct; test/security.test.ts runs the AwsSolutions pack.

function defaultPolicyOf(role: iam.Role): CfnResource {
  return role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
}

function acknowledgeNagFinding(resource: CfnResource, rule: string, appliesTo: string[], reason: string): void {
  const existing = ((resource.getMetadata('cdk_nag') as { rules_to_suppress?: Array<{ id: string; reason: string }> } | undefined)?.rules_to_suppress ?? []);
  const others = existing.filter((s) => !(s.id === rule && s.reason === reason));
  resource.addMetadata('cdk_nag', { rules_to_suppress: [...others, { id: rule, reason, applies_to: [...appliesTo] }] });
}

/** A resolved ARN as cdk-nag names it in a finding: references become <LogicalId> and <LogicalId.Attribute>. */
function nagForm(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const node = value as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
    return items.map(nagForm).join(delimiter);
  }
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${nagForm(resource)}.${nagForm(attribute)}>`;
  }
  if (node.Ref) return `<${nagForm(node.Ref)}>`;
  return JSON.stringify(value);
}

/**
 * The folder of the bundled handler (npm run build writes it). From compiled code (dist/lib) it
 * sits at dist/assets/handler; from the TypeScript sources (lib/, under ts-jest) at the same place.
 */
function handlerBundleDir(): string {
  const candidates = [path.join(__dirname, '..', 'assets', 'handler'), path.join(__dirname, '..', 'dist', 'assets', 'handler')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js')));
  if (!found) {
    throw new Error(`The QuickSightUser handler bundle is missing (looked in ${candidates.join(' and ')}): run \`npm run build\` first.`);
  }
  return found;
}
