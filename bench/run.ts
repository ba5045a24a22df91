// `npm run bench`: measures the QuickSightUser construct against the hand-written AwsCustomResource
// way, both in the same run, and prints one table; writes it to bench/results/latest.json and
// latest.md. See BENCHMARKS.md for what each row means.
//
//   node dist/bench/run.js [--smoke] [--only template,synth,cold,calls,bulk]
//
// --smoke: tiny sizes and one run of each, to keep the benchmark working in CI (well under a
// minute). Benchmarks are not timed tests: the run fails only when something is wrong (a user not
// registered, a limit check that does not hold, our handler leaving QuickSight unlike the
// declaration), never because a number is slow.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RETRY_POLICY } from '../lambda/quicksight';
import { measureBulkRegistration, type BulkRegistration } from './bulk-registration';
import { measureColdStart, type ColdStart } from './cold-start';
import { measureLifecycleCalls, type LifecycleRow, type OperationResult } from './lifecycle-calls';
import { measureSynthTime, type SynthTime } from './synth-time';
import { formatMarkdown, formatText, integer, ratio, type Row } from './table';
import { measureTemplateCost, type TemplateCost } from './template-cost';
import { WAYS, type Way } from './ways';

const SECTIONS = ['template', 'synth', 'cold', 'calls', 'bulk'] as const;
type Section = (typeof SECTIONS)[number];

interface Settings {
  readonly template: { base: number; step: number; verify: boolean };
  readonly synth: { sizes: number[]; runs: number };
  readonly cold: { runs: number };
  readonly bulk: { users: number; ratePerSecond: number };
}

const FULL: Settings = {
  template: { base: 100, step: 100, verify: true },
  synth: { sizes: [100, 450], runs: 5 },
  cold: { runs: 7 },
  bulk: { users: 200, ratePerSecond: 10 },
};

const SMOKE: Settings = {
  template: { base: 5, step: 5, verify: false },
  synth: { sizes: [10], runs: 1 },
  cold: { runs: 1 },
  bulk: { users: 20, ratePerSecond: 10 },
};

/** The bulk target: all users registered, in at most this multiple of the floor N / R. */
const BULK_TARGET_RATIO = 1.5;

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

function parseArgs(argv: string[]): { smoke: boolean; only: Set<Section> } {
  let smoke = false;
  let only = new Set<Section>(SECTIONS);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--smoke') smoke = true;
    else if (argv[i] === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !SECTIONS.includes(n as Section));
      if (names.length === 0 || unknown.length > 0) throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(', ')} (got '${argv[i] ?? ''}')`);
      only = new Set(names as Section[]);
    } else throw new Error(`Unknown option ${argv[i]}: use --smoke and/or --only ${SECTIONS.join(',')}`);
  }
  return { smoke, only };
}

function machine() {
  const cpu = fs.existsSync('/proc/cpuinfo') ? /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] : os.cpus()[0]?.model;
  return {
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpu: cpu ?? 'unknown',
    node: process.version,
    awsCdkLib: (require('aws-cdk-lib/package.json') as { version: string }).version,
    os: `${os.type()} ${os.release()}`,
  };
}

/** A problem that makes the run fail: wrong results, not slow ones. */
const problems: string[] = [];
function check(condition: boolean, problem: string): void {
  if (!condition) problems.push(problem);
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ---- rows, section by section ----

function templateRows(costs: TemplateCost[]): Row[] {
  const of = (way: Way, outputs: boolean) => costs.find((c) => c.way === way && c.outputs === outputs)!;
  const rows: Row[] = [];
  for (const outputs of [false, true]) {
    const [ours, acr] = [of('ours', outputs), of('acr', outputs)];
    const on = outputs ? 'outputs on' : 'outputs off';
    rows.push({ section: 1, measure: `template bytes per user, ${on}`, ours: integer(ours.bytesPerUser), acr: integer(acr.bytesPerUser), ratio: ratio(ours.bytesPerUser, acr.bytesPerUser) });
    rows.push({ section: 1, measure: `resources / outputs per user, ${on}`, ours: `${ours.resourcesPerUser} / ${ours.outputsPerUser}`, acr: `${acr.resourcesPerUser} / ${acr.outputsPerUser}`, ratio: ratio(ours.resourcesPerUser, acr.resourcesPerUser) });
  }
  const [ours, acr] = [of('ours', false), of('acr', false)];
  rows.push({ section: 1, measure: 'fixed cost per stack (bytes / resources)', ours: `${integer(ours.fixed.bytes)} / ${ours.fixed.resources}`, acr: `${integer(acr.fixed.bytes)} / ${acr.fixed.resources}`, ratio: '—' });
  for (const outputs of [false, true]) {
    const [o, a] = [of('ours', outputs), of('acr', outputs)];
    const describe = (c: TemplateCost) => `${c.maxUsers} (${c.bindingLimit})${c.verification ? (c.verification.brokenAtMax.length === 0 && c.verification.brokenBeyondMax.length > 0 ? ' ✓' : ' ✗') : ''}`;
    rows.push({ section: 1, measure: `max users per stack, ${outputs ? 'outputs on' : 'outputs off'}`, ours: describe(o), acr: describe(a), ratio: ratio(o.maxUsers, a.maxUsers) });
  }
  return rows;
}

function synthRows(times: SynthTime[]): Row[] {
  return times.flatMap((t) => [
    { label: `synth ${t.users} users, ms (median of ${t.runs})`, times: t.withValidation },
    { label: `synth ${t.users} users without the CDK's validation, ms`, times: t.withoutValidation },
  ].map(({ label, times: { medianMs } }) => ({
    section: 2, measure: label, ours: integer(medianMs.ours), acr: integer(medianMs.acr), ratio: ratio(medianMs.ours, medianMs.acr),
  })));
}

