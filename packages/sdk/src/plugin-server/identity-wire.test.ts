// The bytes of EntityInfo and GroupsForEntity must carry Vault's field
// numbers (sdk/plugin/pb/backend.proto and sdk/logical/identity.proto), so
// a plugin built with Vault's Go SDK reads what the host sends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IdentityEntity } from '../logical.js';
import { entityFromWire, entityToWire, groupFromWire, groupToWire } from './identity-wire.js';
import { loadPluginProtocol } from './protocol.js';

type Field = { number: number; value: number | Buffer };

/** Splits protobuf bytes into their fields, in order. Only varint and length-delimited fields occur in these messages. */
function readFields(bytes: Buffer): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (offset < bytes.length) {
    const key = readVarint();
    const wireType = key & 7;
    if (wireType === 0) {
      fields.push({ number: key >>> 3, value: readVarint() });
    } else if (wireType === 2) {
      const length = readVarint();
      fields.push({ number: key >>> 3, value: bytes.subarray(offset, offset + length) });
      offset += length;
    } else {
      throw new Error(`unexpected wire type ${wireType}`);
    }
  }
  return fields;
}

/** Messages nested in a message, by field number, each with its own nested messages. */
interface Nested {
  [field: number]: Nested;
}

/** Returns the fields as [number, text or integer] pairs, with the `nested` messages and map entries as pairs too. */
function describeFields(bytes: Buffer, nested: Nested): unknown[] {
  return readFields(bytes).map(({ number, value }) => {
    if (typeof value === 'number') return [number, value];
    const inner = nested[number];
    return [number, inner === undefined ? value.toString('utf8') : describeFields(value, inner)];
  });
}

const ENTITY: IdentityEntity = {
  id: 'e-1',
  name: 'alice',
  aliases: [{ id: 'a-1', mountAccessor: 'auth_userpass_1', mountType: 'userpass', name: 'alice', metadata: { k: 'v' }, customMetadata: { c: 'd' } }],
  metadata: { team: 'x' },
  disabled: true,
};

describe('identity wire', () => {
  const service = loadPluginProtocol().SystemView.service;

  test('entity reply uses Vault numbers', () => {
    const reply = service.EntityInfo.responseSerialize({ entity: entityToWire(ENTITY) });
    const [entity] = readFields(reply);
    assert.equal(entity.number, 1);

    assert.deepEqual(describeFields(entity.value as Buffer, { 3: { 4: {}, 7: {} }, 4: {} }), [
      [1, 'e-1'],
      [2, 'alice'],
      [
        3,
        [
          [1, 'userpass'],
          [2, 'auth_userpass_1'],
          [3, 'alice'],
          [4, [[1, 'k'], [2, 'v']]],
          [5, 'a-1'],
          [6, 'root'],
          [7, [[1, 'c'], [2, 'd']]],
        ],
      ],
      [4, [[1, 'team'], [2, 'x']]],
      [5, 1],
    ]);
  });

  test('groups reply uses Vault numbers', () => {
    const reply = service.GroupsForEntity.responseSerialize({ groups: [groupToWire({ id: 'g-1', name: 'ops', metadata: { zone: 'west' } })] });
    const [group] = readFields(reply);
    assert.equal(group.number, 1);
    assert.deepEqual(describeFields(group.value as Buffer, { 3: {} }), [
      [1, 'g-1'],
      [2, 'ops'],
      [3, [[1, 'zone'], [2, 'west']]],
      [4, 'root'],
    ]);

    const failed = service.GroupsForEntity.responseSerialize({ err: 'identity store unavailable' });
    assert.deepEqual(describeFields(failed, {}), [[2, 'identity store unavailable']]);
  });

  test('lookup argument is field 1', () => {
    assert.deepEqual(describeFields(service.EntityInfo.requestSerialize({ entity_id: 'e-1' }), {}), [[1, 'e-1']]);
    assert.deepEqual(describeFields(service.GroupsForEntity.requestSerialize({ entity_id: 'e-1' }), {}), [[1, 'e-1']]);
  });

  test('entity survives a round trip', () => {
    const decoded = service.EntityInfo.responseDeserialize(service.EntityInfo.responseSerialize({ entity: entityToWire(ENTITY) }));

    assert.deepEqual(entityFromWire(decoded.entity), ENTITY);
    assert.equal(entityFromWire(null), undefined);
    assert.deepEqual(groupFromWire({ id: 'g-1', name: 'ops' }), { id: 'g-1', name: 'ops', metadata: {} });
  });
});
