// Bad input, property-based (fast-check, fixed seeds, bounded runs):
// - construct props: the construct either synthesizes a template the handler accepts, or throws
//   one Error that names the construct path and the prop;
// - raw CloudFormation events to handle() (missing fields, wrong types, stringified values, huge
//   strings, unicode, control characters, `../` and `%2F` in names): the handler either succeeds
//   or throws a HandlerError whose FAILED response fits well within CloudFormation's 4096 bytes;
//   no request that breaks QuickSight's model reaches the emulator, and no user lands outside the
//   namespace path its declaration names. The judge of "breaks QuickSight's model" is the official
//   model (botocore's, test/judges/quicksight-model.ts), applied to each request as it travelled
//   (the emulator's call log keeps method, encoded path, query and body): not the emulator's
//   validation, and not lib/model.ts.
import { RemovalPolicy } from 'aws-cdk-lib';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import fc from 'fast-check';
import { ExternalLoginFederationProviderType, IdentityType, QuickSightUser, UserRole, type QuickSightUserProps } from '../lib';
import { addressOf, formatUserArn, parseUserArn } from '../lib/model';
import { handle } from '../lambda';
import { readDeclaredUser } from '../lambda/properties';
import { SdkQuickSightUsers, type QuickSightUsers } from '../lambda/quicksight';
import { CREATE_FAILED_MARKER, frameworkReason, MAX_RESPONSE_BYTES, resolveValue, stringifyScalars, type Template } from './cfn-simulator';
import { useEmulator } from './handler-harness';
import { readRequest } from './judges/quicksight-model';
import { writeFigures } from './reliability/figures';
import { synth } from './reliability/stacks';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const emulator = useEmulator({ seed: 99 });
const figures = { constructCases: 0, constructValid: 0, constructRejected: 0, eventCases: 0, eventSucceeded: 0, eventFailed: 0, requestsJudged: 0, modelViolationsReachingQuickSight: 0, usersOutsideTheirNamespace: 0, largestFailedResponseBytes: 0 };

/** Strings that have broken parsers, paths and byte limits elsewhere. */
const NASTY = [
  '', ' ', '../', '../../admin', '..', '.', 'a/b', '%2F', '..%2F..%2Fadmin', '%2e%2e%2f', 'a%00b', 'a\u0000b', 'line\nbreak', 'tab\there', '\u007f',
  'José', 'Ünïcödé', '日本語', '🙂', 'e\u0301', '\u202Eevil', '\uD800', 'null', 'undefined', 'true', '123456789012', '{"a":1}', '<script>', "it's", 'a"b', 'a\\b',
];

const nastyString = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.tuple(fc.constantFrom('x', 'é', '日', '🙂', '/', '.'), fc.integer({ min: 60, max: 3_000 })).map(([c, n]) => c.repeat(n)),
);

// ---- CONSTRUCT PROPS ----

const PROP_NAMES = [
  'email', 'identityType', 'role', 'userName', 'iamArn', 'sessionName', 'namespace', 'awsAccountId', 'identityRegion', 'customPermissionsName',
  'externalLoginFederationProviderType', 'customFederationProviderUrl', 'externalLoginId', 'tags', 'removalPolicy',
];

const propsArbitrary: fc.Arbitrary<Record<string, unknown>> = fc.record({
  email: fc.oneof(fc.constant('alice@example.com'), nastyString),
  identityType: fc.constantFrom<string>(IdentityType.QUICKSIGHT, IdentityType.IAM, IdentityType.IAM_IDENTITY_CENTER, 'SAML'),
  role: fc.constantFrom<string>(...Object.values(UserRole), 'OWNER'),
  userName: fc.option(fc.oneof(fc.constantFrom('alice', 'bob.smith@example.com'), nastyString), { nil: undefined }),
  iamArn: fc.option(fc.oneof(
    fc.constantFrom(`arn:aws:iam::${ACCOUNT}:user/bob`, `arn:aws:iam::${ACCOUNT}:role/Analysts`, `arn:aws:iam::${ACCOUNT}:role/team/Analysts`, `arn:aws:iam::${ACCOUNT}:user/../admin`),
    fc.integer({ min: 60, max: 70 }).map((n) => `arn:aws:iam::${ACCOUNT}:role/${'r'.repeat(n)}`),
    nastyString,
  ), { nil: undefined }),
  sessionName: fc.option(fc.oneof(fc.constantFrom('carol', '..', 'a/b'), nastyString), { nil: undefined }),
  namespace: fc.option(fc.oneof(fc.constantFrom('default', 'finance', '..', '.'), nastyString), { nil: undefined }),
  awsAccountId: fc.option(fc.oneof(fc.constant(ACCOUNT), nastyString), { nil: undefined }),
  identityRegion: fc.option(fc.oneof(fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1'), nastyString), { nil: undefined }),
  customPermissionsName: fc.option(fc.oneof(fc.constant('NoExports'), nastyString), { nil: undefined }),
  externalLoginFederationProviderType: fc.option(fc.constantFrom<string>(...Object.values(ExternalLoginFederationProviderType), 'SAML'), { nil: undefined }),
  customFederationProviderUrl: fc.option(fc.oneof(fc.constant('https://login.example.com'), nastyString), { nil: undefined }),
  externalLoginId: fc.option(fc.oneof(fc.constant('id-1'), nastyString), { nil: undefined }),
  tags: fc.option(fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom('team', 'aws:x', 'quicksight-user-cdk:owner'), nastyString), fc.oneof(fc.constant('v'), nastyString), { maxKeys: 4 }),
    fc.integer({ min: 48, max: 51 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))),
  ), { nil: undefined }),
  removalPolicy: fc.option(fc.constantFrom(RemovalPolicy.DESTROY, RemovalPolicy.RETAIN, RemovalPolicy.SNAPSHOT), { nil: undefined }),
  adoptExistingUser: fc.option(fc.boolean(), { nil: undefined }),
}, { requiredKeys: ['email', 'identityType', 'role'] });

