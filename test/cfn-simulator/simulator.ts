// A CloudFormation stack, as far as its Custom::QuickSightUser resources can tell: it takes a
// synthesized template and drives the real handler (lambda/index.ts handle()) with the events
// CloudFormation and the CDK Provider framework would send, in the order and with the semantics
// they have:
//
// - stack create: Create per resource, in dependency order; a failure rolls the stack back
//   (ROLLBACK): Delete of what was created, in reverse order. The Delete of the resource whose
//   Create failed carries the framework's CREATE_FAILED marker id and is answered by the framework
//   itself, without calling the handler.
// - stack update: Create for new resources, Update (old and new properties) for changed ones. An
//   Update that answers another physical id is a replacement: the old id gets a Delete in the
//   cleanup phase, once every resource has been updated (unless UpdateReplacePolicy is Retain).
//   Resources removed from the template get a Delete in the cleanup phase (unless DeletionPolicy
//   is Retain). A Delete that fails during cleanup does not fail the stack: CloudFormation carries
//   on and forgets the resource (recorded here as `abandoned`).
// - update rollback (another resource failed, or one of ours): Update back to the old properties
//   for every resource updated in place, and for the one whose update failed; then, in the
//   rollback cleanup, Delete of the new physical id of replaced resources and of the resources
//   this update created. A failed rollback Update leaves UPDATE_ROLLBACK_FAILED, from which
//   continueUpdateRollback() goes on.
// - stack delete: Delete per resource in reverse dependency order, except DeletionPolicy Retain.
//
// Every event gets exactly one answer: the handler's (SUCCESS or FAILED with its reason, as the
// framework reports it), the framework's own, or a recorded hang when the handler outlives its
// Lambda timeout. Answers CloudFormation would reject (over 4096 bytes, physical id over 1 KB) are
// turned into FAILED as CloudFormation does.
import { randomUUID } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { handle, type HandlerOptions } from '../../lambda';
import { ownerOf } from '../../lambda/lifecycle';
import { registerSimulatedStack } from './cloudformation-endpoint';
import { referencedResources, resolveValue, stringifyScalars, type PseudoParameters, type ResolveContext } from './intrinsics';

export const CUSTOM_RESOURCE_TYPE = 'Custom::QuickSightUser';
/** The custom resource types the simulator sends to the handler: users, groups, memberships. */
export const CUSTOM_RESOURCE_TYPES: ReadonlySet<string> = new Set([CUSTOM_RESOURCE_TYPE, 'Custom::QuickSightGroup', 'Custom::QuickSightGroupMembership']);
/** The physical id the Provider framework answers a failed Create with; it answers that id's Delete itself. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
/** CloudFormation's limits on a custom resource's answer. */
export const MAX_RESPONSE_BYTES = 4096;
export const MAX_PHYSICAL_ID_LENGTH = 1024;
/** The time the Lambda entry point keeps back from the Lambda timeout (lambda/index.ts ANSWER_MARGIN_MS). */
const LAMBDA_ANSWER_MARGIN_MS = 5_000;

export type StackStatus =
  | 'NO_STACK' | 'CREATE_COMPLETE' | 'ROLLBACK_COMPLETE' | 'ROLLBACK_FAILED' | 'UPDATE_COMPLETE'
  | 'UPDATE_ROLLBACK_COMPLETE' | 'UPDATE_ROLLBACK_FAILED' | 'DELETE_COMPLETE' | 'DELETE_FAILED';

export type Phase = 'CREATE' | 'ROLLBACK' | 'UPDATE' | 'UPDATE_CLEANUP' | 'UPDATE_ROLLBACK' | 'UPDATE_ROLLBACK_CLEANUP' | 'DELETE';

/** The stack status CloudFormation reports (DescribeStacks) while it sends the events of a phase. */
export const PHASE_STATUS: Record<Phase, string> = {
  CREATE: 'CREATE_IN_PROGRESS',
  ROLLBACK: 'ROLLBACK_IN_PROGRESS',
  UPDATE: 'UPDATE_IN_PROGRESS',
  UPDATE_CLEANUP: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  UPDATE_ROLLBACK: 'UPDATE_ROLLBACK_IN_PROGRESS',
  UPDATE_ROLLBACK_CLEANUP: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  DELETE: 'DELETE_IN_PROGRESS',
};

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Condition?: string;
}

export interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

