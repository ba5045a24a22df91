// Row 4: the QuickSight calls each lifecycle operation makes, counted at the emulator, for our
// handler and for the AwsCustomResource handler, each fed the events its own template produces.
// Beside the count: whether QuickSight ends up as declared, since a call that leaves the user as
// it was is no saving.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { OWNER_TAG_KEY } from '../lib/model';
import type { EmulatedUser } from '../test/emulator/quicksight-emulator';
import { loadAwsCustomResourceHandler, runAwsCustomResourceHandler } from './aws-custom-resource-handler';
import { withEmulator, type QuickSightEmulator } from './emulator';
import { createEvent, declaredResource, deleteEvent, updateEvent, type DeclaredResource } from './events';
import { OUR_HANDLER_FILE } from './handler-files';
import { ACCOUNT, NAMESPACE, WAYS, type BenchUser, type Way } from './ways';

export interface OperationResult {
  readonly calls: number;
  readonly byOperation: Record<string, number>;
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  /** What differs between QuickSight and the declaration afterwards (empty: as declared). */
  readonly differences: string[];
}

export interface LifecycleRow {
  readonly operation: string;
  /** The fewest calls the change needs, where that is clear. */
  readonly floor?: number;
  readonly results: Record<Way, OperationResult>;
}

interface Scenario {
  readonly operation: string;
  readonly floor?: number;
  readonly kind: 'create' | 'replayed create' | 'update' | 'delete';
  /** Declared before the measured event (created first, not counted). */
  readonly before?: BenchUser;
  /** Declared by the measured event. */
  readonly after: BenchUser;
  /** A user made by hand before the stack's create. */
  readonly existing?: Parameters<QuickSightEmulator['putUser']>[0];
}

const ALICE: BenchUser = { UserName: 'alice', Email: 'alice@example.com', UserRole: 'READER', Tags: { team: 'finance' } };
const WITH_PERMISSIONS: BenchUser = { ...ALICE, CustomPermissionsName: 'NoExports' };
const WITH_LOGIN: BenchUser = { ...ALICE, ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://login.example.com', ExternalLoginId: 'alice-1' };

const SCENARIOS: readonly Scenario[] = [
  { operation: 'create', floor: 1, kind: 'create', after: ALICE },
  {
    operation: 'create, user exists (adopt, differs)', kind: 'create', after: ALICE,
    existing: { accountId: ACCOUNT, userName: 'alice', email: 'old@example.com', role: 'ADMIN', identityType: 'QUICKSIGHT' },
  },
  { operation: 'create replayed (adopt, same)', kind: 'replayed create', after: ALICE },
  { operation: 'update email', floor: 1, kind: 'update', before: ALICE, after: { ...ALICE, Email: 'alice@example.org' } },
  { operation: 'update role', floor: 1, kind: 'update', before: ALICE, after: { ...ALICE, UserRole: 'AUTHOR' } },
  { operation: 'custom permissions on', floor: 1, kind: 'update', before: ALICE, after: WITH_PERMISSIONS },
  { operation: 'custom permissions off', floor: 1, kind: 'update', before: WITH_PERMISSIONS, after: ALICE },
  { operation: 'external login on', floor: 1, kind: 'update', before: ALICE, after: WITH_LOGIN },
  { operation: 'external login off', floor: 1, kind: 'update', before: WITH_LOGIN, after: ALICE },
  { operation: 'tags', floor: 1, kind: 'update', before: ALICE, after: { ...ALICE, Tags: { team: 'sales' } } },
  { operation: 'replacement (user name)', floor: 2, kind: 'update', before: ALICE, after: { ...ALICE, UserName: 'alice.smith', Email: 'alice.smith@example.com' } },
  { operation: 'delete', floor: 1, kind: 'delete', after: ALICE },
];

interface Outcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalId: string;
  readonly reason?: string;
}

type Driver = (event: CloudFormationCustomResourceEvent) => Promise<Outcome>;

function drivers(): Record<Way, Driver> {
  const ours = require(OUR_HANDLER_FILE) as typeof import('../lambda');
  const theirs = loadAwsCustomResourceHandler();
  return {
    ours: async (event) => {
      try {
        const outcome = await ours.handle(event, { budgetMs: 60_000, log: () => undefined });
        return { status: 'SUCCESS', physicalId: outcome.PhysicalResourceId };
      } catch (error) {
        return { status: 'FAILED', physicalId: '', reason: (error as Error).message };
      }
    },
    acr: async (event) => {
      const response = await runAwsCustomResourceHandler(theirs, event);
      return { status: response.Status, physicalId: response.PhysicalResourceId, reason: response.Reason };
    },
  };
}

