// The stacks of a users file: one QuickSightUsersStack per shard (see sharding.ts), each with its
// own provider, each user under a construct id derived from its identity.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnWaitConditionHandle, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import type { ExternalLoginFederationProviderType, IdentityType, UserRole } from '../lib/model';
import { QuickSightUser, type QuickSightUserProps } from '../lib/quicksight-user';
import { assignStacks, brokenLimits, describeLimit, templateCost, type Sharding } from './sharding';
import { UserRemovalPolicy, type DeclaredUser, type UsersFile } from './users-file';

export interface QuickSightUsersStackProps extends StackProps {
  /** The users this stack declares. */
  readonly users: DeclaredUser[];
}

/** Options for the stacks of a users file. */
export interface UsersFileStacksOptions {
  /**
   * Props every stack takes (env, synthesizer, tags…); `description` and `stackName` are set per stack.
   * @default - env-agnostic stacks
   */
  readonly stackProps?: StackProps;
}

/** The stacks of a users file, and how its users were assigned to them. */
export interface UsersFileStacks {
  readonly stacks: QuickSightUsersStack[];
  readonly sharding: Sharding;
}

/** One stack of QuickSight users, with its own handler. */
export class QuickSightUsersStack extends Stack {
  /**
   * Adds the stacks of a users file to an app: as many as CloudFormation's limits need (or as the
   * file pins), each user in the stack its key hashes to. The stacks deploy from the last to the
   * first, so that a user moving to a new stack (when the number of stacks grows) is adopted
   * there before the old stack removes it.
   */
  public static fromUsersFile(scope: Construct, file: UsersFile, options: UsersFileStacksOptions = {}): UsersFileStacks {
    const sharding = assignStacks(file);
    const stacks = sharding.stacks.map((shard) => new QuickSightUsersStack(scope, shard.name, {
      ...options.stackProps,
      description: `QuickSight users declared in ${path.basename(file.path)} (quicksight-user-cdk)`,
      users: shard.users,
    }));
    for (let i = 0; i + 1 < stacks.length; i++) {
      stacks[i].addStackDependency(stacks[i + 1], 'users moving to a later stack are adopted there before this stack removes them');
    }
    return { stacks, sharding };
  }

  /** The users this stack declares, by construct id. */
  public readonly users: Record<string, QuickSightUser> = {};

  constructor(scope: Construct, id: string, props: QuickSightUsersStackProps) {
    super(scope, id, props);
    if (props.users.length === 0) {
      // CloudFormation refuses a template without resources, and the provider's policy needs a
      // namespace to grant: a stack whose users have all gone holds this no-op placeholder.
      new CfnWaitConditionHandle(this, 'NoUsers');
    }
    for (const user of props.users) {
      this.users[user.constructId] = new QuickSightUser(this, user.constructId, constructPropsOf(user));
    }
  }
}

/** The construct's props for a declared user. */
export function constructPropsOf(user: DeclaredUser): QuickSightUserProps {
  const { spec } = user;
  return {
    awsAccountId: spec.AwsAccountId,
    identityRegion: spec.IdentityRegion,
    namespace: spec.Namespace,
    email: spec.Email,
    identityType: spec.IdentityType as IdentityType,
    role: spec.UserRole as UserRole,
    userName: spec.UserName,
    iamArn: spec.IamArn,
    sessionName: spec.SessionName,
    customPermissionsName: spec.CustomPermissionsName,
    externalLoginFederationProviderType: spec.ExternalLoginFederationProviderType as ExternalLoginFederationProviderType | undefined,
    customFederationProviderUrl: spec.CustomFederationProviderUrl,
    externalLoginId: spec.ExternalLoginId,
    tags: spec.Tags && Object.fromEntries(spec.Tags.map((t) => [t.Key, t.Value])),
    removalPolicy: user.removalPolicy === UserRemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    adoptExistingUser: user.adoptExistingUser,
    stackOutputs: user.stackOutputs,
  };
}

/** A stack of a synthesized assembly that breaks a CloudFormation limit. */
export interface LimitViolation {
  readonly stackName: string;
  readonly message: string;
}

/**
 * Counts every synthesized template against CloudFormation's limits: the guarantee behind the
 * estimates sharding.ts assigns users with.
 */
export function checkStackLimits(assembly: CloudAssembly): LimitViolation[] {
  return assembly.stacks.flatMap((stack) => {
    const cost = templateCost(fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8'));
    const broken = brokenLimits(cost);
    return broken.length === 0 ? [] : [{ stackName: stack.stackName, message: `${stack.stackName} has ${broken.map((l) => describeLimit(l, cost)).join(' and ')}: pin a larger \`stacks:\` in the users file` }];
  });
}
