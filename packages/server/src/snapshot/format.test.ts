import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_MAGIC, type SnapshotHeader } from './format.js';

const header: SnapshotHeader = { created_at: '2024-01-02T03:04:05.000Z', cluster_id: 'c-1', storage_type: 'sqlite', coffer_version: '0.1.0' };
const entries = [
  { key: 'core/keyring', value: Buffer.from([0, 1, 2, 255]) },
  { key: 'logical/ключ/🔑', value: Buffer.alloc(0) },
  { key: 'big', value: Buffer.alloc(100_000, 7) },
];

/** Recomputes the trailing checksum, to build files that are well summed but badly framed. */
function resum(body: Buffer): Buffer {
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

test('snapshot round trip', () => {
  const bytes = encodeSnapshot(header, entries);
  assert.deepEqual(bytes.subarray(0, 8), SNAPSHOT_MAGIC);
  const decoded = decodeSnapshot(bytes);
  assert.deepEqual(decoded.header, header);
  assert.deepEqual(decoded.entries, entries);
  assert.deepEqual(decodeSnapshot(encodeSnapshot(header, [])).entries, []);
});

test('snapshot checksum covers every byte', () => {
  const bytes = encodeSnapshot(header, entries);
  for (const index of [8, 20, bytes.length - 40, bytes.length - 1]) {
    const damaged = Buffer.from(bytes);
    damaged[index] ^= 0x01;
    assert.throws(() => decodeSnapshot(damaged), { message: `invalid snapshot: the SHA-256 checksum does not match, so the ${bytes.length}-byte file is truncated or damaged` });
  }
  assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1)), /checksum does not match/);
});

test('snapshot framing errors name the problem', () => {
  const body = encodeSnapshot(header, entries).subarray(0, -32);
  const version = Buffer.from(body);
  version.writeUInt32BE(2, 8);
  assert.throws(() => decodeSnapshot(resum(version)), { message: 'invalid snapshot: format version 2 is not supported; this server reads version 1' });

  const count = Buffer.from(body);
  count.writeUInt32BE(9, count.length - 4);
  assert.throws(() => decodeSnapshot(resum(count)), { message: 'invalid snapshot: the end record counts 9 entries, but the file contains 3' });

  assert.throws(() => decodeSnapshot(resum(body.subarray(0, body.length - 5))), {
    message: /^invalid snapshot: the record tag at byte \d+ runs past the end of the data$/,
  });

  const badKey = encodeSnapshot(header, [{ key: 'a//b', value: Buffer.from('x') }]);
  assert.throws(() => decodeSnapshot(badKey), { message: 'invalid snapshot: entry 1: key "a//b" contains an empty segment' });
  const twice = encodeSnapshot(header, [entries[0], entries[0]]);
  assert.throws(() => decodeSnapshot(twice), { message: 'invalid snapshot: key "core/keyring" appears twice' });
  const noHeaderField = encodeSnapshot({ ...header, cluster_id: undefined } as unknown as SnapshotHeader, []);
  assert.throws(() => decodeSnapshot(noHeaderField), { message: 'invalid snapshot: the header has no string field "cluster_id"' });
});