/** A Custom::QuickSightUser resource of the stack, as CloudFormation records it. */
export interface StackResource {
  readonly logicalId: string;
  readonly physicalId: string;
  /** The properties last sent to the handler with success (resolved, scalars as strings). */
  readonly properties: Record<string, unknown>;
  readonly data: Record<string, string>;
  readonly deletionPolicy: 'Delete' | 'Retain';
  readonly updateReplacePolicy: 'Delete' | 'Retain';
}

export interface EventRecord {
  /** Which stack operation (1, 2, ...) sent it. */
  readonly operation: number;
  readonly phase: Phase;
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly logicalId: string;
  /** The physical id sent (Update, Delete). */
  readonly physicalId?: string;
  readonly resourceProperties: Record<string, unknown>;
  readonly oldResourceProperties?: Record<string, unknown>;
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  readonly responsePhysicalId: string;
  readonly data?: Record<string, string>;
  /** handler: the handler answered; framework: the Provider framework answered without calling it; timeout: the handler outlived its Lambda. */
  readonly answeredBy: 'handler' | 'framework' | 'timeout';
  readonly durationMs: number;
  /** The size of the response as the framework sends it to CloudFormation. */
  readonly responseBytes: number;
  /** How many times the handler received the event (more than 1 when it was replayed). */
  readonly deliveries: number;
}

/** A user CloudFormation let go of: kept by a Retain policy, or left behind by a failed cleanup Delete. */
export interface ReleasedResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly why: 'DeletionPolicy Retain' | 'UpdateReplacePolicy Retain' | 'cleanup Delete failed';
}

export interface OperationResult {
  readonly status: StackStatus;
  readonly events: EventRecord[];
  /** Why the operation failed, when it did: the first failure. */
  readonly failure?: string;
}

export interface SimulatorOptions {
  readonly stackName?: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly partition?: string;
  /** The handler's time budget per event (handle()'s budgetMs). */
  readonly budgetMs?: number;
  /** Where the handler's log lines go. */
  readonly log?: (line: string) => void;
  readonly quickSight?: HandlerOptions['quickSight'];
  /** How many resource events may run at once (CloudFormation runs independent resources in parallel). Default 1. */
  readonly concurrency?: number;
  /** Delivers an event a second time when this returns true: the first answer was lost (CloudFormation or Lambda replays it). */
  readonly replay?: (event: CloudFormationCustomResourceEvent) => boolean;
}

export interface DeployOptions {
  /**
   * Another resource of the stack fails once this many of our resource events have succeeded in the
   * forward phase (or after all of them, when there are fewer): the stack rolls back.
   */
  readonly failAfter?: number;
  readonly parameters?: Record<string, string>;
}

interface Touched {
  readonly logicalId: string;
  readonly kind: 'created' | 'create-failed' | 'updated' | 'replaced' | 'update-failed';
  readonly before?: StackResource;
  readonly after?: StackResource;
  /** The properties the forward event carried. */
  readonly properties: Record<string, unknown>;
}

interface PendingRollback {
  readonly reverts: Touched[];
  readonly discards: Touched[];
  readonly previous: Map<string, StackResource>;
  readonly previousTemplate?: Template;
  readonly template: Template;
}

