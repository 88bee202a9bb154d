import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FlagSpec } from './flags.js';
import { makeTempDir } from './test-io.js';
import {
  HelpRequested,
  UsageError,
  formatGoDuration,
  parseDuration,
  parseFlags,
  parseJsonObject,
  parseKeyValueArgs,
} from './flags.js';

const specs: FlagSpec[] = [
  { name: 'format', kind: 'string', usage: '' },
  { name: 'force', kind: 'bool', aliases: ['f'], usage: '' },
  { name: 'cas', kind: 'int', usage: '' },
  { name: 'ttl', kind: 'duration', usage: '' },
  { name: 'versions', kind: 'list', usage: '' },
  { name: 'env', kind: 'repeated', usage: '' },
  { name: 'options', kind: 'map', usage: '' },
];

function stdinOf(text: string): Readable {
  return Readable.from([Buffer.from(text)]);
}

describe('parseFlags', () => {
  test('single-dash flag with equals', () => {
    const parsed = parseFlags(['-format=json', 'secret/foo'], specs);
    assert.equal(parsed.string('format'), 'json');
    assert.deepEqual(parsed.args, ['secret/foo']);
  });

  test('double-dash flag and separate value', () => {
    const parsed = parseFlags(['--format', 'json', 'x'], specs);
    assert.equal(parsed.string('format'), 'json');
    assert.deepEqual(parsed.args, ['x']);
  });

  test('boolean flag without value and alias', () => {
    const parsed = parseFlags(['-f', 'x'], specs);
    assert.equal(parsed.bool('force'), true);
    assert.equal(parsed.has('force'), true);
    assert.deepEqual(parsed.args, ['x']);
  });

  test('boolean flag set to false', () => {
    const parsed = parseFlags(['-force=false'], specs);
    assert.equal(parsed.bool('force'), false);
    assert.equal(parsed.has('force'), true);
  });

  test('flags after first argument stay positional', () => {
    const parsed = parseFlags(['secret/foo', '-format=json', '-', 'a=b'], specs);
    assert.equal(parsed.has('format'), false);
    assert.deepEqual(parsed.args, ['secret/foo', '-format=json', '-', 'a=b']);
    assert.deepEqual(parsed.trailingFlags, ['-format=json']);
  });

  test('lone dash starts positional arguments', () => {
    const parsed = parseFlags(['-', '-force'], specs);
    assert.deepEqual(parsed.args, ['-', '-force']);
  });

  test('double dash ends flags', () => {
    const parsed = parseFlags(['--', '-force'], specs);
    assert.equal(parsed.has('force'), false);
    assert.deepEqual(parsed.args, ['-force']);
  });

  test('unknown flag is rejected', () => {
    assert.throws(() => parseFlags(['-nope=1'], specs), new UsageError('flag provided but not defined: -nope'));
  });

  test('missing value is rejected', () => {
    assert.throws(() => parseFlags(['-format'], specs), new UsageError('flag needs an argument: -format'));
  });

  test('invalid integer names flag and value', () => {
    assert.throws(
      () => parseFlags(['-cas=abc'], specs),
      new UsageError('invalid value "abc" for flag -cas: expected a whole number'),
    );
  });

  test('invalid boolean names the fix', () => {
    assert.throws(
      () => parseFlags(['-force=maybe'], specs),
      new UsageError('invalid boolean value "maybe" for flag -force: use -force=true or -force=false'),
    );
  });

  test('negative integer', () => {
    assert.equal(parseFlags(['-cas=-1'], specs).int('cas'), -1);
  });

  test('absent integer is undefined', () => {
    assert.equal(parseFlags([], specs).int('cas'), undefined);
  });

  test('duration in Go syntax and seconds', () => {
    assert.equal(parseFlags(['-ttl=1h30m'], specs).duration('ttl'), 5400);
    assert.equal(parseFlags(['-ttl=90'], specs).duration('ttl'), 90);
  });

  test('invalid duration names the expected form', () => {
    assert.throws(
      () => parseFlags(['-ttl=soon'], specs),
      new UsageError('invalid value "soon" for flag -ttl: expected a duration such as 30s, 15m, 24h or a number of seconds'),
    );
  });

  test('repeated flag keeps commas', () => {
    assert.deepEqual(parseFlags(['-env=HOSTS=a,b', '-env', 'PORT=1'], specs).list('env'), ['HOSTS=a,b', 'PORT=1']);
  });

  test('list flag splits commas and repeats', () => {
    assert.deepEqual(parseFlags(['-versions=1,2', '-versions', '3'], specs).list('versions'), ['1', '2', '3']);
  });

  test('map flag collects pairs', () => {
    const parsed = parseFlags(['-options=version=2', '-options=a=b=c'], specs);
    assert.deepEqual(parsed.map('options'), { version: '2', a: 'b=c' });
  });

  test('map flag without equals is rejected', () => {
    assert.throws(
      () => parseFlags(['-options=version'], specs),
      new UsageError('invalid value "version" for flag -options: expected key=value, such as -options=version=2'),
    );
  });

  test('help flags request help', () => {
    assert.throws(() => parseFlags(['-h'], specs), HelpRequested);
    assert.throws(() => parseFlags(['-help'], specs), HelpRequested);
    assert.throws(() => parseFlags(['--help'], specs), HelpRequested);
  });
});

