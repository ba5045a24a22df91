// What the emulator must hold after a deployment: exactly the users the stacks' last successful
// deployments declare (with the declared email, role, permissions, external login, tags and owner
// marker), the users CloudFormation retained, and the users the test says exist outside any stack.
// Anything missing is lost; anything else is leaked.
import { addressOf, OWNER_TAG_KEY, PREVIOUS_OWNER_TAG_KEY, type UserSpec } from '../../lib/model';
import { ownershipOf } from '../../lambda/ownership';
import { readDeclaredUser } from '../../lambda/properties';
import type { EmulatedUser, QuickSightEmulator } from '../emulator/quicksight-emulator';
import { COGNITO_PROVIDER_URL } from '../emulator/validation';
import type { CloudFormationSimulator } from './simulator';

export interface StateCheckOptions {
  /** ARNs of users that must exist besides the declared and retained ones (made by hand, another owner). */
  readonly alsoPresent?: readonly string[];
  /** ARNs that may exist or not (IAM Identity Center users QuickSight refuses to delete). */
  readonly mayBePresent?: readonly string[];
  /** ARNs of retained users that the test expects to be gone since (deleted by hand, adopted and deleted). */
  readonly goneSinceRetained?: readonly string[];
}

export interface StateCheck {
  /** Users that must exist and do not. */
  readonly lost: string[];
  /** Users that exist and that nothing declares, retains or expects. */
  readonly leaked: string[];
  /** Declared users that exist but differ from their declaration: one line per difference. */
  readonly drifted: string[];
}

/** Compares the emulator's users with what the stacks declare. */
export function checkState(emulator: QuickSightEmulator, stacks: readonly CloudFormationSimulator[], options: StateCheckOptions = {}): StateCheck {
  const present = new Map(emulator.users().map((u) => [u.arn, u]));
  const expected = new Set<string>(options.alsoPresent ?? []);
  const lost: string[] = [];
  const drifted: string[] = [];

  for (const stack of stacks) {
    for (const resource of stack.resources.values()) {
      const { spec } = readDeclaredUser(resource.properties);
      const arn = arnOf(spec);
      expected.add(arn);
      const user = present.get(arn);
      if (!user) {
        lost.push(`${arn} (declared by ${stack.stackName}/${resource.logicalId})`);
        continue;
      }
      if (resource.physicalId !== arn) drifted.push(`${stack.stackName}/${resource.logicalId}: physical id ${resource.physicalId}, user ${arn}`);
      drifted.push(...differences(user, spec, stack.ownerOf(resource.logicalId)).map((d) => `${arn}: ${d}`));
    }
    for (const released of stack.released) {
      if (released.why !== 'cleanup Delete failed' && !(options.goneSinceRetained ?? []).includes(released.physicalId)) expected.add(released.physicalId);
    }
  }
  for (const arn of expected) {
    if (!present.has(arn) && !lost.some((l) => l.startsWith(`${arn} `))) lost.push(arn);
  }
  const allowed = new Set([...expected, ...(options.mayBePresent ?? [])]);
  const leaked = [...present.keys()].filter((arn) => !allowed.has(arn));
  return { lost, leaked, drifted };
}

/** The ARN the emulator gives the user a spec declares. */
export function arnOf(spec: UserSpec): string {
  const address = addressOf(spec);
  if (!address) throw new Error(`The declared user ${JSON.stringify(spec)} has no address`);
  return `arn:${address.partition}:quicksight:${address.region}:${address.accountId}:user/${address.namespace}/${address.userName}`;
}

function differences(user: EmulatedUser, spec: UserSpec, owner: string): string[] {
  // The resource either registered the user or adopted it: each marker names it.
  const marker = ['registered', 'adopted'].includes(ownershipOf(user.tags, owner)) ? user.tags[OWNER_TAG_KEY] : `a marker of ${owner}`;
  const wantedProviderUrl = spec.ExternalLoginFederationProviderType === 'COGNITO' ? COGNITO_PROVIDER_URL : spec.CustomFederationProviderUrl;
  const wanted: Record<string, unknown> = {
    identityType: spec.IdentityType,
    email: spec.Email,
    role: spec.UserRole,
    customPermissionsName: spec.CustomPermissionsName,
    externalLoginFederationProviderType: spec.ExternalLoginFederationProviderType,
    externalLoginFederationProviderUrl: spec.ExternalLoginFederationProviderType ? wantedProviderUrl : undefined,
    externalLoginId: spec.ExternalLoginFederationProviderType ? spec.ExternalLoginId : undefined,
    tags: sortKeys({ ...Object.fromEntries((spec.Tags ?? []).map((t) => [t.Key, t.Value])), [OWNER_TAG_KEY]: marker }),
  };
  // The previous owner (a user passing between resources) is the handler's, not a declared tag.
  const got: Record<string, unknown> = { ...user, tags: sortKeys(Object.fromEntries(Object.entries(user.tags).filter(([key]) => key !== PREVIOUS_OWNER_TAG_KEY))) };
  return Object.keys(wanted)
    .filter((field) => JSON.stringify(got[field]) !== JSON.stringify(wanted[field]))
    .map((field) => `${field} is ${JSON.stringify(got[field])}, declared ${JSON.stringify(wanted[field])}`);
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The principal id of every user, by ARN: a user deregistered and registered again gets a new one. */
export function principalIds(emulator: QuickSightEmulator): Map<string, string> {
  return new Map(emulator.users().map((u) => [u.arn, u.principalId]));
}

/** Users present in both snapshots whose principal id changed: deregistered and registered again (their assets lost). */
export function reRegistered(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([arn, id]) => after.has(arn) && after.get(arn) !== id).map(([arn]) => arn);
}
