// The CloudFormation simulator itself: the events it sends, in which order and phase, and how it
// answers them, on hand-written templates against the emulator.
import { logLines, useEmulator } from '../handler-harness';
import { CloudFormationSimulator, CREATE_FAILED_MARKER, resolveValue, type EventRecord, type Template, type TemplateResource } from '.';

const emulator = useEmulator();
const ARN = (name: string) => `arn:aws:quicksight:us-east-1:123456789012:user/default/${name}`;

function user(name: string, extra: Record<string, unknown> = {}, attributes: Partial<TemplateResource> = {}): TemplateResource {
  return {
    Type: 'Custom::QuickSightUser',
    Properties: {
      ServiceToken: { 'Fn::GetAtt': ['ProviderFunction', 'Arn'] },
      AwsAccountId: { Ref: 'AWS::AccountId' },
      Namespace: 'default',
      IdentityRegion: { Ref: 'AWS::Region' },
      Email: `${name}@example.com`,
      IdentityType: 'QUICKSIGHT',
      UserRole: 'READER',
      UserName: name,
      ...extra,
    },
    ...attributes,
  };
}

function template(resources: Record<string, TemplateResource>): Template {
  return { Resources: { ProviderFunction: { Type: 'AWS::Lambda::Function' }, ...resources } };
}

const summary = (events: readonly EventRecord[]) => events.map((e) => `${e.phase} ${e.requestType} ${e.logicalId} ${e.physicalId ?? '-'} ${e.status}`);

function simulator(options: ConstructorParameters<typeof CloudFormationSimulator>[0] = {}) {
  return new CloudFormationSimulator({ budgetMs: 5_000, log: (line) => logLines.push(line), ...options });
}

describe('intrinsics', () => {
  const ctx = new CloudFormationSimulator();
  const resolve = (value: unknown) => resolveValue(value, {
    pseudo: { ...ctx.pseudo, stackId: 'arn:stack' },
    parameters: { Team: 'finance' },
    ref: (id) => (id === 'Other' ? 'other-id' : undefined),
    getAtt: (id, attribute) => (id === 'Other' ? `${attribute}-of-other` : undefined),
    condition: (name) => name === 'Yes',
  }, 'test');

  test('pseudo parameters, parameters, Join, Sub, Select, Split, If and NoValue', () => {
    expect(resolve({
      account: { Ref: 'AWS::AccountId' },
      arn: { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'quicksight', { Ref: 'AWS::Region' }]] },
      sub: { 'Fn::Sub': '${AWS::StackName}/${Team}/${Other}/${Other.Arn}/${!Literal}' },
      subVars: { 'Fn::Sub': ['${X}-x', { X: { Ref: 'Team' } }] },
      select: { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
      yes: { 'Fn::If': ['Yes', 'kept', 'dropped'] },
      gone: { 'Fn::If': ['No', 'x', { Ref: 'AWS::NoValue' }] },
      list: ['a', { Ref: 'AWS::NoValue' }, 'b'],
    })).toEqual({
      account: '123456789012',
      arn: 'arn:aws:quicksight:us-east-1',
      sub: 'QuickSightUsers/finance/other-id/Arn-of-other/${Literal}',
      subVars: 'finance-x',
      select: 'b',
      yes: 'kept',
      list: ['a', 'b'],
    });
  });

  test('what it cannot resolve is an error naming the function and the place', () => {
    expect(() => resolve({ x: { 'Fn::ImportValue': 'Shared' } })).toThrow("test.x.Fn::ImportValue: the simulator does not resolve Fn::ImportValue");
    expect(() => resolve({ x: { Ref: 'Missing' } })).toThrow('test.x.Ref: Ref Missing names no parameter and no resource that exists');
  });
});

