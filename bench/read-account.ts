// `npm run bench:read`: how fast `quicksight-users export` and `drift` read a large account against
// a throttled QuickSight. The emulator holds N users (QuickSight users and IAM role sessions, two
// namespaces, some tags, each user in one of a few groups) and answers at most R requests per
// second (a token bucket, burst R; ThrottlingException beyond); the installed CLI
// (dist/gitops/cli/main.js) runs as its own process, as a user runs it: export to a file, then
// drift of that file.
//
//   node dist/bench/read-account.js [--smoke] [--users 2000] [--rate 10] [--concurrency 16]
//
// What it checks: the export declares every user, group and membership and drift finds no drift (a
// wrong result fails the run, exit 1); the calls (requests QuickSight answered, throttled ones
// aside) are at most one per user plus the list pages (ListNamespaces, ListUsers, ListGroups,
// ListGroupMemberships), and none is a per-user or per-group read (DescribeUser, DescribeGroup,
// ListUserGroups); the wall time is compared with the floor, calls / R, and the target, 1.2 times
// it. A benchmark, not a timed test: a slow run is reported, never failed.
// --smoke: 100 users at 20 requests/s, for CI (about 10 s, the build aside).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseUsersFile } from '../gitops/users-file';
import { IamEndpoint, principalIdOf } from '../test/emulator/iam-endpoint';
import { QuickSightEmulator } from '../test/emulator/quicksight-emulator';
import { integer } from './table';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'gitops', 'cli', 'main.js');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
/** The wall time a read should stay within, as a multiple of the floor calls / rate. */
const TARGET_RATIO = 1.2;
/** The groups of each namespace: user i is a member of team<i % GROUPS>. */
const GROUPS = 7;
/** Reads the tools must never make: one call per user or per group, where a list does. */
const PER_ITEM_READS = ['DescribeUser', 'DescribeGroup', 'ListUserGroups'];

interface Settings {
  readonly users: number;
  readonly rate: number;
  readonly concurrency?: number;
}