/** Most props break a rule; these pass, so that valid templates get their share of the cases. */
const validPropsArbitrary: fc.Arbitrary<Record<string, unknown>> = fc.record({
  userName: fc.stringMatching(/^[a-zA-Z0-9._@%+=, -]{1,40}$/).filter((s) => s !== '.' && s !== '..' && s.trim() === s && s.length > 0),
  namespace: fc.stringMatching(/^[a-zA-Z0-9_-][a-zA-Z0-9._-]{0,20}$/),
  role: fc.constantFrom(UserRole.READER, UserRole.AUTHOR, UserRole.ADMIN_PRO),
  tags: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), { maxKeys: 3 }),
}).map((p) => ({ ...p, email: 'x@example.com', identityType: IdentityType.QUICKSIGHT }));

describe('construct props', () => {
  test('a valid template the handler accepts, or exactly one Error naming the construct path and the prop', () => {
    fc.assert(fc.property(fc.oneof({ arbitrary: propsArbitrary, weight: 3 }, { arbitrary: validPropsArbitrary, weight: 1 }), (props) => {
      figures.constructCases += 1;
      let template: Template | undefined;
      let error: unknown;
      try {
        template = synth((stack) => { new QuickSightUser(stack, 'User', props as unknown as QuickSightUserProps); }, { stackName: 'Fuzz' });
      } catch (e) {
        error = e;
      }
      if (error !== undefined) {
        figures.constructRejected += 1;
        expect(error).toBeInstanceOf(Error);
        const message = (error as Error).message;
        expect(message).toContain('Fuzz/User');
        expect(PROP_NAMES.some((name) => message.includes(name))).toBe(true);
        expect(message).not.toMatch(/\[object Object\]|is not a function|Cannot read prop/);
        return;
      }
      figures.constructValid += 1;
      const resources = Object.values(template!.Resources ?? {}).filter((r) => r.Type === 'Custom::QuickSightUser');
      expect(resources).toHaveLength(1);
      // The handler reads the template's properties back as CloudFormation sends them, and accepts them.
      const properties = stringifyScalars(resolveValue(resources[0].Properties, {
        pseudo: { accountId: ACCOUNT, region: REGION, partition: 'aws', stackName: 'Fuzz', stackId: 'arn:stack', urlSuffix: 'amazonaws.com' },
        parameters: {}, ref: () => undefined, getAtt: () => 'arn:aws:lambda:us-east-1:123456789012:function:provider', condition: () => false,
      }, 'fuzz')) as Record<string, unknown>;
      const { spec } = readDeclaredUser(properties);
      // The declared user's ARN parses back to the same namespace and name: the name cannot escape its namespace path.
      const arn = `arn:aws:quicksight:${spec.IdentityRegion}:${spec.AwsAccountId}:user/${spec.Namespace}/${spec.IdentityType === 'IAM' ? 'ignored' : spec.UserName}`;
      expect(parseUserArn(arn)).toMatchObject({ namespace: spec.Namespace });
      expect(['.', '..']).not.toContain(spec.Namespace);
    }), { seed: 20240601, numRuns: 200 });
  });
});

// ---- RAW EVENTS ----

type Mutation = (props: Record<string, unknown>) => void;

