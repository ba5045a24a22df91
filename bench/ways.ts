// The two ways of declaring QuickSight users that the benchmarks compare, built from the same
// declarations: our QuickSightUser construct, and what a CDK user writes without it, one
// AwsCustomResource per user (RegisterUser on create, UpdateUser on update, DeleteUser on delete)
// with its own policy from AwsCustomResourcePolicy.fromSdkCalls.
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { ExternalLoginFederationProviderType, IdentityType, QuickSightUser, UserRole } from '../lib';
import { STACK_RESOURCE_LIMIT_CONTEXT } from './limits';

export type Way = 'ours' | 'acr';
export const WAYS: readonly Way[] = ['ours', 'acr'];
export const WAY_NAMES: Record<Way, string> = { ours: 'QuickSightUser', acr: 'AwsCustomResource' };

export const ACCOUNT = '123456789012';
/** The stack's region; the users live in the identity region, as in the README's example. */
export const STACK_REGION = 'eu-west-1';
export const IDENTITY_REGION = 'us-east-1';
export const NAMESPACE = 'default';
export const STACK_NAME = 'QuickSightUsersBench';

/** The ARN of a user of the benchmark's account and namespace. */
export function userArn(userName: string): string {
  return `arn:aws:quicksight:${IDENTITY_REGION}:${ACCOUNT}:user/${NAMESPACE}/${userName}`;
}

/** One declared QUICKSIGHT user, in the API's names. */
export interface BenchUser {
  readonly UserName: string;
  readonly Email: string;
  readonly UserRole: string;
  readonly CustomPermissionsName?: string;
  readonly ExternalLoginFederationProviderType?: string;
  readonly CustomFederationProviderUrl?: string;
  readonly ExternalLoginId?: string;
  readonly Tags?: Record<string, string>;
}

export interface StackOptions {
  /** Stack outputs for each user: the ARN and the invitation URL, as our construct writes them. */
  readonly outputs: boolean;
  /**
   * Keep the CDK's own check of CloudFormation's 500-resource limit. Off for measurements that
   * synthesize past the limit on purpose (the AwsCustomResource way at 450 users).
   * @default true
   */
  readonly resourceLimitCheck?: boolean;
  /**
   * The CDK's built-in CloudFormation validation at synth (it warns past the resource and output
   * limits). On by default, as for any CDK user; off where the benchmark checks the limits itself.
   * @default true
   */
  readonly builtinValidation?: boolean;
  /** Where app.synth() writes; the default is a fresh temporary directory chosen by the CDK. */
  readonly outdir?: string;
}

/** The benchmark's standard user: what most stacks declare. */
export function standardUser(index: number): BenchUser {
  const name = `user${String(index).padStart(4, '0')}`;
  return { UserName: name, Email: `${name}@example.com`, UserRole: 'READER' };
}

export function standardUsers(count: number): BenchUser[] {
  return Array.from({ length: count }, (_, i) => standardUser(i + 1));
}

/** One stack declaring `users` the given way. */
export function buildStack(way: Way, users: readonly BenchUser[], options: StackOptions): { app: App; stack: Stack } {
  const context = options.resourceLimitCheck === false ? { [STACK_RESOURCE_LIMIT_CONTEXT]: 0 } : undefined;
  const app = new App({ context, outdir: options.outdir, builtinCloudFormationValidation: options.builtinValidation ?? true });
  const stack = new Stack(app, STACK_NAME, { env: { account: ACCOUNT, region: STACK_REGION } });
  users.forEach((user, i) => (way === 'ours' ? addOurs : addAwsCustomResource)(stack, constructId(i), user, options.outputs));
  return { app, stack };
}

/** The same construct id for both ways, so that logical ids weigh the same in the template. */
function constructId(index: number): string {
  return `User${String(index + 1).padStart(4, '0')}`;
}

function addOurs(stack: Stack, id: string, user: BenchUser, outputs: boolean): void {
  new QuickSightUser(stack, id, {
    identityType: IdentityType.QUICKSIGHT,
    userName: user.UserName,
    email: user.Email,
    role: user.UserRole as UserRole,
    identityRegion: IDENTITY_REGION,
    customPermissionsName: user.CustomPermissionsName,
    externalLoginFederationProviderType: user.ExternalLoginFederationProviderType as ExternalLoginFederationProviderType | undefined,
    customFederationProviderUrl: user.CustomFederationProviderUrl,
    externalLoginId: user.ExternalLoginId,
    tags: user.Tags,
    stackOutputs: outputs,
  });
}

/**
 * The hand-written equivalent. The policy is scoped to the user's own ARN, as a careful author
 * would write it, and installLatestAwsSdk is off: the CDK warns that its default (an npm install
 * of the SDK on every cold start) is probably unwanted, and it needs internet access from Lambda.
 */
function addAwsCustomResource(stack: Stack, id: string, user: BenchUser, outputs: boolean): void {
  const address = { AwsAccountId: ACCOUNT, Namespace: NAMESPACE, UserName: user.UserName };
  const externalLogin = {
    ExternalLoginFederationProviderType: user.ExternalLoginFederationProviderType,
    CustomFederationProviderUrl: user.CustomFederationProviderUrl,
    ExternalLoginId: user.ExternalLoginId,
  };
  const tags = Object.entries(user.Tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const resource = new AwsCustomResource(stack, id, {
    onCreate: {
      service: 'QuickSight',
      action: 'registerUser',
      region: IDENTITY_REGION,
      parameters: dropUndefined({
        ...address, IdentityType: 'QUICKSIGHT', Email: user.Email, UserRole: user.UserRole,
        CustomPermissionsName: user.CustomPermissionsName, ...externalLogin, Tags: tags.length > 0 ? tags : undefined,
      }),
      physicalResourceId: PhysicalResourceId.fromResponse('User.Arn'),
    },
    onUpdate: {
      service: 'QuickSight',
      action: 'updateUser',
      region: IDENTITY_REGION,
      parameters: dropUndefined({ ...address, Email: user.Email, Role: user.UserRole, CustomPermissionsName: user.CustomPermissionsName, ...externalLogin }),
      physicalResourceId: PhysicalResourceId.fromResponse('User.Arn'),
    },
    onDelete: { service: 'QuickSight', action: 'deleteUser', region: IDENTITY_REGION, parameters: address },
    policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [userArn(user.UserName)] }),
    installLatestAwsSdk: false,
  });
  if (outputs) {
    new CfnOutput(stack, `${id}Arn`, { value: resource.getResponseField('User.Arn'), description: `ARN of QuickSight user ${user.UserName}` });
    new CfnOutput(stack, `${id}InvitationUrl`, {
      value: resource.getResponseField('UserInvitationUrl'),
      description: `Invitation URL of QuickSight user ${user.UserName} (set on the deployment that registers the user, empty after)`,
    });
  }
}

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
