// What the handler tests share: CloudFormation events as the Provider framework hands them over
// (every property a string), and a local QuickSight emulator the real SDK client talks to over HTTP.
import type {
  CloudFormationCustomResourceCreateEvent, CloudFormationCustomResourceDeleteEvent, CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { handle } from '../lambda';
import type { Outcome } from '../lambda/lifecycle';
import { IdentityType, QuickSightGroup, QuickSightUser, UserRole } from '../lib';
import { CloudFormationEndpoint } from './cfn-simulator/cloudformation-endpoint';
import type { PolicyStatement } from './emulator/iam';
import { synth } from './reliability/stacks';
import { DEFAULT_PSEUDO, handlerPolicyOf } from './security/handler-policy';
import { QuickSightEmulator } from './emulator/quicksight-emulator';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/QuickSightUsers/6b0b4c50-0000-4000-8000-000000000001`;

export type Props = Record<string, unknown>;

export function quickSightUser(name: string, extra: Props = {}): Props {
  return {
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider`,
    AwsAccountId: ACCOUNT,
    Namespace: 'default',
    IdentityRegion: REGION,
    Email: `${name}@example.com`,
    IdentityType: 'QUICKSIGHT',
    UserRole: 'READER',
    UserName: name,
    ...extra,
  };
}

export function iamUser(iamUserName: string, extra: Props = {}): Props {
  const { UserName: _ignored, ...props } = quickSightUser(iamUserName, { IdentityType: 'IAM', IamArn: `arn:aws:iam::${ACCOUNT}:user/${iamUserName}`, ...extra });
  return props;
}

const common = (logicalId: string) => ({
  ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider`,
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: STACK_ID,
  RequestId: `req-${logicalId}`,
  LogicalResourceId: logicalId,
  ResourceType: 'Custom::QuickSightUser',
});

export function createEvent(props: Props, logicalId = 'User'): CloudFormationCustomResourceCreateEvent {
  return { ...common(logicalId), RequestType: 'Create', ResourceProperties: props as never };
}

export function updateEvent(physicalId: string, oldProps: Props, props: Props, logicalId = 'User'): CloudFormationCustomResourceUpdateEvent {
  return { ...common(logicalId), RequestType: 'Update', PhysicalResourceId: physicalId, ResourceProperties: props as never, OldResourceProperties: oldProps as never };
}

export function deleteEvent(physicalId: string, props: Props, logicalId = 'User'): CloudFormationCustomResourceDeleteEvent {
  return { ...common(logicalId), RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: props as never };
}

/** The properties of a Custom::QuickSightGroup, as the construct writes them. */
export function quickSightGroup(groupName: string, extra: Props = {}): Props {
  return {
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider`,
    AwsAccountId: ACCOUNT,
    Namespace: 'default',
    IdentityRegion: REGION,
    GroupName: groupName,
    ...extra,
  };
}

/** The properties of a Custom::QuickSightGroupMembership. */
export function groupMembership(groupName: string, memberName: string, extra: Props = {}): Props {
  return {
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider`,
    AwsAccountId: ACCOUNT,
    Namespace: 'default',
    IdentityRegion: REGION,
    GroupName: groupName,
    MemberName: memberName,
    ...extra,
  };
}

/** The same event for another resource type (Custom::QuickSightGroup, Custom::QuickSightGroupMembership). */
export function ofType<E extends CloudFormationCustomResourceEvent>(event: E, resourceType: string): E {
  return { ...event, ResourceType: resourceType };
}

export function groupArn(groupName: string, namespace = 'default', region = REGION): string {
  return `arn:aws:quicksight:${region}:${ACCOUNT}:group/${namespace}/${groupName}`;
}

export function userArn(userName: string, namespace = 'default', region = REGION): string {
  return `arn:aws:quicksight:${region}:${ACCOUNT}:user/${namespace}/${userName}`;
}

/** Every log line the handler wrote during the tests of a file. */
export const logLines: string[] = [];

/** Runs the handler as the Provider framework would, collecting its log lines. */
export function run(event: CloudFormationCustomResourceEvent, budgetMs = 20_000): Promise<Outcome> {
  return handle(event, { budgetMs, log: (line) => logLines.push(line) }) as Promise<Outcome>;
}

/** The FAILED reason the handler gives for an event (fails the test if the event succeeds). */
export async function failureOf(event: CloudFormationCustomResourceEvent, budgetMs?: number): Promise<string> {
  const outcome = await run(event, budgetMs).then(() => undefined, (error: Error) => error.message);
  if (outcome === undefined) throw new Error('expected the event to fail, but it succeeded');
  return outcome;
}

let cloudFormation: CloudFormationEndpoint | undefined;

/**
 * The local CloudFormation DescribeStacks endpoint of the test file (started by useEmulator): it
 * answers with the live status of the simulated stacks, and for STACK_ID (the handler tests' stack,
 * which has no simulator) with the status set by setStatus(), DELETE_IN_PROGRESS by default.
 */
export function cloudFormationEndpoint(): CloudFormationEndpoint {
  if (!cloudFormation) throw new Error('cloudFormationEndpoint(): call useEmulator() in the test file first');
  return cloudFormation;
}

/** Starts an emulator (and the CloudFormation endpoint) and points the SDK at them for the whole test file. */
export function useEmulator(options?: Parameters<typeof QuickSightEmulator.start>[0]): () => QuickSightEmulator {
  let emulator: QuickSightEmulator | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    emulator = await QuickSightEmulator.start(options);
    cloudFormation = await CloudFormationEndpoint.start();
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cloudFormation.endpoint;
    process.env.AWS_ENDPOINT_URL_QUICKSIGHT = emulator.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAEMULATOR';
    process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';
    delete process.env.AWS_PROFILE;
  });
  afterAll(async () => {
    await emulator?.stop();
    await cloudFormation?.stop();
    cloudFormation = undefined;
    process.env = saved;
  });
  beforeEach(() => {
    emulator?.reset();
    cloudFormation?.reset();
    cloudFormation?.setStatus(STACK_ID, 'DELETE_IN_PROGRESS');
  });
  return () => emulator!;
}

/**
 * The handler role's policy, as the construct synthesizes it for a stack whose users live in
 * these scopes (a namespace of REGION, or `<identity region>/<namespace>`) of ACCOUNT: handler
 * tests run the emulator with it enforced, so a call the handler makes without the grant for it
 * fails the test (test/iam-enforced.test.ts proves the rest).
 */
export function handlerPolicyFor(scopes: string[], options: { groups?: boolean } = {}): PolicyStatement[] {
  const template = synth((stack) => scopes.forEach((scope, i) => {
    const [identityRegion, namespace] = scope.includes('/') ? scope.split('/') : [REGION, scope];
    new QuickSightUser(stack, `User${i}`, {
      identityType: IdentityType.QUICKSIGHT, userName: `user${i}`, email: `user${i}@example.com`, role: UserRole.READER, namespace, identityRegion, stackOutputs: false,
    });
    // A stack that declares groups too: the handler gets the group actions.
    if (options.groups) new QuickSightGroup(stack, `Group${i}`, { groupName: `group${i}`, namespace, identityRegion });
  }));
  return handlerPolicyOf(template, DEFAULT_PSEUDO);
}