function parseArgs(argv: string[]): Settings & { smoke: boolean } {
  const settings = { smoke: false, users: 2000, rate: 10, concurrency: undefined as number | undefined };
  for (let i = 0; i < argv.length; i++) {
    const number = () => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${argv[i - 1]} takes a positive number`);
      return n;
    };
    switch (argv[i]) {
      case '--smoke': settings.smoke = true; settings.users = 100; settings.rate = 20; break;
      case '--users': settings.users = number(); break;
      case '--rate': settings.rate = number(); break;
      case '--concurrency': settings.concurrency = number(); break;
      default: throw new Error(`Unknown option ${argv[i]}: use --smoke, --users N, --rate R, --concurrency N`);
    }
  }
  return settings;
}

interface Measure {
  readonly command: 'export' | 'drift';
  readonly exitCode: number;
  readonly wallMs: number;
  /** Requests QuickSight answered (not throttled): the tool's calls, retries of throttled requests aside. */
  readonly calls: number;
  readonly callsByOperation: Record<string, number>;
  /** Requests QuickSight throttled (each retried by the SDK). */
  readonly throttled: number;
  readonly pages: number;
  readonly floorMs: number;
  readonly ratioToFloor: number;
  readonly stderrTail: string;
}

/** A deterministic account: 9 in 10 users in the default namespace; a quarter IAM role sessions; a third tagged; each user in one group. */
function seed(emulator: QuickSightEmulator, iam: IamEndpoint, users: number): void {
  const role = iam.addRole({ name: 'QuickSightReaders', path: '/bi/' });
  for (const namespace of ['default', 'finance']) {
    for (let g = 0; g < GROUPS; g++) emulator.putGroup({ accountId: ACCOUNT, namespace, groupName: `team${g}`, description: g % 2 === 0 ? `Team ${g}` : undefined });
  }
  for (let i = 0; i < users; i++) {
    const id = String(i).padStart(5, '0');
    const namespace = i % 10 === 9 ? 'finance' : 'default';
    const tags = i % 3 === 0 ? { team: `team${i % 7}` } : undefined;
    if (i % 4 === 2) {
      emulator.putUser({ accountId: ACCOUNT, namespace, userName: `${role.name}/session${id}`, identityType: 'IAM', email: `session${id}@example.com`, role: 'READER', iamArn: role.arn, sessionName: `session${id}`, principalId: principalIdOf(role, `session${id}`), tags });
      emulator.addMember(ACCOUNT, namespace, `team${i % GROUPS}`, `${role.name}/session${id}`);
    } else {
      emulator.putUser({ accountId: ACCOUNT, namespace, userName: `user${id}`, identityType: 'QUICKSIGHT', email: `user${id}@example.com`, role: i % 8 === 0 ? 'AUTHOR' : 'READER', tags });
      emulator.addMember(ACCOUNT, namespace, `team${i % GROUPS}`, `user${id}`);
    }
  }
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; wallMs: number; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr = (stderr + text).slice(-4000);
      process.stderr.write(text.split('\n').filter(Boolean).map((l) => `[bench]   ${l}\n`).join(''));
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, wallMs: performance.now() - started, stderr }));
  });
}

async function measure(command: 'export' | 'drift', args: string[], emulator: QuickSightEmulator, env: NodeJS.ProcessEnv, rate: number): Promise<Measure> {
  emulator.resetCalls();
  // The bucket starts full, as an idle account's would.
  emulator.faults.clear();
  emulator.faults.throttle({ ratePerSecond: rate });
  const { code, wallMs, stderr } = await runCli(args, env);
  const answered = emulator.calls.filter((c) => c.fault !== 'throttle');
  const callsByOperation: Record<string, number> = {};
  for (const c of answered) callsByOperation[c.operation] = (callsByOperation[c.operation] ?? 0) + 1;
  const pages = ['ListNamespaces', 'ListUsers', 'ListGroups', 'ListGroupMemberships'].reduce((sum, op) => sum + (callsByOperation[op] ?? 0), 0);
  const floorMs = (answered.length / rate) * 1000;
  return {
    command, exitCode: code, wallMs, calls: answered.length, callsByOperation, throttled: emulator.faultCounts.throttle, pages, floorMs,
    ratioToFloor: wallMs / floorMs, stderrTail: stderr.trim().split('\n').slice(-3).join(' | '),
  };
}

function machine() {
  const cpu = fs.existsSync('/proc/cpuinfo') ? /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] : os.cpus()[0]?.model;
  return { nproc: os.availableParallelism(), cpu: cpu ?? 'unknown', node: process.version, os: `${os.type()} ${os.release()}` };
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (or tsc -p tsconfig.build.json) first`);
  const problems: string[] = [];
  const emulator = await QuickSightEmulator.start({ identityRegion: REGION, seed: 3 });
  const iam = await IamEndpoint.start({ accountId: ACCOUNT });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-users-bench-read-'));
  try {
    seed(emulator, iam, settings.users);
    const env = {
      AWS_ENDPOINT_URL_QUICKSIGHT: emulator.endpoint, AWS_ENDPOINT_URL_IAM: iam.endpoint, AWS_ENDPOINT_URL_STS: iam.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR', AWS_SECRET_ACCESS_KEY: 'emulator-secret', AWS_REGION: REGION, AWS_PROFILE: '',
    };
    const file = path.join(work, 'users.yaml');
    const common = ['--progress', ...(settings.concurrency ? ['--concurrency', String(settings.concurrency)] : [])];
    process.stderr.write(`[bench] ${integer(settings.users)} users, QuickSight throttled at ${settings.rate} requests/s\n[bench] export:\n`);
    const exported = await measure('export', ['export', '--account', ACCOUNT, '--identity-region', REGION, '--output', file, ...common], emulator, env, settings.rate);
    if (exported.exitCode !== 0) problems.push(`export exited ${exported.exitCode}: ${exported.stderrTail}`);
    const exportedFile = fs.existsSync(file) ? parseUsersFile(fs.readFileSync(file, 'utf8'), file) : undefined;
    const declared = exportedFile?.users.length ?? 0;
    if (declared !== settings.users) problems.push(`the export declares ${declared} users, not ${settings.users}`);
    const groups = exportedFile?.groups.length ?? 0;
    if (groups !== 2 * GROUPS) problems.push(`the export declares ${groups} groups, not ${2 * GROUPS}`);
    // Every user is in one group.
    const memberships = exportedFile?.users.reduce((sum, user) => sum + user.groups.length, 0) ?? 0;
    if (memberships !== settings.users) problems.push(`the export declares ${memberships} memberships, not ${settings.users}`);
    process.stderr.write('[bench] drift:\n');
    const drift = await measure('drift', ['drift', '--file', file, ...common], emulator, env, settings.rate);
    if (drift.exitCode !== 0) problems.push(`drift exited ${drift.exitCode} on the exported file (expected 0, no drift): ${drift.stderrTail}`);

    const rows = [exported, drift].map((m) => {
      const callsOk = m.calls <= settings.users + m.pages;
      if (!callsOk) problems.push(`${m.command}: ${m.calls} calls, more than ${settings.users} users + ${m.pages} pages`);
      const perItem = PER_ITEM_READS.filter((op) => (m.callsByOperation[op] ?? 0) > 0);
      if (perItem.length > 0) problems.push(`${m.command}: per-user or per-group reads ${perItem.map((op) => `${op} ${m.callsByOperation[op]}`).join(', ')}: lists only`);
      return {
        command: m.command,
        calls: `${integer(m.calls)} (${Object.entries(m.callsByOperation).map(([op, n]) => `${op} ${integer(n)}`).join(', ')})`,
        bound: `${integer(settings.users + m.pages)} ${callsOk ? '✓' : '✗'}`,
        throttled: integer(m.throttled),
        wall: `${(m.wallMs / 1000).toFixed(1)} s`,
        floor: `${(m.floorMs / 1000).toFixed(1)} s`,
        ratio: `${m.ratioToFloor.toFixed(2)}× ${m.ratioToFloor <= TARGET_RATIO ? '✓' : `(target ${TARGET_RATIO}×)`}`,
      };
    });
    const header = { command: 'command', calls: 'calls (requests answered)', bound: 'users + pages', throttled: 'throttled', wall: 'wall time', floor: 'floor calls/rate', ratio: 'wall / floor' };
    const keys = Object.keys(header) as Array<keyof typeof header>;
    const widths = keys.map((k) => Math.max(header[k].length, ...rows.map((r) => r[k].length)));
    const line = (r: typeof header) => keys.map((k, i) => r[k].padEnd(widths[i])).join('  ').trimEnd();
    process.stdout.write(`\n${settings.users} users, ${settings.rate} requests/s\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n\n`);

    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const out = path.join(RESULTS_DIR, settings.smoke ? 'read-smoke.json' : 'read-latest.json');
    fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), settings, targetRatio: TARGET_RATIO, measures: [exported, drift], problems }, null, 2)}\n`);
    process.stderr.write(`[bench] written to ${path.relative(ROOT, out)}\n`);
    for (const m of [exported, drift]) {
      if (m.ratioToFloor > TARGET_RATIO) process.stderr.write(`[bench] note: ${m.command} took ${m.ratioToFloor.toFixed(2)}× the floor; the target is ${TARGET_RATIO}×\n`);
    }
  } finally {
    await emulator.stop();
    await iam.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    process.stderr.write(`\nThe benchmark found ${problems.length} problem(s):\n- ${problems.join('\n- ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 2;
});
