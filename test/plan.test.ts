// `quicksight-users plan` (in-process) between two git revisions of a users file (a real
// repository, made for the test): each kind of change, the three formats, and the exit codes a CI
// job gates on.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, run } from '../gitops/cli/program';
import { ChangeKind, GroupChangeKind, type Plan } from '../gitops/plan';

const BASE = `defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
  role: READER
users:
  - userName: alice
    identityType: QUICKSIGHT
    email: alice@corp.test
    role: AUTHOR
    tags:
      team: finance
  - userName: bob
    identityType: QUICKSIGHT
    email: bob@corp.test
  - userName: carol
    identityType: QUICKSIGHT
    email: carol@corp.test
  - userName: dave
    identityType: QUICKSIGHT
    email: dave@corp.test
  - identityType: IAM
    iamArn: arn:aws:iam::123456789012:user/erin
    email: erin@corp.test
  - userName: frank
    identityType: QUICKSIGHT
    email: frank@corp.test
    removalPolicy: retain
  - userName: hank
    identityType: QUICKSIGHT
    email: hank@corp.test
`;

/** One of each kind of change. */
const HEAD = BASE
  // update in place: role, email, tags, a template-only option
  .replace(/email: alice@corp.test\n    role: AUTHOR\n    tags:\n      team: finance/, 'email: alice.new@corp.test\n    role: ADMIN\n    adoptExistingUser: false\n    tags:\n      team: sales\n      cost-center: "42"')
  // removed (deleted from QuickSight)
  .replace(/  - userName: bob\n    identityType: QUICKSIGHT\n    email: bob@corp.test\n/, '')
  // replaced under a new name (the same email): a new user, the old one deleted
  .replace('userName: carol', 'userName: carol.smith')
  // refused: same name, another identity type
  .replace(/  - userName: dave\n    identityType: QUICKSIGHT/, '  - iamArn: arn:aws:iam::123456789012:user/dave\n    identityType: IAM')
  // removed, but kept in QuickSight (removalPolicy: retain)
  .replace(/  - userName: frank\n(    .*\n){3}/, '')
  // added
  .concat('  - userName: ivy\n    identityType: QUICKSIGHT\n    email: ivy@corp.test\n');

let repo: string;
const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=plan test', '-c', 'user.email=plan@test.invalid', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' });

/** Commits the users file as `content` and returns the commit. */
function commit(content: string, file = 'users.yaml'): string {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  fs.writeFileSync(path.join(repo, file), content);
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'change users');
  return git('rev-parse', 'HEAD').trim();
}

/** `quicksight-users plan …`, in-process. */
async function plan(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['plan', ...argv], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd: repo });
  return { code, stdout, stderr };
}

async function jsonPlan(...argv: string[]): Promise<Plan> {
  const result = await plan(...argv, '--format', 'json');
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Plan;
}

let base: string;
let head: string;
beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-plan-repo-'));
  execFileSync('git', ['init', '-q', repo]);
  base = commit(BASE);
  head = commit(HEAD);
});
afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

