// The handler role's IAM policy as a deployed stack would have it: found in a synthesized template
// by following the template's own references (the custom resources' ServiceToken -> the Provider
// framework function -> its USER_ON_EVENT_FUNCTION_ARN -> the handler function -> its Role -> the
// policies attached to that role), then resolved the way CloudFormation resolves it
// (test/cfn-simulator/intrinsics.ts: Fn::Join, Ref of the pseudo parameters, parameters' defaults,
// conditions). Nothing here reads lib/: the template is the only source.
//
// The emulator enforces what this returns: QuickSightEmulator.start({ policy }) or
// emulator.setPolicy(policy), for example useEmulator({ policy: handlerPolicyOf(template) }).
import { resolveValue, type PseudoParameters, type ResolveContext, type Template, type TemplateResource } from '../cfn-simulator';
import type { PolicyStatement } from '../emulator/quicksight-emulator';

export const CUSTOM_RESOURCE_TYPE = 'Custom::QuickSightUser';
/** The custom resources the handler serves: users, groups, memberships of imported users. */
export const CUSTOM_RESOURCE_TYPES = [CUSTOM_RESOURCE_TYPE, 'Custom::QuickSightGroup', 'Custom::QuickSightGroupMembership'];

/** The pseudo parameters the handler tests run with (the emulator's default account and identity region). */
export const DEFAULT_PSEUDO: PseudoParameters = {
  accountId: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  stackName: 'QuickSightUsers',
  stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuickSightUsers/6b0b4c50-0000-4000-8000-000000000001',
  urlSuffix: 'amazonaws.com',
};

/** The logical ids on the way from the custom resources to the handler's role. */
export interface HandlerChain {
  readonly framework: string;
  readonly handler: string;
  readonly role: string;
  /** The AWS::IAM::Policy / ManagedPolicy resources and inline policies attached to the role. */
  readonly policies: string[];
}

export function handlerChainOf(template: Template): HandlerChain {
  const resources = template.Resources ?? {};
  const get = (logicalId: string, type: string): TemplateResource => {
    const resource = resources[logicalId];
    if (!resource || resource.Type !== type) throw new Error(`The template has no ${type} ${logicalId}`);
    return resource;
  };
  const getAttArn = (value: unknown, what: string): string => {
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    if (!Array.isArray(getAtt) || getAtt[1] !== 'Arn') throw new Error(`${what} is not Fn::GetAtt <resource>.Arn: ${JSON.stringify(value)}`);
    return getAtt[0];
  };

  const custom = Object.entries(resources).filter(([, r]) => CUSTOM_RESOURCE_TYPES.includes(r.Type));
  if (custom.length === 0) throw new Error(`The template declares no ${CUSTOM_RESOURCE_TYPES.join(', ')}`);
  const frameworks = new Set(custom.map(([id, r]) => getAttArn(r.Properties?.ServiceToken, `${id}'s ServiceToken`)));
  if (frameworks.size !== 1) throw new Error(`The custom resources use ${frameworks.size} service tokens; one provider per stack is expected`);
  const [framework] = frameworks;
  const variables = (get(framework, 'AWS::Lambda::Function').Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
  const handler = getAttArn(variables?.USER_ON_EVENT_FUNCTION_ARN, `${framework}'s USER_ON_EVENT_FUNCTION_ARN`);
  const role = getAttArn(get(handler, 'AWS::Lambda::Function').Properties?.Role, `${handler}'s Role`);
  const roleResource = get(role, 'AWS::IAM::Role');
  if (roleResource.Properties?.ManagedPolicyArns !== undefined) {
    throw new Error(`${role} has managed policies (${JSON.stringify(roleResource.Properties.ManagedPolicyArns)}): their statements are not in the template, so they cannot be enforced`);
  }
  const refersToRole = (roles: unknown) => Array.isArray(roles) && roles.some((r) => (r as { Ref?: string }).Ref === role);
  const policies = Object.entries(resources)
    .filter(([, r]) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && refersToRole(r.Properties?.Roles))
    .map(([id]) => id);
  if (Array.isArray(roleResource.Properties?.Policies)) policies.push(`${role}.Policies`);
  return { framework, handler, role, policies };
}

/** The handler role's statements, resolved (only the ones whose Action may name a quicksight action, unless `all`). */
export function handlerPolicyOf(template: Template, pseudo: PseudoParameters = DEFAULT_PSEUDO, options: { all?: boolean } = {}): PolicyStatement[] {
  const chain = handlerChainOf(template);
  const resources = template.Resources ?? {};
  const documents: Array<[string, unknown]> = [];
  for (const id of chain.policies) {
    if (id.endsWith('.Policies')) {
      const inline = resources[chain.role].Properties?.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>;
      for (const p of inline) documents.push([`${chain.role}.${p.PolicyName}`, p.PolicyDocument]);
    } else {
      documents.push([id, resources[id].Properties?.PolicyDocument]);
    }
  }
  const ctx = resolveContext(template, pseudo);
  const statements: PolicyStatement[] = [];
  for (const [where, document] of documents) {
    const resolved = resolveValue(document, ctx, where) as { Statement?: unknown };
    for (const statement of [resolved.Statement ?? []].flat() as PolicyStatement[]) {
      const actions = [statement.Action ?? statement.NotAction ?? []].flat();
      if (options.all || statement.NotAction !== undefined || actions.some((a) => /^(quicksight|\*)/i.test(a) || a === '*')) statements.push(statement);
    }
  }
  return statements;
}

function resolveContext(template: Template, pseudo: PseudoParameters): ResolveContext {
  const parameters = Object.fromEntries(Object.entries(template.Parameters ?? {}).map(([name, p]) => [name, String(p.Default ?? '')]));
  const ctx: ResolveContext = {
    pseudo,
    parameters,
    // Other resources only appear in ARNs of other services here (log groups): any stable value will do.
    ref: (logicalId) => `${logicalId}-physical-id`,
    getAtt: (logicalId, attribute) => `arn:${pseudo.partition}:fake:${pseudo.region}:${pseudo.accountId}:${logicalId}/${attribute}`,
    condition: (name) => resolveValue(template.Conditions?.[name], ctx, `Conditions.${name}`) === true,
  };
  return ctx;
}

/** The quicksight operations a policy allows, its wildcards expanded against a list of operations. */
export function grantedOperations(statements: readonly PolicyStatement[], operations: readonly string[]): string[] {
  const matches = (pattern: string, op: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(`quicksight:${op}`);
  return operations.filter((op) => statements.some((s) => s.Effect === 'Allow' && (
    s.Action !== undefined ? [s.Action].flat().some((a) => matches(a, op)) : ![s.NotAction ?? []].flat().some((a) => matches(a, op)))));
}
