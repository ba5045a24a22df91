// Sharding: a file of 2,000 users synthesizes into stacks that each stay within CloudFormation's
// limits (counted in the synthesized templates), each with its own provider, and cfn-lint passes
// on them; a user's stack depends on its own identity only, so adding or removing a user in the
// middle of the file moves no other user.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { generateUsersYaml } from '../bench/synth-scale';
import {
  assignStacks, AUTO_FILL, brokenLimits, FIXED_STACK_COST, GROUP_GRANT_BYTES, GROUP_SCOPE_BYTES, ShardingError, STACK_LIMITS, stackIndexOf, templateCost, type StackCost,
} from '../gitops/sharding';
import { checkStackLimits, QuickSightUsersStack } from '../gitops/users-app';
import { parseUsersFile, type UsersFile } from '../gitops/users-file';

const run = promisify(execFile);

/** An App as `cdk synth` makes it: path metadata and CDKMetadata count in the template's size. */
function cliApp(): App {
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'qs-shards-')), context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true } });
}

function synth(file: UsersFile) {
  const app = cliApp();
  const { stacks, groupsStack, sharding } = QuickSightUsersStack.fromUsersFile(app, file);
  const assembly = app.synth();
  const templates = [...stacks, ...(groupsStack ? [groupsStack] : [])].map((stack) => {
    const text = fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8');
    return { name: stack.stackName, file: path.join(assembly.directory, stack.templateFile), text, json: JSON.parse(text) as Template, cost: templateCost(text) };
  });
  return { assembly, sharding, templates };
}

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

function lint(files: string[]): Promise<{ status: number; output: string }> {
  return run('cfn-lint', ['--ignore-checks', 'W3005', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ status: 0, output: `${stdout}${stderr}` }),
    (error: { code?: number | string; stdout?: string; stderr?: string }) => {
      if (error.code === 'ENOENT') throw new Error('cfn-lint is not installed: pip install cfn-lint');
      return { status: Number(error.code ?? -1), output: `${error.stdout ?? ''}${error.stderr ?? ''}` };
    },
  );
}

const userResources = (template: Template) => Object.entries(template.Resources).filter(([, r]) => r.Type === 'Custom::QuickSightUser');

/** The file with `lines` inserted before the user at `index`. */
function insertUser(yaml: string, index: number, lines: string[]): string {
  const all = yaml.split('\n');
  const starts = all.flatMap((line, i) => (line.startsWith('  - ') ? [i] : []));
  all.splice(starts[index], 0, ...lines);
  return all.join('\n');
}

/** The file without the user at `index`. */
function removeUser(yaml: string, index: number): { yaml: string; removed: string } {
  const all = yaml.split('\n');
  const starts = all.flatMap((line, i) => (line.startsWith('  - ') ? [i] : []));
  const removed = all.splice(starts[index], starts[index + 1] - starts[index]);
  return { yaml: all.join('\n'), removed: removed.join('\n') };
}

function stackOfEachUser(file: UsersFile): Map<string, string> {
  return new Map(assignStacks(file).stacks.flatMap((s) => s.users.map((u) => [u.key, s.name] as const)));
}

// ---- 2,000 users: synthesized once for the whole file ----

