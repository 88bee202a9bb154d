// The host's SystemView entity lookups over loopback gRPC: failures go in
// the reply's `err` field with an OK status, as Vault's host sends them.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { callUnary, loadPluginProtocol, type SystemView } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { systemViewService } from './broker-services.js';

/** Serves `system` as the SystemView of one mount and returns a client of it. */
async function startHost(system: SystemView): Promise<{ client: grpc.Client; close(): void }> {
  const protocol = loadPluginProtocol();
  const server = new grpc.Server();
  server.addService(protocol.SystemView.service, systemViewService({ storage: new InmemStorage(), system, local: false, clusterInfo: () => ({ name: 'test', id: 'test-id' }) }));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err === null ? resolve(bound) : reject(err)));
  });
  const client = new protocol.SystemView(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    client,
    close() {
      client.close();
      server.forceShutdown();
    },
  };
}

const TTLS = { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 };

describe('host entity lookups', () => {
  const hosts: Array<{ close(): void }> = [];
  after(() => {
    for (const host of hosts) host.close();
  });

  test('unknown entity is unset', async () => {
    const host = await startHost({ ...TTLS, entityInfo: async () => undefined, groupsForEntity: async () => [] });
    hosts.push(host);

    assert.deepEqual(await callUnary(host.client, 'EntityInfo', { entity_id: 'no-such-entity' }), { entity: null, err: '' });
    assert.deepEqual(await callUnary(host.client, 'GroupsForEntity', { entity_id: 'no-such-entity' }), { groups: [], err: '' });
  });

  test('lookup failure is in err', async () => {
    const failing = async (): Promise<never> => {
      throw new Error('identity store unavailable');
    };
    const host = await startHost({ ...TTLS, entityInfo: failing, groupsForEntity: failing });
    hosts.push(host);

    assert.deepEqual(await callUnary(host.client, 'EntityInfo', { entity_id: 'e-1' }), { entity: null, err: 'identity store unavailable' });
    assert.deepEqual(await callUnary(host.client, 'GroupsForEntity', { entity_id: 'e-1' }), { groups: [], err: 'identity store unavailable' });
  });

  test('view without lookups is in err', async () => {
    const host = await startHost(TTLS);
    hosts.push(host);

    assert.deepEqual(await callUnary(host.client, 'EntityInfo', { entity_id: 'e-1' }), { entity: null, err: 'this mount cannot look up identity entities' });
    assert.deepEqual(await callUnary(host.client, 'GroupsForEntity', { entity_id: 'e-1' }), { groups: [], err: 'this mount cannot look up identity groups' });
  });
});
