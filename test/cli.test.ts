// The `quicksight-users` command line itself, in-process: help for the tool and each subcommand,
// the version, usage errors (an unknown option, a missing value, an unknown command), validate, and
// each exit code. The installed command (npm pack, an empty project, npx) is scripts/test-cli.js;
// each subcommand's own behaviour is in plan.test.ts, drift.test.ts and export*.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { progressReporter } from '../gitops/cli/io';
import { EXIT, packageVersion, run } from '../gitops/cli/program';
import { tempDir } from './export-harness';

let dir: string;
beforeAll(() => {
  dir = tempDir('qs-cli-');
  fs.writeFileSync(path.join(dir, 'users.yaml'), `defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, role: AUTHOR}
  - {identityType: IAM, iamArn: 'arn:aws:iam::123456789012:role/Analysts', sessionName: carol, email: carol@corp.test, role: READER, namespace: finance}
`);
  fs.writeFileSync(path.join(dir, 'changed.yaml'), `defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, role: ADMIN}
  - {identityType: IAM, iamArn: 'arn:aws:iam::123456789012:role/Analysts', sessionName: carol, email: carol@corp.test, role: READER, namespace: finance}
`);
  fs.writeFileSync(path.join(dir, 'removed.yaml'), `defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, role: AUTHOR}
`);
  fs.writeFileSync(path.join(dir, 'broken.yaml'), `defaults:
  awsAccountId: '1234'
  identityRegion: us-east-1
users:
  - {userName: alice, identityType: QUICKSIGHT, emial: alice@corp.test, role: AUTHOR}
  - {userName: bob, identityType: QUICKSIGHT, email: nope, role: AUTHOR}
`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd: dir });
  return { code, stdout, stderr };
}