describe('each kind of change between two revisions', () => {
  let result: Plan;
  beforeAll(async () => {
    result = await jsonPlan('--file', 'users.yaml', '--base', base, '--head', head);
  });
  const change = (userName: string) => result.changes.find((c) => c.userName === userName)!;

  test('updated in place: field: old → new, the email redacted, tags by key, template-only options', async () => {
    expect(change('alice')).toMatchObject({
      kind: ChangeKind.UPDATE,
      destructive: false,
      fields: [
        { field: 'email', redacted: true },
        { field: 'role', before: 'AUTHOR', after: 'ADMIN' },
        { field: 'tags.cost-center', after: '42' },
        { field: 'tags.team', before: 'finance', after: 'sales' },
        { field: 'adoptExistingUser', before: 'true', after: 'false' },
      ],
    });
    expect(change('alice').fields[0]).toEqual({ field: 'email', redacted: true });
  });

  test('removed: destructive, unless the user stays in QuickSight', async () => {
    expect(change('bob')).toMatchObject({ kind: ChangeKind.REMOVE, destructive: true, reason: expect.stringContaining('deleted from QuickSight'), stackBefore: 'QuickSightUsers' });
    expect(change('frank')).toMatchObject({ kind: ChangeKind.REMOVE, destructive: false, reason: 'the user is kept in QuickSight (removalPolicy: retain)' });
    // (An IAM Identity Center user leaving the file is kept too: see 'an account of IAM Identity Center users' below.)
  });

  test('replaced under a new identity (matched by email): destructive, with the reason', async () => {
    expect(change('carol.smith')).toMatchObject({
      kind: ChangeKind.REPLACE,
      previousUserName: 'carol',
      destructive: true,
      fields: [{ field: 'userName', before: 'carol', after: 'carol.smith' }],
      reason: expect.stringMatching(/^userName changes: a new user is registered and the old one deleted \(its dashboards/),
    });
    expect(change('carol')).toBeUndefined();
  });

  test('same name, another identity type: refused (the deployment would fail and roll back), with the two-deployment way', async () => {
    expect(change('dave')).toMatchObject({
      kind: ChangeKind.REFUSED,
      destructive: false,
      fields: [{ field: 'identityType', before: 'QUICKSIGHT', after: 'IAM' }, { field: 'iamArn', after: 'arn:aws:iam::123456789012:user/dave' }, { field: 'userName', before: 'dave' }],
      reason: expect.stringMatching(/^identityType changes keeping the user name: .*the deployment fails and rolls back, the user untouched\. To change it: remove the user \(with removalPolicy: destroy\) in one deployment, .*then declare it again with identityType IAM$/),
    });
  });

  test('added, and the users left alone', async () => {
    expect(change('ivy')).toMatchObject({ kind: ChangeKind.ADD, destructive: false, identityType: 'QUICKSIGHT', role: 'READER', stackAfter: 'QuickSightUsers' });
    expect(change('erin')).toBeUndefined();
    expect(change('hank')).toBeUndefined();
    expect(result.summary).toEqual({ add: 1, replace: 1, remove: 2, update: 1, move: 0, refused: 1, destructive: 2, unchanged: 2 });
    // Refused and destructive first, then the rest; each kind by name.
    expect(result.changes.map((c) => `${c.kind} ${c.userName}`)).toEqual([
      'refused dave', 'replace carol.smith', 'remove bob', 'remove frank', 'update alice', 'add ivy',
    ]);
  });

  test('no email appears in any format', async () => {
    for (const format of ['table', 'markdown', 'json']) {
      const { stdout } = await plan('--file', 'users.yaml', '--base', base, '--head', head, '--format', format);
      expect(stdout).not.toMatch(/@corp\.test/);
    }
  });
});

describe('formats', () => {
  test('table: one line per change, destructive ones marked, a summary', async () => {
    const { code, stdout } = await plan('--file', 'users.yaml', '--base', base, '--head', head);
    expect(code).toBe(EXIT.OK);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`Plan: users.yaml@${base} → users.yaml@${head}`);
    expect(lines[2]).toMatch(/^change +user +namespace +stack +details$/);
    expect(lines[3]).toMatch(/^x refused +dave +default +QuickSightUsers +identityType: QUICKSIGHT → IAM; iamArn: \(none\) → arn:aws:iam::123456789012:user\/dave; userName: dave → \(none\); identityType changes keeping the user name: /);
    expect(lines[4]).toMatch(/^! replace \(DESTRUCTIVE\) +carol\.smith +default +QuickSightUsers +was carol; userName: carol → carol\.smith; userName changes: /);
    expect(stdout).toMatch(/^~ update +alice +default +QuickSightUsers +email: changed; role: AUTHOR → ADMIN; tags\.cost-center: \(none\) → 42; tags\.team: finance → sales; adoptExistingUser: true → false$/m);
    expect(stdout).toMatch(/^\+ add +ivy +default +QuickSightUsers +QUICKSIGHT, READER$/m);
    expect(stdout).toContain('6 changes: 1 to add, 1 to update in place, 1 to replace, 2 to remove, 1 refused (the deployment would fail); 2 destructive; 2 unchanged.');
  });

  test('markdown: a pull-request comment with a warning and a table', async () => {
    const { stdout } = await plan('--file', 'users.yaml', '--base', base, '--head', head, '--format', 'markdown');
    expect(stdout).toContain('### QuickSight users plan');
    expect(stdout).toContain('> [!WARNING]\n> **2 destructive changes**');
    expect(stdout).toContain('| | change | user | namespace | stack | details |\n|---|---|---|---|---|---|');
    expect(stdout).toContain('| ⛔ | refused | `dave` | default | QuickSightUsers | identityType: `QUICKSIGHT` → `IAM`;');
    expect(stdout).toContain('| + | add | `ivy` | default | QuickSightUsers | QUICKSIGHT, READER |');
  });

  test('markdown escapes what would break the table', async () => {
    const a = path.join(repo, 'pipe-a.yaml');
    const b = path.join(repo, 'pipe-b.yaml');
    fs.writeFileSync(a, `${BASE.split('users:')[0]}users: []\n`);
    fs.writeFileSync(b, `${BASE.split('users:')[0]}users:\n  - {userName: 'a|b', identityType: QUICKSIGHT, email: x@corp.test}\n`);
    expect((await plan(a, b, '--format', 'markdown')).stdout).toContain('| + | add | `a\\|b` |');
  });
});

