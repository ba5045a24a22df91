// The scenario matrix: stacks built with the real QuickSightUser construct (a new App per
// deployment), synthesized, and deployed through the CloudFormation simulator, which drives the
// real handler against the QuickSight emulator over HTTP. After each scenario the emulator must
// hold exactly what the last successful deployment declares: no declared user missing, no
// undeclared user left, none deleted that another resource or stack manages, and no user
// deregistered and registered again (which would lose its dashboards) unless its identity changed.
import { CfnResource, CustomResource, RemovalPolicy, Tags, type Stack } from 'aws-cdk-lib';
import { ExternalLoginFederationProviderType, IdentityType, QuickSightUser, UserRole, type QuickSightUserProps } from '../lib';
import { OWNER_TAG_KEY } from '../lib/model';
import { adoptedMarkerOf } from '../lambda/ownership';
import { SdkQuickSightUsers } from '../lambda/quicksight';
import {
  checkState, CloudFormationSimulator, principalIds, reRegistered, type EventRecord, type SimulatorOptions, type StateCheckOptions,
} from './cfn-simulator';
import { useEmulator } from './handler-harness';
import { countEvents, writeFigures } from './reliability/figures';
import { EnforcedDeployer } from './reliability/deployer';

const ACCOUNT = '123456789012';
const emulator = useEmulator();
const arn = (name: string, namespace = 'default') => `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/${namespace}/${name}`;

/** Every log line the handler wrote during the matrix, and every event sent. */
const logLines: string[] = [];
const events: EventRecord[] = [];
const figures = { scenarios: 0, lost: 0, leaked: 0, drifted: 0, reRegistered: 0, callsUnderIam: 0 };

type Build = (stack: Stack) => void;

/** The construct id a logical id was made from (CDK appends a hash of the path). */
const shortId = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');
const logicalIdOf = (cfn: CloudFormationSimulator, id: string) => [...cfn.resources.keys()].find((key) => shortId(key) === id)!;

class Deployer extends EnforcedDeployer {
  constructor(options: SimulatorOptions = {}) {
    super(emulator, { logLines, events }, options);
  }
}

function user(stack: Stack, id: string, name: string, props: Partial<QuickSightUserProps> = {}): QuickSightUser {
  return new QuickSightUser(stack, id, {
    identityType: IdentityType.QUICKSIGHT, userName: name, email: `${name}@example.com`, role: UserRole.READER, ...props,
  });
}

/** The matrix's verdict on a scenario: the emulator holds exactly what the stacks declare. */
function expectConverged(stacks: Deployer[], options: StateCheckOptions = {}): void {
  // Every call was checked against the policy of the stack that made it, and IAM refused none.
  const calls = emulator().calls;
  figures.callsUnderIam += calls.filter((c) => c.authorization !== undefined).length;
  // (IAM's refusal is a 403; QuickSight's own AccessDeniedException, the identity-region error, a 401.)
  expect(calls.filter((c) => c.errorType === 'AccessDeniedException' && c.status === 403).map((c) => `${c.operation} ${c.authorization?.resource}`)).toEqual([]);
  const state = checkState(emulator(), stacks.map((s) => s.cfn), options);
  figures.lost += state.lost.length;
  figures.leaked += state.leaked.length;
  figures.drifted += state.drifted.length;
  expect(state).toEqual({ lost: [], leaked: [], drifted: [] });
}

/** No user present before and after was deregistered and registered again, except `except`. */
function expectNotReRegistered(before: Map<string, string>, except: string[] = []): void {
  const again = reRegistered(before, principalIds(emulator())).filter((a) => !except.includes(a));
  figures.reRegistered += again.length;
  expect(again).toEqual([]);
}

function scenario(name: string, body: () => Promise<void>, timeout?: number): void {
  test(name, async () => {
    await body();
    figures.scenarios += 1;
  }, timeout);
}