describe('help and version', () => {
  test('--help: usage, the subcommands and the exit codes, on stdout; exit 0', async () => {
    const { code, stdout, stderr } = await cli('--help');
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    expect(stdout).toMatch(/^Usage: quicksight-users \[options\] \[command\]\n/);
    for (const command of ['validate', 'plan', 'drift', 'export', 'help']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(stdout).toContain('Exit codes:\n  0  success');
    expect(stdout).toContain('  3  plan --fail-on-destructive');
  });

  test.each(['validate', 'plan', 'drift', 'export'])('%s --help (and help %s): its options, exit 0', async (command) => {
    const { code, stdout, stderr } = await cli(command, '--help');
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    expect(stdout).toMatch(new RegExp(`^Usage: quicksight-users ${command} \\[options\\]`));
    expect((await cli('help', command)).stdout).toBe(stdout);
  });

  test('drift --help and export --help: the groups and memberships they read, and the permissions', async () => {
    // Commander wraps the descriptions to the terminal's width: compared with the line breaks as spaces.
    const words = (text: string) => text.replace(/\s+/g, ' ');
    const drift = words((await cli('drift', '--help')).stdout);
    expect(drift).toContain('what differs in QuickSight from a users file: users, groups and memberships');
    expect(drift).toContain('groups missing (managed: false ones too), undeclared');
    expect(drift).toContain('memberships missing (a user\'s groups name it, the user is no member) or undeclared');
    expect(drift).toContain('quicksight:ListGroups and ListGroupMemberships on the groups');
    const exported = words((await cli('export', '--help')).stdout);
    expect(exported).toContain('every user and group as it is, with each user\'s groups');
    expect(exported).toContain('Needs quicksight:ListNamespaces, ListUsers, ListTagsForResource, ListGroups and ListGroupMemberships');
    expect(exported).toContain('an IAM Identity Center account\'s groups are declared managed: false, without memberships');
  });

  test('--version: the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
    expect(await cli('--version')).toEqual({ code: EXIT.OK, stdout: `${pkg.version}\n`, stderr: '' });
    expect(await cli('-V')).toEqual({ code: EXIT.OK, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

describe('usage errors: exit 1, a clear message on stderr, nothing on stdout', () => {
  test.each([
    [['plan', '--bogus'], "error: unknown option '--bogus'\n(quicksight-users plan --help for usage)\n"],
    [['drift', '--file'], "error: option '-f, --file <path>' argument missing\n(quicksight-users drift --help for usage)\n"],
    [['drift', '--format', 'xml'], "error: option '--format <format>' argument 'xml' is invalid. Allowed choices are table, markdown, json.\n(quicksight-users drift --help for usage)\n"],
    [['export', '--concurrency', 'many'], "error: option '--concurrency <n>' argument 'many' is invalid. a whole number from 1 to 64\n(quicksight-users export --help for usage)\n"],
    [['validate', 'extra.yaml'], "error: too many arguments for 'validate'. Expected 0 arguments but got 1.\n(quicksight-users validate --help for usage)\n"],
    [['deploy'], "error: unknown command 'deploy'\n(quicksight-users --help for usage)\n"],
    [['--bogus'], "error: unknown option '--bogus'\n(quicksight-users --help for usage)\n"],
  ])('%j', async (argv, message) => {
    expect(await cli(...argv)).toEqual({ code: EXIT.ERROR, stdout: '', stderr: message });
  });

  test('no command: the usage on stderr, exit 1', async () => {
    const { code, stdout, stderr } = await cli();
    expect({ code, stdout }).toEqual({ code: EXIT.ERROR, stdout: '' });
    expect(stderr).toMatch(/^Usage: quicksight-users \[options\] \[command\]\n/);
  });
});

describe('validate', () => {
  test('a valid file: its users, namespaces and stacks on stdout; exit 0', async () => {
    expect(await cli('validate')).toEqual({
      code: EXIT.OK, stdout: 'users.yaml: valid: 2 users (1 IAM, 1 QUICKSIGHT) in 2 namespaces of 123456789012 (us-east-1); 1 stack: QuickSightUsers\n', stderr: '',
    });
  });

  test('an invalid file: every broken rule with its line, on stderr; exit 1', async () => {
    expect(await cli('validate', '--file', 'broken.yaml')).toEqual({
      code: EXIT.ERROR,
      stdout: '',
      stderr: [
        'broken.yaml has 3 errors:',
        "broken.yaml:2:17: defaults: awsAccountId '1234' must be a 12-digit AWS account id (pattern ^[0-9]{12}$) (inherited by 1 user)",
        "broken.yaml:5:49: user 'alice': unknown field 'emial': did you mean 'email'?",
        "broken.yaml:6:54: user 'bob': email 'nope' must be an email address (name@domain)",
        '',
      ].join('\n'),
    });
  });

  test('a file that is not there: exit 1', async () => {
    const { code, stderr } = await cli('validate', '--file', 'nope.yaml');
    expect(code).toBe(EXIT.ERROR);
    expect(stderr).toMatch(/^nope\.yaml has 1 error:\nnope\.yaml:0:0: cannot be read: ENOENT/);
  });

  test('--account and --identity-region replace the defaults', async () => {
    expect((await cli('validate', '--account', '999999999999', '--identity-region', 'eu-west-1')).stdout).toContain('of 999999999999 (eu-west-1)');
  });
});

describe('exit codes of plan (no AWS access)', () => {
  test('0: no changes, or changes without a gate', async () => {
    expect((await cli('plan', 'users.yaml', 'users.yaml', '--detailed-exitcode')).code).toBe(EXIT.OK);
    expect((await cli('plan', 'users.yaml', 'changed.yaml')).code).toBe(EXIT.OK);
  });

  test('2: changes, with --detailed-exitcode', async () => {
    const { code, stdout, stderr } = await cli('plan', 'users.yaml', 'changed.yaml', '--detailed-exitcode');
    expect({ code, stderr }).toEqual({ code: EXIT.CHANGES, stderr: '' });
    expect(stdout).toMatch(/^~ update +alice +default +QuickSightUsers +role: AUTHOR → ADMIN$/m);
  });

  test('3: a destructive change, with --fail-on-destructive (it wins over 2); the reason on stderr', async () => {
    const { code, stdout, stderr } = await cli('plan', 'users.yaml', 'removed.yaml', '--detailed-exitcode', '--fail-on-destructive');
    expect(code).toBe(EXIT.DESTRUCTIVE);
    expect(stdout).toMatch(/^- remove \(DESTRUCTIVE\) +Analysts\/carol +finance/m);
    expect(stderr).toBe('1 destructive change (--fail-on-destructive)\n');
  });

  test('1: an invalid file', async () => {
    expect((await cli('plan', 'users.yaml', 'broken.yaml')).code).toBe(EXIT.ERROR);
  });
});

describe('progress', () => {
  test('each phase in words: users listed, the members of the groups read, the users\' tags read (the last line)', () => {
    let stderr = '';
    const progress = progressReporter({ stdout: () => undefined, stderr: (t) => { stderr += t; }, cwd: dir }, true)!;
    progress.update({ phase: 'list', done: 1200, total: 1200 });
    progress.end();
    const groups = progressReporter({ stdout: () => undefined, stderr: (t) => { stderr += t; }, cwd: dir }, true)!;
    groups.update({ phase: 'groups', done: 3, total: 14 });
    groups.update({ phase: 'tags', done: 2000, total: 2000 });
    groups.end();
    expect(stderr).toBe('listed 1,200 users\nread the members of 3 of 14 groups\nread 2,000 of 2,000 users\n');
  });
});
