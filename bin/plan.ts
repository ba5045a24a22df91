#!/usr/bin/env node
// `npm run plan -- …`: what a change to a users file would do to QuickSight, for the pull request
// that makes it. No AWS access: the two versions of the file are compared with the app's model.
//
//   npm run plan -- [--file users.yaml] [--base REV] [--head REV] [options]   the file at two git revisions
//   npm run plan -- OLD.yaml NEW.yaml [options]                               two files
//
// --base defaults to HEAD; without --head, the file in the working tree. A file missing at --base
// is a new file (every user added).
// Options: --format table|markdown|json   --fail-on-destructive   --detailed-exitcode
//          --account <id> --identity-region <region>   (as -c account / -c identityRegion for the app)
//
// Exit codes, for CI: 0 the plan was made; 1 it could not be (usage, git, an invalid file, too few
// stacks); 2 there are changes (only with --detailed-exitcode); 3 a change is destructive (only
// with --fail-on-destructive; wins over 2).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import {
  ChangeKind, formatPlan, parseUsersFile, planChange, PlanFormat, readUsersFile, ShardingError, UsersFileError, type Plan, type UsersFile, type UsersFileOverrides,
} from '../gitops';

export const EXIT = { OK: 0, ERROR: 1, CHANGES: 2, DESTRUCTIVE: 3 } as const;

export interface PlanIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where relative paths start: the caller's directory (npm runs scripts from the package root). */
  readonly cwd: string;
}

interface Args {
  files: string[];
  file: string;
  base: string;
  head?: string;
  format: PlanFormat;
  failOnDestructive: boolean;
  detailedExitcode: boolean;
  overrides: UsersFileOverrides;
}

class UsageError extends Error {}

const USAGE = 'usage: plan [--file users.yaml] [--base REV] [--head REV] | plan OLD.yaml NEW.yaml; options: --format table|markdown|json, --fail-on-destructive, --detailed-exitcode, --account ID, --identity-region REGION';

function parseArgs(argv: string[]): Args {
  const args: Args = { files: [], file: path.join('examples', 'users.yaml'), base: 'HEAD', format: PlanFormat.TABLE, failOnDestructive: false, detailedExitcode: false, overrides: {} };
  let account: string | undefined;
  let identityRegion: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--file': args.file = value(); break;
      case '--base': args.base = value(); break;
      case '--head': args.head = value(); break;
      case '--format': {
        const format = value();
        if (!Object.values(PlanFormat).includes(format as PlanFormat)) throw new UsageError(`--format must be one of ${Object.values(PlanFormat).join(', ')} (got '${format}')`);
        args.format = format as PlanFormat;
        break;
      }
      case '--fail-on-destructive': args.failOnDestructive = true; break;
      case '--detailed-exitcode': args.detailedExitcode = true; break;
      case '--account': account = value(); break;
      case '--identity-region': identityRegion = value(); break;
      case '--help': throw new UsageError(USAGE);
      default:
        if (flag.startsWith('--')) throw new UsageError(`unknown option ${flag}`);
        args.files.push(flag);
    }
  }
  if (args.files.length !== 0 && args.files.length !== 2) throw new UsageError(`give two files (OLD NEW) or none (got ${args.files.length})`);
  args.overrides = { awsAccountId: account, identityRegion, origin: '--account / --identity-region' };
  return args;
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
      execFileSync('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', `${revision}^{commit}`], { stdio: 'ignore' });
      return undefined;
    }
    throw new Error(`git show ${spec} failed: ${stderr.trim() || (error as Error).message}`);
  }
}

function load(args: Args, cwd: string): { before?: UsersFile; after: UsersFile; subject: { before: string; after: string } } {
  if (args.files.length === 2) {
    const [oldFile, newFile] = args.files;
    return {
      before: readUsersFile(path.resolve(cwd, oldFile), args.overrides, oldFile),
      after: readUsersFile(path.resolve(cwd, newFile), args.overrides, newFile),
      subject: { before: args.files[0], after: args.files[1] },
    };
  }
  const label = (revision?: string) => (revision ? `${args.file}@${revision}` : `${args.file} (working tree)`);
  const baseText = fileAtRevision(args.file, args.base, cwd);
  const before = baseText === undefined ? undefined : parseUsersFile(baseText, label(args.base), args.overrides);
  let after: UsersFile;
  if (args.head !== undefined) {
    const headText = fileAtRevision(args.file, args.head, cwd);
    if (headText === undefined) throw new Error(`${args.file} does not exist at ${args.head}`);
    after = parseUsersFile(headText, label(args.head), args.overrides);
  } else {
    after = readUsersFile(path.resolve(cwd, args.file), args.overrides, args.file);
  }
  return { before, after, subject: { before: baseText === undefined ? `${label(args.base)}: no such file, every user is new` : label(args.base), after: label(args.head) } };
}

export function main(argv: string[], io: PlanIo): number {
  let args: Args;
  let plan: Plan;
  let subject: { before: string; after: string };
  try {
    args = parseArgs(argv);
    const loaded = load(args, io.cwd);
    subject = loaded.subject;
    plan = planChange(loaded.before, loaded.after);
  } catch (error) {
    if (error instanceof UsageError && error.message === USAGE) {
      io.stdout(`${USAGE}\n`);
      return EXIT.OK;
    }
    if (error instanceof UsageError) io.stderr(`${error.message}\n${USAGE}\n`);
    else if (error instanceof UsersFileError || error instanceof ShardingError) io.stderr(`${error.message}\n`);
    else io.stderr(`plan failed: ${(error as Error).message}\n`);
    return EXIT.ERROR;
  }
  io.stdout(formatPlan(plan, args.format, subject));
  if (args.failOnDestructive && plan.summary.destructive > 0) {
    io.stderr(`${plan.summary.destructive} destructive change${plan.summary.destructive === 1 ? '' : 's'} (--fail-on-destructive)\n`);
    return EXIT.DESTRUCTIVE;
  }
  if (args.failOnDestructive && plan.summary[ChangeKind.REFUSED] > 0) {
    // Not destructive, but the deployment would fail: the pull request needs another shape.
    io.stderr(`${plan.summary[ChangeKind.REFUSED]} change${plan.summary[ChangeKind.REFUSED] === 1 ? '' : 's'} the deployment would refuse (--fail-on-destructive)\n`);
    return EXIT.DESTRUCTIVE;
  }
  if (args.detailedExitcode && plan.changes.length > 0) return EXIT.CHANGES;
  return EXIT.OK;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.env.INIT_CWD ?? process.cwd(),
  });
}