const ALL_KINDS: Build = (stack) => {
  for (let i = 0; i < 4; i++) user(stack, `Reader${i}`, `reader${i}`);
  user(stack, 'Author', 'author', { role: UserRole.AUTHOR, tags: { team: 'finance' } });
  user(stack, 'Admin', 'admin', { role: UserRole.ADMIN_PRO, customPermissionsName: 'NoExports' });
  user(stack, 'Bob', 'ignored', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:user/bob` });
  user(stack, 'Carol', 'ignored', {
    identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, sessionName: 'carol',
    externalLoginFederationProviderType: ExternalLoginFederationProviderType.CUSTOM_OIDC, customFederationProviderUrl: 'https://login.example.com', externalLoginId: 'carol-42',
  });
  user(stack, 'Erin', 'ignored', {
    identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:role/path/Analysts`, sessionName: 'erin',
    externalLoginFederationProviderType: ExternalLoginFederationProviderType.COGNITO, externalLoginId: 'erin-1',
  });
  // (IAM Identity Center users live in accounts of their own: test/identity-center.test.ts.)
  user(stack, 'Dave', 'dave@example.com', { email: 'dave@example.com', role: UserRole.AUTHOR_PRO });
  user(stack, 'Quiet', 'quiet', { stackOutputs: false });
  user(stack, 'Kept', 'kept', { removalPolicy: RemovalPolicy.RETAIN });
  Tags.of(stack).add('managed-by', 'quicksight-user-cdk');
};

const V1: Build = (s) => {
  user(s, 'A', 'alice'); user(s, 'B', 'bob'); user(s, 'C', 'carol', { tags: { team: 'x' } }); user(s, 'D', 'dan');
};
const V2: Build = (s) => {
  user(s, 'A', 'alice', { email: 'alice.new@example.com' });
  user(s, 'B', 'bobby', { email: 'bob@example.com' });
  user(s, 'C', 'carol', { role: UserRole.AUTHOR, tags: { team: 'y' } });
  user(s, 'D', 'dan', { namespace: 'finance' });
  user(s, 'E', 'erin');
};

// ---- CREATE, UPDATE IN PLACE ----

describe('create and update in place', () => {
  scenario('create N users of every kind, with their outputs', async () => {
    const app = new Deployer();
    const result = await app.deploy(ALL_KINDS);
    expect(result.status).toBe('CREATE_COMPLETE');
    expect(result.events).toHaveLength(12);
    expectConverged([app]);
    const outputs = Object.entries(app.cfn.outputs());
    const invitations = outputs.filter(([name]) => name.includes('InvitationUrl'));
    // The 8 QUICKSIGHT users with outputs get their invitation URL; the 11 users with outputs their ARN.
    expect(invitations).toHaveLength(8);
    expect(invitations.every(([, url]) => String(url).startsWith('https://'))).toBe(true);
    expect(outputs.filter(([name]) => /^[A-Za-z0-9]+Arn[0-9A-F]{8}$/.test(name)).map(([, value]) => value).sort())
      .toEqual([...app.cfn.resources.values()].filter((r) => !r.logicalId.startsWith('Quiet')).map((r) => r.physicalId).sort());
  });

  const inPlace: Array<[string, Array<Partial<QuickSightUserProps>>]> = [
    ['change email', [{}, { email: 'alice.new@example.com' }]],
    ['role up, then down', [{ role: UserRole.READER }, { role: UserRole.ADMIN_PRO }, { role: UserRole.READER }]],
    ['custom permissions on, then off', [{}, { customPermissionsName: 'NoExports' }, {}]],
    ['external login on, changed, then off', [{},
      { externalLoginFederationProviderType: ExternalLoginFederationProviderType.COGNITO, externalLoginId: 'a-1' },
      { externalLoginFederationProviderType: ExternalLoginFederationProviderType.CUSTOM_OIDC, customFederationProviderUrl: 'https://login.example.com', externalLoginId: 'a-2' },
      {}]],
    ['tags added, changed and removed', [{ tags: { team: 'finance', old: '1' } }, { tags: { team: 'sales', new: '2' } }, {}]],
  ];
  for (const [name, versions] of inPlace) {
    scenario(`${name}: in place, same user`, async () => {
      const app = new Deployer();
      await app.deploy((s) => user(s, 'Alice', 'alice', versions[0]));
      const before = principalIds(emulator());
      for (const version of versions.slice(1)) {
        const result = await app.deploy((s) => user(s, 'Alice', 'alice', version));
        expect(result.status).toBe('UPDATE_COMPLETE');
        expect(result.events.map((e) => `${e.requestType} ${e.status}`)).toEqual(['Update SUCCESS']);
        expectConverged([app]);
      }
      expectNotReRegistered(before);
    });
  }

  scenario('Tags.of() on the stack reaches every user, in place', async () => {
    const app = new Deployer();
    const build = (value: string): Build => (s) => {
      user(s, 'A', 'alice', { tags: { env: 'mine' } });
      user(s, 'B', 'bob');
      Tags.of(s).add('env', value);
    };
    await app.deploy(build('dev'));
    const before = principalIds(emulator());
    await app.deploy(build('prod'));
    expectConverged([app]);
    expect(emulator().getUser(ACCOUNT, 'default', 'alice')!.tags.env).toBe('prod');
    expectNotReRegistered(before);
  });
});