describe('events', () => {
  test('create, update and delete carry the properties CloudFormation sends, scalars as strings', async () => {
    const cfn = simulator();
    const created = await cfn.deploy(template({ Alice: user('alice', { Tags: [{ Key: 'n', Value: 42 }] }) }));
    expect(created.status).toBe('CREATE_COMPLETE');
    expect(created.events[0]).toMatchObject({
      phase: 'CREATE', requestType: 'Create', logicalId: 'Alice', status: 'SUCCESS', responsePhysicalId: ARN('alice'), answeredBy: 'handler', deliveries: 1,
      resourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:QuickSightUsers-ProviderFunction', AwsAccountId: '123456789012', IdentityRegion: 'us-east-1', Tags: [{ Key: 'n', Value: '42' }] },
    });
    expect(emulator().getUser('123456789012', 'default', 'alice')!.tags.n).toBe('42');

    const updated = await cfn.deploy(template({ Alice: user('alice', { UserRole: 'AUTHOR', Tags: [{ Key: 'n', Value: 42 }] }) }));
    expect(updated.events).toHaveLength(1);
    expect(updated.events[0]).toMatchObject({
      requestType: 'Update', physicalId: ARN('alice'), resourceProperties: { UserRole: 'AUTHOR' }, oldResourceProperties: { UserRole: 'READER' },
    });

    const unchanged = await cfn.deploy(template({ Alice: user('alice', { UserRole: 'AUTHOR', Tags: [{ Key: 'n', Value: 42 }] }) }));
    expect(unchanged.events).toEqual([]);

    const deleted = await cfn.deleteStack();
    expect(summary(deleted.events)).toEqual([`DELETE Delete Alice ${ARN('alice')} SUCCESS`]);
    expect(deleted.status).toBe('DELETE_COMPLETE');
    expect(emulator().users()).toEqual([]);
  });

  test('a replaced resource\'s old id is deleted in the cleanup phase, after every update', async () => {
    const cfn = simulator();
    await cfn.deploy(template({ A: user('alice'), B: user('bob') }));
    const result = await cfn.deploy(template({ A: user('alicia'), B: user('bob', { UserRole: 'ADMIN' }) }));
    expect(summary(result.events)).toEqual([
      `UPDATE Update A ${ARN('alice')} SUCCESS`,
      `UPDATE Update B ${ARN('bob')} SUCCESS`,
      `UPDATE_CLEANUP Delete A ${ARN('alice')} SUCCESS`,
    ]);
    expect(cfn.resources.get('A')!.physicalId).toBe(ARN('alicia'));
    expect(emulator().users().map((u) => u.userName).sort()).toEqual(['alicia', 'bob']);
  });

  test('a resource removed from the template is deleted in the cleanup phase; with DeletionPolicy Retain it is released', async () => {
    const cfn = simulator();
    await cfn.deploy(template({ A: user('alice'), B: user('bob', {}, { DeletionPolicy: 'Retain' }), C: user('carol') }));
    const result = await cfn.deploy(template({ C: user('carol') }));
    expect(summary(result.events)).toEqual([`UPDATE_CLEANUP Delete A ${ARN('alice')} SUCCESS`]);
    expect(cfn.released).toEqual([{ logicalId: 'B', physicalId: ARN('bob'), why: 'DeletionPolicy Retain' }]);
    expect(emulator().users().map((u) => u.userName).sort()).toEqual(['bob', 'carol']);
  });

  test('a stack delete sends no Delete for DeletionPolicy Retain', async () => {
    const cfn = simulator();
    await cfn.deploy(template({ A: user('alice', {}, { DeletionPolicy: 'Retain' }), B: user('bob') }));
    const result = await cfn.deleteStack();
    expect(summary(result.events)).toEqual([`DELETE Delete B ${ARN('bob')} SUCCESS`]);
    expect(emulator().users().map((u) => u.userName)).toEqual(['alice']);
  });

  test('dependencies order creates forward and deletes in reverse; a GetAtt reads the other user\'s attributes', async () => {
    const cfn = simulator();
    const tpl = template({
      Second: user('second', { Tags: [{ Key: 'first', Value: { 'Fn::GetAtt': ['First', 'UserName'] } }] }),
      First: user('first'),
    });
    const created = await cfn.deploy(tpl);
    expect(created.events.map((e) => e.logicalId)).toEqual(['First', 'Second']);
    expect(emulator().getUser('123456789012', 'default', 'second')!.tags.first).toBe('first');
    const deleted = await cfn.deleteStack();
    expect(deleted.events.map((e) => e.logicalId)).toEqual(['Second', 'First']);
  });

  test('a changed ServiceToken fails the update without an event, as CloudFormation refuses it', async () => {
    const cfn = simulator();
    await cfn.deploy(template({ A: user('alice') }));
    const moved = user('alice', { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:other' });
    const result = await cfn.deploy(template({ A: moved }));
    expect(result).toMatchObject({ status: 'UPDATE_ROLLBACK_COMPLETE', failure: 'A: Modifying service token is not allowed.', events: [] });
  });
});

describe('rollbacks', () => {
  test('a failed Create rolls the new stack back: created users deleted, the failed one answered by the framework', async () => {
    const cfn = simulator();
    const result = await cfn.deploy(template({ A: user('alice'), B: user('bob', { Namespace: 'missing' }), C: user('carol') }));
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(summary(result.events)).toEqual([
      `CREATE Create A - SUCCESS`,
      `CREATE Create B - FAILED`,
      `ROLLBACK Delete B ${CREATE_FAILED_MARKER} SUCCESS`,
      `ROLLBACK Delete A ${ARN('alice')} SUCCESS`,
    ]);
    expect(result.events[2]).toMatchObject({ answeredBy: 'framework', deliveries: 0 });
    expect(result.events[1].reason).toMatch(/^QuickSight RegisterUser for user 'bob' failed with ResourceNotFoundException .*\n\nLogs: \/aws\/lambda\//);
    expect(emulator().users()).toEqual([]);

    // The CDK CLI deletes a stack in ROLLBACK_COMPLETE before creating it again.
    const again = await cfn.deploy(template({ A: user('alice') }));
    expect(again.status).toBe('CREATE_COMPLETE');
  });

  test('another resource failing rolls the update back: updates reverted, replacements and new resources deleted', async () => {
    const cfn = simulator();
    await cfn.deploy(template({ A: user('alice'), B: user('bob'), C: user('carol') }));
    const result = await cfn.deploy(template({ A: user('alice', { UserRole: 'ADMIN' }), B: user('bobby'), D: user('dan'), C: user('carol', { UserRole: 'AUTHOR' }) }), { failAfter: 3 });
    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(summary(result.events)).toEqual([
      `UPDATE Update A ${ARN('alice')} SUCCESS`,
      `UPDATE Update B ${ARN('bob')} SUCCESS`,
      `UPDATE Create D - SUCCESS`,
      `UPDATE_ROLLBACK Update A ${ARN('alice')} SUCCESS`,
      `UPDATE_ROLLBACK_CLEANUP Delete D ${ARN('dan')} SUCCESS`,
      `UPDATE_ROLLBACK_CLEANUP Delete B ${ARN('bobby')} SUCCESS`,
    ]);
    expect(result.events[3]).toMatchObject({ resourceProperties: { UserRole: 'READER' }, oldResourceProperties: { UserRole: 'ADMIN' } });
    expect(emulator().users().map((u) => `${u.userName}:${u.role}`).sort()).toEqual(['alice:READER', 'bob:READER', 'carol:READER']);
    expect([...cfn.resources.values()].map((r) => r.physicalId).sort()).toEqual([ARN('alice'), ARN('bob'), ARN('carol')]);
  });

  test('the resource whose update failed gets an Update back to its old properties too', async () => {
    const cfn = simulator();
    await cfn.deploy(template({ A: user('alice') }));
    const result = await cfn.deploy(template({ A: user('alice', { Namespace: 'missing' }) }));
    expect(summary(result.events)).toEqual([
      `UPDATE Update A ${ARN('alice')} FAILED`,
      `UPDATE_ROLLBACK Update A ${ARN('alice')} SUCCESS`,
    ]);
    expect(result.events[1]).toMatchObject({ resourceProperties: { Namespace: 'default' }, oldResourceProperties: { Namespace: 'missing' } });
  });

  test('a failed rollback leaves UPDATE_ROLLBACK_FAILED until continueUpdateRollback()', async () => {
    const cfn = simulator({ budgetMs: 1_000 });
    await cfn.deploy(template({ A: user('alice') }));
    emulator().faults.always('unavailable');
    const result = await cfn.deploy(template({ A: user('alice', { UserRole: 'ADMIN' }) }));
    expect(result.status).toBe('UPDATE_ROLLBACK_FAILED');
    await expect(cfn.deploy(template({ A: user('alice') }))).rejects.toThrow('continueUpdateRollback() first');

    emulator().faults.clear();
    const continued = await cfn.continueUpdateRollback();
    expect(continued.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(summary(continued.events)).toEqual([`UPDATE_ROLLBACK Update A ${ARN('alice')} SUCCESS`]);
  });

  test('a Delete that fails in the cleanup phase does not fail the stack: the user is abandoned', async () => {
    const cfn = simulator({ budgetMs: 1_000 });
    await cfn.deploy(template({ A: user('alice'), B: user('bob') }));
    emulator().faults.always('internal', { operation: 'ListTagsForResource' });
    const result = await cfn.deploy(template({ B: user('bob') }));
    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(cfn.released).toEqual([{ logicalId: 'A', physicalId: ARN('alice'), why: 'cleanup Delete failed' }]);
  });
});

describe('answers', () => {
  test('a replayed event reaches the handler twice and gets one answer', async () => {
    const cfn = simulator({ replay: (event) => event.RequestType === 'Create' });
    const result = await cfn.deploy(template({ A: user('alice') }));
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ status: 'SUCCESS', deliveries: 2, responsePhysicalId: ARN('alice') });
    expect(emulator().callCount('RegisterUser')).toBe(2);
  });

  test('an answer over 4096 bytes is FAILED, as CloudFormation rejects it', async () => {
    const cfn = simulator({
      quickSight: () => ({
        register: async () => ({ user: { Arn: ARN('alice'), UserName: 'alice', PrincipalId: 'p'.repeat(5_000) } }),
        describe: async () => ({}), update: async () => ({}), delete: async () => undefined, listTags: async () => ({}), tag: async () => undefined, untag: async () => undefined,
        createGroup: async () => ({}), describeGroup: async () => ({}), updateGroup: async () => ({}), deleteGroup: async () => undefined,
        addMember: async () => undefined, removeMember: async () => undefined, isMember: async () => false, listUserGroups: async () => [],
      }),
    });
    const result = await cfn.deploy(template({ A: user('alice') }));
    expect(result.events[0]).toMatchObject({ status: 'FAILED', reason: 'Response object is too long.' });
    expect(result.events[0].responseBytes).toBeGreaterThan(4096);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
  });
});
