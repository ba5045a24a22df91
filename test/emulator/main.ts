// Runs one QuickSight emulator as its own process: prints {"endpoint": …} as one JSON line on
// stdout, then serves until SIGTERM or SIGINT.
//
//   npx esbuild test/emulator/main.ts --bundle --platform=node --outfile=/tmp/quicksight-emulator.js
//   node /tmp/quicksight-emulator.js --throttle 10 --burst 20 --identity-region us-east-1
//
// Options: --identity-region <region>  --account-id <12 digits>  --authentication-method <method>  --seed <n>
//          --throttle <requests per second> [--burst <n>]  --namespace <account>/<namespace> (repeatable)
//          --fault <kind>[:<operation>] (repeatable; kind as in FaultKind, always on)  --slow-ms <n>
import { AUTHENTICATION_METHODS, QuickSightEmulator, type AuthenticationMethod, type FaultKind } from './quicksight-emulator';

interface Args {
  identityRegion?: string;
  accountId?: string;
  authenticationMethod?: AuthenticationMethod;
  seed?: number;
  throttle?: number;
  burst?: number;
  namespaces: Array<[string, string]>;
  faults: Array<{ kind: FaultKind; operation?: string }>;
  slowMs?: number;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { namespaces: [], faults: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v)) throw new Error(`${flag} needs a number`);
      return v;
    };
    switch (flag) {
      case '--identity-region': args.identityRegion = value(); break;
      case '--account-id': args.accountId = value(); break;
      case '--authentication-method': {
        const method = value() as AuthenticationMethod;
        if (!AUTHENTICATION_METHODS.includes(method)) throw new Error(`--authentication-method takes one of ${AUTHENTICATION_METHODS.join(', ')}`);
        args.authenticationMethod = method;
        break;
      }
      case '--seed': args.seed = number(); break;
      case '--throttle': args.throttle = number(); break;
      case '--burst': args.burst = number(); break;
      case '--slow-ms': args.slowMs = number(); break;
      case '--namespace': {
        const [account, namespace] = value().split('/');
        if (!account || !namespace) throw new Error('--namespace takes <account>/<namespace>');
        args.namespaces.push([account, namespace]);
        break;
      }
      case '--fault': {
        const [kind, operation] = value().split(':');
        args.faults.push({ kind: kind as FaultKind, operation: operation || undefined });
        break;
      }
      default: throw new Error(`Unknown option ${flag}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const emulator = await QuickSightEmulator.start({
    identityRegion: args.identityRegion,
    accountId: args.accountId,
    authenticationMethod: args.authenticationMethod,
    seed: args.seed,
  });
  for (const [account, namespace] of args.namespaces) emulator.addNamespace(account, namespace);
  if (args.throttle !== undefined) emulator.faults.throttle({ ratePerSecond: args.throttle, burst: args.burst });
  for (const fault of args.faults) emulator.faults.always(fault.kind, { operation: fault.operation, delayMs: args.slowMs });

  const shutdown = () => void emulator.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint, identityRegion: emulator.identityRegion, accountId: emulator.accountId, authenticationMethod: emulator.account.authenticationMethod, pid: process.pid })}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