// ---- REPLACEMENT ----

describe('replacement', () => {
  scenario('rename a user: the new user is registered, the old one deleted after the whole update', async () => {
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'A', 'alice'); user(s, 'B', 'bob'); });
    const before = principalIds(emulator());
    const result = await app.deploy((s) => { user(s, 'A', 'alicia', { email: 'alice@example.com' }); user(s, 'B', 'bob', { role: UserRole.AUTHOR }); });
    expect(result.events.map((e) => `${e.phase} ${e.requestType} ${shortId(e.logicalId)}`)).toEqual(['UPDATE Update A', 'UPDATE Update B', 'UPDATE_CLEANUP Delete A']);
    expectConverged([app]);
    expectNotReRegistered(before);
  });

  scenario('change identity type keeping the name: refused before any change, rolled back, the user untouched', async () => {
    const app = new Deployer();
    await app.deploy((s) => user(s, 'Dave', 'dave'));
    const before = emulator().getUser(ACCOUNT, 'default', 'dave');
    const result = await app.deploy((s) => user(s, 'Dave', 'dave', { identityType: IdentityType.IAM_IDENTITY_CENTER }));
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.failure).toMatch(/QuickSight user 'dave' has identity type QUICKSIGHT; this update declares identity type IAM_IDENTITY_CENTER under the same name\..*deploy once without this user/);
    expect(result.events.map((e) => `${e.phase} ${e.requestType} ${e.status}`)).toEqual(['UPDATE Update FAILED', 'UPDATE_ROLLBACK Update SUCCESS']);
    expectConverged([app]);
    expect(emulator().getUser(ACCOUNT, 'default', 'dave')).toEqual(before);
  });

  scenario('change identity type keeping the name, the documented way: remove the user, then declare it again', async () => {
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'Keep', 'keep'); user(s, 'Dave', 'dave'); });
    await app.deploy((s) => user(s, 'Keep', 'keep'));
    expect(emulator().getUser(ACCOUNT, 'default', 'dave')).toBeUndefined();
    const result = await app.deploy((s) => { user(s, 'Keep', 'keep'); user(s, 'Dave', 'dave', { identityType: IdentityType.IAM, userName: undefined, iamArn: `arn:aws:iam::${ACCOUNT}:user/dave` }); });
    expect(result.status).toBe('UPDATE_COMPLETE');
    expectConverged([app]);
    expect(emulator().getUser(ACCOUNT, 'default', 'dave')!.identityType).toBe('IAM');
  });

  scenario('move a user to another namespace', async () => {
    emulator().addNamespace(ACCOUNT, 'finance');
    const app = new Deployer();
    await app.deploy((s) => user(s, 'A', 'alice'));
    const result = await app.deploy((s) => user(s, 'A', 'alice', { namespace: 'finance' }));
    expect(result.events.map((e) => `${e.phase} ${e.requestType} ${e.physicalId ?? ''}`)).toEqual(['UPDATE Update ' + arn('alice'), 'UPDATE_CLEANUP Delete ' + arn('alice')]);
    expectConverged([app]);
    expect(emulator().users().map((u) => u.arn)).toEqual([arn('alice', 'finance')]);
  });

  scenario('two resources swap user names: both users kept, each under its new owner', async () => {
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'A', 'alice'); user(s, 'B', 'bob'); });
    const before = principalIds(emulator());
    await app.deploy((s) => { user(s, 'A', 'bob'); user(s, 'B', 'alice'); });
    expectConverged([app]);
    expect(emulator().getUser(ACCOUNT, 'default', 'bob')!.tags[OWNER_TAG_KEY]).toBe(adoptedMarkerOf(app.cfn.ownerOf(logicalIdOf(app.cfn, 'A'))));
    expectNotReRegistered(before);
  });
});

