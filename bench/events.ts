// CloudFormation custom resource events for the two ways, built from what their templates say:
// a one-user stack is synthesized and the user's resource properties are taken from it, every
// value a string, as CloudFormation hands them to a handler.
import type {
  CloudFormationCustomResourceCreateEvent, CloudFormationCustomResourceDeleteEvent, CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ACCOUNT, buildStack, STACK_NAME, STACK_REGION, type BenchUser, type Way } from './ways';

export const STACK_ID = `arn:aws:cloudformation:${STACK_REGION}:${ACCOUNT}:stack/${STACK_NAME}/6b0b4c50-0000-4000-8000-00000000be0c`;
const SERVICE_TOKEN = `arn:aws:lambda:${STACK_REGION}:${ACCOUNT}:function:bench-handler`;
const RESOURCE_TYPES: Record<Way, string> = { ours: 'Custom::QuickSightUser', acr: 'Custom::AWS' };

/** The properties of one declared user's resource, and its logical id, from a synthesized template. */
export interface DeclaredResource {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly properties: Record<string, unknown>;
}

export function declaredResource(way: Way, user: BenchUser): DeclaredResource {
  return declaredResources(way, [user])[0];
}

/** The resources of `users` declared in one stack, in the order of `users`. */
export function declaredResources(way: Way, users: readonly BenchUser[]): DeclaredResource[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-bench-events-'));
  try {
    const { app, stack } = buildStack(way, users, { outputs: false, builtinValidation: false, outdir });
    const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    // Logical ids start with the construct id (User0001, User0002, ...): their order is the users' order.
    const found = Object.entries(template.Resources).filter(([, r]) => r.Type === RESOURCE_TYPES[way]).sort(([a], [b]) => a.localeCompare(b));
    if (found.length !== users.length) throw new Error(`expected ${users.length} ${RESOURCE_TYPES[way]} in the ${way} template, found ${found.length}`);
    return found.map(([logicalId, resource]) => {
      const { ServiceToken: _token, ...rest } = resource.Properties ?? {};
      return { logicalId, resourceType: RESOURCE_TYPES[way], properties: { ServiceToken: SERVICE_TOKEN, ...asCloudFormationStrings(rest, logicalId) as object } };
    });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** CloudFormation passes every scalar as a string; an intrinsic left here would be a benchmark bug. */
function asCloudFormationStrings(value: unknown, where: string): unknown {
  if (Array.isArray(value)) return value.map((v) => asCloudFormationStrings(v, where));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.some((k) => k === 'Ref' || k.startsWith('Fn::'))) {
      throw new Error(`${where}: the template has an unresolved ${keys[0]} where the benchmark needs a literal: ${JSON.stringify(value).slice(0, 200)}`);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asCloudFormationStrings(v, where)]));
  }
  return typeof value === 'string' ? value : String(value);
}

function common(resource: DeclaredResource, requestId: string) {
  return {
    ServiceToken: SERVICE_TOKEN,
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/bench',
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: resource.logicalId,
    ResourceType: resource.resourceType,
  };
}

export function createEvent(resource: DeclaredResource, requestId = 'create'): CloudFormationCustomResourceCreateEvent {
  return { ...common(resource, requestId), RequestType: 'Create', ResourceProperties: resource.properties as never };
}

export function updateEvent(physicalId: string, before: DeclaredResource, after: DeclaredResource, requestId = 'update'): CloudFormationCustomResourceUpdateEvent {
  return {
    ...common(after, requestId), RequestType: 'Update', PhysicalResourceId: physicalId,
    ResourceProperties: after.properties as never, OldResourceProperties: before.properties as never,
  };
}

export function deleteEvent(physicalId: string, resource: DeclaredResource, requestId = 'delete'): CloudFormationCustomResourceDeleteEvent {
  return { ...common(resource, requestId), RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: resource.properties as never };
}
