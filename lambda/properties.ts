// Reading the custom resource's properties. CloudFormation hands every property over as a string
// ("true", "12"), whatever type the template wrote, and a raw template can send anything at all:
// this turns them into a UserSpec and checks it with the same rules the construct applies at synth.
import { formatIssue, validateTags, validateUserSpec, type UserSpec, type UserSpecField, type UserTag } from '../lib/model';
import { HandlerError } from './errors';

/** The properties the construct writes, besides the UserSpec fields. */
export const ADOPT_EXISTING_USER = 'AdoptExistingUser';

const SPEC_FIELDS: UserSpecField[] = [
  'AwsAccountId', 'Namespace', 'IdentityRegion', 'Email', 'IdentityType', 'UserRole', 'IamArn', 'SessionName',
  'UserName', 'CustomPermissionsName', 'ExternalLoginFederationProviderType', 'CustomFederationProviderUrl',
  'ExternalLoginId', 'Tags',
];
const KNOWN_PROPERTIES = new Set<string>([...SPEC_FIELDS, ADOPT_EXISTING_USER, 'ServiceToken']);

export interface DeclaredUser {
  readonly spec: UserSpec;
  readonly adoptExistingUser: boolean;
}

/** Reads and validates the declared user; throws a HandlerError naming every broken rule. */
export function readDeclaredUser(properties: Record<string, unknown> | undefined): DeclaredUser {
  const props = properties ?? {};
  const problems: string[] = [];
  for (const key of Object.keys(props)) {
    if (!KNOWN_PROPERTIES.has(key)) problems.push(`${key} is not a property of Custom::QuickSightUser`);
  }
  const spec = coerceSpec(props);
  problems.push(...validateUserSpec(spec).map((issue) => formatIssue(issue)));
  const adopt = props[ADOPT_EXISTING_USER];
  const adoptText = adopt === undefined ? 'true' : String(adopt).toLowerCase();
  if (adoptText !== 'true' && adoptText !== 'false') {
    problems.push(`${ADOPT_EXISTING_USER} ${JSON.stringify(adopt)} must be "true" or "false"`);
  }
  if (problems.length > 0) {
    const who = typeof spec.UserName === 'string' ? ` '${spec.UserName}'` : '';
    throw new HandlerError(`Invalid properties for QuickSight user${who}: ${problems.join('; ')}.`);
  }
  return { spec: spec as UserSpec, adoptExistingUser: adoptText === 'true' };
}

/**
 * Reads the previous properties of an Update without judging them: they only serve to tell what
 * changed. They are not always ones that were deployed: the rollback of an update the handler
 * refused sends that update's invalid properties back as the previous ones, so a value of the
 * wrong shape is left out (as if unset) rather than allowed to break the rollback.
 */
export function readPreviousUser(properties: Record<string, unknown> | undefined): UserSpec {
  const spec = coerceSpec(properties !== null && typeof properties === 'object' ? properties : {});
  for (const field of SPEC_FIELDS) {
    const value = spec[field];
    // Tags are also checked against the rules: their keys are what UntagResource would be sent.
    if (value !== undefined && !(field === 'Tags' ? validateTags(value).length === 0 : typeof value === 'string')) delete spec[field];
  }
  return spec as UserSpec;
}

function coerceSpec(props: Record<string, unknown>): Partial<Record<UserSpecField, unknown>> {
  const spec: Partial<Record<UserSpecField, unknown>> = {};
  for (const field of SPEC_FIELDS) {
    const value = field === 'Tags' ? coerceTags(props.Tags) : coerceScalar(props[field]);
    // An empty string is how a template leaves an optional property unset (Fn::If, parameters).
    if (value !== undefined && value !== '') spec[field] = value;
  }
  return spec;
}

function coerceScalar(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function coerceTags(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === 0) return undefined;
  return value.map((tag): UserTag | unknown => {
    if (tag === null || typeof tag !== 'object') return tag;
    const { Key, Value } = tag as Record<string, unknown>;
    return { Key: coerceScalar(Key), Value: coerceScalar(Value) };
  });
}