// ---- REMOVAL, DELETION ----

describe('removal and deletion', () => {
  scenario('remove a user from the app: deleted in the cleanup phase; a RETAIN one is kept', async () => {
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'A', 'alice'); user(s, 'B', 'bob', { removalPolicy: RemovalPolicy.RETAIN }); user(s, 'C', 'carol'); });
    const result = await app.deploy((s) => { user(s, 'C', 'carol'); });
    expect(result.events.map((e) => `${e.phase} ${e.requestType} ${shortId(e.logicalId)}`)).toEqual(['UPDATE_CLEANUP Delete A']);
    expectConverged([app]);
    expect(emulator().users().map((u) => u.userName).sort()).toEqual(['bob', 'carol']);
  });

  scenario('a RETAIN user removed and declared again is adopted, not registered twice', async () => {
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'B', 'bob', { removalPolicy: RemovalPolicy.RETAIN }); user(s, 'C', 'carol'); });
    const before = principalIds(emulator());
    await app.deploy((s) => { user(s, 'C', 'carol'); });
    await app.deploy((s) => { user(s, 'C', 'carol'); user(s, 'B2', 'bob'); });
    expectConverged([app]);
    expectNotReRegistered(before);
  });

  scenario('delete the stack: every DESTROY user deregistered, RETAIN ones kept', async () => {
    const app = new Deployer();
    await app.deploy(ALL_KINDS);
    const result = await app.deleteStack();
    expect(result.status).toBe('DELETE_COMPLETE');
    expect(result.events).toHaveLength(11);
    expectConverged([app]);
    expect(emulator().users().map((u) => u.userName).sort()).toEqual(['kept']);
  });

  scenario('a user moved to another stack is adopted there and left in place by the old stack\'s cleanup', async () => {
    const first = new Deployer({ stackName: 'UsersA' });
    const second = new Deployer({ stackName: 'UsersB' });
    await first.deploy((s) => { user(s, 'Alice', 'alice'); user(s, 'Bob', 'bob'); });
    const before = principalIds(emulator());
    await second.deploy((s) => { user(s, 'Alice', 'alice'); });
    await first.deploy((s) => { user(s, 'Bob', 'bob'); });
    expectConverged([first, second]);
    expectNotReRegistered(before);
    await first.deleteStack();
    expectConverged([first, second]);
  });
});

// ---- ADOPTION ----

describe('adoption', () => {
  for (const [policy, kept] of [[RemovalPolicy.DESTROY, false], [RemovalPolicy.RETAIN, true]] as const) {
    scenario(`adopt a user made by hand, then delete the stack with RemovalPolicy.${policy}: ${kept ? 'kept' : 'deregistered'}`, async () => {
      emulator().putUser({ accountId: ACCOUNT, userName: 'alice', email: 'old@example.com', role: 'ADMIN', identityType: 'QUICKSIGHT', tags: { stray: 'x' } });
      const before = principalIds(emulator());
      const app = new Deployer();
      const created = await app.deploy((s) => user(s, 'A', 'alice', { removalPolicy: policy, tags: { team: 'finance' } }));
      expect(created.status).toBe('CREATE_COMPLETE');
      expectConverged([app]);
      expectNotReRegistered(before);

      await app.deleteStack();
      expectConverged([app]);
      expect(emulator().getUser(ACCOUNT, 'default', 'alice') !== undefined).toBe(kept);
    });
  }

  scenario('adoptExistingUser false: the create fails with a clear reason, the stack rolls back, the user made by hand is untouched', async () => {
    const handMade = emulator().putUser({ accountId: ACCOUNT, userName: 'alice', email: 'old@example.com', role: 'ADMIN', identityType: 'QUICKSIGHT' });
    const app = new Deployer();
    const result = await app.deploy((s) => { user(s, 'B', 'bob'); user(s, 'A', 'alice', { adoptExistingUser: false }); });
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failure).toMatch(/^A[0-9A-F]{8}: QuickSight user 'alice' already exists in namespace 'default' of account 123456789012, and adoptExistingUser is false/);
    expectConverged([app], { alsoPresent: [handMade.arn] });
    expect(emulator().getUser(ACCOUNT, 'default', 'alice')).toEqual(handMade);
  });
});

