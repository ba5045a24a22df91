// `quicksight-users`: the GitOps tool's command line, on commander. Each subcommand is a thin
// layer over gitops/: validate (users-file.ts, sharding.ts), plan (plan.ts), drift (drift.ts),
// export (export.ts). run() never exits the process and never writes outside `io`, so tests run
// it in-process; main.ts is the installed entry.
//
// Exit codes (EXIT in io.ts): 0 success / no changes / no drift; 1 error; 2 changes
// (plan --detailed-exitcode) or drift; 3 destructive changes (plan --fail-on-destructive).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { IdentityType } from '../../lib/model';
import { detectDrift, DriftFormat, formatDrift, formatOrphanWarning } from '../drift';
import { exportUsers, type UsersExport } from '../export';
import { PlanFormat } from '../plan';
import { DEFAULT_READ_CONCURRENCY, formatCount, identityRegionNamedIn, MAX_READ_CONCURRENCY } from '../read';
import { assignStacks, ShardingError } from '../sharding';
import { readUsersFile, UsersFileError, type UsersFileOverrides } from '../users-file';
import { callerAccount, sdkRegion } from './aws-context';
import { CliError, EXIT, progressReporter, type CliIo } from './io';
import { planCommand } from './plan-command';

export { EXIT, type CliIo } from './io';

export const PROGRAM_NAME = 'quicksight-users';
const DEFAULT_FILE = 'users.yaml';

const EXIT_CODES_HELP = `
Exit codes:
  0  success: the file is valid; plan: the plan was made (no changes, with --detailed-exitcode); drift: no drift
  1  error: usage, an invalid users file, git, AWS (credentials, permissions, the wrong identity region)
  2  plan --detailed-exitcode: there are changes; drift: there is drift
  3  plan --fail-on-destructive: a change would delete or replace a user, delete a group, or the deployment would refuse it

Results go to stdout; progress, warnings and errors to stderr. AWS access uses the standard
credential chain (environment, SSO, shared files, container and instance roles).`;