describe('durations', () => {
  test('parseDuration units', () => {
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('1.5h'), 5400);
    assert.equal(parseDuration('1500ms'), 1);
    assert.equal(parseDuration('-2m'), -120);
    assert.equal(parseDuration('0'), 0);
  });

  test('parseDuration rejects junk', () => {
    assert.equal(parseDuration(''), undefined);
    assert.equal(parseDuration('1d'), undefined);
    assert.equal(parseDuration('h'), undefined);
    assert.equal(parseDuration('5 m'), undefined);
  });

  test('formatGoDuration matches Go', () => {
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGoDuration(45), '45s');
    assert.equal(formatGoDuration(90), '1m30s');
    assert.equal(formatGoDuration(3600), '1h0m0s');
    assert.equal(formatGoDuration(2764800), '768h0m0s');
  });
});

describe('parseKeyValueArgs', () => {
  let dir: { path: string; remove(): Promise<void> };

  before(async () => {
    dir = await makeTempDir('coffer-cli-flags-');
  });

  after(async () => {
    await dir.remove();
  });

  test('key=value pairs', async () => {
    assert.deepEqual(await parseKeyValueArgs(['a=1', 'b=x=y', 'c='], stdinOf('')), { a: '1', b: 'x=y', c: '' });
  });

  test('value read from file', async () => {
    const file = join(dir.path, 'cert.pem');
    await writeFile(file, 'line one\nline two\n');
    assert.deepEqual(await parseKeyValueArgs([`cert=@${file}`], stdinOf('')), { cert: 'line one\nline two\n' });
  });

  test('missing file names key and path', async () => {
    const file = join(dir.path, 'absent.txt');
    await assert.rejects(parseKeyValueArgs([`cert=@${file}`], stdinOf('')), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, new RegExp(`^error reading file "${file}" for key "cert": ENOENT`));
      return true;
    });
  });

  test('escaped at sign stays literal', async () => {
    assert.deepEqual(await parseKeyValueArgs(['email=\\@example'], stdinOf('')), { email: '@example' });
  });

  test('value read from stdin', async () => {
    assert.deepEqual(await parseKeyValueArgs(['password=-'], stdinOf('s3cret')), { password: 's3cret' });
  });

  test('lone dash merges JSON object', async () => {
    const data = await parseKeyValueArgs(['-', 'extra=1'], stdinOf('{"a": "b", "n": 2, "nested": {"x": true}}'));
    assert.deepEqual(data, { a: 'b', n: 2, nested: { x: true }, extra: '1' });
  });

  test('lone @file merges JSON object', async () => {
    const file = join(dir.path, 'data.json');
    await writeFile(file, '{"a": "b", "n": 2, "nested": {"x": true}}');
    const data = await parseKeyValueArgs([`@${file}`, 'extra=1'], stdinOf(''));
    assert.deepEqual(data, { a: 'b', n: 2, nested: { x: true }, extra: '1' });
  });

  test('missing @file names path', async () => {
    const file = join(dir.path, 'absent.json');
    await assert.rejects(parseKeyValueArgs([`@${file}`], stdinOf('')), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, new RegExp(`^error reading file "${file}": ENOENT`));
      return true;
    });
  });

  test('@file without object is rejected', async () => {
    const file = join(dir.path, 'list.json');
    await writeFile(file, '[1, 2]');
    await assert.rejects(
      parseKeyValueArgs([`@${file}`], stdinOf('')),
      new UsageError(`invalid JSON in file "${file}": expected an object such as {"key": "value"}`),
    );
  });

  test('stdin read only once', async () => {
    await assert.rejects(
      parseKeyValueArgs(['-', 'b=-'], stdinOf('{}')),
      new UsageError('argument "b=-" reads stdin, but stdin was already read by an earlier argument'),
    );
  });

  test('repeated key becomes list', async () => {
    assert.deepEqual(await parseKeyValueArgs(['k=1', 'k=2', 'k=3'], stdinOf('')), { k: ['1', '2', '3'] });
  });

  test('argument without equals is rejected', async () => {
    await assert.rejects(
      parseKeyValueArgs(['novalue'], stdinOf('')),
      new UsageError('invalid argument "novalue": expected key=value, key=@file, key=-, or a lone @file or - for a JSON object'),
    );
  });

  test('stdin that is not an object is rejected', async () => {
    await assert.rejects(
      parseKeyValueArgs(['-'], stdinOf('[1, 2]')),
      new UsageError('invalid JSON on stdin: expected an object such as {"key": "value"}'),
    );
  });

  test('malformed JSON names the source', () => {
    assert.throws(() => parseJsonObject('{', 'on stdin'), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /^invalid JSON on stdin: .+; expected an object such as \{"key": "value"\}$/);
      return true;
    });
  });
});