export class CloudFormationSimulator {
  public readonly stackName: string;
  public readonly pseudo: Omit<PseudoParameters, 'stackId'>;
  private currentStatus: StackStatus = 'NO_STACK';
  private currentStackId = '';
  private template?: Template;
  private parameters: Record<string, string> = {};
  private resourceMap = new Map<string, StackResource>();
  /** The type of each custom resource by logical id, from every template deployed. */
  private readonly resourceTypes = new Map<string, string>();
  private readonly releasedList: ReleasedResource[] = [];
  private readonly eventLog: EventRecord[] = [];
  private pendingRollback?: PendingRollback;
  private operationCount = 0;
  private stackCount = 0;
  private currentPhase?: Phase;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.stackName = options.stackName ?? 'QuickSightUsers';
    const region = options.region ?? 'us-east-1';
    this.pseudo = {
      accountId: options.accountId ?? '123456789012',
      region,
      partition: options.partition ?? 'aws',
      stackName: this.stackName,
      urlSuffix: 'amazonaws.com',
    };
    // The handler asks CloudFormation for the stack's status (AWS_ENDPOINT_URL_CLOUDFORMATION).
    registerSimulatedStack(this);
  }

  /** The status DescribeStacks reports now: the phase's *_IN_PROGRESS status while an operation sends events. */
  public get liveStatus(): string {
    return this.currentPhase ? PHASE_STATUS[this.currentPhase] : this.currentStatus;
  }

  public get status(): StackStatus {
    return this.currentStatus;
  }

  /** The stack's ARN; a new one each time the stack is created again. */
  public get stackId(): string {
    return this.currentStackId;
  }

  /** The live custom resources, as ListStackResources lists them (a resource being deleted is no longer among them). */
  public get liveResources(): Array<{ logicalId: string; physicalId: string; type: string }> {
    return [...this.resourceMap.values()].map((r) => ({ logicalId: r.logicalId, physicalId: r.physicalId, type: this.resourceTypes.get(r.logicalId) ?? CUSTOM_RESOURCE_TYPE }));
  }

  /** The custom resources of the stack (users, groups, memberships), by logical id. */
  public get resources(): ReadonlyMap<string, StackResource> {
    return new Map(this.resourceMap);
  }

  /** Users CloudFormation let go of (Retain policies, failed cleanup Deletes), in order. */
  public get released(): readonly ReleasedResource[] {
    return [...this.releasedList];
  }

  /** Every event sent, in order. */
  public get events(): readonly EventRecord[] {
    return [...this.eventLog];
  }

  /** The value the handler tags a user with for one of this stack's resources. */
  public ownerOf(logicalId: string): string {
    return ownerOf(this.currentStackId, logicalId);
  }

  /** The stack's outputs, resolved. */
  public outputs(): Record<string, unknown> {
    const ctx = this.resolveContext(this.template ?? {}, this.resourceMap);
    return Object.fromEntries(Object.entries(this.template?.Outputs ?? {}).map(([name, output]) => [name, resolveValue(output.Value, ctx, `Outputs.${name}`)]));
  }

  /** Creates the stack, or updates it (a stack left in ROLLBACK_COMPLETE is deleted first, as the CDK CLI does). */
  public async deploy(template: Template, options: DeployOptions = {}): Promise<OperationResult> {
    if (this.currentStatus === 'ROLLBACK_COMPLETE') await this.deleteStack();
    switch (this.currentStatus) {
      case 'NO_STACK':
      case 'DELETE_COMPLETE':
        return this.operation((events) => this.createStack(template, options, events));
      case 'CREATE_COMPLETE':
      case 'UPDATE_COMPLETE':
      case 'UPDATE_ROLLBACK_COMPLETE':
        return this.operation((events) => this.updateStack(template, options, events));
      default:
        throw new Error(`Stack ${this.stackName} is in ${this.currentStatus}: ${this.currentStatus === 'UPDATE_ROLLBACK_FAILED' ? 'continueUpdateRollback()' : 'deleteStack()'} first, as CloudFormation requires.`);
    }
  }

  /** Deletes the stack (DeletionPolicy Retain: no Delete sent, the user is released). */
  public async deleteStack(): Promise<OperationResult> {
    if (this.currentStatus === 'NO_STACK' || this.currentStatus === 'DELETE_COMPLETE') {
      return { status: this.currentStatus, events: [] };
    }
    return this.operation(async (events) => {
      const template = this.template ?? {};
      const failures: string[] = [];
      await this.runOrdered([...this.resourceMap.keys()], (id) => this.dependenciesOf(template, id), 'reverse', async (id) => {
        const resource = this.resourceMap.get(id)!;
        if (resource.deletionPolicy === 'Retain') {
          this.release(resource, 'DeletionPolicy Retain');
          this.resourceMap.delete(id);
          return true;
        }
        const record = await this.send('DELETE', 'Delete', id, resource.properties, events, { physicalId: resource.physicalId });
        if (record.status === 'SUCCESS') this.resourceMap.delete(id);
        else failures.push(`${id}: ${record.reason}`);
        return true;
      });
      if (failures.length > 0) return this.finish('DELETE_FAILED', failures[0]);
      this.template = undefined;
      this.pendingRollback = undefined;
      return this.finish('DELETE_COMPLETE');
    });
  }

  /** Goes on with an update rollback that failed (ContinueUpdateRollback). */
  public async continueUpdateRollback(): Promise<OperationResult> {
    if (this.currentStatus !== 'UPDATE_ROLLBACK_FAILED' || !this.pendingRollback) {
      throw new Error(`Stack ${this.stackName} is in ${this.currentStatus}, not UPDATE_ROLLBACK_FAILED: there is no rollback to continue.`);
    }
    const pending = this.pendingRollback;
    return this.operation((events) => this.rollBackUpdate(pending, events));
  }

  // ---- CREATE ----

  private async createStack(template: Template, options: DeployOptions, events: EventRecord[]): Promise<OperationResult> {
    this.stackCount += 1;
    this.currentStackId = `arn:${this.pseudo.partition}:cloudformation:${this.pseudo.region}:${this.pseudo.accountId}:stack/${this.stackName}/${stackUuid(this.stackName, this.stackCount)}`;
    this.template = template;
    this.parameters = this.parametersOf(template, options.parameters);
    this.resourceMap = new Map();
    const declared = this.customResourcesOf(template);
    let failure: string | undefined;
    let succeeded = 0;
    await this.runOrdered(declared, (id) => this.dependenciesOf(template, id), 'forward', async (id) => {
      if (failure) return false;
      if (options.failAfter !== undefined && succeeded >= options.failAfter) {
        failure = 'Another resource of the stack failed to create (simulated)';
        return false;
      }
      const properties = this.propertiesOf(template, id, this.resourceMap);
      const record = await this.send('CREATE', 'Create', id, properties, events);
      // A failed Create is recorded with the id the framework answered, so the rollback sends its Delete.
      this.resourceMap.set(id, this.stackResource(template, id, properties, record));
      if (record.status === 'SUCCESS') succeeded += 1;
      else failure ??= `${id}: ${record.reason}`;
      return record.status === 'SUCCESS';
    });
    if (!failure && options.failAfter !== undefined) failure = 'Another resource of the stack failed to create (simulated)';
    if (!failure) return this.finish('CREATE_COMPLETE');

    // ROLLBACK: delete what was created, newest first.
    const remaining: string[] = [];
    await this.runOrdered([...this.resourceMap.keys()], (id) => this.dependenciesOf(template, id), 'reverse', async (id) => {
      const resource = this.resourceMap.get(id)!;
      if (resource.deletionPolicy === 'Retain' && resource.physicalId !== CREATE_FAILED_MARKER) {
        this.release(resource, 'DeletionPolicy Retain');
        this.resourceMap.delete(id);
        return true;
      }
      const record = await this.send('ROLLBACK', 'Delete', id, resource.properties, events, { physicalId: resource.physicalId });
      if (record.status === 'SUCCESS') this.resourceMap.delete(id);
      else remaining.push(id);
      return true;
    });
    return this.finish(remaining.length > 0 ? 'ROLLBACK_FAILED' : 'ROLLBACK_COMPLETE', failure);
  }

  // ---- UPDATE ----

  private async updateStack(template: Template, options: DeployOptions, events: EventRecord[]): Promise<OperationResult> {
    const previousTemplate = this.template;
    const previous = new Map(this.resourceMap);
    const working = new Map(this.resourceMap);
    const parameters = this.parametersOf(template, options.parameters);
    const previousParameters = this.parameters;
    this.parameters = parameters;
    const declared = this.customResourcesOf(template);
    const touched: Touched[] = [];
    let failure: string | undefined;
    let succeeded = 0;

    await this.runOrdered(declared, (id) => this.dependenciesOf(template, id), 'forward', async (id) => {
      if (failure) return false;
      const properties = this.propertiesOf(template, id, working);
      const before = working.get(id);
      if (before && sameJson(before.properties, properties)) {
        // No change CloudFormation sends an event for; the policies may still have changed.
        working.set(id, { ...before, ...this.policiesOf(template, id) });
        return true;
      }
      if (options.failAfter !== undefined && succeeded >= options.failAfter) {
        failure = 'Another resource of the stack failed to update (simulated)';
        return false;
      }
      if (before && before.properties.ServiceToken !== properties.ServiceToken) {
        failure = `${id}: Modifying service token is not allowed.`;
        return false;
      }
      const record = before
        ? await this.send('UPDATE', 'Update', id, properties, events, { physicalId: before.physicalId, oldProperties: before.properties })
        : await this.send('UPDATE', 'Create', id, properties, events);
      const after = this.stackResource(template, id, properties, record);
      if (record.status === 'SUCCESS') {
        succeeded += 1;
        working.set(id, after);
        const kind = !before ? 'created' : after.physicalId !== before.physicalId ? 'replaced' : 'updated';
        touched.push({ logicalId: id, kind, before, after, properties });
        return true;
      }
      failure ??= `${id}: ${record.reason}`;
      touched.push({ logicalId: id, kind: before ? 'update-failed' : 'create-failed', before, after: before ? undefined : after, properties });
      return false;
    });
    // The failing resource comes after all of ours when there were fewer changes than failAfter.
    if (!failure && options.failAfter !== undefined) failure = 'Another resource of the stack failed to update (simulated)';

    if (failure) {
      this.parameters = previousParameters;
      const pending: PendingRollback = {
        reverts: touched.filter((t) => t.kind === 'updated' || t.kind === 'update-failed').reverse(),
        discards: touched.filter((t) => t.kind === 'replaced' || t.kind === 'created' || t.kind === 'create-failed').reverse(),
        previous,
        previousTemplate,
        template,
      };
      this.resourceMap = working;
      const result = await this.rollBackUpdate(pending, events);
      return { ...result, failure };
    }

    // UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: replaced ids, then removed resources.
    this.template = template;
    this.resourceMap = working;
    for (const replaced of touched.filter((t) => t.kind === 'replaced').reverse()) {
      const old = replaced.before!;
      if (replaced.after!.updateReplacePolicy === 'Retain') {
        this.release(old, 'UpdateReplacePolicy Retain');
        continue;
      }
      const record = await this.send('UPDATE_CLEANUP', 'Delete', old.logicalId, old.properties, events, { physicalId: old.physicalId });
      if (record.status === 'FAILED') this.release(old, 'cleanup Delete failed');
    }
    const removed = [...previous.keys()].filter((id) => !declared.includes(id));
    await this.runOrdered(removed, (id) => this.dependenciesOf(previousTemplate ?? {}, id), 'reverse', async (id) => {
      const resource = previous.get(id)!;
      this.resourceMap.delete(id);
      if (resource.deletionPolicy === 'Retain') {
        this.release(resource, 'DeletionPolicy Retain');
        return true;
      }
      const record = await this.send('UPDATE_CLEANUP', 'Delete', id, resource.properties, events, { physicalId: resource.physicalId });
      if (record.status === 'FAILED') this.release(resource, 'cleanup Delete failed');
      return true;
    });
    return this.finish('UPDATE_COMPLETE');
  }

  // ---- UPDATE ROLLBACK ----

  private async rollBackUpdate(pending: PendingRollback, events: EventRecord[]): Promise<OperationResult> {
    const reverts = [...pending.reverts];
    while (reverts.length > 0) {
      const step = reverts[0];
      const old = step.before!;
      const current = this.resourceMap.get(step.logicalId) ?? old;
      const record = await this.send('UPDATE_ROLLBACK', 'Update', step.logicalId, old.properties, events, {
        physicalId: current.physicalId, oldProperties: step.properties,
      });
      if (record.status === 'FAILED') {
        this.pendingRollback = { ...pending, reverts };
        return this.finish('UPDATE_ROLLBACK_FAILED', `${step.logicalId}: ${record.reason}`);
      }
      this.resourceMap.set(step.logicalId, { ...old, physicalId: record.responsePhysicalId, data: record.data ?? old.data });
      reverts.shift();
    }

    // UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: what the update created goes.
    for (const step of pending.discards) {
      const made = step.after!;
      if (step.kind === 'replaced') {
        this.resourceMap.set(step.logicalId, pending.previous.get(step.logicalId)!);
        if (made.updateReplacePolicy === 'Retain') {
          this.release(made, 'UpdateReplacePolicy Retain');
          continue;
        }
      } else {
        this.resourceMap.delete(step.logicalId);
        if (made.deletionPolicy === 'Retain' && made.physicalId !== CREATE_FAILED_MARKER) {
          this.release(made, 'DeletionPolicy Retain');
          continue;
        }
      }
      const record = await this.send('UPDATE_ROLLBACK_CLEANUP', 'Delete', step.logicalId, step.properties, events, { physicalId: made.physicalId });
      if (record.status === 'FAILED') this.release(made, 'cleanup Delete failed');
    }
    // Back to the previous template: resources the update left alone keep their records.
    for (const id of [...this.resourceMap.keys()]) if (!pending.previous.has(id)) this.resourceMap.delete(id);
    for (const [id, resource] of pending.previous) if (!this.resourceMap.has(id)) this.resourceMap.set(id, resource);
    // The previous template's DeletionPolicy and UpdateReplacePolicy come back too (an update that
    // only changed a policy records the new one on the resource, with no event).
    for (const [id, resource] of pending.previous) {
      const current = this.resourceMap.get(id)!;
      this.resourceMap.set(id, { ...current, deletionPolicy: resource.deletionPolicy, updateReplacePolicy: resource.updateReplacePolicy });
    }
    this.template = pending.previousTemplate;
    this.pendingRollback = undefined;
    return this.finish('UPDATE_ROLLBACK_COMPLETE');
  }

  // ---- EVENTS ----

  private async send(
    phase: Phase, requestType: 'Create' | 'Update' | 'Delete', logicalId: string, properties: Record<string, unknown>, events: EventRecord[],
    extra: { physicalId?: string; oldProperties?: Record<string, unknown> } = {},
  ): Promise<EventRecord> {
    const requestId = randomUUID();
    const event = JSON.parse(JSON.stringify({
      RequestType: requestType,
      ServiceToken: properties.ServiceToken,
      ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/simulated',
      StackId: this.currentStackId,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: this.resourceTypes.get(logicalId) ?? CUSTOM_RESOURCE_TYPE,
      ...(extra.physicalId !== undefined ? { PhysicalResourceId: extra.physicalId } : {}),
      ResourceProperties: properties,
      ...(extra.oldProperties !== undefined ? { OldResourceProperties: extra.oldProperties } : {}),
    })) as CloudFormationCustomResourceEvent;

    this.currentPhase = phase;
    const started = performance.now();
    const base = { operation: this.operationCount, phase, requestType, logicalId, physicalId: extra.physicalId, resourceProperties: properties, oldResourceProperties: extra.oldProperties };
    if (requestType === 'Delete' && extra.physicalId === CREATE_FAILED_MARKER) {
      return this.record(events, { ...base, status: 'SUCCESS', responsePhysicalId: CREATE_FAILED_MARKER, answeredBy: 'framework', durationMs: 0, deliveries: 0 }, event);
    }
    const deliveries = this.options.replay?.(event) ? 2 : 1;
    let answer: Answer | undefined;
    for (let i = 0; i < deliveries; i++) answer = await this.invoke(event);
    const durationMs = performance.now() - started;
    const { physicalId: answeredId, ...answered } = answer!;
    const fallbackId = requestType === 'Create' ? (answered.status === 'FAILED' ? CREATE_FAILED_MARKER : requestId) : extra.physicalId!;
    return this.record(events, { ...base, ...answered, responsePhysicalId: answeredId ?? fallbackId, durationMs, deliveries }, event);
  }

  /** One Lambda invocation of the handler, answered as the Provider framework answers it. */
  private async invoke(event: CloudFormationCustomResourceEvent): Promise<Answer> {
    const budgetMs = this.options.budgetMs ?? 20_000;
    const lambdaTimeoutMs = budgetMs + LAMBDA_ANSWER_MARGIN_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), lambdaTimeoutMs); });
    const run = handle(JSON.parse(JSON.stringify(event)), { budgetMs, log: this.options.log, quickSight: this.options.quickSight })
      .then((outcome) => ({ outcome }), (error: unknown) => ({ error }));
    const settled = await Promise.race([run, timeout]);
    clearTimeout(timer);
    if (settled === 'timeout') {
      return { status: 'FAILED', reason: `The handler did not answer within its Lambda timeout (${lambdaTimeoutMs} ms)`, answeredBy: 'timeout' };
    }
    if ('error' in settled) return { status: 'FAILED', reason: frameworkReason(settled.error, this.stackName), answeredBy: 'handler' };
    const { outcome } = settled;
    if (event.RequestType === 'Delete' && outcome?.PhysicalResourceId && outcome.PhysicalResourceId !== event.PhysicalResourceId) {
      return {
        status: 'FAILED', answeredBy: 'handler', physicalId: event.PhysicalResourceId,
        reason: `DELETE: cannot change the physical resource ID from "${event.PhysicalResourceId}" to "${outcome.PhysicalResourceId}" during deletion`,
      };
    }
    return { status: 'SUCCESS', physicalId: outcome?.PhysicalResourceId || undefined, data: outcome?.Data as unknown as Record<string, string> | undefined, answeredBy: 'handler' };
  }

  /** Records the event with the response CloudFormation receives; enforces CloudFormation's limits on it. */
  private record(events: EventRecord[], partial: Omit<EventRecord, 'responseBytes'>, event: CloudFormationCustomResourceEvent): EventRecord {
    const response = {
      Status: partial.status, Reason: partial.reason ?? partial.status, StackId: event.StackId, RequestId: event.RequestId,
      PhysicalResourceId: partial.responsePhysicalId, LogicalResourceId: event.LogicalResourceId, Data: partial.data,
    };
    const responseBytes = Buffer.byteLength(JSON.stringify(response), 'utf8');
    let record: EventRecord = { ...partial, responseBytes };
    if (partial.status === 'SUCCESS' && (responseBytes > MAX_RESPONSE_BYTES || partial.responsePhysicalId.length > MAX_PHYSICAL_ID_LENGTH)) {
      // CloudFormation rejects the answer; for a Create it then makes up a physical id of its own.
      record = {
        ...record,
        status: 'FAILED',
        reason: responseBytes > MAX_RESPONSE_BYTES ? 'Response object is too long.' : 'PhysicalResourceId is too long.',
        responsePhysicalId: partial.requestType === 'Create' ? `${this.stackName}-${partial.logicalId}-${event.RequestId.slice(0, 8)}` : partial.physicalId!,
        data: undefined,
      };
    }
    events.push(record);
    this.eventLog.push(record);
    return record;
  }

  // ---- TEMPLATE ----

  private customResourcesOf(template: Template): string[] {
    const ctx = this.resolveContext(template, new Map());
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (CUSTOM_RESOURCE_TYPES.has(resource.Type)) this.resourceTypes.set(id, resource.Type);
    }
    return Object.entries(template.Resources ?? {})
      .filter(([, resource]) => CUSTOM_RESOURCE_TYPES.has(resource.Type))
      .filter(([, resource]) => resource.Condition === undefined || ctx.condition(resource.Condition))
      .map(([id]) => id);
  }

  /** The custom resources a resource must wait for (Ref, Fn::GetAtt, Fn::Sub, DependsOn). */
  private dependenciesOf(template: Template, id: string): string[] {
    const resource = template.Resources?.[id];
    if (!resource) return [];
    const deps = referencedResources(resource.Properties ?? {});
    for (const dep of [resource.DependsOn ?? []].flat()) deps.add(dep);
    return [...deps].filter((dep) => dep !== id && CUSTOM_RESOURCE_TYPES.has(template.Resources?.[dep]?.Type ?? ''));
  }

  private propertiesOf(template: Template, id: string, resources: ReadonlyMap<string, StackResource>): Record<string, unknown> {
    const resolved = resolveValue(template.Resources![id].Properties ?? {}, this.resolveContext(template, resources), `Resources.${id}.Properties`);
    return stringifyScalars(resolved) as Record<string, unknown>;
  }

  private policiesOf(template: Template, id: string): Pick<StackResource, 'deletionPolicy' | 'updateReplacePolicy'> {
    const resource = template.Resources![id];
    // CloudFormation's default for a resource without a policy is Delete.
    return {
      deletionPolicy: resource.DeletionPolicy === 'Retain' ? 'Retain' : 'Delete',
      updateReplacePolicy: resource.UpdateReplacePolicy === 'Retain' ? 'Retain' : 'Delete',
    };
  }

  private stackResource(template: Template, id: string, properties: Record<string, unknown>, record: EventRecord): StackResource {
    return { logicalId: id, physicalId: record.responsePhysicalId, properties, data: record.data ?? {}, ...this.policiesOf(template, id) };
  }

  private parametersOf(template: Template, given: Record<string, string> = {}): Record<string, string> {
    const values: Record<string, string> = {};
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      if (name in given) values[name] = given[name];
      else if (parameter.Default !== undefined) values[name] = String(parameter.Default);
    }
    return values;
  }

  private resolveContext(template: Template, resources: ReadonlyMap<string, StackResource>): ResolveContext {
    const pseudo = { ...this.pseudo, stackId: this.currentStackId };
    const fake = (id: string, attribute?: string) => {
      const type = template.Resources?.[id]?.Type;
      if (!type) return undefined;
      if (attribute === undefined) return id;
      const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
      const resource = service === 'lambda' ? `function:${this.stackName}-${id}` : id;
      return attribute === 'Arn' ? `arn:${pseudo.partition}:${service}:${pseudo.region}:${pseudo.accountId}:${resource}` : `${id}.${attribute}`;
    };
    const conditions = new Map<string, boolean>();
    const ctx: ResolveContext = {
      pseudo,
      parameters: this.parameters,
      ref: (id) => (CUSTOM_RESOURCE_TYPES.has(template.Resources?.[id]?.Type ?? '') ? resources.get(id)?.physicalId : fake(id)),
      getAtt: (id, attribute) => (CUSTOM_RESOURCE_TYPES.has(template.Resources?.[id]?.Type ?? '') ? resources.get(id)?.data[attribute] : fake(id, attribute)),
      condition: (name) => {
        if (!conditions.has(name)) {
          const definition = template.Conditions?.[name];
          if (definition === undefined) throw new Error(`Condition ${name} is not defined in the template`);
          conditions.set(name, resolveValue(definition, ctx, `Conditions.${name}`) === true);
        }
        return conditions.get(name)!;
      },
    };
    return ctx;
  }

  // ---- HELPERS ----

  private async operation(body: (events: EventRecord[]) => Promise<OperationResult>): Promise<OperationResult> {
    this.operationCount += 1;
    const events: EventRecord[] = [];
    const result = await body(events);
    return { ...result, events };
  }

  private finish(status: StackStatus, failure?: string): OperationResult {
    this.currentStatus = status;
    this.currentPhase = undefined;
    return { status, events: [], failure };
  }

  private release(resource: StackResource, why: ReleasedResource['why']): void {
    if (resource.physicalId === CREATE_FAILED_MARKER) return;
    this.releasedList.push({ logicalId: resource.logicalId, physicalId: resource.physicalId, why });
  }

  /**
   * Runs `work` for each id once its dependencies are done ('forward') or once everything that
   * depends on it is done ('reverse'), at most `concurrency` at a time, in template order among
   * the ready ones. Stops starting new work once `work` returns false; work in flight finishes.
   */
  private async runOrdered(ids: string[], dependencies: (id: string) => string[], direction: 'forward' | 'reverse', work: (id: string) => Promise<boolean>): Promise<void> {
    const set = new Set(ids);
    const waitsFor = new Map<string, string[]>();
    for (const id of ids) {
      const deps = direction === 'forward'
        ? dependencies(id).filter((d) => set.has(d))
        : ids.filter((other) => other !== id && dependencies(other).includes(id));
      waitsFor.set(id, deps);
    }
    const order = direction === 'forward' ? ids : [...ids].reverse();
    const done = new Set<string>();
    const started = new Set<string>();
    const inFlight = new Map<string, Promise<void>>();
    const concurrency = Math.max(1, this.options.concurrency ?? 1);
    let stopped = false;
    while (!stopped || inFlight.size > 0) {
      if (!stopped) {
        for (const id of order) {
          if (inFlight.size >= concurrency) break;
          if (started.has(id) || !waitsFor.get(id)!.every((d) => done.has(d))) continue;
          started.add(id);
          inFlight.set(id, work(id).then((goOn) => {
            if (!goOn) stopped = true;
            done.add(id);
            inFlight.delete(id);
          }));
        }
      }
      if (inFlight.size === 0) {
        if (started.size < ids.length && !stopped) throw new Error(`Circular dependency between ${ids.filter((id) => !started.has(id)).join(', ')}`);
        break;
      }
      await Promise.race(inFlight.values());
    }
  }
}

interface Answer {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  readonly physicalId?: string;
  readonly data?: Record<string, string>;
  readonly answeredBy: EventRecord['answeredBy'];
}

/**
 * The FAILED reason as the CDK Provider framework reports it: the handler's error message, the
 * handler's log group, and the stack trace Lambda returns (the framework includes stack traces).
 */
export function frameworkReason(error: unknown, stackName: string): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const functionName = `${stackName}-QuickSightUserProviderHandler`;
  const message = [e.message || 'error', '', `Logs: /aws/lambda/${functionName}`, ''].join('\n');
  const trace = (e.stack ?? '').split('\n');
  return [message, ...trace.slice(1)].join('\n');
}

function stackUuid(stackName: string, n: number): string {
  const hex = Buffer.from(`${stackName}:${n}`).toString('hex').padEnd(32, '0').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
