import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterProblem, GROUP_FILTER_FIELDS, renderTemplate, templateProblem } from './filter-template.js';

describe('templateProblem', () => {
  test('accepts field references', () => {
    assert.equal(templateProblem('(|(memberUid={{.Username}})(member={{ .UserDN }}))', GROUP_FILTER_FIELDS), null);
  });

  test('rejects pipelines', () => {
    assert.equal(
      templateProblem('(cn={{.Username | printf "%s"}})', GROUP_FILTER_FIELDS),
      'unsupported template action "{{.Username | printf "%s"}}": only field references such as {{.UserDN}} are supported',
    );
  });
});

describe('renderTemplate', () => {
  test('substitutes every reference', () => {
    assert.equal(
      renderTemplate('(|(memberUid={{.Username}})(member={{ .UserDN }})(uniqueMember={{.UserDN}}))', { Username: 'alice', UserDN: 'cn=alice,dc=x' }),
      '(|(memberUid=alice)(member=cn=alice,dc=x)(uniqueMember=cn=alice,dc=x))',
    );
  });

  test('inserts values once', () => {
    assert.equal(renderTemplate('(cn={{.Username}})', { Username: '{{.Username}}' }), '(cn={{.Username}})');
  });
});

describe('filterProblem', () => {
  const valid = ['(cn=a)', '(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=cn=a,dc=x))', '(!(cn=a\\29))', '(cn=*a*)'];
  for (const filter of valid) {
    test(`accepts ${filter}`, () => {
      assert.equal(filterProblem(filter), null);
    });
  }

  const invalid: Array<[string, string]> = [
    ['cn=a', 'a filter must start with "(" and end with ")"'],
    ['(cn=a)(cn=b)', 'unbalanced parentheses'],
    ['(&(cn=a)', 'unbalanced parentheses'],
    ['(cn=a))', 'unbalanced parentheses'],
    ['(&)', 'Missing paren: (&). Full string: (&)'],
  ];
  for (const [filter, problem] of invalid) {
    test(`rejects ${filter}`, () => {
      assert.equal(filterProblem(filter), problem);
    });
  }
});