describe('2,000 users', () => {
  const yaml = generateUsersYaml(2000);
  let result: ReturnType<typeof synth>;
  beforeAll(() => {
    result = synth(parseUsersFile(yaml, 'users.yaml'));
  }, 120_000);

  test('as many stacks as the limits need, half full on average, every user in exactly one', () => {
    const { sharding, templates } = result;
    expect(sharding.pinned).toBe(false);
    // 1 resource per user; 491 fit beside the fixed 9; the auto rule fills half: 2,000 / 245.5.
    expect(sharding.stackCount).toBe(Math.ceil(2000 / ((STACK_LIMITS.resources - FIXED_STACK_COST.resources) * AUTO_FILL)));
    expect(templates.map((t) => t.name)).toEqual(['QuickSightUsers', ...Array.from({ length: sharding.stackCount - 1 }, (_, i) => `QuickSightUsers-${i + 1}`)]);
    const names = templates.flatMap((t) => userResources(t.json).map(([, r]) => `${r.Properties!.Namespace}/${r.Properties!.UserName ?? r.Properties!.IamArn}/${r.Properties!.SessionName ?? ''}`));
    expect(names).toHaveLength(2000);
    expect(new Set(names).size).toBe(2000);
  });

  test('every synthesized stack is within 500 resources, 200 outputs and 1 MB, and within its estimate', () => {
    for (const t of result.templates) {
      expect({ stack: t.name, broken: brokenLimits(t.cost) }).toEqual({ stack: t.name, broken: [] });
      expect(t.cost.resources).toBeLessThanOrEqual(STACK_LIMITS.resources);
      expect(t.cost.outputs).toBeLessThanOrEqual(STACK_LIMITS.outputs);
      expect(t.cost.templateBytes).toBeLessThanOrEqual(STACK_LIMITS.templateBytes);
      // The estimate the users were assigned with is an upper bound of what synthesized.
      const estimate = result.sharding.stacks.find((s) => s.name === t.name)!.cost;
      for (const limit of ['resources', 'outputs', 'templateBytes'] as const) expect(t.cost[limit]).toBeLessThanOrEqual(estimate[limit]);
    }
    expect(checkStackLimits(result.assembly)).toEqual([]);
  });

  test('each stack has its own provider, and its users use it', () => {
    for (const t of result.templates) {
      const functions = Object.entries(t.json.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id);
      expect(functions).toEqual([expect.stringMatching(/^QuickSightUserProviderHandler/), expect.stringMatching(/^QuickSightUserProviderframeworkonEvent/)]);
      for (const [, user] of userResources(t.json)) expect(user.Properties!.ServiceToken).toEqual({ 'Fn::GetAtt': [functions[1], 'Arn'] });
    }
  });

  test('the stacks deploy from the last to the first (a user moving to a new stack is adopted before it is let go)', () => {
    const dependencies = (assembly: CloudAssembly, name: string) => assembly.getStackByName(name).dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'));
    const names = result.templates.map((t) => t.name);
    names.forEach((name, i) => expect(dependencies(result.assembly, name)).toEqual(i + 1 < names.length ? [names[i + 1]] : []));
  });

  test('cfn-lint passes on the largest and the smallest stack, in full', async () => {
    const bySize = [...result.templates].sort((a, b) => a.cost.templateBytes - b.cost.templateBytes);
    const sample = [bySize[bySize.length - 1], bySize[0]];
    // One process per template, side by side: each takes seconds on a template of 200 users.
    const results = await Promise.all(sample.map((t) => lint([t.file])));
    expect(results).toEqual(sample.map(() => ({ status: 0, output: '' })));
  }, 120_000);

  test('adding a user in the middle moves no other user', () => {
    const before = stackOfEachUser(parseUsersFile(yaml, 'users.yaml'));
    const after = stackOfEachUser(parseUsersFile(insertUser(yaml, 1000, ['  - userName: newcomer', '    identityType: QUICKSIGHT', '    email: newcomer@example.com']), 'users.yaml'));
    expect(after.size).toBe(before.size + 1);
    const moved = [...before].filter(([key, stack]) => after.get(key) !== stack);
    expect(moved).toEqual([]);
  });

  test('removing a user from the middle moves no other user', () => {
    const { yaml: smaller, removed } = removeUser(yaml, 1000);
    expect(removed).toContain('user01000');
    const before = stackOfEachUser(parseUsersFile(yaml, 'users.yaml'));
    const after = stackOfEachUser(parseUsersFile(smaller, 'users.yaml'));
    expect(after.size).toBe(before.size - 1);
    expect([...after].filter(([key, stack]) => before.get(key) !== stack)).toEqual([]);
  });
});

// ---- the rule ----

