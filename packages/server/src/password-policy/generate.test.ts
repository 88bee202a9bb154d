import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCofferError } from '@coffer/sdk';
import { DEFAULT_PASSWORD_POLICY, generatePassword } from './generate.js';
import { parsePasswordPolicy } from './parse.js';

/** Returns the first `count` letters from U+0100 on, which are all printable. */
function wideCharset(count: number): string[] {
  const characters: string[] = [];
  for (let codePoint = 0x100; characters.length < count; codePoint++) {
    const character = String.fromCodePoint(codePoint);
    if (/^\p{L}$/u.test(character)) characters.push(character);
  }
  return characters;
}

describe('generatePassword', () => {
  test('default policy shape', async () => {
    const policy = await parsePasswordPolicy(DEFAULT_PASSWORD_POLICY);
    for (let round = 0; round < 50; round++) {
      const password = await generatePassword(policy);
      assert.match(password, /^[A-Za-z0-9-]{20}$/);
      assert.match(password, /[a-z]/);
      assert.match(password, /[A-Z]/);
      assert.match(password, /[0-9]/);
      assert.match(password, /-/);
    }
  });

  test('min-chars of overlapping rules hold', async () => {
    const policy = await parsePasswordPolicy('length = 6\nrule "charset" {\n  charset = "abcde"\n  min-chars = 3\n}\nrule "charset" {\n  charset = "cdefg"\n  min-chars = 3\n}\n');
    for (let round = 0; round < 200; round++) {
      const password = [...(await generatePassword(policy))];
      assert.equal(password.length, 6);
      for (const character of password) assert.ok('abcdefg'.includes(character), `unexpected ${character}`);
      assert.ok(password.filter((character) => 'abcde'.includes(character)).length >= 3, password.join(''));
      assert.ok(password.filter((character) => 'cdefg'.includes(character)).length >= 3, password.join(''));
    }
  });

  test('no bias towards the charset start', async () => {
    // With 200 characters, taking a byte modulo 200 would pick each of the first 56 twice as often as the rest.
    const characters = wideCharset(200);
    const policy = await parsePasswordPolicy(`length = 100\nrule "charset" {\n  charset = "${characters.join('')}"\n}\n`);
    const counts = new Map<string, number>(characters.map((character) => [character, 0]));
    for (let round = 0; round < 200; round++) {
      for (const character of await generatePassword(policy)) counts.set(character, counts.get(character)! + 1);
    }

    const total = 200 * 100;
    assert.equal([...counts.values()].reduce((sum, count) => sum + count, 0), total);
    const expected = total / characters.length;
    const observed = characters.map((character) => counts.get(character)!);
    const head = observed.slice(0, 56).reduce((sum, count) => sum + count, 0) / 56;
    const tail = observed.slice(56).reduce((sum, count) => sum + count, 0) / 144;
    // Each mean is about 100 with a standard error under 1.4, so a 10% gap is over 6 standard errors of their difference.
    assert.ok(head / tail > 0.9, `head mean ${head}, tail mean ${tail}`);
    assert.ok(head / tail < 1.1, `head mean ${head}, tail mean ${tail}`);
    // Chi-square with 199 degrees of freedom: the mean is 199 and 330 is past its 99.999th percentile.
    const chiSquare = observed.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    assert.ok(chiSquare < 330, `chi-square ${chiSquare}`);
  });

  test('impossible rules time out', async () => {
    const characters = wideCharset(255).join('');
    const policy = await parsePasswordPolicy(`length = 60\nrule "charset" {\n  charset = "${characters}"\n}\nrule "charset" {\n  charset = "a"\n  min-chars = 60\n}\n`);
    // A chain of immediates advances only while the generator yields, so it stays at 0 if the generator never does.
    let turns = 0;
    let counting = true;
    const countTurn = (): void => {
      if (!counting) return;
      turns += 1;
      setImmediate(countTurn);
    };
    setImmediate(countTurn);
    try {
      await assert.rejects(generatePassword(policy), (err: unknown) => {
        assert.ok(isCofferError(err));
        assert.equal(err.status, 500);
        assert.equal(err.message, 'timed out generating a password after 1000 ms: the policy\'s rules are too restrictive');
        return true;
      });
    } finally {
      counting = false;
    }
    // NOTE: only one turn is required because a loaded machine may run this process for a few slices of that second.
    assert.ok(turns >= 1, `the event loop turned ${turns} times in 1 s`);
  });
});
