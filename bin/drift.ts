#!/usr/bin/env node
// `npm run drift -- …`: what differs in QuickSight from the users file (a scheduled CI job runs
// it). Reads QuickSight in each identity region the file uses, with the standard AWS credential
// chain; needs quicksight:ListUsers, DescribeUser and ListTagsForResource.
//
//   npm run drift -- [--file users.yaml] [--format table|markdown|json] [--account ID] [--identity-region REGION] [--concurrency N]
//
// Exit codes: 0 no drift; 1 the check could not run (usage, an invalid file, an AWS error);
// 2 drift found.
import * as path from 'node:path';
import { detectDrift, DriftFormat, formatDrift, readUsersFile, UsersFileError, type DriftOptions } from '../gitops';

export const EXIT = { OK: 0, ERROR: 1, DRIFT: 2 } as const;

export interface DriftIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where relative paths start: the caller's directory (npm runs scripts from the package root). */
  readonly cwd: string;
}

const USAGE = 'usage: drift [--file users.yaml] [--format table|markdown|json] [--account ID] [--identity-region REGION] [--concurrency N]';

class UsageError extends Error {}

function parseArgs(argv: string[]) {
  const args = { file: path.join('examples', 'users.yaml'), format: DriftFormat.TABLE, account: undefined as string | undefined, identityRegion: undefined as string | undefined, concurrency: 4 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--file': args.file = value(); break;
      case '--format': {
        const format = value();
        if (!Object.values(DriftFormat).includes(format as DriftFormat)) throw new UsageError(`--format must be one of ${Object.values(DriftFormat).join(', ')} (got '${format}')`);
        args.format = format as DriftFormat;
        break;
      }
      case '--account': args.account = value(); break;
      case '--identity-region': args.identityRegion = value(); break;
      case '--concurrency': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 32) throw new UsageError('--concurrency takes a whole number from 1 to 32');
        args.concurrency = n;
        break;
      }
      default: throw new UsageError(flag === '--help' ? USAGE : `unknown argument ${flag}`);
    }
  }
  return args;
}

export async function main(argv: string[], io: DriftIo, options: Omit<DriftOptions, 'concurrency'> = {}): Promise<number> {
  try {
    const args = parseArgs(argv);
    const file = readUsersFile(path.resolve(io.cwd, args.file), { awsAccountId: args.account, identityRegion: args.identityRegion, origin: '--account / --identity-region' }, args.file);
    const report = await detectDrift(file, { ...options, concurrency: args.concurrency });
    io.stdout(formatDrift(report, args.format, args.file));
    return report.items.length > 0 ? EXIT.DRIFT : EXIT.OK;
  } catch (error) {
    if (error instanceof UsageError && error.message === USAGE) {
      io.stdout(`${USAGE}\n`);
      return EXIT.OK;
    }
    if (error instanceof UsageError) io.stderr(`${error.message}\n${USAGE}\n`);
    else if (error instanceof UsersFileError) io.stderr(`${error.message}\n`);
    else io.stderr(`drift check failed: ${(error as { name?: string }).name ?? 'Error'}: ${(error as Error).message}\n`);
    return EXIT.ERROR;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.env.INIT_CWD ?? process.cwd(),
  }).then((code) => { process.exitCode = code; });
}
