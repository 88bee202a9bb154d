import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../flags.js';
import { runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { startRecorder } from '../test-recorder.js';
import { addPrefixToKvPath, kvV2Path, parseVersions } from './kv-paths.js';

describe('addPrefixToKvPath', () => {
  test('inserts prefix after mount', () => {
    assert.equal(addPrefixToKvPath('secret/foo', 'secret/', 'data'), 'secret/data/foo');
    assert.equal(addPrefixToKvPath('secret/a/b', 'secret/', 'metadata'), 'secret/metadata/a/b');
  });

  test('mount itself gets prefix only', () => {
    assert.equal(addPrefixToKvPath('secret', 'secret/', 'metadata'), 'secret/metadata');
    assert.equal(addPrefixToKvPath('secret/', 'secret/', 'data'), 'secret/data');
  });

  test('nested mount path', () => {
    assert.equal(addPrefixToKvPath('team/kv/app', 'team/kv/', 'data'), 'team/kv/data/app');
  });

  test('existing prefix kept when asked', () => {
    assert.equal(addPrefixToKvPath('secret/data/foo', 'secret/', 'data', true), 'secret/data/foo');
    assert.equal(addPrefixToKvPath('secret/data/foo', 'secret/', 'data'), 'secret/data/data/foo');
  });

  test('kvV2Path uses location', () => {
    assert.equal(kvV2Path({ mountPath: 'secret/', v2: true, path: 'secret/foo' }, 'destroy'), 'secret/destroy/foo');
  });
});

describe('parseVersions', () => {
  test('numbers in order', () => {
    assert.deepEqual(parseVersions(['3', '1']), [3, 1]);
  });

  test('zero and words rejected', () => {
    const expected = (value: string) =>
      new UsageError(`invalid value "${value}" for flag -versions: expected version numbers of 1 or more, such as -versions=1,2`);
    assert.throws(() => parseVersions(['0']), expected('0'));
    assert.throws(() => parseVersions(['latest']), expected('latest'));
  });
});

describe('mount lookup', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder(() => ({ status: 403, body: { errors: ['permission denied'] } }));
  });

  after(async () => {
    await recorder.close();
  });

  test('denied lookup names the fix', async () => {
    const result = await runCli(['kv', 'get', 'secret/app'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 2,
      stdout: '',
      stderr:
        'Error finding the KV mount of "secret/app": the server denied GET sys/internal/ui/mounts/secret/app (403); ' +
        "the token's policies must grant a capability on a path under the mount\n",
    });
  });
});
