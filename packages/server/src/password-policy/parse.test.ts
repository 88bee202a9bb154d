import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCofferError } from '@coffer/sdk';
import { DEFAULT_PASSWORD_POLICY } from './generate.js';
import { parsePasswordPolicy } from './parse.js';

/** Asserts that parsing `text` fails with a 400 and exactly `message`. */
async function assertInvalid(text: string, message: string): Promise<void> {
  await assert.rejects(parsePasswordPolicy(text), (err: unknown) => {
    assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.message, message);
    return true;
  });
}

const charsetOf = (characters: ReadonlySet<string>) => [...characters].join('');

describe('parsePasswordPolicy', () => {
  test('hcl with two rules', async () => {
    const policy = await parsePasswordPolicy('length = 12\nrule "charset" {\n  charset = "cba"\n  min-chars = 2\n}\nrule "charset" {\n  charset = "b12"\n}\n');
    assert.equal(policy.length, 12);
    assert.equal(policy.rules.length, 2);
    assert.equal(charsetOf(policy.rules[0].characters), 'cba');
    assert.equal(policy.rules[0].minChars, 2);
    assert.equal(charsetOf(policy.rules[1].characters), 'b12');
    assert.equal(policy.rules[1].minChars, 0);
    assert.deepEqual(policy.charset, ['1', '2', 'a', 'b', 'c']);
  });

  test('json in the shapes hcl 1 accepts', async () => {
    const listed = await parsePasswordPolicy('{"length": 8, "rule": [{"charset": [{"charset": "ab", "min-chars": 1}]}, {"charset": [{"charset": "xy"}]}]}');
    assert.deepEqual(listed.charset, ['a', 'b', 'x', 'y']);
    assert.equal(listed.rules[0].minChars, 1);
    const single = await parsePasswordPolicy('{"length": 8, "rule": {"charset": {"charset": "ab"}}}');
    assert.deepEqual(single.charset, ['a', 'b']);
  });

  test('default policy matches vault', async () => {
    const policy = await parsePasswordPolicy(DEFAULT_PASSWORD_POLICY);
    assert.equal(policy.length, 20);
    assert.deepEqual(
      policy.rules.map((rule) => [charsetOf(rule.characters), rule.minChars]),
      [
        ['abcdefghijklmnopqrstuvwxyz', 1],
        ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1],
        ['0123456789', 1],
        ['-', 1],
      ],
    );
    assert.equal(policy.charset.length, 63);
  });

  test('multi-byte characters count once', async () => {
    const policy = await parsePasswordPolicy('length = 4\nrule "charset" {\n  charset = "éü😀é"\n}\n');
    assert.deepEqual(policy.charset, ['é', 'ü', '😀']);
  });

  test('invalid documents are rejected', async () => {
    const cases: Array<[string, string]> = [
      ['length = 20\nlength = 21\n', 'invalid password policy: at line 2, column 1: Attribute redefined; The argument "length" was already set at password-policy.hcl:1,1-7. Each argument may be set only once.'],
      ['{"length": 20,}', "invalid password policy: invalid JSON at offset 14: expected a quoted key, found '}'"],
      ['length = 20\n', 'invalid password policy: no charset specified: add at least one rule "charset" block'],
      ['rule "charset" {\n  charset = "abc"\n}\n', 'invalid password policy: missing "length": set it to the number of characters, from 4 to 100'],
      ['length = 3\nrule "charset" {\n  charset = "abc"\n}\n', 'invalid password policy: "length" is 3, but passwords must be between 4 and 100 characters'],
      ['length = 101\nrule "charset" {\n  charset = "abc"\n}\n', 'invalid password policy: "length" is 101, but passwords must be between 4 and 100 characters'],
      ['length = "20"\nrule "charset" {\n  charset = "abc"\n}\n', 'invalid password policy: "length" must be a whole number, got "20"'],
      ['length = 20.5\nrule "charset" {\n  charset = "abc"\n}\n', 'invalid password policy: "length" must be a whole number, got 20.5'],
      ['lenght = 20\n', 'invalid password policy: unknown key "lenght"; did you mean "length"?'],
      ['length = 20\nrule "charset" {\n  charset = ""\n}\n', 'invalid password policy: "charset" of rule "charset" #1 must not be empty'],
      ['length = 20\nrule "charset" {\n  min-chars = 1\n}\n', 'invalid password policy: rule "charset" #1 is missing "charset"'],
      ['length = 20\nrule "charset" {\n  charset = 5\n}\n', 'invalid password policy: "charset" of rule "charset" #1 must be a string, got 5'],
      ['length = 20\nrule "charset" {\n  charset = "ab\\tc"\n}\n', 'invalid password policy: "charset" of rule "charset" #1 contains the non-printable character U+0009'],
      ['length = 20\nrule "charset" {\n  charset = "abc"\n  min_chars = 1\n}\n', 'invalid password policy: unknown key "min_chars" in rule "charset" #1; did you mean "min-chars"?'],
      ['length = 20\nrule "charset" {\n  charset = "abc"\n  min-chars = -1\n}\n', 'invalid password policy: "min-chars" of rule "charset" #1 must be a whole number of at least 0, got -1'],
      ['length = 20\nrule "symbols" {\n  charset = "abc"\n}\n', 'invalid password policy: unknown rule type "symbols"; the only rule type is "charset"'],
      ['length = 20\nrule = 5\n', 'invalid password policy: "rule" must be a block such as rule "charset" { charset = "abc" }'],
      [
        'length = 5\nrule "charset" {\n  charset = "abc"\n  min-chars = 3\n}\nrule "charset" {\n  charset = "123"\n  min-chars = 3\n}\n',
        'invalid password policy: the rules require at least 6 characters (the sum of "min-chars"), but "length" is 5',
      ],
    ];
    for (const [text, message] of cases) await assertInvalid(text, message);
  });

  test('charset over 256 characters is rejected', async () => {
    const characters = Array.from({ length: 257 }, (_, index) => String.fromCodePoint(0x100 + index)).join('');
    await assertInvalid(
      `length = 20\nrule "charset" {\n  charset = "${characters}"\n}\n`,
      'invalid password policy: the rules\' charsets have 257 distinct characters together, but at most 256 are allowed',
    );
  });

  test('lone surrogate in json is rejected', async () => {
    await assertInvalid('{"length": 20, "rule": {"charset": {"charset": "ab\\ud800"}}}', 'invalid password policy: "charset" of rule "charset" #1 must be well-formed Unicode');
  });
});