// ---- ZERO LOSS: A ROLLBACK ONLY UNDOES WHAT THE FAILED DEPLOYMENT REGISTERED ----

describe('a rollback never deregisters a user that was there before', () => {
  const handMade = (userName: string) => emulator().putUser({ accountId: ACCOUNT, userName, email: `${userName}@example.com`, role: 'READER', identityType: 'QUICKSIGHT', tags: { owner: 'hand' } });

  for (const failAfter of [0, 2, 5]) {
    scenario(`the first deployment adopts 5 existing users and registers 2, another resource fails after ${failAfter}: every existing user kept, unmarked`, async () => {
      const existing = ['u0', 'u1', 'u2', 'u3', 'u4'].map(handMade);
      const before = principalIds(emulator());
      const app = new Deployer();
      const result = await app.deploy((s) => {
        for (const u of existing) user(s, u.userName.toUpperCase(), u.userName, { role: UserRole.AUTHOR });
        user(s, 'N1', 'new1'); user(s, 'N2', 'new2');
      }, { failAfter });
      expect(result.status).toBe('ROLLBACK_COMPLETE');
      expect(result.events.filter((e) => e.phase === 'ROLLBACK' && e.requestType === 'Delete' && e.status === 'FAILED')).toEqual([]);
      // Every existing user is still there, with its principal id (its assets), unmarked; the new ones are gone.
      expectConverged([app], { alsoPresent: existing.map((u) => u.arn) });
      expectNotReRegistered(before);
      for (const u of existing) expect(emulator().getUser(ACCOUNT, 'default', u.userName)!.tags[OWNER_TAG_KEY]).toBeUndefined();
    });
  }

  scenario('a rename onto a user that already exists, rolled back: the existing user survives, unmarked', async () => {
    const bobby = handMade('bobby');
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'B', 'bob'); });
    const before = principalIds(emulator());
    const result = await app.deploy((s) => { user(s, 'B', 'bobby'); }, { failAfter: 1 });
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.events.map((e) => `${e.phase} ${e.requestType} ${e.physicalId ?? ''}`)).toEqual([
      `UPDATE Update ${arn('bob')}`, `UPDATE_ROLLBACK_CLEANUP Delete ${arn('bobby')}`,
    ]);
    expectConverged([app], { alsoPresent: [bobby.arn] });
    expectNotReRegistered(before);
    expect(emulator().getUser(ACCOUNT, 'default', 'bobby')!.tags[OWNER_TAG_KEY]).toBeUndefined();
  });

  scenario('a rename onto an existing user that succeeds: the user is adopted, the old one deleted; a later stack delete deregisters it', async () => {
    handMade('bobby');
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'B', 'bob'); });
    const result = await app.deploy((s) => { user(s, 'B', 'bobby'); });
    expect(result.status).toBe('UPDATE_COMPLETE');
    expectConverged([app]);
    await app.deleteStack();
    expect(emulator().users()).toEqual([]);
  });

  scenario('an adopted user removed by a successful deployment is deregistered (an intended delete)', async () => {
    handMade('alice');
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'A', 'alice'); user(s, 'B', 'bob'); });
    await app.deploy((s) => { user(s, 'B', 'bob'); });
    expectConverged([app]);
    expect(emulator().getUser(ACCOUNT, 'default', 'alice')).toBeUndefined();
  });

  scenario('a Create that registers its user and then fails leaves no user behind', async () => {
    // QuickSight registers the user, and the answer never reaches the handler.
    const lostAnswer = (region: string, signal: AbortSignal) => {
      const api = new SdkQuickSightUsers(region, signal);
      const register = api.register.bind(api);
      api.register = async (spec, tags) => {
        const result = await register(spec, tags);
        if (spec.UserName === 'doomed') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
        return result;
      };
      return api;
    };
    const app = new Deployer({ quickSight: lostAnswer });
    const result = await app.deploy((s) => { user(s, 'A', 'alice'); user(s, 'D', 'doomed'); });
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failure).toMatch(/QuickSight RegisterUser for user 'doomed' failed with TimeoutError/);
    expectConverged([app]);
    expect(emulator().users()).toEqual([]);
  });

  scenario('with adoptExistingUser: false, a rename onto a user made by hand fails cleanly and the rollback leaves that user untouched', async () => {
    const bobby = emulator().putUser({ accountId: ACCOUNT, userName: 'bobby', email: 'bobby@example.com', role: 'ADMIN', identityType: 'QUICKSIGHT' });
    const app = new Deployer();
    await app.deploy((s) => { user(s, 'B', 'bob', { adoptExistingUser: false }); });
    const before = principalIds(emulator());
    const result = await app.deploy((s) => { user(s, 'B', 'bobby', { adoptExistingUser: false }); }, { failAfter: 1 });
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.failure).toMatch(/QuickSight user 'bobby' already exists in namespace 'default' .* adoptExistingUser is false/);
    expectConverged([app], { alsoPresent: [bobby.arn] });
    expect(emulator().getUser(ACCOUNT, 'default', 'bobby')).toEqual(bobby);
    expectNotReRegistered(before);
  });
});