describe('the assignment rule', () => {
  const keys = Array.from({ length: 3000 }, (_, i) => `123456789012|us-east-1|default|user${i}`);

  test('a user\'s stack depends on its key and the number of stacks only, and spreads evenly', () => {
    expect(keys.map((k) => stackIndexOf(k, 8))).toEqual(keys.map((k) => stackIndexOf(k, 8)));
    const counts = new Array(8).fill(0);
    for (const key of keys) counts[stackIndexOf(key, 8)] += 1;
    // 375 on average; rendezvous hashing on sha256 stays well within ±20%.
    for (const count of counts) expect(Math.abs(count - 375)).toBeLessThan(75);
  });

  test('one more stack takes users only into the new stack; one fewer moves only the removed stack\'s users', () => {
    for (const n of [1, 2, 5, 8, 13]) {
      const before = keys.map((k) => stackIndexOf(k, n));
      const grown = keys.map((k) => stackIndexOf(k, n + 1));
      const moved = keys.filter((_, i) => grown[i] !== before[i]);
      expect(moved.length).toBeGreaterThan(0);
      expect(keys.every((_, i) => grown[i] === before[i] || grown[i] === n)).toBe(true);
      // About 1/(n+1) of the users move: the fewest any rule could move.
      expect(Math.abs(moved.length / keys.length - 1 / (n + 1))).toBeLessThan(0.05);
      // And back: only the users of the removed stack move.
      expect(keys.every((_, i) => grown[i] === n || before[i] === grown[i])).toBe(true);
    }
  });

  test('a pinned number of stacks is kept; too few is an error that names the stack, the limit and the fix', () => {
    const file = parseUsersFile(generateUsersYaml(600, { stacks: 3 }), 'users.yaml');
    expect(assignStacks(file)).toMatchObject({ stackCount: 3, pinned: true });
    const tooFew = parseUsersFile(generateUsersYaml(600, { stacks: 1 }), 'users.yaml');
    expect(() => assignStacks(tooFew)).toThrow(ShardingError);
    expect(() => assignStacks(tooFew)).toThrow(/^users\.yaml: stacks: 1 is too few for these users: QuickSightUsers would exceed 609 resources \(limit 500\)\. Set stacks: 3 /);
  });

  test('outputs count: QUICKSIGHT users with outputs take two each, so more stacks', () => {
    const without = assignStacks(parseUsersFile(generateUsersYaml(500), 'users.yaml'));
    const withOutputs = assignStacks(parseUsersFile(generateUsersYaml(500, { stackOutputs: true }), 'users.yaml'));
    expect(without.stackCount).toBe(3);
    // 375 QUICKSIGHT users x 2 + 125 IAM users x 1 = 875 outputs.
    expect(withOutputs.stackCount).toBe(Math.ceil(875 / (STACK_LIMITS.outputs * AUTO_FILL)));
  });
});

// ---- the estimates against synthesized templates ----