function coldRows(cold: ColdStart): Row[] {
  return [
    { section: 3, measure: 'handler asset, bytes', ours: integer(cold.assetBytes.ours), acr: integer(cold.assetBytes.acr), ratio: ratio(cold.assetBytes.ours, cold.assetBytes.acr) },
    {
      section: 3, measure: 'JavaScript loaded by the first event, bytes (files)',
      ours: `${integer(cold.loadedBytes.ours)} (${cold.loadedFiles.ours})`, acr: `${integer(cold.loadedBytes.acr)} (${cold.loadedFiles.acr})`,
      ratio: ratio(cold.loadedBytes.ours, cold.loadedBytes.acr),
    },
    { section: 3, measure: `handler load, ms (median of ${cold.runs})`, ours: integer(cold.medianLoadMs.ours), acr: integer(cold.medianLoadMs.acr), ratio: ratio(cold.medianLoadMs.ours, cold.medianLoadMs.acr) },
    { section: 3, measure: `load + first create answered, ms (median of ${cold.runs})`, ours: integer(cold.medianFirstEventMs.ours), acr: integer(cold.medianFirstEventMs.acr), ratio: ratio(cold.medianFirstEventMs.ours, cold.medianFirstEventMs.acr) },
  ];
}

function describeCalls(result: OperationResult): string {
  if (result.status === 'FAILED') return `${result.calls}, FAILED`;
  return result.differences.length === 0 ? String(result.calls) : `${result.calls}, not applied`;
}

function callRows(rows: LifecycleRow[]): Row[] {
  return rows.map((r) => {
    const { ours, acr } = r.results;
    const comparable = acr.status === 'SUCCESS' && acr.differences.length === 0;
    return {
      section: 4,
      measure: `API calls: ${r.operation}${r.floor !== undefined ? ` (floor ${r.floor})` : ''}`,
      ours: describeCalls(ours), acr: describeCalls(acr), ratio: comparable ? ratio(ours.calls, acr.calls) : '—',
    };
  });
}

function bulkRows(bulk: Record<Way, BulkRegistration>): Row[] {
  const { ours, acr } = bulk;
  const time = (b: BulkRegistration) => `${(b.totalMs / 1000).toFixed(1)} s (${b.ratioToFloor.toFixed(2)}× floor)`;
  return [
    { section: 5, measure: `bulk: ${ours.users} creates at ${ours.ratePerSecond} req/s, succeeded`, ours: String(ours.successes), acr: String(acr.successes), ratio: '—' },
    {
      section: 5, measure: `bulk: time to the last answer (floor ${(ours.floorMs / 1000).toFixed(0)} s)`,
      ours: time(ours), acr: acr.successes === acr.users ? time(acr) : `${time(acr)}, ${acr.users - acr.successes} failed`,
      ratio: acr.successes === acr.users ? ratio(ours.totalMs, acr.totalMs) : '—',
    },
    { section: 5, measure: 'bulk: requests (throttled)', ours: `${integer(ours.requests)} (${integer(ours.throttled)})`, acr: `${integer(acr.requests)} (${integer(acr.throttled)})`, ratio: '—' },
  ];
}