// ---- FAILURES AND ROLLBACKS ----

describe('failures and rollbacks', () => {
  for (const failAfter of [0, 1, 2, 3, 4]) {
    scenario(`roll back an update halfway (another resource fails after ${failAfter} of 5 changes)`, async () => {
      emulator().addNamespace(ACCOUNT, 'finance');
      const app = new Deployer();
      await app.deploy(V1);
      const before = principalIds(emulator());
      const result = await app.deploy(V2, { failAfter });
      expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
      expect(result.events.filter((e) => e.phase === 'UPDATE')).toHaveLength(failAfter);
      expectConverged([app]);
      expectNotReRegistered(before);

      // The same change deployed again succeeds from the rolled-back state.
      expect((await app.deploy(V2)).status).toBe('UPDATE_COMPLETE');
      expectConverged([app]);
    });
  }

  scenario('a replacement that QuickSight refuses (unknown namespace) rolls back with the user intact', async () => {
    const app = new Deployer();
    await app.deploy(V1);
    const before = principalIds(emulator());
    const moved = await app.deploy((s) => {
      user(s, 'A', 'alice', { role: UserRole.ADMIN }); user(s, 'B', 'bob'); user(s, 'C', 'carol', { tags: { team: 'x' } });
      user(s, 'D', 'dan', { namespace: 'nowhere' });
    });
    expect(moved.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(moved.failure).toMatch(/^D[0-9A-F]{8}: QuickSight RegisterUser for user 'dan' failed with ResourceNotFoundException \(HTTP 404, 1 attempt\): .*Check that namespace 'nowhere' exists/);
    expectConverged([app]);
    expectNotReRegistered(before);
  });

  for (const [what, tags] of [['tags that are not a list', 'not-a-list'], ['a tag key over 128 characters', [{ Key: 'k'.repeat(129), Value: 'v' }]]] as const) {
    scenario(`an update the handler refuses (${what}, through an escape hatch) rolls back cleanly`, async () => {
      const app = new Deployer();
      await app.deploy(V1);
      const before = principalIds(emulator());
      const result = await app.deploy((s) => {
        V1(s);
        const resource = (s.node.findChild('C').node.findChild('Resource') as CustomResource).node.defaultChild as CfnResource;
        resource.addPropertyOverride('Tags', tags);
      });
      expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
      expect(result.failure).toMatch(/^C[0-9A-F]{8}: Invalid properties for QuickSight user 'carol': Tags /);
      // The rollback Update carries the refused properties as the old ones, and succeeds.
      expect(result.events.map((e) => `${e.phase} ${e.requestType} ${e.status}`)).toEqual(['UPDATE Update FAILED', 'UPDATE_ROLLBACK Update SUCCESS']);
      expectConverged([app]);
      expectNotReRegistered(before);
    });
  }

  scenario('the wrong identity region: the reason says which identityRegion to set; nothing changes', async () => {
    const app = new Deployer();
    await app.deploy(V1);
    const before = principalIds(emulator());
    const result = await app.deploy((s) => { V1(s); user(s, 'F', 'fay', { identityRegion: 'eu-west-1' }); });
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.failure).toContain("set identityRegion: 'us-east-1' on this QuickSightUser (it is 'eu-west-1' now)");
    expectConverged([app]);
    expectNotReRegistered(before);
  });

  scenario('a failed create of a new stack rolls back to nothing, and the fixed app then deploys', async () => {
    const app = new Deployer();
    const broken = await app.deploy((s) => { V1(s); user(s, 'F', 'fay', { namespace: 'nowhere' }); });
    expect(broken.status).toBe('ROLLBACK_COMPLETE');
    expect(broken.events.filter((e) => e.answeredBy === 'framework').map((e) => shortId(e.logicalId))).toEqual(['F']);
    expect(emulator().users()).toEqual([]);
    const fixed = await app.deploy(V1);
    expect(fixed.status).toBe('CREATE_COMPLETE');
    expectConverged([app]);
  });

  scenario('redeploy after a user was deleted by hand: the next change to it registers it again', async () => {
    const app = new Deployer();
    await app.deploy(V1);
    emulator().removeUser(ACCOUNT, 'default', 'bob');
    // CloudFormation sends nothing for a resource whose properties did not change: the next
    // deployment that touches the user (here a stack-wide tag) brings it back.
    await app.deploy((s) => { V1(s); Tags.of(s).add('touched', '1'); });
    expectConverged([app]);
  });
});