describe('the cost model is an upper bound of what synthesizes', () => {
  test('the fixed part: 9 resources and at most the fixed bytes, whatever the stack', () => {
    const { templates } = synth(parseUsersFile(generateUsersYaml(1), 'users.yaml'));
    const cost = templates[0].cost;
    expect(cost.resources).toBe(FIXED_STACK_COST.resources + 1);
    expect(cost.templateBytes).toBeLessThan(FIXED_STACK_COST.templateBytes + 1000);
    expect(cost.templateBytes).toBeGreaterThan(FIXED_STACK_COST.templateBytes * 0.7);
  });

  test('users at their largest (256-character names, 48 tags at their longest, outputs), across stacks: within limits, cfn-lint clean, as is a file with no users', async () => {
    const tags = Array.from({ length: 48 }, (_, i) => `      ${`k${i}`.padEnd(128, 'x')}: '${'v'.repeat(256)}'`);
    const large = (i: number) => [`  - userName: '${`${i}`.padStart(256, 'é')}'`, '    identityType: QUICKSIGHT', `    email: big${i}@example.com`, '    stackOutputs: true', '    tags:', ...tags];
    const yaml = `defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}\nusers:\n${Array.from({ length: 60 }, (_, i) => large(i).join('\n')).join('\n')}\n`;
    const file = parseUsersFile(yaml, 'users.yaml');
    const { sharding, templates } = synth(file);
    // About 25 KB each, so bytes bind: 40 of them fill 1 MB.
    expect(sharding.stackCount).toBeGreaterThan(1);
    for (const t of templates) {
      const estimate: StackCost = sharding.stacks.find((s) => s.name === t.name)!.cost;
      expect(brokenLimits(t.cost)).toEqual([]);
      expect(t.cost.templateBytes).toBeLessThanOrEqual(estimate.templateBytes);
      expect(t.cost.outputs).toBe(estimate.outputs);
    }
    const smallest = [...templates].sort((a, b) => a.cost.templateBytes - b.cost.templateBytes)[0];
    // And a file whose users have all gone: its stack holds only the placeholder.
    const [empty] = synth(parseUsersFile('users: []\n', 'users.yaml')).templates;
    expect(Object.values(empty.json.Resources).map((r) => r.Type)).toEqual(['AWS::CloudFormation::WaitConditionHandle', 'AWS::CDK::Metadata']);
    expect(await lint([smallest.file, empty.file])).toEqual({ status: 0, output: '' });
  }, 60_000);

  test('a template over a limit is caught after synth', () => {
    const template = JSON.stringify({ Resources: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`R${i}`, { Type: 'AWS::CloudFormation::WaitConditionHandle' }])) });
    expect(brokenLimits(templateCost(template))).toEqual(['resources']);
  });

  test('adding a user in the middle of a pinned file changes no other user\'s resource in any template', () => {
    const yaml = generateUsersYaml(300, { stacks: 3 });
    const before = synth(parseUsersFile(yaml, 'users.yaml')).templates;
    const after = synth(parseUsersFile(insertUser(yaml, 150, ['  - {userName: newcomer, identityType: QUICKSIGHT, email: newcomer@example.com}']), 'users.yaml')).templates;
    const changedStacks = before.filter((t, i) => t.text !== after[i].text).map((t) => t.name);
    expect(changedStacks).toHaveLength(1);
    for (const [i, t] of before.entries()) {
      for (const [id, resource] of userResources(t.json)) expect(after[i].json.Resources[id]).toEqual(resource);
    }
    expect(userResources(after.find((t) => t.name === changedStacks[0])!.json).map(([id]) => id)).toContainEqual(expect.stringMatching(/^newcomerdefault/));
  });
});

// ---- groups ----

/** The file with two managed groups (in both namespaces the generator uses) that every user joins, and one group managed elsewhere. */
function withGroups(yaml: string, groups = ['analysts', 'finance']): string {
  const declared = ['default', 'finance'].flatMap((namespace) => groups.map((g) => `  - {groupName: ${g}, namespace: ${namespace}, description: 'The ${g} of ${namespace}'}`));
  return yaml
    .replace('  role: READER\n', `  role: READER\n  groups: [${groups.join(', ')}]\n`)
    .replace('\nusers:\n', `\ngroups:\n${declared.join('\n')}\n  - {groupName: admins, managed: false}\nusers:\n`);
}

