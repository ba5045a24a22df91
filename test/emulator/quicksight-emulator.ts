// A local emulator of the Amazon QuickSight user and group API (REST-JSON, 2018-04-01) over node:http, for
// driving the real @aws-sdk/client-quicksight: set AWS_ENDPOINT_URL_QUICKSIGHT to `endpoint`.
//
// A request goes: route -> fault injection -> SigV4 credential scope (the signature itself is not
// checked) -> IAM (another account's resources are refused; with a policy set, every call is
// checked against it) -> identity region -> the operation (validation, the account's
// authentication method, then state).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AccountOptions, AccountRules } from './account';
import { ApiError, type ErrorType } from './errors';
import { FAULT_KINDS, FaultInjector, type Fault, type FaultControls, type FaultKind } from './faults';
import { type Authorization, IamPolicy, iamDenial, type PolicyInput } from './iam';
import { matchRoute, type OperationContext } from './operations';
import { type EmulatedGroup, type EmulatedUser, type GroupSeed, NOT_AVAILABLE, type UserSeed, UserStore } from './store';
import { parseBody, userNameOf } from './validation';

export type { EmulatedGroup, EmulatedUser, GroupSeed, UserSeed } from './store';
export { CREATE_GROUP_STATUS } from './operations';
export { NOT_AVAILABLE } from './store';
export type { FaultKind, FaultControls } from './faults';
export { ERROR_STATUS, IAM_DENIAL_STATUS, type ErrorAnswer, type ErrorType } from './errors';
export { AUTHENTICATION_METHODS, IDENTITY_CENTER_REFUSAL, type AuthenticationMethod, type IdentityCenterRules } from './account';
export type { PolicyInput, PolicyStatement } from './iam';

/** A request as it arrived: what a judge of the API's model reads. */
export interface RawRequest {
  readonly method: string;
  /** The path as sent, still percent-encoded. */
  readonly path: string;
  /** The query string as sent (without '?'). */
  readonly query: string;
  readonly body: string;
}

export interface CallRecord {
  operation: string;
  /** The HTTP status answered; 0 while a slow answer is pending, or when the connection was dropped. */
  status: number;
  errorType?: string;
  /** The region the request was signed for. */
  region?: string;
  /** The user the call is about (for a membership call, the member). */
  userName?: string;
  /** The group the call is about. */
  groupName?: string;
  resourceArn?: string;
  fault?: string;
  /** What IAM evaluated (action and resource), for the requests that got that far. */
  authorization?: Authorization;
  request?: RawRequest;
}

/** What a beforeNext hook learns of the request it runs before. */
export interface HookedRequest {
  readonly operation: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface EmulatorOptions extends AccountOptions {
  /** The QuickSight identity region: user calls signed for any other region are refused. Default us-east-1. */
  identityRegion?: string;
  /** Seeds the generated principal ids, request ids, invitation URLs and page tokens. */
  seed?: number;
  /**
   * The caller's identity-based policy (a handler role's statements, resolved from a synthesized
   * template: test/security/handler-policy.ts). Unset: IAM allows every call to the own account.
   */
  policy?: PolicyInput;
  /** The caller, as IAM names it in a refusal. Default an assumed role of the account. */
  callerArn?: string;
}

/** The operation recorded for a request that matches no route. */
export const UNKNOWN_OPERATION = 'UnknownOperation';

export class QuickSightEmulator {
  public static async start(options: EmulatorOptions = {}): Promise<QuickSightEmulator> {
    const emulator = new QuickSightEmulator(options);
    await emulator.listen();
    return emulator;
  }

  public readonly identityRegion: string;
  public readonly faults: FaultControls;
  public readonly account: AccountRules;
  public readonly callerArn: string;
  private readonly injector = new FaultInjector();
  private readonly store: UserStore;
  private readonly server: Server;
  private policy?: IamPolicy;
  private hooks: Array<{ operation: string; run: (request: HookedRequest) => void }> = [];
  private callLog: CallRecord[] = [];
  private faultTally = zeroFaultCounts();
  private readonly pendingDelays = new Set<() => void>();
  private stopped = false;
  private port = 0;