// ---- REPLAYS ----

describe('replayed events', () => {
  scenario('replayed creates and updates: one user each, adopted by the replay', async () => {
    const app = new Deployer({ replay: (event) => event.RequestType !== 'Delete' });
    await app.deploy(ALL_KINDS);
    const before = principalIds(emulator());
    await app.deploy((s) => { ALL_KINDS(s); Tags.of(s).add('touched', '1'); });
    expectConverged([app]);
    expectNotReRegistered(before);
    expect(app.cfn.events.every((e) => e.deliveries === 2)).toBe(true);
  });

  scenario('replayed deletes: success, nothing else deleted', async () => {
    const app = new Deployer({ replay: (event) => event.RequestType === 'Delete' });
    const other = new Deployer({ stackName: 'Others' });
    await other.deploy((s) => user(s, 'Z', 'zoe'));
    await app.deploy(V1);
    await app.deploy((s) => { user(s, 'A', 'alice'); user(s, 'B', 'bobby', { email: 'bob@example.com' }); });
    expectConverged([app, other]);
    const deleted = await app.deleteStack();
    expect(deleted.events.every((e) => e.status === 'SUCCESS' && e.deliveries === 2)).toBe(true);
    expectConverged([app, other]);
  });
});

// ---- LOGS ----

describe('IAM enforced', () => {
  test('the matrix\'s calls were checked against the policy of the stack that made them', () => {
    expect(figures.callsUnderIam).toBeGreaterThan(300);
  });
});

describe('what the handler logs', () => {
  test('no log line of the whole matrix carries an email address or an invitation URL', () => {
    const invitationUrls = events.map((e) => e.data?.InvitationUrl).filter((url): url is string => !!url);
    const emails = [...new Set(events.flatMap((e) => [e.resourceProperties.Email, e.oldResourceProperties?.Email]).filter((x): x is string => typeof x === 'string'))];
    expect(logLines.length).toBeGreaterThan(200);
    expect(invitationUrls.length).toBeGreaterThan(10);
    expect(emails.length).toBeGreaterThan(10);
    const leaks = logLines.filter((line) => /[^\s@"'<>()]+@[^\s@"'<>()]+\.[a-z]{2,}/i.test(line) || /https?:\/\//i.test(line)
      || emails.some((email) => line.includes(email)) || invitationUrls.some((url) => line.includes(url)));
    expect(leaks).toEqual([]);
  });
});

afterAll(() => {
  writeFigures('scenarios', {
    ...figures,
    events: events.length,
    eventsByAnswer: countEvents(events),
    handlerLogLines: logLines.length,
  });
});