describe('exit codes', () => {
  test('0: the plan was made, whatever it says (without a gate)', async () => {
    expect((await plan('--file', 'users.yaml', '--base', base, '--head', head)).code).toBe(EXIT.OK);
  });

  test('3 with --fail-on-destructive when something would be deleted or replaced; 0 when nothing is', async () => {
    const gated = await plan('--file', 'users.yaml', '--base', base, '--head', head, '--fail-on-destructive');
    expect(gated.code).toBe(EXIT.DESTRUCTIVE);
    expect(gated.stderr).toBe('2 destructive changes (--fail-on-destructive)\n');
    const gentle = commit(BASE.replace('role: AUTHOR', 'role: ADMIN').concat('  - {userName: ivy, identityType: QUICKSIGHT, email: ivy@corp.test}\n'));
    const ok = await plan('--file', 'users.yaml', '--base', base, '--head', gentle, '--fail-on-destructive');
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.stdout).toContain('2 changes: 1 to add, 1 to update in place; 0 destructive; 6 unchanged.');
  });

  test('2 with --detailed-exitcode when there are changes, 0 when there are none; 3 wins over 2', async () => {
    expect((await plan('--file', 'users.yaml', '--base', base, '--head', head, '--detailed-exitcode')).code).toBe(EXIT.CHANGES);
    expect((await plan('--file', 'users.yaml', '--base', base, '--head', head, '--detailed-exitcode', '--fail-on-destructive')).code).toBe(EXIT.DESTRUCTIVE);
    const same = await plan('--file', 'users.yaml', '--base', base, '--head', base, '--detailed-exitcode', '--fail-on-destructive');
    expect(same).toMatchObject({ code: EXIT.OK, stderr: '' });
    expect(same.stdout).toContain('No changes: 7 users as declared.');
  });

  test('1 when the file is invalid at a revision, with the revision, line and rule', async () => {
    const broken = commit(HEAD.replace('email: ivy@corp.test', 'email: ivy'));
    const result = await plan('--file', 'users.yaml', '--base', base, '--head', broken, '--fail-on-destructive');
    expect(result.code).toBe(EXIT.ERROR);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^users\\.yaml@${broken} has 1 error:\\nusers\\.yaml@${broken}:\\d+:\\d+: user 'ivy': email 'ivy' must be an email address`));
  });

  test('1 for a revision that does not exist, and for a bad option', async () => {
    expect(await plan('--file', 'users.yaml', '--base', 'no-such-branch')).toMatchObject({ code: EXIT.ERROR, stderr: expect.stringMatching(/^plan failed: git show no-such-branch:\.\/users\.yaml failed: /) });
    expect(await plan('--format', 'yaml')).toEqual({ code: EXIT.ERROR, stdout: '', stderr: "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are table, markdown, json.\n(quicksight-users plan --help for usage)\n" });
    expect(await plan('one.yaml')).toEqual({ code: EXIT.ERROR, stdout: '', stderr: 'give two files (OLD NEW) or none (got 1)\n' });
    expect(await plan('--help')).toMatchObject({ code: EXIT.OK, stdout: expect.stringMatching(/^Usage: quicksight-users plan \[options\] \[files\.\.\.\]\n/), stderr: '' });
  });
});

describe('sources', () => {
  test('the working tree against a revision (the default head), from a subdirectory path', async () => {
    commit(BASE, 'teams/bi/users.yaml');
    fs.writeFileSync(path.join(repo, 'teams/bi/users.yaml'), BASE.replace('role: AUTHOR', 'role: ADMIN'));
    const result = await jsonPlan('--file', 'teams/bi/users.yaml');
    expect(result.changes.map((c) => `${c.kind} ${c.userName}`)).toEqual(['update alice']);
    expect((await plan('--file', 'teams/bi/users.yaml')).stdout.split('\n')[0]).toBe('Plan: teams/bi/users.yaml@HEAD → teams/bi/users.yaml (working tree)');
  });

  test('a file that does not exist at the base revision: every user is added', async () => {
    const first = git('rev-list', '--max-parents=0', 'HEAD').trim();
    commit(BASE, 'new/users.yaml');
    const result = await jsonPlan('--file', 'new/users.yaml', '--base', first, '--head', 'HEAD');
    expect(result.summary).toMatchObject({ add: 7, destructive: 0 });
  });

  test('two files', async () => {
    const a = path.join(repo, 'a.yaml');
    const b = path.join(repo, 'b.yaml');
    fs.writeFileSync(a, BASE);
    fs.writeFileSync(b, HEAD);
    expect((await jsonPlan(a, b)).summary).toEqual({ add: 1, replace: 1, remove: 2, update: 1, move: 0, refused: 1, destructive: 2, unchanged: 2 });
    expect((await plan('a.yaml', 'b.yaml')).stdout.split('\n')[0]).toBe('Plan: a.yaml → b.yaml');
  });

  test('an account of IAM Identity Center users: a user leaving the file is kept (the API cannot delete it)', async () => {
    const sso = `defaults:\n  awsAccountId: '123456789012'\n  identityRegion: us-east-1\n  role: READER\nusers:\n  - {userName: gina, identityType: IAM_IDENTITY_CENTER, email: gina@corp.test}\n  - {userName: hal, identityType: IAM_IDENTITY_CENTER, email: hal@corp.test}\n`;
    const a = path.join(repo, 'a.yaml');
    const b = path.join(repo, 'b.yaml');
    fs.writeFileSync(a, sso);
    fs.writeFileSync(b, sso.replace(/  - \{userName: gina.*\n/, ''));
    expect((await jsonPlan(a, b)).changes).toEqual([expect.objectContaining({ kind: ChangeKind.REMOVE, userName: 'gina', destructive: false, reason: expect.stringContaining('cannot delete IAM Identity Center users') })]);
  });

  test('an IAM ARN that only moves to another IAM path is an update (the same IAM identity), not a replacement', async () => {
    const a = path.join(repo, 'a.yaml');
    const b = path.join(repo, 'b.yaml');
    fs.writeFileSync(a, BASE);
    fs.writeFileSync(b, BASE.replace('user/erin', 'user/team/erin'));
    const result = await jsonPlan(a, b);
    expect(result.changes).toEqual([expect.objectContaining({
      kind: ChangeKind.UPDATE, userName: 'erin', destructive: false,
      fields: [{ field: 'iamArn', before: 'arn:aws:iam::123456789012:user/erin', after: 'arn:aws:iam::123456789012:user/team/erin' }],
    })]);
  });

  test('--fail-on-destructive also fails a change the deployment would refuse', async () => {
    const a = path.join(repo, 'a.yaml');
    const b = path.join(repo, 'b.yaml');
    fs.writeFileSync(a, BASE);
    fs.writeFileSync(b, BASE.replace(/  - userName: dave\n    identityType: QUICKSIGHT/, '  - iamArn: arn:aws:iam::123456789012:user/dave\n    identityType: IAM'));
    const result = await plan('a.yaml', 'b.yaml', '--fail-on-destructive');
    expect(result.code).toBe(EXIT.DESTRUCTIVE);
    expect(result.stderr).toBe('1 change the deployment would refuse (--fail-on-destructive)\n');
    expect((await plan('a.yaml', 'b.yaml')).code).toBe(EXIT.OK);
  });

  test('--account and --identity-region replace the defaults on both sides, as -c does for the app', async () => {
    const a = path.join(repo, 'a.yaml');
    const b = path.join(repo, 'b.yaml');
    fs.writeFileSync(a, BASE);
    fs.writeFileSync(b, BASE.concat('  - {userName: ivy, identityType: QUICKSIGHT, email: ivy@corp.test}\n'));
    const result = await jsonPlan(a, b, '--account', '999999999999', '--identity-region', 'eu-west-1');
    expect(result.changes).toEqual([expect.objectContaining({ kind: ChangeKind.ADD, userName: 'ivy', awsAccountId: '999999999999', identityRegion: 'eu-west-1' })]);
    expect(await plan(a, b, '--account', '1234')).toMatchObject({ code: EXIT.ERROR, stderr: expect.stringContaining("awsAccountId '1234' must be a 12-digit AWS account id (pattern ^[0-9]{12}$) (set by --account / --identity-region)") });
  });
});

describe('stacks', () => {
  const many = (count: number, stacks?: number) => `${stacks ? `stacks: ${stacks}\n` : ''}defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}\nusers:\n${
    Array.from({ length: count }, (_, i) => `  - {userName: u${i}, identityType: QUICKSIGHT, email: u${i}@corp.test}`).join('\n')}\n`;

  test('more stacks: the users that move are listed, not destructive, and the new stacks named', async () => {
    const one = commit(many(40, 1));
    const two = commit(many(41, 2));
    const result = await jsonPlan('--file', 'users.yaml', '--base', one, '--head', two);
    const moves = result.changes.filter((c) => c.kind === ChangeKind.MOVE);
    expect(moves.length).toBeGreaterThan(5);
    for (const m of moves) expect(m).toMatchObject({ destructive: false, stackBefore: 'QuickSightUsers', stackAfter: 'QuickSightUsers-1', reason: expect.stringContaining('adopts the user') });
    expect(result.changes.filter((c) => c.kind !== ChangeKind.MOVE).map((c) => `${c.kind} ${c.userName}`)).toEqual(['add u40']);
    expect(result).toMatchObject({ stacksBefore: ['QuickSightUsers'], stacksAfter: ['QuickSightUsers', 'QuickSightUsers-1'] });
    expect((await plan('--file', 'users.yaml', '--base', one, '--head', two)).stdout).toContain('New stacks: QuickSightUsers-1.');
  });

  test('fewer stacks: the stacks to destroy after the deployment', async () => {
    const two = commit(many(40, 2));
    const one = commit(many(40, 1));
    const { stdout } = await plan('--file', 'users.yaml', '--base', two, '--head', one);
    expect(stdout).toContain('Stacks no longer in the app: QuickSightUsers-1. After `cdk deploy --all`, run `cdk destroy QuickSightUsers-1`');
    expect(stdout).toMatch(/^> move +u\d+ +default +QuickSightUsers-1 → QuickSightUsers /m);
  });

  test('a pinned count too small for the head revision fails the plan (1)', async () => {
    const one = commit(many(10, 1));
    const tooMany = commit(many(600, 1));
    const result = await plan('--file', 'users.yaml', '--base', one, '--head', tooMany);
    expect(result.code).toBe(EXIT.ERROR);
    expect(result.stderr).toMatch(/stacks: 1 is too few for these users: QuickSightUsers would exceed 609 resources \(limit 500\)\. Set stacks: 3/);
  });
});

describe('groups and memberships', () => {
  const GROUPS_BASE = `defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
  role: READER
groups:
  - {groupName: analysts, description: People who analyze}
  - {groupName: finance}
  - {groupName: sales, removalPolicy: retain}
  - {groupName: admins, managed: false}
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, groups: [analysts, finance]}
  - {userName: bob, identityType: QUICKSIGHT, email: bob@corp.test, groups: [sales, admins]}
  - {userName: carol, identityType: QUICKSIGHT, email: carol@corp.test}
`;

  /** The plan between GROUPS_BASE (or `before`) and `after`, as JSON, and its table and exit code with --fail-on-destructive. */
  async function groupPlan(after: string, before = GROUPS_BASE) {
    fs.writeFileSync(path.join(repo, 'g-before.yaml'), before);
    fs.writeFileSync(path.join(repo, 'g-after.yaml'), after);
    const json = await jsonPlan('g-before.yaml', 'g-after.yaml');
    const table = await plan('g-before.yaml', 'g-after.yaml', '--fail-on-destructive');
    return { json, table };
  }
  const replaceLine = (from: RegExp, to: string) => GROUPS_BASE.replace(from, to);

  test('a group added: created in the groups stack; managed: false: only referred to', async () => {
    const { json, table } = await groupPlan(GROUPS_BASE.replace('users:\n', '  - {groupName: marketing, description: Campaigns}\n  - {groupName: hr, managed: false}\nusers:\n'));
    expect(json.groupChanges).toEqual([
      {
        kind: GroupChangeKind.ADD, groupName: 'hr', namespace: 'default', awsAccountId: '123456789012', identityRegion: 'us-east-1', managed: false, line: 11,
        destructive: false, fields: [], reason: 'managed: false: referred to, never created: it must exist in QuickSight before the deployment',
      },
      {
        kind: GroupChangeKind.ADD, groupName: 'marketing', namespace: 'default', awsAccountId: '123456789012', identityRegion: 'us-east-1', managed: true, line: 10,
        destructive: false, fields: [{ field: 'description', after: 'Campaigns' }], reason: 'created (adopted if it exists already)', stackAfter: 'QuickSightUsers-groups',
      },
    ]);
    expect(json.changes).toEqual([]);
    expect(table.code).toBe(EXIT.OK);
    expect(table.stdout).toMatch(/^\+ add +marketing +default +QuickSightUsers-groups +description: Campaigns; created \(adopted if it exists already\)$/m);
    expect(table.stdout).toMatch(/^\+ add +hr +default +\(managed elsewhere\) +managed: false: referred to, never created/m);
    expect(table.stdout).toContain('No user changes: 3 users as declared.\nGroups: 2 changes: 2 to add; 0 destructive; 4 unchanged.\n');
  });

  test('a group removed: deleted, destructive (every share with it is lost), counted by --fail-on-destructive; kept with retain; left alone when managed elsewhere', async () => {
    const after = GROUPS_BASE
      .replace(/  - \{groupName: (finance|sales|admins).*\n/g, '')
      .replace('groups: [analysts, finance]', 'groups: [analysts]').replace('groups: [sales, admins]', 'groups: []');
    const { json, table } = await groupPlan(after);
    expect(json.groupChanges.map((c) => [c.kind, c.groupName, c.destructive, c.reason, c.stackBefore])).toEqual([
      [GroupChangeKind.REMOVE, 'admins', false, 'managed: false: no longer referred to; the group stays in QuickSight, untouched', undefined],
      [GroupChangeKind.REMOVE, 'finance', true, 'the group is deleted from QuickSight: every share with the group is lost (the users in it stay)', 'QuickSightUsers-groups'],
      [GroupChangeKind.REMOVE, 'sales', false, 'the group is kept in QuickSight (removalPolicy: retain)', 'QuickSightUsers-groups'],
    ]);
    expect(json.summary).toMatchObject({ destructive: 1, update: 2 });
    expect(json.groupSummary).toEqual({ add: 0, remove: 3, update: 0, unmanage: 0, manage: 0, refused: 0, destructive: 1, unchanged: 1 });
    expect(table.code).toBe(EXIT.DESTRUCTIVE);
    expect(table.stderr).toBe('1 destructive change (--fail-on-destructive)\n');
    expect(table.stdout).toMatch(/^- remove \(DESTRUCTIVE\) +finance +default +QuickSightUsers-groups +the group is deleted from QuickSight: every share with the group is lost/m);
    expect(table.stdout).toContain('2 changes: 2 to update in place; 0 destructive; 1 unchanged.\nGroups: 3 changes: 3 to remove; 1 destructive; 1 unchanged.\n');
    const { stdout } = await plan('g-before.yaml', 'g-after.yaml', '--format', 'markdown');
    expect(stdout).toContain('> [!WARNING]\n> **1 destructive change**: QuickSight deletes a group, and every share with it is lost.');
    expect(stdout).toContain('| | change | group | namespace | stack | details |\n|---|---|---|---|---|---|\n| - | remove | `admins` | default | (managed elsewhere) |');
    expect(stdout).toContain('\n| ⚠️ | remove **(destructive)** | `finance` | default | QuickSightUsers-groups | the group is deleted from QuickSight: every share with the group is lost (the users in it stay) |\n');
  });

  test('a group updated: its description in place, or a template-only option; a description left out stays in QuickSight', async () => {
    const { json, table } = await groupPlan(replaceLine(/\{groupName: analysts, description: People who analyze\}/, '{groupName: analysts, description: People who build analyses}')
      .replace('{groupName: finance}', '{groupName: finance, removalPolicy: retain, adoptExistingGroup: false}'));
    expect(json.groupChanges).toEqual([
      expect.objectContaining({ kind: GroupChangeKind.UPDATE, groupName: 'analysts', destructive: false, fields: [{ field: 'description', before: 'People who analyze', after: 'People who build analyses' }] }),
      expect.objectContaining({
        kind: GroupChangeKind.UPDATE, groupName: 'finance', destructive: false,
        fields: [{ field: 'removalPolicy', before: 'destroy', after: 'retain' }, { field: 'adoptExistingGroup', before: 'true', after: 'false' }],
      }),
    ]);
    expect(table.stdout).toMatch(/^~ update +analysts +default +QuickSightUsers-groups +description: People who analyze → People who build analyses$/m);
    const dropped = await groupPlan(replaceLine(/\{groupName: analysts, description: People who analyze\}/, '{groupName: analysts}'));
    expect(dropped.json.groupChanges).toEqual([expect.objectContaining({
      kind: GroupChangeKind.UPDATE, fields: [{ field: 'description', before: 'People who analyze' }], reason: 'QuickSight cannot remove a description: the group keeps its current one',
    })]);
  });

  test('a group renamed: the old one removed (destructive), the new one added, the members moved', async () => {
    const { json } = await groupPlan(GROUPS_BASE.replace('{groupName: finance}', '{groupName: accounting}').replace('groups: [analysts, finance]', 'groups: [accounting, analysts]'));
    expect(json.groupChanges.map((c) => `${c.kind} ${c.groupName}${c.destructive ? ' (destructive)' : ''}`)).toEqual(['remove finance (destructive)', 'add accounting']);
    expect(json.changes).toEqual([expect.objectContaining({
      kind: ChangeKind.UPDATE, userName: 'alice', fields: [{ field: 'groups', before: 'analysts, finance', after: 'accounting, analysts', added: ['accounting'], removed: ['finance'] }],
    })]);
  });

  test('managed, then managed: false: the group leaves the groups stack with its removal policy (retain: kept; destroy: CloudFormation deletes it)', async () => {
    const kept = await groupPlan(GROUPS_BASE.replace('{groupName: sales, removalPolicy: retain}', '{groupName: sales, managed: false}'));
    expect(kept.json.groupChanges).toEqual([expect.objectContaining({
      kind: GroupChangeKind.UNMANAGE, groupName: 'sales', managed: false, destructive: false, stackBefore: 'QuickSightUsers-groups', fields: [{ field: 'managed', before: 'true', after: 'false' }],
      reason: 'the group leaves QuickSightUsers-groups and is kept in QuickSight (removalPolicy: retain); from then on no deployment of this file changes it',
    })]);
    expect(kept.json.groupChanges[0].stackAfter).toBeUndefined();
    expect(kept.table.code).toBe(EXIT.OK);
    expect(kept.table.stdout).toMatch(/^< unmanage +sales +default +QuickSightUsers-groups → \(managed elsewhere\) +managed: true → false; the group leaves/m);

    const deleted = await groupPlan(GROUPS_BASE.replace('{groupName: finance}', '{groupName: finance, managed: false}'));
    expect(deleted.json.groupChanges).toEqual([expect.objectContaining({
      kind: GroupChangeKind.UNMANAGE, groupName: 'finance', destructive: true,
      reason: 'not a hand-over: the group leaves QuickSightUsers-groups with its removalPolicy, destroy, so CloudFormation deletes it (every share with the group is lost) though the file now says it exists. To hand it over and keep it: set removalPolicy: retain and deploy, then managed: false',
    })]);
    expect(deleted.table.code).toBe(EXIT.DESTRUCTIVE);
  });

  test('managed: false, then managed: the groups stack adopts it; with adoptExistingGroup: false the deployment would refuse it', async () => {
    const adopted = await groupPlan(GROUPS_BASE.replace('{groupName: admins, managed: false}', '{groupName: admins, description: Administrators}'));
    expect(adopted.json.groupChanges).toEqual([expect.objectContaining({
      kind: GroupChangeKind.MANAGE, groupName: 'admins', managed: true, destructive: false, stackAfter: 'QuickSightUsers-groups',
      fields: [{ field: 'managed', before: 'false', after: 'true' }, { field: 'description', after: 'Administrators' }],
      reason: 'QuickSightUsers-groups adopts the existing group (its description set as declared); from then on, removing it from the file deletes it (removalPolicy: destroy)',
    })]);
    const refused = await groupPlan(GROUPS_BASE.replace('{groupName: admins, managed: false}', '{groupName: admins, adoptExistingGroup: false}'));
    expect(refused.json.groupChanges).toEqual([expect.objectContaining({ kind: GroupChangeKind.REFUSED, destructive: false, reason: expect.stringMatching(/^the group exists \(the file declared it managed: false\) and adoptExistingGroup is false: its create fails/) })]);
    expect(refused.table).toMatchObject({ code: EXIT.DESTRUCTIVE, stderr: '1 change the deployment would refuse (--fail-on-destructive)\n' });
    const { stdout } = await plan('g-before.yaml', 'g-after.yaml', '--format', 'markdown');
    expect(stdout).toContain('> [!CAUTION]\n> **1 group change the deployment would refuse**');
  });

  test('memberships: an unchanged user joining and leaving groups is updated (groups: +analysts −finance) in every format; a new user lists its groups', async () => {
    const after = GROUPS_BASE
      .replace('groups: [analysts, finance]', 'groups: [finance, sales]')
      .replace('groups: [sales, admins]', 'groups: [admins]')
      .concat('  - {userName: dave, identityType: QUICKSIGHT, email: dave@corp.test, groups: [finance, analysts]}\n');
    const { json, table } = await groupPlan(after);
    expect(json.groupChanges).toEqual([]);
    expect(json.changes).toEqual([
      expect.objectContaining({ kind: ChangeKind.UPDATE, userName: 'alice', destructive: false, fields: [{ field: 'groups', before: 'analysts, finance', after: 'finance, sales', added: ['sales'], removed: ['analysts'] }] }),
      expect.objectContaining({ kind: ChangeKind.UPDATE, userName: 'bob', fields: [{ field: 'groups', before: 'admins, sales', after: 'admins', added: [], removed: ['sales'] }] }),
      expect.objectContaining({ kind: ChangeKind.ADD, userName: 'dave', fields: [{ field: 'groups', after: 'analysts, finance', added: ['analysts', 'finance'], removed: [] }] }),
    ]);
    expect(table.stdout).toMatch(/^~ update +alice +default +QuickSightUsers +groups: \+sales −analysts$/m);
    expect(table.stdout).toMatch(/^~ update +bob +default +QuickSightUsers +groups: −sales$/m);
    expect(table.stdout).toMatch(/^\+ add +dave +default +QuickSightUsers +QUICKSIGHT, READER; groups: \+analysts \+finance$/m);
    expect(table.stdout).toContain('3 changes: 1 to add, 2 to update in place; 0 destructive; 1 unchanged.\nGroups: no changes, 4 groups as declared.\n');
    const { stdout } = await plan('g-before.yaml', 'g-after.yaml', '--format', 'markdown');
    expect(stdout).toContain('| ✎ | update | `alice` | default | QuickSightUsers | groups: +`sales` −`analysts` |');
    expect((await plan('g-before.yaml', 'g-after.yaml', '--detailed-exitcode')).code).toBe(EXIT.CHANGES);
  });

  test('the first managed group: a new groups stack; the last one gone: the groups stack leaves the app, its removals happen at cdk destroy', async () => {
    const none = GROUPS_BASE.replace(/  - \{groupName: (analysts|finance|sales).*\n/g, '').replace('groups: [analysts, finance]', 'groups: []').replace('groups: [sales, admins]', 'groups: [admins]');
    const first = await groupPlan(GROUPS_BASE, none);
    expect(first.json).toMatchObject({ groupsStackAfter: 'QuickSightUsers-groups', stacksAfter: ['QuickSightUsers'] });
    expect(first.json.groupsStackBefore).toBeUndefined();
    expect(first.table.stdout).toContain('New stack: QuickSightUsers-groups, for the file\'s managed groups. `cdk deploy --all` deploys it before the user stacks whose users join its groups.');

    const last = await groupPlan(none);
    expect(last.json.groupChanges.find((c) => c.groupName === 'finance')).toMatchObject({
      destructive: true,
      reason: 'the group is deleted from QuickSight when `cdk destroy QuickSightUsers-groups` runs (the groups stack leaves the app with the file\'s last managed group): every share with the group is lost (the users in it stay)',
    });
    expect(last.table.stdout).toContain('The groups stack QuickSightUsers-groups is no longer in the app (the file declares no managed group): `cdk deploy --all` leaves it and its groups as they are. After it, run `cdk destroy QuickSightUsers-groups` to carry out the group changes above.');
  });

  test('no changes with groups: users and groups as declared, exit 0 with --detailed-exitcode', async () => {
    const { table } = await groupPlan(GROUPS_BASE);
    expect(table.stdout).toContain('No changes: 3 users and 4 groups as declared.');
    expect((await plan('g-before.yaml', 'g-after.yaml', '--detailed-exitcode')).code).toBe(EXIT.OK);
  });
});
