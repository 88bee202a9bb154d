import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isCofferError } from '@coffer/sdk';
import { PNG } from 'pngjs';
import { renderQrPng } from './qr.js';

const run = promisify(execFile);

const URL = 'otpauth://totp/Acme:alice@example.com?algorithm=SHA1&digits=6&issuer=Acme&period=30&secret=HTXT7KJFVNAJUPYWQRWMNVQE5AF5YZI2';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes the QR code in a PNG with Debian's zbarimg (package zbar-tools). */
async function zbarDecode(directory: string, png: Buffer): Promise<string> {
  const file = join(directory, 'code.png');
  await writeFile(file, png);
  const { stdout } = await run('zbarimg', ['--quiet', '--raw', file]);
  return stdout.replace(/\n$/, '');
}

describe('renderQrPng', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-totp-qr-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  test('writes a PNG of the requested size', async () => {
    for (const size of [200, 57, 333]) {
      const png = await renderQrPng(URL, size);
      assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
      const image = PNG.sync.read(png);
      assert.equal(image.width, size);
      assert.equal(image.height, size);
    }
  });

  test('zbarimg decodes the URL', async () => {
    // zbarimg cannot read one pixel per module, so the smallest size here has two.
    for (const size of [200, 106]) {
      assert.equal(await zbarDecode(directory, await renderQrPng(URL, size)), URL, `size ${size}`);
    }
  });

  test('keeps a white quiet zone', async () => {
    const image = PNG.sync.read(await renderQrPng(URL, 200));
    // 45 modules plus 8 of quiet zone fit 3 pixels each: the code starts at pixel 32.
    for (let x = 0; x < 32; x++) assert.equal(image.data[(100 * 200 + x) * 4], 0xff, `pixel ${x} of row 100`);
    assert.equal(image.data[(32 * 200 + 32) * 4], 0x00, 'the top-left finder pattern');
  });

  test('rejects a size below one pixel per module', async () => {
    await assert.rejects(renderQrPng(URL, 44), (err: unknown) => {
      assert.ok(isCofferError(err));
      assert.equal(err.status, 400);
      assert.equal(err.message, 'the qr_size value 44 is too small for this QR code: use at least 45, or 0 for no QR code');
      return true;
    });
  });

  test('rejects text too long for a QR code', async () => {
    await assert.rejects(renderQrPng('x'.repeat(3000), 200), (err: unknown) => {
      assert.ok(isCofferError(err));
      assert.equal(err.status, 400);
      assert.equal(err.message, 'the url is too long for a QR code: shorten issuer or account_name, lower key_size, or set qr_size to 0');
      return true;
    });
  });
});
