import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { plugin } from './plugin.js';

describe('file device', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), '__NAME__-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes entries in order', async () => {
    const path = join(dir, 'audit.log');
    const device = await plugin.create({ path }, { logger: silentLogger });
    await Promise.all([device.write(Buffer.from('{"n":1}\n')), device.write(Buffer.from('{"n":2}\n'))]);
    await device.close();
    assert.equal(await readFile(path, 'utf8'), '{"n":1}\n{"n":2}\n');
  });

  test('missing path is rejected', async () => {
    await assert.rejects(plugin.create({}, { logger: silentLogger }), { message: /^missing option "path"/ });
  });
});