/** Runs the command line `argv` (without the node and script paths); resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(io, (result) => { code = result; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors (already printed by commander) exit 1.
      return error.exitCode === 0 ? EXIT.OK : EXIT.ERROR;
    }
    io.stderr(`${messageOf(error)}\n`);
    return EXIT.ERROR;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof CliError || error instanceof UsersFileError || error instanceof ShardingError) return error.message;
  const name = (error as { name?: string } | undefined)?.name ?? 'Error';
  return `${name}: ${(error as Error | undefined)?.message ?? String(error)}`;
}

function buildProgram(io: CliIo, done: (code: number) => void): Command {
  const program = new Command(PROGRAM_NAME)
    .description('QuickSight users in a reviewed YAML file: validate it, plan a change, find drift, export an account.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help')
    .helpCommand('help [command]', 'print help for a command')
    .showHelpAfterError(`(${PROGRAM_NAME} --help for usage)`)
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .exitOverride();
  // Every subcommand reports its errors through the program's own output and exit override.
  const command = (name: string) => program.command(name).showHelpAfterError(`(${PROGRAM_NAME} ${name} --help for usage)`).helpOption('-h, --help', 'print help');

  command('validate')
    .description('check a users file: its shape, every rule of the model, each user and group declared once, each membership in a declared group, the stacks it needs (no AWS access)')
    .addOption(fileOption())
    .addOption(accountOption())
    .addOption(identityRegionOption())
    .action((options: { file: string; account?: string; identityRegion?: string }) => {
      done(validateCommand(options, io));
    });

  command('plan')
    .description('what a change to a users file would do in QuickSight (no AWS access): between two git revisions of the file, or two files')
    .argument('[files...]', 'OLD.yaml NEW.yaml: compare two files instead of two revisions')
    .addOption(fileOption())
    .option('--base <rev>', 'the git revision the change starts from', 'HEAD')
    .option('--head <rev>', 'the git revision the change ends at (default: the file in the working tree)')
    .addOption(new Option('--format <format>', 'output format').choices(Object.values(PlanFormat)).default(PlanFormat.TABLE))
    .option('--fail-on-destructive', 'exit 3 when a change deletes or replaces a user or deletes a group (or the deployment would refuse it)')
    .option('--detailed-exitcode', 'exit 2 when there are changes')
    .addOption(accountOption())
    .addOption(identityRegionOption())
    .addHelpText('after', `
Examples:
  ${PROGRAM_NAME} plan --file users.yaml --base origin/main --format markdown --fail-on-destructive
  ${PROGRAM_NAME} plan --file users.yaml --base v1.4 --head v1.5
  ${PROGRAM_NAME} plan old.yaml new.yaml --detailed-exitcode`)
    .action((files: string[], options: { file: string; base: string; head?: string; format: PlanFormat; failOnDestructive?: boolean; detailedExitcode?: boolean; account?: string; identityRegion?: string }) => {
      done(planCommand({
        files, file: options.file, base: options.base, head: options.head, format: options.format,
        failOnDestructive: options.failOnDestructive === true, detailedExitcode: options.detailedExitcode === true, overrides: overridesOf(options),
      }, io));
    });

  command('drift')
    .description('what differs in QuickSight from a users file: users, groups and memberships (ListUsers and ListGroups pages, the ListGroupMemberships pages of each declared group, one ListTagsForResource per declared user, in the identity region)')
    .addOption(fileOption())
    .addOption(new Option('--format <format>', 'output format').choices(Object.values(DriftFormat)).default(DriftFormat.TABLE))
    .addOption(accountOption())
    .addOption(identityRegionOption())
    .addOption(concurrencyOption())
    .addOption(progressOption())
    .option('--no-progress', 'never show progress')
    .addHelpText('after', `
Reports users missing, undeclared (in the namespaces the file declares users in) and different;
groups missing (managed: false ones too), undeclared (in the namespaces the file declares users or
groups in) and different (a declared description); and, for every group the file declares,
memberships missing (a user's groups name it, the user is no member) or undeclared (a member whose
declaration does not name it).

Needs quicksight:ListUsers and ListTagsForResource on the users, and quicksight:ListGroups and
ListGroupMemberships on the groups (arn:aws:quicksight:<identity region>:<account>:group/<namespace>/*).`)
    .action(async (options: { file: string; format: DriftFormat; account?: string; identityRegion?: string; concurrency: number; progress?: boolean }) => {
      done(await driftCommand(options, io));
    });

  command('export')
    .description('write the users file of a live QuickSight account: every user and group as it is, with each user\'s groups, ready to be adopted by a deployment')
    .option('--account <id>', 'the AWS account of the QuickSight account (default: the credentials\' account, from STS)')
    .option('--identity-region <region>', 'QuickSight\'s identity region (default: the SDK\'s region, followed to the identity region QuickSight names)')
    .option('--namespace <name>', 'a namespace to export (repeatable; default: every namespace, from ListNamespaces)', (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('-o, --output <file>', 'write the file there instead of stdout')
    .option('--stack-name <name>', 'the file\'s stackName', 'QuickSightUsers')
    .option('--no-iam', 'do not read IAM (the IAM paths of IAM users are then not confirmed)')
    .option('--no-date', 'leave the date out of the header (the same account then gives the same bytes any day)')
    .addOption(concurrencyOption())
    .addOption(progressOption())
    .option('--no-progress', 'never show progress')
    .addHelpText('after', `
Needs quicksight:ListNamespaces, ListUsers, ListTagsForResource, ListGroups and
ListGroupMemberships in the identity region, and iam:ListRoles and iam:ListUsers to confirm the IAM
paths of IAM users (without them the export still works, and says which paths it assumed).

The groups of the exported namespaces are the file's top-level groups (name, description), and their
members each user's groups; an IAM Identity Center account's groups are declared managed: false,
without memberships (QuickSight refuses to change them there; Identity Center manages them).

Examples:
  ${PROGRAM_NAME} export > users.yaml
  ${PROGRAM_NAME} export --account 123456789012 --identity-region us-east-1 --namespace default -o users.yaml`)
    .action(async (options: ExportCommandOptions) => {
      done(await exportCommand(options, io));
    });

  return program;
}

// ---- options ----

function fileOption(): Option {
  return new Option('-f, --file <path>', 'the users file').default(DEFAULT_FILE);
}

function accountOption(): Option {
  return new Option('--account <id>', 'replaces defaults.awsAccountId of the file (a user\'s own value still wins)');
}

function identityRegionOption(): Option {
  return new Option('--identity-region <region>', 'replaces defaults.identityRegion of the file (a user\'s own value still wins)');
}

function concurrencyOption(): Option {
  return new Option('--concurrency <n>', `QuickSight calls in flight at once, 1 to ${MAX_READ_CONCURRENCY}`).default(DEFAULT_READ_CONCURRENCY).argParser((value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > MAX_READ_CONCURRENCY) throw new InvalidArgumentError(`a whole number from 1 to ${MAX_READ_CONCURRENCY}`);
    return n;
  });
}

function progressOption(): Option {
  return new Option('--progress', 'show progress on stderr (default: when stderr is a terminal)');
}

function overridesOf(options: { account?: string; identityRegion?: string }): UsersFileOverrides {
  return { awsAccountId: options.account, identityRegion: options.identityRegion, origin: '--account / --identity-region' };
}

// ---- validate ----

function validateCommand(options: { file: string; account?: string; identityRegion?: string }, io: CliIo): number {
  const file = readUsersFile(path.resolve(io.cwd, options.file), overridesOf(options), options.file);
  const sharding = assignStacks(file);
  const byType = new Map<string, number>();
  for (const user of file.users) byType.set(user.spec.IdentityType, (byType.get(user.spec.IdentityType) ?? 0) + 1);
  const types = Object.values(IdentityType).filter((t) => byType.has(t)).map((t) => `${formatCount(byType.get(t)!)} ${t}`).join(', ');
  const scopes = new Set(file.users.map((u) => `${u.spec.AwsAccountId}/${u.spec.IdentityRegion}/${u.spec.Namespace}`));
  const accounts = [...new Set(file.users.map((u) => `${u.spec.AwsAccountId} (${u.spec.IdentityRegion})`))];
  const stacks = [...sharding.stacks.map((s) => s.name), ...(sharding.groupsStack ? [sharding.groupsStack.name] : [])];
  const managed = file.groups.filter((g) => g.managed).length;
  const elsewhere = file.groups.length - managed;
  const groups = file.groups.length === 0 ? ''
    : ` ${formatCount(file.groups.length)} group${file.groups.length === 1 ? '' : 's'} (${[...(managed > 0 ? [`${formatCount(managed)} managed`] : []), ...(elsewhere > 0 ? [`${formatCount(elsewhere)} managed elsewhere`] : [])].join(', ')});`;
  io.stdout(`${options.file}: valid: ${formatCount(file.users.length)} user${file.users.length === 1 ? '' : 's'}${types ? ` (${types})` : ''}`
    + ` in ${scopes.size} namespace${scopes.size === 1 ? '' : 's'}${accounts.length > 0 ? ` of ${accounts.join(', ')}` : ''};${groups}`
    + ` ${stacks.length} stack${stacks.length === 1 ? '' : 's'}${file.stacks !== undefined ? ' (pinned)' : ''}: ${stacks.join(', ')}\n`);
  return EXIT.OK;
}

// ---- drift ----

async function driftCommand(options: { file: string; format: DriftFormat; account?: string; identityRegion?: string; concurrency: number; progress?: boolean }, io: CliIo): Promise<number> {
  const file = readUsersFile(path.resolve(io.cwd, options.file), overridesOf(options), options.file);
  const progress = progressReporter(io, options.progress ?? io.stderrIsTTY === true);
  let report;
  try {
    report = await detectDrift(file, { concurrency: options.concurrency, onProgress: progress?.update });
  } catch (error) {
    throw new CliError(`drift check failed: ${messageOf(error)}`);
  } finally {
    progress?.end();
  }
  io.stdout(formatDrift(report, options.format, options.file));
  // Users named N/A are no drift of the file (no file can declare them): a warning, not an exit code.
  if (report.orphaned.length > 0) io.stderr(formatOrphanWarning(report.orphaned));
  return report.items.length > 0 ? EXIT.CHANGES : EXIT.OK;
}

// ---- export ----

interface ExportCommandOptions {
  account?: string;
  identityRegion?: string;
  namespace?: string[];
  output?: string;
  stackName: string;
  iam: boolean;
  date: boolean;
  concurrency: number;
  progress?: boolean;
}

async function exportCommand(options: ExportCommandOptions, io: CliIo): Promise<number> {
  let identityRegion = options.identityRegion ?? await sdkRegion();
  if (!identityRegion) throw new CliError('export: no region: give --identity-region (QuickSight\'s identity region), or set AWS_REGION');
  const awsAccountId = options.account ?? await callerAccount(identityRegion);
  if (!/^[0-9]{12}$/.test(awsAccountId)) throw new CliError(`export: --account '${awsAccountId}' must be a 12-digit AWS account id`);

  const attempt = async (region: string): Promise<UsersExport> => {
    const progress = progressReporter(io, options.progress ?? io.stderrIsTTY === true);
    try {
      return await exportUsers({
        awsAccountId,
        identityRegion: region,
        namespaces: options.namespace,
        iam: options.iam ? undefined : false,
        concurrency: options.concurrency,
        onProgress: progress?.update,
        now: options.date ? (io.now?.() ?? new Date()) : null,
        generator: `${PROGRAM_NAME} export ${packageVersion()}`,
        stackName: options.stackName,
      });
    } finally {
      progress?.end();
    }
  };

  let result: UsersExport;
  try {
    result = await attempt(identityRegion);
  } catch (error) {
    const named = identityRegionNamedIn(error);
    // Not given: follow QuickSight to the identity region it names. Given: the user chose; say so.
    if (named === undefined || options.identityRegion !== undefined) throw new CliError(`export failed: ${messageOf(error)}`);
    io.stderr(`QuickSight's identity region is ${named}, not ${identityRegion}: reading there.\n`);
    identityRegion = named;
    try {
      result = await attempt(identityRegion);
    } catch (retryError) {
      throw new CliError(`export failed: ${messageOf(retryError)}`);
    }
  }

  if (options.output !== undefined) fs.writeFileSync(path.resolve(io.cwd, options.output), result.text);
  else io.stdout(result.text);
  io.stderr(exportSummary(result, options.output));
  return EXIT.OK;
}

function exportSummary(result: UsersExport, output: string | undefined): string {
  const memberships = result.groupsManagedElsewhere ? '' : ` (${formatCount(result.memberships)} membership${result.memberships === 1 ? '' : 's'})`;
  const groups = result.groups === 0 ? '' : ` and ${formatCount(result.groups)} group${result.groups === 1 ? '' : 's'}${memberships}`;
  const lines = [`${output ? `wrote ${output}` : 'exported'}: ${formatCount(result.users)} user${result.users === 1 ? '' : 's'}${groups} of account ${result.awsAccountId} (${result.identityRegion}) in ${result.namespaces.length} namespace${result.namespaces.length === 1 ? '' : 's'}`
    + `${result.stacks > 1 ? `, ${result.stacks} stacks (pinned)` : ''}; ${formatCount(Object.values(result.calls).reduce((a, b) => a + b, 0))} QuickSight calls.`];
  if (result.orphaned.length > 0) lines.push(formatOrphanWarning(result.orphaned, 'export').trimEnd());
  if (result.leftOut.length > 0) {
    lines.push(`left out: ${result.leftOut.length} user${result.leftOut.length === 1 ? '' : 's'} no declaration can hold as ${result.leftOut.length === 1 ? 'it is' : 'they are'}; no deployment of the file touches ${result.leftOut.length === 1 ? 'it' : 'them'}:`);
    for (const u of result.leftOut) lines.push(`  - '${u.userName}' (namespace ${u.namespace}): ${u.reason}`);
  }
  if (result.leftOutGroups.length > 0) {
    const one = result.leftOutGroups.length === 1;
    lines.push(`left out: ${result.leftOutGroups.length} group${one ? '' : 's'} no declaration can hold as ${one ? 'it is' : 'they are'}, and ${one ? 'its' : 'their'} memberships; no deployment of the file touches ${one ? 'it' : 'them'}:`);
    for (const g of result.leftOutGroups) lines.push(`  - group '${g.groupName}' (namespace ${g.namespace}): ${g.reason}`);
  }
  if (result.groupsManagedElsewhere) {
    lines.push(`note: the ${result.groups === 1 ? 'group is' : `${formatCount(result.groups)} groups are`} IAM Identity Center's: declared managed: false, without memberships (QuickSight refuses to create, change or delete them or their memberships in this account, and an IAM_IDENTITY_CENTER user takes no groups).`);
  }
  for (const e of result.iamErrors) lines.push(`warning: IAM could not be read: ${e.action}: ${e.name}: ${e.message}`);
  if (result.unconfirmedIamPaths.length > 0) {
    lines.push(`warning: the IAM path of ${result.unconfirmedIamPaths.length} IAM user${result.unconfirmedIamPaths.length === 1 ? '' : 's'} could not be confirmed (a comment on each in the file says why):`);
    for (const u of result.unconfirmedIamPaths) lines.push(`  - '${u.userName}' (namespace ${u.namespace}): ${u.iamArn}`);
  }
  if (result.alreadyManaged.length > 0) {
    lines.push(`note: ${result.alreadyManaged.length} user${result.alreadyManaged.length === 1 ? ' carries' : 's carry'} the owner tag of a quicksight-user-cdk stack already: deploying this file in another stack takes ${result.alreadyManaged.length === 1 ? 'it' : 'them'} over (the old stack then leaves ${result.alreadyManaged.length === 1 ? 'it' : 'them'} alone).`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- version ----

let version: string | undefined;

/** This package's version, from its package.json (found upwards: src and dist sit at different depths). */
export function packageVersion(): string {
  if (version !== undefined) return version;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'quicksight-user-cdk') return (version = pkg.version ?? '0.0.0');
    }
    if (path.dirname(dir) === dir) return (version = '0.0.0');
  }
}
