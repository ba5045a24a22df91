// `quicksight-users plan`: what a change to a users file would do to QuickSight, for the pull
// request that makes it. No AWS access: the two versions of the file are compared with the app's
// model and sharding.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ChangeKind, formatPlan, GroupChangeKind, planChange, type PlanFormat } from '../plan';
import { parseUsersFile, readUsersFile, type UsersFile, type UsersFileOverrides } from '../users-file';
import { CliError, EXIT, type CliIo } from './io';

export interface PlanArgs {
  /** OLD NEW, or none. */
  readonly files: string[];
  readonly file: string;
  readonly base: string;
  readonly head?: string;
  readonly format: PlanFormat;
  readonly failOnDestructive: boolean;
  readonly detailedExitcode: boolean;
  readonly overrides: UsersFileOverrides;
}

export function planCommand(args: PlanArgs, io: CliIo): number {
  if (args.files.length !== 0 && args.files.length !== 2) throw new CliError(`give two files (OLD NEW) or none (got ${args.files.length})`);
  const loaded = load(args, io.cwd);
  const plan = planChange(loaded.before, loaded.after);
  io.stdout(formatPlan(plan, args.format, loaded.subject));
  // summary.destructive counts the groups' destructive changes too.
  if (args.failOnDestructive && plan.summary.destructive > 0) {
    io.stderr(`${plan.summary.destructive} destructive change${plan.summary.destructive === 1 ? '' : 's'} (--fail-on-destructive)\n`);
    return EXIT.DESTRUCTIVE;
  }
  const refused = plan.summary[ChangeKind.REFUSED] + plan.groupSummary[GroupChangeKind.REFUSED];
  if (args.failOnDestructive && refused > 0) {
    // Not destructive, but the deployment would fail: the pull request needs another shape.
    io.stderr(`${refused} change${refused === 1 ? '' : 's'} the deployment would refuse (--fail-on-destructive)\n`);
    return EXIT.DESTRUCTIVE;
  }
  if (args.detailedExitcode && (plan.changes.length > 0 || plan.groupChanges.length > 0)) return EXIT.CHANGES;
  return EXIT.OK;
}

/** The file as committed at `revision`, or undefined when it does not exist there. */
function fileAtRevision(file: string, revision: string, cwd: string): string | undefined {
  const dir = path.dirname(path.resolve(cwd, file));
  // "./name" makes git read the path relative to `dir`, wherever the repository's root is.
  const spec = `${revision}:./${path.basename(file)}`;
  try {
    return execFileSync('git', ['-C', dir, 'show', spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    if (/does not exist in|exists on disk, but not in/.test(stderr)) {
      // The revision exists, the file does not (yet): every user is new.
      try {
        execFileSync('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', `${revision}^{commit}`], { stdio: 'ignore' });
      } catch {
        throw new CliError(`plan failed: ${revision} is not a revision of the repository of ${file}`);
      }
      return undefined;
    }
    throw new CliError(`plan failed: git show ${spec} failed: ${stderr.trim() || (error as Error).message}`);
  }
}

function load(args: PlanArgs, cwd: string): { before?: UsersFile; after: UsersFile; subject: { before: string; after: string } } {
  if (args.files.length === 2) {
    const [oldFile, newFile] = args.files;
    return {
      before: readUsersFile(path.resolve(cwd, oldFile), args.overrides, oldFile),
      after: readUsersFile(path.resolve(cwd, newFile), args.overrides, newFile),
      subject: { before: oldFile, after: newFile },
    };
  }
  const label = (revision?: string) => (revision ? `${args.file}@${revision}` : `${args.file} (working tree)`);
  const baseText = fileAtRevision(args.file, args.base, cwd);
  const before = baseText === undefined ? undefined : parseUsersFile(baseText, label(args.base), args.overrides);
  let after: UsersFile;
  if (args.head !== undefined) {
    const headText = fileAtRevision(args.file, args.head, cwd);
    if (headText === undefined) throw new CliError(`plan failed: ${args.file} does not exist at ${args.head}`);
    after = parseUsersFile(headText, label(args.head), args.overrides);
  } else {
    after = readUsersFile(path.resolve(cwd, args.file), args.overrides, args.file);
  }
  return { before, after, subject: { before: baseText === undefined ? `${label(args.base)}: no such file, every user is new` : label(args.base), after: label(args.head) } };
}