  private constructor(options: EmulatorOptions) {
    this.identityRegion = options.identityRegion ?? 'us-east-1';
    this.account = new AccountRules(options);
    this.callerArn = options.callerArn ?? `arn:aws:sts::${this.account.accountId}:assumed-role/QuickSightUserHandlerRole/emulated-handler`;
    this.store = new UserStore(this.identityRegion, options.seed ?? 20180401);
    if (options.policy) this.setPolicy(options.policy);
    this.faults = this.injector;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** http://127.0.0.1:<port> */
  public get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Closes the server and every open connection; answers still waiting (slow faults) are cut. */
  public async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const cancel of this.pendingDelays) cancel();
    this.pendingDelays.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** The AWS account the emulated QuickSight account belongs to (and the caller's). */
  public get accountId(): string {
    return this.account.accountId;
  }

  /** Enforces an identity-based policy on every call from now on (undefined: none). Kept across reset(). */
  public setPolicy(policy: PolicyInput | undefined): void {
    this.policy = policy && new IamPolicy(policy);
  }

  /** The policy enforced, if any. */
  public get enforcedPolicy(): IamPolicy | undefined {
    return this.policy;
  }

  /**
   * Runs `hook` once, right before the next request of `operation` reaches its operation (after
   * faults and authorization): a change behind the caller's back between two of its calls. The hook
   * gets the request's decoded path labels (AwsAccountId, Namespace, UserName, ResourceArn...).
   */
  public beforeNext(operation: string, hook: (request: HookedRequest) => void): void {
    this.hooks.push({ operation, run: hook });
  }

  /** Forgets all state, the call log, the fault counts, the faults set and the hooks (not the policy). */
  public reset(): void {
    this.store.reset();
    this.resetCalls();
    this.injector.clear();
    this.hooks = [];
  }

  public users(): EmulatedUser[] {
    return this.store.all().map((u) => structuredClone(u));
  }

  public getUser(accountId: string, namespace: string, userName: string): EmulatedUser | undefined {
    const user = this.store.get(accountId, namespace, userName);
    return user && structuredClone(user);
  }

  /**
   * A user made by hand, outside any stack (replaces one with the same name; adds its namespace).
   * Only users the account can hold: of its own AWS account, and of an identity type its
   * authentication method uses.
   */
  public putUser(user: UserSeed): EmulatedUser {
    if (user.accountId !== this.account.accountId) {
      throw new Error(`putUser: this emulator is QuickSight account ${this.account.accountId}; it holds no users of account ${user.accountId} (QuickSight refuses calls for another account)`);
    }
    if (!this.account.holds(user.identityType)) {
      throw new Error(`putUser: this emulated account authenticates with ${this.account.authenticationMethod}: it holds no ${user.identityType} users (start the emulator with another authenticationMethod)`);
    }
    return structuredClone(this.store.put(user));
  }

  /**
   * The identity behind a user is deleted (an IAM user or role removed from IAM): ListUsers shows
   * it with UserName and Arn 'N/A', and only DeleteUserByPrincipalId reaches it. Returns the user.
   */
  public orphanUser(accountId: string, namespace: string, userName: string): EmulatedUser {
    const user = this.store.orphan(accountId, namespace, userName);
    if (!user) throw new Error(`orphanUser: no user '${userName}' in namespace '${namespace}' of account ${accountId}`);
    return structuredClone(user);
  }

  /** Deletes a user behind the stack's back (no error if there is none). */
  public removeUser(accountId: string, namespace: string, userName: string): void {
    this.store.delete(accountId, namespace, userName);
  }

  public addNamespace(accountId: string, namespace: string): void {
    this.store.addNamespace(accountId, namespace);
  }

  public groups(): EmulatedGroup[] {
    return this.store.allGroups().map((g) => structuredClone(g));
  }

  public getGroup(accountId: string, namespace: string, groupName: string): EmulatedGroup | undefined {
    const group = this.store.getGroup(accountId, namespace, groupName);
    return group && structuredClone(group);
  }

  /**
   * A group made by hand, outside any stack (replaces one with the same name, which loses its
   * members; adds its namespace). Only groups of this emulator's AWS account. An IAM Identity
   * Center account holds groups too: they are the ones Identity Center syncs to QuickSight.
   */
  public putGroup(group: GroupSeed): EmulatedGroup {
    if (group.accountId !== this.account.accountId) {
      throw new Error(`putGroup: this emulator is QuickSight account ${this.account.accountId}; it holds no groups of account ${group.accountId} (QuickSight refuses calls for another account)`);
    }
    return structuredClone(this.store.putGroup(group));
  }

  /** Deletes a group, and its memberships, behind the stack's back (no error if there is none). */
  public removeGroup(accountId: string, namespace: string, groupName: string): void {
    this.store.deleteGroup(accountId, namespace, groupName);
  }

  /** Makes a user a member of a group by hand (no change if it is one); both must exist. */
  public addMember(accountId: string, namespace: string, groupName: string, memberName: string): void {
    const { group, user } = this.groupAndUser('addMember', accountId, namespace, groupName, memberName);
    this.store.addMember(group, user);
  }

  /** Ends a membership by hand (no error if there is none); the group and the user must exist. */
  public removeMember(accountId: string, namespace: string, groupName: string, memberName: string): void {
    const { group, user } = this.groupAndUser('removeMember', accountId, namespace, groupName, memberName);
    this.store.removeMember(group, user);
  }

  /** The names of a group's members, sorted ('N/A' for a member whose identity is gone). The group must exist. */
  public membersOf(accountId: string, namespace: string, groupName: string): string[] {
    const group = this.store.getGroup(accountId, namespace, groupName);
    if (!group) throw new Error(`membersOf: no group '${groupName}' in namespace '${namespace}' of account ${accountId}`);
    return this.store.membersOf(group).map((u) => (u.orphaned ? NOT_AVAILABLE : u.userName));
  }

  /** The names of the groups a user is a member of, sorted. The user must exist. */
  public groupsOf(accountId: string, namespace: string, userName: string): string[] {
    const user = this.store.get(accountId, namespace, userName);
    if (!user) throw new Error(`groupsOf: no user '${userName}' in namespace '${namespace}' of account ${accountId}`);
    return this.store.groupsOf(user).map((g) => g.groupName);
  }

  private groupAndUser(caller: string, accountId: string, namespace: string, groupName: string, userName: string) {
    const group = this.store.getGroup(accountId, namespace, groupName);
    if (!group) throw new Error(`${caller}: no group '${groupName}' in namespace '${namespace}' of account ${accountId}`);
    const user = this.store.get(accountId, namespace, userName);
    if (!user) throw new Error(`${caller}: no user '${userName}' in namespace '${namespace}' of account ${accountId}`);
    return { group, user };
  }

  /** Every request received, in arrival order (copies). */
  public get calls(): CallRecord[] {
    return this.callLog.map((c) => ({ ...c }));
  }

  /** Requests that matched an operation (faulted ones included), of `operation` if given. */
  public callCount(operation?: string): number {
    return this.callLog.filter((c) => c.operation !== UNKNOWN_OPERATION && (operation === undefined || c.operation === operation)).length;
  }

  /** Forgets the call log and the fault counts. */
  public resetCalls(): void {
    this.callLog = [];
    this.faultTally = zeroFaultCounts();
  }

  /** How many requests got each fault. */
  public get faultCounts(): Record<FaultKind, number> {
    return { ...this.faultTally };
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: CallRecord = { operation: UNKNOWN_OPERATION, status: 0 };
    this.callLog.push(record);
    const rawBody = await readBody(req);
    if (rawBody === undefined || this.stopped) return;

    const requestId = this.store.newRequestId();
    const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?', 2);
    const matched = matchRoute(req.method ?? 'GET', rawPath);
    record.region = signingRegion(req.headers.authorization);
    record.request = { method: req.method ?? 'GET', path: rawPath, query: rawQuery, body: rawBody };
    if (!matched) {
      const error = new ApiError('UnknownOperationException', `No operation matches ${req.method} ${rawPath}`);
      return this.answerError(res, record, requestId, error);
    }
    const { route, params } = matched;
    record.operation = route.operation;
    if (params.UserName !== undefined) record.userName = params.UserName;
    if (params.MemberName !== undefined) record.userName = params.MemberName;
    if (params.GroupName !== undefined) record.groupName = params.GroupName;
    if (params.ResourceArn !== undefined) record.resourceArn = params.ResourceArn;

    const fault = this.injector.decide(route.operation);
    if (fault) {
      record.fault = fault.error ? `error:${fault.error.type}` : fault.kind;
      if (fault.kind !== 'error') this.faultTally[fault.kind] += 1;
      const faultError = await this.applyFault(fault, req);
      if (faultError === 'no-answer') return;
      if (faultError) return this.answerError(res, record, requestId, faultError);
    }

    try {
      const region = this.authenticate(req.headers.authorization);
      record.authorization = this.authorizationOf(route.operation, params, rawBody, region);
      this.authorizeIam(record.authorization);
      this.checkIdentityRegion(region);
      const hook = this.hooks.find((h) => h.operation === route.operation);
      if (hook) {
        this.hooks = this.hooks.filter((h) => h !== hook);
        hook.run({ operation: route.operation, params: { ...params } });
      }
      const context: OperationContext = { store: this.store, account: this.account, region };
      const result = route.handler(context, { params, query: new URLSearchParams(rawQuery), body: parseBody(rawBody) });
      if (result.userName !== undefined) record.userName = result.userName;
      if (result.groupName !== undefined) record.groupName = result.groupName;
      this.answer(res, record, requestId, result.status, { ...result.body, RequestId: requestId });
    } catch (error) {
      if (error instanceof ApiError) return this.answerError(res, record, requestId, error);
      // A bug in the emulator: answer like the service would, and say so where the tests run.
      console.error('QuickSight emulator: unexpected error', error);
      this.answerError(res, record, requestId, new ApiError('InternalFailureException', String(error)));
    }
  }

  /** The error a fault answers with, 'no-answer' when the request must not be answered, or nothing (slow, then normal). */
  private async applyFault(fault: Fault, req: IncomingMessage): Promise<ApiError | 'no-answer' | undefined> {
    switch (fault.kind) {
      case 'throttle':
        return new ApiError('ThrottlingException', 'Rate exceeded');
      case 'internal':
        return new ApiError('InternalFailureException', 'An internal failure occurred.');
      case 'unavailable':
        return new ApiError('ResourceUnavailableException', 'This resource is currently unavailable.');
      case 'drop':
        req.socket.destroy();
        return 'no-answer';
      case 'slow':
        return (await this.delay(fault.delayMs)) ? undefined : 'no-answer';
      case 'error':
        return new ApiError(fault.error!.type, fault.error!.message);
    }
  }

  /** Waits; resolves false when stop() cut the wait short. */
  private delay(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = () => {
        clearTimeout(timer);
        this.pendingDelays.delete(cancel);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.pendingDelays.delete(cancel);
        resolve(!this.stopped);
      }, ms);
      this.pendingDelays.add(cancel);
    });
  }

  /** The region a request is signed for (its SigV4 credential scope must be quicksight's). */
  private authenticate(authorization: string | undefined): string {
    if (authorization === undefined) throw new ApiError('AccessDeniedException', 'Missing Authentication Token');
    const scope = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/.exec(authorization);
    if (!scope) throw new ApiError('AccessDeniedException', 'Authorization header requires a SigV4 Credential scope');
    const [, region, service] = scope;
    if (service !== 'quicksight') {
      throw new ApiError('AccessDeniedException', `Credential should be scoped to correct service: 'quicksight'.`);
    }
    return region;
  }

  /** The action and resource IAM evaluates for a request (see iam.ts). */
  private authorizationOf(operation: string, params: Record<string, string>, rawBody: string, region: string): Authorization {
    const action = `quicksight:${operation}`;
    const { AwsAccountId: accountId, Namespace: namespace } = params;
    const user = (name: string) => ({ action, resource: `arn:aws:quicksight:${region}:${accountId}:user/${namespace}/${name}`, resourceAccount: accountId });
    const group = (name: string) => ({ action, resource: `arn:aws:quicksight:${region}:${accountId}:group/${namespace}/${name}`, resourceAccount: accountId });
    switch (operation) {
      case 'DescribeUser':
      case 'UpdateUser':
      case 'DeleteUser':
        return user(params.UserName);
      case 'RegisterUser':
        return user(registeredName(rawBody));
      case 'DeleteUserByPrincipalId': {
        const found = this.store.findByPrincipalId(accountId, namespace, params.PrincipalId);
        return user(found ? found.userName : '*');
      }
      case 'ListUsers':
        return user('*');
      case 'ListUserGroups':
        return user(params.UserName);
      case 'CreateGroup':
        return group(createdGroupName(rawBody));
      case 'DescribeGroup':
      case 'UpdateGroup':
      case 'DeleteGroup':
      case 'CreateGroupMembership':
      case 'DeleteGroupMembership':
      case 'DescribeGroupMembership':
      case 'ListGroupMemberships':
        return group(params.GroupName);
      case 'ListGroups':
        return group('*');
      case 'TagResource':
      case 'UntagResource':
      case 'ListTagsForResource':
        return { action, resource: params.ResourceArn, resourceAccount: /^arn:[^:]*:[^:]*:[^:]*:([0-9]{12}):/.exec(params.ResourceArn)?.[1] };
      default:
        return { action, resource: '*', resourceAccount: accountId };
    }
  }

  /** IAM: another account's resources are refused; with a policy set, what it does not allow is refused. */
  private authorizeIam(request: Authorization): void {
    const decision = this.policy?.decide(request) ?? 'allow';
    if (decision === 'explicit-deny') throw iamDenial(this.callerArn, request, 'explicit');
    if (decision === 'implicit-deny') throw iamDenial(this.callerArn, request, 'identity');
    // An account id that is no account id (12 digits) is left to the model's validation.
    if (request.resourceAccount !== undefined && /^[0-9]{12}$/.test(request.resourceAccount) && request.resourceAccount !== this.account.accountId) {
      // QuickSight keeps no resource-based policies on users: another account's user is out of reach.
      throw iamDenial(this.callerArn, request, 'resource');
    }
  }

  private checkIdentityRegion(region: string): void {
    if (region !== this.identityRegion) {
      throw new ApiError('AccessDeniedException',
        `Operation is being called from endpoint ${region}, but your identity region is ${this.identityRegion}. Please use the ${this.identityRegion} endpoint.`);
    }
  }

  private answerError(res: ServerResponse, record: CallRecord, requestId: string, error: ApiError): void {
    record.errorType = error.type;
    const body: Record<string, unknown> = { __type: error.type, Message: error.message, RequestId: requestId };
    if (error.resourceType) body.ResourceType = error.resourceType;
    this.answer(res, record, requestId, error.status, body, error.type);
  }

  private answer(res: ServerResponse, record: CallRecord, requestId: string, status: number, body: object, errorType?: ErrorType): void {
    record.status = status;
    const payload = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(payload),
      'x-amzn-RequestId': requestId,
    };
    if (errorType) headers['x-amzn-ErrorType'] = errorType;
    res.writeHead(status, headers);
    res.end(payload);
  }
}

/** The user name a RegisterUser request would create, as far as its body tells ('*' when it does not). */
function registeredName(rawBody: string): string {
  try {
    const body = parseBody(rawBody);
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return userNameOf(String(body.IdentityType), { userName: text(body.UserName), iamArn: text(body.IamArn), sessionName: text(body.SessionName) });
  } catch {
    return '*';
  }
}

/** The group name a CreateGroup request's body gives ('*' when it gives none). */
function createdGroupName(rawBody: string): string {
  try {
    const name = parseBody(rawBody).GroupName;
    return typeof name === 'string' ? name : '*';
  } catch {
    return '*';
  }
}

/** The region of a SigV4 Authorization header's credential scope. */
function signingRegion(authorization: string | undefined): string | undefined {
  return authorization && /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\//.exec(authorization)?.[1];
}

/** The request body as text, or undefined when the client went away first. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function zeroFaultCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}
