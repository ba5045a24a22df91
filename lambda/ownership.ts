// The owner marker: a tag on each user the handler manages, naming the stack resource that manages
// it and whether that resource registered the user or adopted one that was already there.
//
//   quicksight-user-cdk:owner = <stack id>/<logical id>            registered by that resource
//   quicksight-user-cdk:owner = adopted:<stack id>/<logical id>    adopted by that resource
//
// One tag, not two: QuickSight keeps at most 50 tags on a user and the declaration may use 49. A
// Delete reads the marker: a user another resource manages is left alone; a user this resource
// registered is deregistered; a user it adopted (or one with no marker) is deregistered only when
// the Delete is intended, never in a rollback (see onDelete in lifecycle.ts).
import { createHash } from 'node:crypto';
import { OWNER_TAG_KEY } from '../lib/model';

/** QuickSight's limit on a tag value. */
const MAX_TAG_VALUE_LENGTH = 256;
const ADOPTED_PREFIX = 'adopted:';

/** The owner marker of a stack resource that registered a user: its stack id and logical id, hashed if over the tag value limit. */
export function ownerOf(stackId: string, logicalResourceId: string): string {
  return fitted(`${stackId}/${logicalResourceId}`, 0);
}

/** The owner marker of a stack resource that adopted an existing user. */
export function adoptedMarkerOf(owner: string): string {
  return `${ADOPTED_PREFIX}${fitted(owner, ADOPTED_PREFIX.length)}`;
}

/** How a user's tags say it relates to a stack resource (`owner` as ownerOf gives it). */
export type Ownership = 'registered' | 'adopted' | 'none' | 'other';

export function ownershipOf(tags: Record<string, string>, owner: string): Ownership {
  const marker = tags[OWNER_TAG_KEY];
  if (marker === undefined) return 'none';
  if (marker === owner) return 'registered';
  if (marker === adoptedMarkerOf(owner)) return 'adopted';
  return 'other';
}

function fitted(value: string, reserved: number): string {
  return value.length + reserved <= MAX_TAG_VALUE_LENGTH ? value : `sha256:${createHash('sha256').update(value).digest('hex')}`;
}