const FIELDS = ['AwsAccountId', 'Namespace', 'IdentityRegion', 'Email', 'IdentityType', 'UserRole', 'IamArn', 'SessionName', 'UserName',
  'CustomPermissionsName', 'ExternalLoginFederationProviderType', 'CustomFederationProviderUrl', 'ExternalLoginId', 'Tags', 'AdoptExistingUser', 'ServiceToken'];

const wrongValue = fc.oneof(
  nastyString,
  fc.constantFrom<unknown>(null, 0, 12, -1, 1e21, true, false, [], {}, ['a'], { Key: 'k' }, [{ Key: 'k', Value: 1 }], [{ Key: 'k' }], [null], 'true', 'FALSE', '12'),
  fc.tuple(fc.constantFrom('../', '%2F', '/', '..'), fc.constantFrom('alice', 'admin', '')).map(([a, b]) => `${a}${b}`),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...FIELDS).map((field): Mutation => (p) => { delete p[field]; }),
  fc.tuple(fc.constantFrom(...FIELDS), wrongValue).map(([field, value]): Mutation => (p) => { p[field] = value; }),
  fc.tuple(fc.constantFrom('UserName', 'Namespace', 'SessionName'), fc.constantFrom('../', '%2F..%2F', '/', '..', '%252F')).map(([field, value]): Mutation => (p) => {
    p[field] = typeof p[field] === 'string' ? `${p[field]}${value}admin` : value;
  }),
  fc.tuple(nastyString, nastyString).map(([key, value]): Mutation => (p) => { p[key || 'Extra'] = value; }),
  // Near the limits: IAM names of 60 to 70 characters (IAM allows 64), long valid user names.
  fc.integer({ min: 60, max: 70 }).map((n): Mutation => (p) => { if (typeof p.IamArn === 'string') p.IamArn = p.IamArn.replace(/[^/]+$/, 'r'.repeat(n)); }),
  fc.tuple(fc.constantFrom('x', 'é', ' '), fc.integer({ min: 200, max: 1_500 })).map(([c, n]): Mutation => (p) => { if (p.UserName !== undefined) p.UserName = `u${c.repeat(n)}`; }),
  fc.array(fc.tuple(nastyString, nastyString), { maxLength: 3 }).map((tags): Mutation => (p) => { p.Tags = tags.map(([Key, Value]) => ({ Key, Value })); }),
);