// ---- main ----

async function main(): Promise<void> {
  const { smoke, only } = parseArgs(process.argv.slice(2));
  const settings = smoke ? SMOKE : FULL;
  const started = Date.now();
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};

  if (only.has('template')) {
    progress('1/5 template cost per user and max users per stack');
    const costs: TemplateCost[] = [];
    for (const way of WAYS) for (const outputs of [false, true]) costs.push(measureTemplateCost(way, outputs, settings.template));
    for (const c of costs) {
      check(c.resourcesPerUser > 0 && c.bytesPerUser > 0, `template cost of ${c.way}: a user must cost something (got ${c.bytesPerUser} bytes, ${c.resourcesPerUser} resources)`);
      if (c.verification) {
        check(c.verification.brokenAtMax.length === 0, `${c.way}, outputs ${c.outputs ? 'on' : 'off'}: a stack of ${c.maxUsers} users breaks ${c.verification.brokenAtMax.join(', ')}`);
        check(c.verification.brokenBeyondMax.length > 0, `${c.way}, outputs ${c.outputs ? 'on' : 'off'}: a stack of ${c.maxUsers + 1} users breaks no limit, so ${c.maxUsers} is not the maximum`);
      }
    }
    rows.push(...templateRows(costs));
    details.templateCost = costs;
  }

  if (only.has('synth')) {
    const times: SynthTime[] = [];
    for (const users of settings.synth.sizes) {
      progress(`2/5 synth time, ${users} users, ${settings.synth.runs} run(s) per way`);
      times.push(await measureSynthTime(users, settings.synth.runs));
    }
    rows.push(...synthRows(times));
    details.synthTime = times;
  }

  if (only.has('cold')) {
    progress(`3/5 handler cold start, ${settings.cold.runs} run(s) per way`);
    const cold = await measureColdStart(settings.cold.runs);
    rows.push(...coldRows(cold));
    details.coldStart = cold;
  }

  if (only.has('calls')) {
    progress('4/5 API calls per lifecycle operation');
    const lifecycle = await measureLifecycleCalls();
    for (const r of lifecycle) {
      const ours = r.results.ours;
      check(ours.status === 'SUCCESS' && ours.differences.length === 0, `our handler, ${r.operation}: ${ours.status} ${ours.reason ?? ''} ${ours.differences.join('; ')}`.trim());
    }
    rows.push(...callRows(lifecycle));
    details.lifecycleCalls = lifecycle;
  }

  if (only.has('bulk')) {
    const { users, ratePerSecond } = settings.bulk;
    const bulk = {} as Record<Way, BulkRegistration>;
    for (const way of WAYS) {
      progress(`5/5 bulk registration, ${way}: ${users} processes against ${ratePerSecond} req/s`);
      bulk[way] = await measureBulkRegistration(way, users, ratePerSecond);
      check(bulk[way].registered === bulk[way].successes, `bulk ${way}: ${bulk[way].successes} handlers succeeded but QuickSight holds ${bulk[way].registered} of the users`);
    }
    check(bulk.ours.successes === users, `bulk: only ${bulk.ours.successes} of ${users} creates succeeded with our handler: ${bulk.ours.failures.join(' / ')}`);
    rows.push(...bulkRows(bulk));
    details.bulkRegistration = bulk;
  }

  const text = formatText(rows);
  process.stdout.write(`\n${text}\n\n`);
  const mode = smoke ? 'smoke' : 'full';
  const result = {
    date: new Date().toISOString(),
    mode,
    durationS: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    settings,
    retryPolicy: RETRY_POLICY,
    rows,
    details,
    problems,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // A partial run (--only) does not overwrite the last complete one.
  const partial = only.size < SECTIONS.length ? `-${[...only].join('-')}` : '';
  const base = path.join(RESULTS_DIR, `${smoke ? 'smoke' : 'latest'}${partial}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, `${formatMarkdown(rows)}\n`);
  progress(`${mode} run done in ${result.durationS} s; written to ${path.relative(ROOT, base)}.json and .md`);

  if (!smoke && details.bulkRegistration) {
    const ours = (details.bulkRegistration as Record<Way, BulkRegistration>).ours;
    if (ours.ratioToFloor > BULK_TARGET_RATIO) progress(`note: bulk registration took ${ours.ratioToFloor.toFixed(2)}× the floor; the target is ${BULK_TARGET_RATIO}×`);
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
