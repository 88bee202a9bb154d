// Tests of the plugin side of RenderIdentityTemplate, EntityInfo and
// GroupsForEntity against a real gRPC host on loopback, including a host
// that predates the calls.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { isCofferError } from '../errors.js';
import { RemoteSystemView } from './host-services.js';
import { loadPluginProtocol } from './protocol.js';

type RenderCall = grpc.ServerUnaryCall<{ template: string; entity_id: string }, unknown>;
type RenderHandler = (call: RenderCall, callback: grpc.sendUnaryData<unknown>) => void;

/** Starts a SystemView host with only the given methods, or with no method at all, and returns a view on it. */
async function startHost(render: RenderHandler | undefined, others: grpc.UntypedServiceImplementation = {}): Promise<{ view: RemoteSystemView; close(): void }> {
  const protocol = loadPluginProtocol();
  const server = new grpc.Server();
  server.addService(protocol.SystemView.service, render === undefined ? others : { RenderIdentityTemplate: render, ...others });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err === null ? resolve(bound) : reject(err)));
  });
  const client = new protocol.SystemView(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    view: new RemoteSystemView(client),
    close() {
      client.close();
      server.forceShutdown();
    },
  };
}

/** Asserts that `promise` rejects with a CofferError of `status` and `message`. */
async function assertCofferError(promise: Promise<unknown>, status: number, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isCofferError(err), String(err));
    assert.equal(err.status, status);
    assert.equal(err.message, message);
    return true;
  });
}

describe('remote identity templates', () => {
  const hosts: Array<{ close(): void }> = [];
  let view: RemoteSystemView;
  const seen: Array<{ template: string; entity_id: string }> = [];

  before(async () => {
    const host = await startHost((call, callback) => {
      seen.push(call.request);
      const { template, entity_id: entityId } = call.request;
      if (template === 'bad') callback({ code: grpc.status.INVALID_ARGUMENT, details: 'invalid identity template "bad"' });
      else if (template === 'broken') callback({ code: grpc.status.INTERNAL, details: 'identity store unavailable' });
      else if (entityId === 'empty') callback(null, { rendered: '', resolved: true });
      else if (entityId === 'unknown') callback(null, { rendered: '', resolved: false });
      else callback(null, { rendered: `${entityId}.example.com`, resolved: true });
    });
    hosts.push(host);
    view = host.view;
  });

  after(() => {
    for (const host of hosts) host.close();
  });

  test('rendered value is returned', async () => {
    assert.equal(await view.renderIdentityTemplate('{{identity.entity.name}}.example.com', 'alice'), 'alice.example.com');
    assert.deepEqual(seen.at(-1), { template: '{{identity.entity.name}}.example.com', entity_id: 'alice' });
  });

  test('empty rendering differs from none', async () => {
    assert.equal(await view.renderIdentityTemplate('{{identity.entity.metadata.team}}', 'empty'), '');
    assert.equal(await view.renderIdentityTemplate('{{identity.entity.metadata.team}}', 'unknown'), undefined);
  });

  test('rejected template is a 400', async () => {
    await assertCofferError(view.renderIdentityTemplate('bad', 'alice'), 400, 'invalid identity template "bad"');
  });

  test('host failure is a 500', async () => {
    await assertCofferError(view.renderIdentityTemplate('broken', 'alice'), 500, 'failed to render identity template "broken": identity store unavailable');
  });

  test('host without the call is a 500', async () => {
    const old = await startHost(undefined);
    hosts.push(old);
    await assert.rejects(old.view.renderIdentityTemplate('{{identity.entity.name}}', 'alice'), (err: unknown) => {
      assert.ok(isCofferError(err), String(err));
      assert.equal(err.status, 500);
      assert.match(err.message, /^failed to render identity template "\{\{identity\.entity\.name\}\}": .*RenderIdentityTemplate/);
      return true;
    });
  });
});

type LookupCall = grpc.ServerUnaryCall<{ entity_id: string }, unknown>;

describe('remote entity lookups', () => {
  const hosts: Array<{ close(): void }> = [];
  let view: RemoteSystemView;
  const seen: string[] = [];

  before(async () => {
    const host = await startHost(undefined, {
      EntityInfo(call: LookupCall, callback: grpc.sendUnaryData<unknown>) {
        seen.push(`EntityInfo ${call.request.entity_id}`);
        if (call.request.entity_id === 'broken') callback(null, { err: 'identity store unavailable' });
        else if (call.request.entity_id === 'unknown') callback(null, {});
        else {
          callback(null, {
            entity: {
              id: call.request.entity_id,
              name: 'alice',
              aliases: [{ mount_type: 'userpass', mount_accessor: 'auth_userpass_1', name: 'alice', metadata: { k: 'v' }, id: 'a-1', namespace_id: 'root', custom_metadata: { c: 'd' } }],
              metadata: { team: 'payments' },
              disabled: true,
            },
          });
        }
      },
      GroupsForEntity(call: LookupCall, callback: grpc.sendUnaryData<unknown>) {
        seen.push(`GroupsForEntity ${call.request.entity_id}`);
        if (call.request.entity_id === 'broken') callback(null, { err: 'identity store unavailable' });
        else if (call.request.entity_id === 'unknown') callback(null, {});
        else callback(null, { groups: [{ id: 'g-1', name: 'ops', metadata: { zone: 'west' }, namespace_id: 'root' }, { id: 'g-2', name: 'org' }] });
      },
    });
    hosts.push(host);
    view = host.view;
  });

  after(() => {
    for (const host of hosts) host.close();
  });

  test('entity is decoded', async () => {
    assert.deepEqual(await view.entityInfo('e-1'), {
      id: 'e-1',
      name: 'alice',
      aliases: [{ id: 'a-1', mountAccessor: 'auth_userpass_1', mountType: 'userpass', name: 'alice', metadata: { k: 'v' }, customMetadata: { c: 'd' } }],
      metadata: { team: 'payments' },
      disabled: true,
    });
    assert.equal(seen.at(-1), 'EntityInfo e-1');
  });

  test('groups are decoded', async () => {
    assert.deepEqual(await view.groupsForEntity('e-1'), [
      { id: 'g-1', name: 'ops', metadata: { zone: 'west' } },
      { id: 'g-2', name: 'org', metadata: {} },
    ]);
    assert.equal(seen.at(-1), 'GroupsForEntity e-1');
  });

  test('unknown entity is empty', async () => {
    assert.equal(await view.entityInfo('unknown'), undefined);
    assert.deepEqual(await view.groupsForEntity('unknown'), []);
  });

  test('host error is a 500', async () => {
    await assertCofferError(view.entityInfo('broken'), 500, 'failed to look up entity "broken": identity store unavailable');
    await assertCofferError(view.groupsForEntity('broken'), 500, 'failed to look up the groups of entity "broken": identity store unavailable');
  });

  test('host without the calls is a 500', async () => {
    const old = await startHost(undefined);
    hosts.push(old);
    await assertCofferError(old.view.entityInfo('e-1'), 500, 'failed to look up entity "e-1": The server does not implement the method EntityInfo');
    await assertCofferError(old.view.groupsForEntity('e-1'), 500, 'failed to look up the groups of entity "e-1": The server does not implement the method GroupsForEntity');
  });
});