const baseProps = fc.constantFrom<Record<string, unknown>>(
  { IdentityType: 'QUICKSIGHT', UserName: 'alice' },
  { IdentityType: 'IAM_IDENTITY_CENTER', UserName: 'alice' },
  { IdentityType: 'IAM', IamArn: `arn:aws:iam::${ACCOUNT}:user/alice` },
  { IdentityType: 'IAM', IamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, SessionName: 'alice' },
  { IdentityType: 'QUICKSIGHT', UserName: 'alice', Namespace: 'finance', Tags: [{ Key: 'team', Value: 'x' }], CustomPermissionsName: 'NoExports' },
  { IdentityType: 'IAM', IamArn: `arn:aws:iam::${ACCOUNT}:user/alice`, ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://login.example.com', ExternalLoginId: 'a' },
).map((extra) => ({
  ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider`, AwsAccountId: ACCOUNT, Namespace: 'default', IdentityRegion: REGION,
  Email: 'alice@example.com', UserRole: 'READER', ...extra,
}));

const propsWithMutations = fc.tuple(baseProps, fc.array(mutation, { maxLength: 3 })).map(([props, mutations]) => {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(props));
  for (const m of mutations) m(copy);
  return copy;
});

const physicalId = fc.oneof(
  fc.constantFrom(
    `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/default/alice`, `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/finance/alice`,
    `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/default/Analysts/alice`, `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/default/../admin/alice`,
    `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/../default/alice`, `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/default/%2F..%2Fadmin`,
    CREATE_FAILED_MARKER, 'not-an-arn', '',
  ),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

const eventArbitrary = fc.record({
  RequestType: fc.oneof({ arbitrary: fc.constantFrom('Create', 'Update', 'Delete'), weight: 8 }, { arbitrary: fc.constantFrom('create', 'Replace', '', undefined), weight: 1 }),
  ResourceProperties: fc.oneof({ arbitrary: propsWithMutations, weight: 12 }, { arbitrary: fc.constantFrom<unknown>(undefined, null, 'props', [], 42), weight: 1 }),
  OldResourceProperties: fc.oneof({ arbitrary: propsWithMutations, weight: 6 }, { arbitrary: baseProps, weight: 3 }, { arbitrary: fc.constantFrom<unknown>(undefined, null, 'x', [1]), weight: 1 }),
  PhysicalResourceId: fc.option(physicalId, { nil: undefined, freq: 8 }),
  LogicalResourceId: fc.oneof(fc.constant('User'), fc.stringMatching(/^[A-Za-z0-9]{1,255}$/)),
  existing: fc.boolean(),
});

/**
 * The shape of a rollback: CloudFormation sends the deployed properties back to the deployed user,
 * with the (possibly invalid) properties of the failed update as the old ones; and the failed
 * update itself, the other way round.
 */
const rollbackShapedArbitrary = fc.tuple(baseProps, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([base, mutations, forward]) => {
  const mutated: Record<string, unknown> = JSON.parse(JSON.stringify(base));
  for (const m of mutations) m(mutated);
  const address = addressOf(readDeclaredUser(base).spec)!;
  return {
    RequestType: 'Update',
    ResourceProperties: forward ? mutated : base,
    OldResourceProperties: forward ? base : mutated,
    PhysicalResourceId: formatUserArn(address),
    LogicalResourceId: 'User',
    existing: true,
  };
});

/** The requests that reached the emulator since its last reset and break the official model. */
function modelViolations() {
  const requests = emulator().calls.flatMap((c) => (c.request ? [c.request] : []));
  figures.requestsJudged += requests.length;
  return requests.map((r) => ({ request: `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`, ...readRequest(r) }))
    .filter((v) => v.violations.length > 0)
    .map(({ request, operation, violations }) => ({ request, operation, broken: violations }));
}

/** The QuickSight client, recording every user address the handler asks it to act on. */
function recordingClient(addresses: Array<{ namespace: string; userName: string }>) {
  return (region: string, signal: AbortSignal): QuickSightUsers => {
    const real = new SdkQuickSightUsers(region, signal);
    const byArn = (arn: string) => {
      const parsed = parseUserArn(arn);
      addresses.push(parsed ? { namespace: parsed.namespace, userName: parsed.userName } : { namespace: '(not a user ARN)', userName: arn });
    };
    return new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const [first] = args as [Record<string, string> | string];
          if (prop === 'describe' || prop === 'update' || prop === 'delete') addresses.push(first as never);
          if (prop === 'listTags' || prop === 'tag' || prop === 'untag') byArn(first as string);
          return value.apply(target, args);
        };
      },
    });
  };
}

/** The physical id the Provider framework answers with: the handler's, else the event's (or its markers). */
function sentPhysicalId(event: CloudFormationCustomResourceEvent, outcome: { result: { PhysicalResourceId?: string } } | { error: unknown }): string {
  const given = (event as { PhysicalResourceId?: string }).PhysicalResourceId;
  if ('error' in outcome) return given || CREATE_FAILED_MARKER;
  return outcome.result.PhysicalResourceId || (event.RequestType === 'Create' ? event.RequestId : given) || 'AWSCDK::CustomResourceProviderFramework::MISSING_PHYSICAL_ID';
}

describe('raw CloudFormation events', () => {
  test('success, or a clear FAILED that fits CloudFormation\'s response; no model violation reaches QuickSight; no user escapes its namespace', async () => {
    const logLines: string[] = [];
    await fc.assert(fc.asyncProperty(fc.oneof({ arbitrary: eventArbitrary, weight: 2 }, { arbitrary: rollbackShapedArbitrary, weight: 1 }), async (generated) => {
      figures.eventCases += 1;
      emulator().reset();
      emulator().addNamespace(ACCOUNT, 'finance');
      const { existing, ...fields } = generated;
      if (existing) {
        emulator().putUser({ accountId: ACCOUNT, userName: 'alice', email: 'old@example.com', role: 'AUTHOR', identityType: 'QUICKSIGHT' });
        emulator().putUser({ accountId: ACCOUNT, userName: 'Analysts/alice', email: 'old@example.com', role: 'AUTHOR', identityType: 'IAM' });
      }
      const event = {
        ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider`,
        ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/fuzz',
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Fuzz/6b0b4c50-0000-4000-8000-000000000001`,
        RequestId: '2f3a4b5c-0000-4000-8000-000000000001',
        ResourceType: 'Custom::QuickSightUser',
        ...fields,
      } as unknown as CloudFormationCustomResourceEvent;

      const addresses: Array<{ namespace: string; userName: string }> = [];
      const outcome = await handle(JSON.parse(JSON.stringify(event)), { budgetMs: 5_000, log: (line) => logLines.push(line), quickSight: recordingClient(addresses) })
        .then((result) => ({ result }), (error: unknown) => ({ error }));

      const response = {
        Status: 'result' in outcome ? 'SUCCESS' : 'FAILED',
        Reason: 'error' in outcome ? frameworkReason(outcome.error, 'Fuzz') : 'SUCCESS',
        StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
        PhysicalResourceId: sentPhysicalId(event, outcome),
        Data: 'result' in outcome ? outcome.result.Data : undefined,
      };
      const bytes = Buffer.byteLength(JSON.stringify(response), 'utf8');
      if ('error' in outcome) {
        figures.eventFailed += 1;
        figures.largestFailedResponseBytes = Math.max(figures.largestFailedResponseBytes, bytes);
        expect(outcome.error).toBeInstanceOf(Error);
        expect((outcome.error as Error).name).toBe('HandlerError');
        const message = (outcome.error as Error).message;
        expect(message.length).toBeGreaterThan(20);
        expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(1_500);
        expect(message).not.toMatch(/\[object Object\]|is not a function|Cannot read prop|is not iterable/);
        // Well within CloudFormation's limit: the framework adds the log group and the stack trace.
        expect(bytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES - 512);
      } else {
        figures.eventSucceeded += 1;
        expect(bytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
        expect(response.PhysicalResourceId.length).toBeLessThanOrEqual(1_024);
      }

      // No request broke QuickSight's model, as the official model judges each request that arrived.
      const violations = modelViolations();
      figures.modelViolationsReachingQuickSight += violations.length;
      expect(violations).toEqual([]);
      // No user, and no address the handler acted on, escapes its namespace path.
      for (const a of addresses) {
        expect(a.namespace).toMatch(/^[a-zA-Z0-9._-]{1,64}$/);
        expect(['.', '..']).not.toContain(a.namespace);
        expect(a.userName.split('/').length).toBeLessThanOrEqual(2);
      }
      for (const user of emulator().users()) {
        const escaped = user.arn !== `arn:aws:quicksight:${REGION}:${ACCOUNT}:user/${user.namespace}/${user.userName}`
          || ['.', '..'].includes(user.namespace)
          || (user.userName.includes('/') && !(user.identityType === 'IAM' && /^[\w+=,.@-]+\/[\w+=.@-]+$/.test(user.userName)));
        if (escaped) figures.usersOutsideTheirNamespace += 1;
        expect({ user: user.arn, escaped }).toEqual({ user: user.arn, escaped: false });
      }
      if ('result' in outcome && event.RequestType !== 'Delete') {
        const declared = readDeclaredUser(event.ResourceProperties).spec;
        expect(parseUserArn(outcome.result.PhysicalResourceId)).toMatchObject({ namespace: declared.Namespace, accountId: declared.AwsAccountId });
      }
    }), { seed: 20240602, numRuns: 500 });

    // The logs of all those cases carry no email address and no URL.
    expect(logLines.filter((line) => /[^\s@"'<>()]+@[^\s@"'<>()]+\.[a-z]{2,}/i.test(line) || /https?:\/\//i.test(line))).toEqual([]);
  }, 240_000);
});

describe('the model check is live', () => {
  test('a client that sends a session name of one character is caught by the model, whatever the emulator says', async () => {
    emulator().reset();
    const breaking = (region: string, signal: AbortSignal): QuickSightUsers => {
      const real = new SdkQuickSightUsers(region, signal);
      return new Proxy(real, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== 'register') return typeof value === 'function' ? value.bind(target) : value;
          return (spec: Record<string, unknown>, tags: unknown) => (value as Function).call(target, { ...spec, SessionName: 'x' }, tags);
        },
      });
    };
    const event = {
      RequestType: 'Create', ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider`, ResponseURL: 'https://example.invalid/', RequestId: 'r', LogicalResourceId: 'User',
      StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Fuzz/6b0b4c50-0000-4000-8000-000000000001`, ResourceType: 'Custom::QuickSightUser',
      ResourceProperties: { ServiceToken: 'x', AwsAccountId: ACCOUNT, Namespace: 'default', IdentityRegion: REGION, Email: 'carol@example.com', UserRole: 'READER', IdentityType: 'IAM', IamArn: `arn:aws:iam::${ACCOUNT}:role/Analysts`, SessionName: 'carol' },
    } as unknown as CloudFormationCustomResourceEvent;
    await handle(event, { budgetMs: 5_000, log: () => undefined, quickSight: breaking }).catch(() => undefined);
    expect(modelViolations()).toEqual([expect.objectContaining({ operation: 'RegisterUser', broken: [{ at: 'SessionName', rule: 'has 1 characters, fewer than 2' }] })]);
  });
});

afterAll(() => writeFigures('fuzz', figures));
