import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { UsageError } from './flags.js';
import type { CommandIO, InputStream } from './io.js';
import { readHiddenLine } from './prompt.js';
import { CapturedStream } from './test-io.js';

/** Builds a CommandIO whose stdin pretends to be a terminal and records raw-mode changes. */
function terminalIO(): { io: CommandIO; stdin: PassThrough; stdout: CapturedStream; rawModes: boolean[] } {
  const rawModes: boolean[] = [];
  const stdin = new PassThrough();
  const terminal = Object.assign(stdin, {
    isTTY: true,
    setRawMode: (mode: boolean) => {
      rawModes.push(mode);
      return terminal;
    },
  }) as unknown as InputStream;
  const stdout = new CapturedStream(true);
  return { io: { stdin: terminal, stdout, stderr: new CapturedStream(), env: {} }, stdin, stdout, rawModes };
}

describe('readHiddenLine', () => {
  test('reads line without echo', async () => {
    const { io, stdin, stdout, rawModes } = terminalIO();
    const line = readHiddenLine(io, 'Key (will be hidden): ', 'pass the key');
    stdin.write('abc\u007fd\r');
    assert.equal(await line, 'abd');
    assert.equal(stdout.text, 'Key (will be hidden): \n');
    assert.deepEqual(rawModes, [true, false]);
  });

  test('ctrl-c cancels', async () => {
    const { io, stdin, rawModes } = terminalIO();
    const line = readHiddenLine(io, 'Key: ', 'pass the key');
    stdin.write('ab\u0003');
    await assert.rejects(line, new UsageError('user canceled'));
    assert.deepEqual(rawModes, [true, false]);
  });

  test('non-terminal stdin names the fix', async () => {
    const io: CommandIO = { stdin: new PassThrough(), stdout: new CapturedStream(), stderr: new CapturedStream(), env: {} };
    await assert.rejects(
      readHiddenLine(io, 'Key: ', 'pass the key as an argument'),
      new UsageError('stdin is not a terminal, so the value cannot be prompted for; pass the key as an argument'),
    );
  });
});
