// The small world the lifecycle model plays in: six user names, two namespaces, two identity
// types the emulated account holds (QUICKSIGHT, and IAM users whose QuickSight name is the IAM
// user's name, so that both kinds collide on the same address), two stacks of four slots each.
// A slot is a construct id (S0..S3): a rename is an update of the same logical id. A revision of a
// stack is the list of its declared users; a template is synthesized from the real construct for
// each revision (cached: the same revision is synthesized once per test process).
import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { IdentityType, QuickSightGroup, QuickSightUser, UserRole, type IQuickSightGroup } from '../../lib';
import type { Template } from '../cfn-simulator';
import { synth } from '../reliability/stacks';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const NAMES = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'] as const;
export const NAMESPACES = ['default', 'finance'] as const;
export const ROLES = [UserRole.READER, UserRole.AUTHOR, UserRole.ADMIN] as const;
export const TAG_SETS: ReadonlyArray<Readonly<Record<string, string>>> = [{}, { team: 'red' }, { team: 'blue', cc: '42' }];
export const SLOTS = 4;
/**
 * Two groups, in each namespace, that exist in the account before any stack (made by hand: the
 * stacks import them by name). A declaration names a subset of them (a bit mask: 0 none, 1 g1,
 * 2 g2, 3 both): its user's memberships.
 */
export const GROUPS = ['g1', 'g2'] as const;
export const groupNamesOf = (mask: number): string[] => GROUPS.filter((_, i) => (mask & (1 << i)) !== 0);
export const STACKS = ['UsersA', 'UsersB'] as const;
export type StackKey = typeof STACKS[number];

/** One declared user: which slot (construct id) declares it, and every prop, as small indexes. */
export interface Decl {
  readonly slot: number;
  readonly name: number;
  readonly ns: number;
  readonly iam: boolean;
  readonly email: number;
  readonly role: number;
  readonly tags: number;
  readonly retain: boolean;
  /** The groups the user is declared in (a bit mask over GROUPS); absent: none. */
  readonly groups?: number;
}

/** A stack's declared users, by slot. */
export type Revision = readonly Decl[];

/** `namespace/name`: what QuickSight keys a user by (the identity type is not part of it). */
export type Addr = string;

export const ALL_ADDRS: readonly Addr[] = NAMESPACES.flatMap((ns) => NAMES.map((name) => `${ns}/${name}`));

export const addrOf = (d: Pick<Decl, 'ns' | 'name'>): Addr => `${NAMESPACES[d.ns]}/${NAMES[d.name]}`;
export const arnOfAddr = (addr: Addr): string => `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/${addr}`;
export const addrOfArn = (arn: string): Addr | undefined => /:user\/([^/]+\/[^/]+)$/.exec(arn)?.[1];
export const emailOf = (d: Decl): string => (d.email === 0 ? `${NAMES[d.name]}@example.com` : `${NAMES[d.name]}.alt@example.com`);
export const iamArnOf = (name: string): string => `arn:aws:iam::${ACCOUNT}:user/${name}`;
export const identityTypeOf = (d: Pick<Decl, 'iam'>): string => (d.iam ? 'IAM' : 'QUICKSIGHT');

/** The same resource properties (what CloudFormation compares to decide whether to send an Update). */
export function sameProperties(a: Decl, b: Decl): boolean {
  return a.name === b.name && a.ns === b.ns && a.iam === b.iam && a.email === b.email && a.role === b.role && a.tags === b.tags && (a.groups ?? 0) === (b.groups ?? 0);
}

/** The same QuickSight identity (a difference is a replacement, or a refused same-name type change). */
export function sameIdentity(a: Decl, b: Decl): boolean {
  return a.name === b.name && a.ns === b.ns && a.iam === b.iam;
}

export function describeDecl(d: Decl): string {
  const parts = [`S${d.slot}=${d.iam ? 'iam:' : ''}${addrOf(d)}`];
  if (d.email) parts.push('alt-email');
  if (d.role) parts.push(ROLES[d.role]);
  if (d.tags) parts.push(`tags${d.tags}`);
  if (d.groups) parts.push(`in ${groupNamesOf(d.groups).join('+')}`);
  if (d.retain) parts.push('RETAIN');
  return parts.join(' ');
}

export function describeRevision(revision: Revision): string {
  return revision.length === 0 ? '(none)' : `[${revision.map(describeDecl).join(', ')}]`;
}

/** Declares a revision's users on a stack with the real construct. */
export function declare(stack: Stack, revision: Revision): void {
  const imported = new Map<string, IQuickSightGroup>();
  const groupOf = (ns: number, name: string) => {
    const key = `${ns}/${name}`;
    if (!imported.has(key)) imported.set(key, QuickSightGroup.fromGroupName(stack, `G${ns}${name}`, name, { namespace: NAMESPACES[ns] }));
    return imported.get(key)!;
  };
  for (const d of revision) {
    const name = NAMES[d.name];
    const tags = TAG_SETS[d.tags];
    new QuickSightUser(stack, `S${d.slot}`, {
      identityType: d.iam ? IdentityType.IAM : IdentityType.QUICKSIGHT,
      userName: d.iam ? undefined : name,
      iamArn: d.iam ? iamArnOf(name) : undefined,
      namespace: d.ns === 0 ? undefined : NAMESPACES[d.ns],
      email: emailOf(d),
      role: ROLES[d.role],
      tags: Object.keys(tags).length > 0 ? { ...tags } : undefined,
      removalPolicy: d.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      stackOutputs: false,
      groups: d.groups ? groupNamesOf(d.groups).map((g) => groupOf(d.ns, g)) : undefined,
    });
  }
}

const templates = new Map<string, Template>();
export const synthStats = { synthesized: 0, cached: 0, ms: 0 };

/** The template of a stack declaring `revision`, synthesized from the real construct (once per revision). */
export function templateOf(stackName: StackKey, revision: Revision): Template {
  const key = `${stackName}|${JSON.stringify(revision)}`;
  let template = templates.get(key);
  if (template) {
    synthStats.cached += 1;
  } else {
    const started = performance.now();
    template = synth((stack) => declare(stack, revision), { stackName });
    synthStats.ms += performance.now() - started;
    synthStats.synthesized += 1;
    templates.set(key, template);
  }
  return structuredClone(template);
}

export function sortRevision(revision: Revision): Revision {
  return [...revision].sort((a, b) => a.slot - b.slot);
}