export async function measureLifecycleCalls(): Promise<LifecycleRow[]> {
  const declared = new Map<string, DeclaredResource>();
  const resourceOf = (way: Way, user: BenchUser) => {
    const key = `${way} ${JSON.stringify(user)}`;
    if (!declared.has(key)) declared.set(key, declaredResource(way, user));
    return declared.get(key)!;
  };
  return withEmulator(async (emulator) => {
    const run = drivers();
    const rows: LifecycleRow[] = [];
    for (const scenario of SCENARIOS) {
      const results = {} as Record<Way, OperationResult>;
      for (const way of WAYS) {
        emulator.reset();
        results[way] = await runScenario(scenario, run[way], (user) => resourceOf(way, user), emulator);
      }
      rows.push({ operation: scenario.operation, floor: scenario.floor, results });
    }
    return rows;
  });
}

async function runScenario(scenario: Scenario, run: Driver, resourceOf: (user: BenchUser) => DeclaredResource, emulator: QuickSightEmulator): Promise<OperationResult> {
  const after = resourceOf(scenario.after);
  if (scenario.existing) emulator.putUser(scenario.existing);

  const setUp = async (user: BenchUser): Promise<string> => {
    const created = await run(createEvent(resourceOf(user), 'setup'));
    if (created.status !== 'SUCCESS') throw new Error(`${scenario.operation}: the setup create failed: ${created.reason}`);
    return created.physicalId;
  };
  let outcome: Outcome;
  let expectGone: string | undefined;
  switch (scenario.kind) {
    case 'create':
      emulator.resetCalls();
      outcome = await run(createEvent(after));
      break;
    case 'replayed create':
      await setUp(scenario.after);
      emulator.resetCalls();
      outcome = await run(createEvent(after));
      break;
    case 'update': {
      const before = resourceOf(scenario.before!);
      const physicalId = await setUp(scenario.before!);
      emulator.resetCalls();
      outcome = await run(updateEvent(physicalId, before, after));
      if (outcome.status === 'SUCCESS' && outcome.physicalId !== physicalId) {
        // A new physical id: CloudFormation deletes the old one once the update succeeded.
        const cleanup = await run(deleteEvent(physicalId, before, 'cleanup'));
        if (cleanup.status !== 'SUCCESS') outcome = cleanup;
        expectGone = scenario.before!.UserName;
      }
      break;
    }
    case 'delete': {
      const physicalId = await setUp(scenario.after);
      emulator.resetCalls();
      outcome = await run(deleteEvent(physicalId, after));
      expectGone = scenario.after.UserName;
      break;
    }
  }
  const byOperation: Record<string, number> = {};
  for (const call of emulator.calls) byOperation[call.operation] = (byOperation[call.operation] ?? 0) + 1;
  const differences = scenario.kind === 'delete' ? [] : differencesFrom(scenario.after, emulator.getUser(ACCOUNT, NAMESPACE, scenario.after.UserName));
  if (expectGone && emulator.getUser(ACCOUNT, NAMESPACE, expectGone)) differences.push(`user '${expectGone}' still exists`);
  return { calls: emulator.callCount(), byOperation, status: outcome.status, reason: outcome.reason, differences };
}

/** The fields where the user in QuickSight differs from the declaration. */
function differencesFrom(declared: BenchUser, user: EmulatedUser | undefined): string[] {
  if (!user) return ['user missing'];
  const differences: string[] = [];
  const check = (field: string, actual: unknown, wanted: unknown) => {
    if (actual !== wanted) differences.push(`${field} is ${JSON.stringify(actual ?? null)}, declared ${JSON.stringify(wanted ?? null)}`);
  };
  check('Email', user.email, declared.Email);
  check('Role', user.role, declared.UserRole);
  check('CustomPermissionsName', user.customPermissionsName, declared.CustomPermissionsName);
  const loginType = user.externalLoginFederationProviderType === 'NONE' ? undefined : user.externalLoginFederationProviderType;
  check('ExternalLoginFederationProviderType', loginType, declared.ExternalLoginFederationProviderType);
  const { [OWNER_TAG_KEY]: _owner, ...tags } = user.tags;
  check('Tags', JSON.stringify(sorted(tags)), JSON.stringify(sorted(declared.Tags ?? {})));
  return differences;
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
