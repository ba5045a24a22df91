// The owner marker: a tag on each user the handler manages, naming the stack resource that manages
// it and how that resource came to manage it:
//
//   quicksight-user-cdk:owner = registered:<request id>:<stack id>/<logical id>
//       registered by that resource, in the CloudFormation event with that request id
//   quicksight-user-cdk:owner = adopted:<stack id>/<logical id>
//       adopted by that resource: the user was there before
//   quicksight-user-cdk:owner = <stack id>/<logical id>
//       registered by that resource (the marker of earlier releases)
//
// (the part after the prefix is hashed when the whole would pass QuickSight's 256-character limit.)
// One tag, not two: QuickSight keeps at most 50 tags on a user and the declaration may use 49. A
// Delete reads the marker: a user another resource manages is left alone; a user this resource
// registered is deregistered; a user it adopted (or one with no marker) is deregistered only when
// the Delete is intended, never in a rollback (see onDelete in lifecycle.ts). The request id tells
// a replayed Create (the same event delivered twice: the user is the event's own) from a user this
// resource registered in an earlier deployment and then let go of (RemovalPolicy.RETAIN).
import { createHash } from 'node:crypto';
import { OWNER_TAG_KEY } from '../lib/model';

/** QuickSight's limit on a tag value. */
const MAX_TAG_VALUE_LENGTH = 256;
const ADOPTED_PREFIX = 'adopted:';
const REGISTERED_PREFIX = 'registered:';

/** The owner of a stack resource: its stack id and logical id, hashed if over the tag value limit. */
export function ownerOf(stackId: string, logicalResourceId: string): string {
  return fitted(`${stackId}/${logicalResourceId}`, '');
}

/** The marker of a user that `owner` registered in the event `requestId`. */
export function registeredMarkerOf(owner: string, requestId: string): string {
  return fitted(owner, `${REGISTERED_PREFIX}${requestId}:`);
}

/** The marker of a user that `owner` adopted. */
export function adoptedMarkerOf(owner: string): string {
  return fitted(owner, ADOPTED_PREFIX);
}

/** How a user's tags say it relates to a stack resource (`owner` as ownerOf gives it). */
export type Ownership = 'registered' | 'adopted' | 'none' | 'other';

export function ownershipOf(tags: Record<string, string>, owner: string): Ownership {
  const marker = tags[OWNER_TAG_KEY];
  if (marker === undefined) return 'none';
  if (marker === owner || registeringRequestOf(tags, owner) !== undefined) return 'registered';
  if (marker === adoptedMarkerOf(owner)) return 'adopted';
  return 'other';
}

/** The request id of the event in which `owner` registered the user, when its marker records one. */
export function registeringRequestOf(tags: Record<string, string>, owner: string): string | undefined {
  const marker = tags[OWNER_TAG_KEY] ?? '';
  if (!marker.startsWith(REGISTERED_PREFIX)) return undefined;
  const end = marker.indexOf(':', REGISTERED_PREFIX.length);
  if (end < 0) return undefined;
  const requestId = marker.slice(REGISTERED_PREFIX.length, end);
  return marker === registeredMarkerOf(owner, requestId) ? requestId : undefined;
}

function fitted(value: string, prefix: string): string {
  const kept = value.length + prefix.length <= MAX_TAG_VALUE_LENGTH ? value : `sha256:${createHash('sha256').update(value).digest('hex')}`;
  return `${prefix}${kept}`;
}
