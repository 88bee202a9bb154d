import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childrenOf, type Storage, type StorageEntry } from '@coffer/sdk';
import { compareVersions, normalizeVersion, PluginCatalog, type CatalogEntry } from './catalog.js';

class MapStorage implements Storage {
  readonly entries = new Map<string, Buffer>();
  async get(key: string): Promise<StorageEntry | null> {
    const value = this.entries.get(key);
    return value === undefined ? null : { key, value };
  }
  async put(entry: StorageEntry): Promise<void> {
    this.entries.set(entry.key, entry.value);
  }
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.entries.keys());
  }
}

function entry(version: string): CatalogEntry {
  return { type: 'secret', name: 'notes', version, command: 'notes', args: [], env: [], sha256: 'a'.repeat(64) };
}

describe('plugin catalog', () => {
  test('versions sort by precedence', () => {
    const versions = ['v1.10.0', '', 'v1.2.0', 'v1.2.0-beta.2', 'v1.2.0-beta.10', 'v0.9.9'];
    assert.deepEqual([...versions].sort(compareVersions), ['', 'v0.9.9', 'v1.2.0-beta.2', 'v1.2.0-beta.10', 'v1.2.0', 'v1.10.0']);
  });

  test('versions are normalized', () => {
    assert.equal(normalizeVersion('1.2.3'), 'v1.2.3');
    assert.equal(normalizeVersion('v1.2.3+build.5'), 'v1.2.3+build.5');
    assert.equal(normalizeVersion('1.2'), null);
    assert.equal(normalizeVersion('latest'), null);
  });

  test('resolve prefers the unversioned entry', async () => {
    const catalog = new PluginCatalog(new MapStorage());
    await catalog.put(entry('v1.2.0'));
    await catalog.put(entry('v1.10.0'));
    assert.equal((await catalog.resolve('secret', 'notes', ''))?.version, 'v1.10.0', 'without an unversioned entry the highest version runs');
    await catalog.put(entry(''));
    assert.equal((await catalog.resolve('secret', 'notes', ''))?.version, '');
    assert.equal((await catalog.resolve('secret', 'notes', '1.2.0'))?.version, 'v1.2.0', 'a pinned version may omit the "v"');
    assert.equal(await catalog.resolve('secret', 'notes', 'v3.0.0'), null);
    assert.equal(await catalog.resolve('auth', 'notes', ''), null, 'types are separate');
  });

  test('names lists each name once', async () => {
    const catalog = new PluginCatalog(new MapStorage());
    await catalog.put(entry('v1.0.0'));
    await catalog.put(entry(''));
    await catalog.put({ ...entry(''), name: 'another' });
    assert.deepEqual(await catalog.names('secret'), ['another', 'notes']);
    await catalog.delete('secret', 'notes', '');
    await catalog.delete('secret', 'notes', 'v1.0.0');
    assert.deepEqual(await catalog.names('secret'), ['another']);
  });
});