describe('groups', () => {
  test('adding groups and memberships moves no user: the same stacks, each user in the same one', () => {
    for (const [count, stacks] of [[2000, undefined], [600, undefined], [300, 3]] as const) {
      const yaml = generateUsersYaml(count, { stacks });
      const without = assignStacks(parseUsersFile(yaml, 'users.yaml'));
      const grouped = parseUsersFile(withGroups(yaml, Array.from({ length: 12 }, (_, i) => `a-rather-long-group-name-${i}`)), 'users.yaml');
      expect(grouped.users.every((u) => u.groups.length === 12)).toBe(true);
      const withGroupsSharding = assignStacks(grouped);
      expect(withGroupsSharding.stackCount).toBe(without.stackCount);
      expect(stackOfEachUser(grouped)).toEqual(stackOfEachUser(parseUsersFile(yaml, 'users.yaml')));
      expect(withGroupsSharding.groupsStack).toMatchObject({ name: 'QuickSightUsers-groups', groups: expect.any(Array) });
      expect(withGroupsSharding.groupsStack!.groups).toHaveLength(24);
    }
  });

  test('the synthesized user stacks keep their names and their users\' logical ids; the groups stack holds the managed groups, and each user stack with members depends on it', () => {
    const yaml = generateUsersYaml(600);
    const plain = synth(parseUsersFile(yaml, 'users.yaml'));
    const grouped = synth(parseUsersFile(withGroups(yaml), 'users.yaml'));
    const userIds = (templates: typeof plain.templates) => Object.fromEntries(templates.filter((t) => !t.name.endsWith('-groups')).map((t) => [t.name, userResources(t.json).map(([id]) => id)]));
    expect(userIds(grouped.templates)).toEqual(userIds(plain.templates));
    expect(Object.keys(userIds(plain.templates))).toHaveLength(plain.sharding.stackCount);

    const groupsTemplate = grouped.templates.find((t) => t.name === 'QuickSightUsers-groups')!;
    const groupResources = Object.values(groupsTemplate.json.Resources).filter((r) => r.Type === 'Custom::QuickSightGroup');
    expect(groupResources.map((r) => `${r.Properties!.Namespace}/${r.Properties!.GroupName}`).sort()).toEqual(['default/analysts', 'default/finance', 'finance/analysts', 'finance/finance']);
    // No stack holds the group managed elsewhere; no user stack declares a group.
    for (const t of grouped.templates) expect(Object.values(t.json.Resources).filter((r) => r.Type === 'Custom::QuickSightGroup').length).toBe(t === groupsTemplate ? 4 : 0);
    for (const t of grouped.templates.filter((x) => x !== groupsTemplate)) {
      for (const [, user] of userResources(t.json)) expect(user.Properties!.Groups).toEqual(['analysts', 'finance']);
    }

    const dependencies = (assembly: CloudAssembly, name: string) => assembly.getStackByName(name).dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets')).sort();
    const names = plain.templates.map((t) => t.name);
    names.forEach((name, i) => expect(dependencies(grouped.assembly, name)).toEqual([...(i + 1 < names.length ? [names[i + 1]] : []), 'QuickSightUsers-groups'].sort()));
    expect(dependencies(grouped.assembly, 'QuickSightUsers-groups')).toEqual([]);
    expect(checkStackLimits(grouped.assembly)).toEqual([]);
  }, 120_000);

  test('only the user stacks with a member of a managed group depend on the groups stack; a group managed elsewhere is imported where it is used', () => {
    const file = parseUsersFile(`stacks: 2
defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}
groups:
  - {groupName: analysts}
  - {groupName: admins, managed: false}
users:
${Array.from({ length: 40 }, (_, i) => `  - {userName: u${i}, identityType: QUICKSIGHT, email: u${i}@example.com, groups: [${i === 0 ? 'analysts' : 'admins'}]}`).join('\n')}
`, 'users.yaml');
    const { assembly, sharding, templates } = synth(file);
    const home = sharding.stacks.find((s) => s.users.some((u) => u.userName === 'u0'))!.name;
    for (const t of templates.filter((x) => !x.name.endsWith('-groups'))) {
      const deps = assembly.getStackByName(t.name).dependencies.map((d) => d.id);
      expect({ stack: t.name, groups: deps.includes('QuickSightUsers-groups') }).toEqual({ stack: t.name, groups: t.name === home });
      // An import is no resource: the users name it in their Groups.
      expect(userResources(t.json).filter(([, r]) => (r.Properties!.Groups as string[]).includes('admins')).length).toBeGreaterThan(0);
    }
  });

  test('no managed group, no groups stack', () => {
    const file = parseUsersFile(`defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}
groups: [{groupName: admins, managed: false}]
users: [{userName: u, identityType: QUICKSIGHT, email: u@example.com, groups: [admins]}]
`, 'users.yaml');
    expect(assignStacks(file).groupsStack).toBeUndefined();
    expect(synth(file).templates.map((t) => t.name)).toEqual(['QuickSightUsers']);
  });

  test('the estimates stay upper bounds with groups and memberships (the handler\'s group grants, the Groups lists, the groups stack), cfn-lint clean', async () => {
    const yaml = withGroups(generateUsersYaml(300, { stacks: 2 }), Array.from({ length: 20 }, (_, i) => `group-${i}-${'x'.repeat(100)}`));
    const { sharding, templates } = synth(parseUsersFile(yaml, 'users.yaml'));
    for (const t of templates) {
      const estimate = t.name === sharding.groupsStack!.name ? sharding.groupsStack!.cost : sharding.stacks.find((s) => s.name === t.name)!.cost;
      expect({ stack: t.name, resources: t.cost.resources }).toEqual({ stack: t.name, resources: estimate.resources });
      expect(t.cost.templateBytes).toBeLessThanOrEqual(estimate.templateBytes);
    }
    const groupsTemplate = templates.find((t) => t.name === 'QuickSightUsers-groups')!;
    expect(await lint([groupsTemplate.file, templates[0].file])).toEqual({ status: 0, output: '' });
  }, 60_000);

  test('the fixed part of a stack with groups: the handler\'s group grants within GROUP_GRANT_BYTES', () => {
    const one = (groups: string) => `defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}\n${groups}users: [{userName: u, identityType: QUICKSIGHT, email: u@example.com${groups ? ', groups: [admins]' : ''}}]\n`;
    const [plain] = synth(parseUsersFile(one(''), 'users.yaml')).templates;
    const [member] = synth(parseUsersFile(one('groups: [{groupName: admins, managed: false}]\n'), 'users.yaml')).templates;
    const grown = member.cost.templateBytes - plain.cost.templateBytes;
    expect(grown).toBeGreaterThan(0);
    expect(grown).toBeLessThanOrEqual(GROUP_GRANT_BYTES);
    // Each further account and identity region: within GROUP_SCOPE_BYTES more.
    const two = (groups: string) => `${one(groups).replace(/\}\]\n$/, '')}}, {userName: v, identityType: QUICKSIGHT, email: v@example.com, awsAccountId: '210987654321', identityRegion: eu-west-1${groups ? ', groups: [admins]' : ''}}]\n`;
    const twoGroups = 'groups: [{groupName: admins, managed: false}, {groupName: admins, managed: false, awsAccountId: \'210987654321\', identityRegion: eu-west-1}]\n';
    const [plainTwo] = synth(parseUsersFile(two(''), 'users.yaml')).templates;
    const [memberTwo] = synth(parseUsersFile(two(twoGroups), 'users.yaml')).templates;
    expect(memberTwo.cost.templateBytes - plainTwo.cost.templateBytes).toBeLessThanOrEqual(GROUP_GRANT_BYTES + GROUP_SCOPE_BYTES);
  });

  test('more managed groups than one stack holds: an error that says so', () => {
    const groups = Array.from({ length: 500 }, (_, i) => `  - {groupName: g${i}}`).join('\n');
    const file = parseUsersFile(`defaults: {awsAccountId: '123456789012', identityRegion: us-east-1}\ngroups:\n${groups}\nusers: []\n`, 'users.yaml');
    expect(() => assignStacks(file)).toThrow(new ShardingError('users.yaml: the 500 managed groups do not fit one stack: QuickSightUsers-groups would exceed 509 resources (limit 500). A file\'s managed groups go in one stack: declare fewer groups in this file (or split it), or mark the groups another app manages `managed: false`.'));
  });
});
