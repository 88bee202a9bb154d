import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACL, type AclRequest } from './acl.js';
import type { AclOperation } from './capabilities.js';
import { DEFAULT_POLICY } from './default-policy.js';
import { parsePolicy } from './parse.js';
import { ROOT_POLICY } from './store.js';
import type { EntityContext } from './templates.js';

/** One request against the ACL built from `policies`, and the expected result. */
interface AclCase {
  name: string;
  /** HCL documents, one per policy. */
  policies: string[];
  entity?: EntityContext;
  operation: AclOperation;
  path: string;
  data?: Record<string, unknown>;
  wrapTtl?: number;
  allowed: boolean;
  sudo?: boolean;
  reason?: string;
}

async function buildAcl(policies: string[], entity?: EntityContext): Promise<ACL> {
  const parsed = await Promise.all(policies.map((text, index) => parsePolicy(`policy-${index}`, text)));
  return ACL.build(parsed, entity);
}

function runCases(title: string, cases: AclCase[]): void {
  describe(title, () => {
    for (const testCase of cases) {
      test(testCase.name, async () => {
        const acl = await buildAcl(testCase.policies, testCase.entity);
        const request: AclRequest = { operation: testCase.operation, path: testCase.path, data: testCase.data ?? {} };
        if (testCase.wrapTtl !== undefined) request.wrapTtl = testCase.wrapTtl;

        const result = acl.check(request);
        assert.equal(result.allowed, testCase.allowed);
        if (testCase.sudo !== undefined) assert.equal(result.sudo, testCase.sudo);
        if (testCase.reason !== undefined) assert.equal(result.reason, testCase.reason);
      });
    }
  });
}

const rule = (path: string, body: string): string => `path "${path}" {\n${body}\n}\n`;
const caps = (...names: string[]): string => `capabilities = [${names.map((name) => `"${name}"`).join(', ')}]`;

// The path examples of Vault's policy documentation ("Policy syntax").
const DOCS_GLOBS = [
  rule('secret/foo', caps('read')) +
    rule('secret/bar/*', caps('read')) +
    rule('secret/zip-*', caps('read')) +
    rule('secret/+/teamb', caps('read')) +
    rule('secret/+/+/teamb', caps('read')),
];

runCases('acl documented paths', [
  { name: 'exact path is readable', policies: DOCS_GLOBS, operation: 'read', path: 'secret/foo', allowed: true },
  { name: 'exact path is not a prefix', policies: DOCS_GLOBS, operation: 'read', path: 'secret/food', allowed: false, reason: 'no policy rule matches the path' },
  { name: 'exact path has no children', policies: DOCS_GLOBS, operation: 'read', path: 'secret/foo/bar', allowed: false },
  { name: 'exact path grants only read', policies: DOCS_GLOBS, operation: 'update', path: 'secret/foo', allowed: false, reason: 'the matching rule does not grant the "update" capability' },
  { name: 'glob matches a child', policies: DOCS_GLOBS, operation: 'read', path: 'secret/bar/zip', allowed: true },
  { name: 'glob matches a grandchild', policies: DOCS_GLOBS, operation: 'read', path: 'secret/bar/zip/zap', allowed: true },
  { name: 'glob needs its slash', policies: DOCS_GLOBS, operation: 'read', path: 'secret/bars/zip', allowed: false },
  { name: 'partial segment glob', policies: DOCS_GLOBS, operation: 'read', path: 'secret/zip-zap', allowed: true },
  { name: 'partial segment glob deeper', policies: DOCS_GLOBS, operation: 'read', path: 'secret/zip-zap/zong', allowed: true },
  { name: 'partial segment glob mismatch', policies: DOCS_GLOBS, operation: 'read', path: 'secret/zip/zap', allowed: false },
  { name: 'plus matches one segment', policies: DOCS_GLOBS, operation: 'read', path: 'secret/foo/teamb', allowed: true },
  { name: 'two pluses match two segments', policies: DOCS_GLOBS, operation: 'read', path: 'secret/foo/bar/teamb', allowed: true },
  { name: 'plus never matches two segments', policies: DOCS_GLOBS, operation: 'read', path: 'secret/a/b/c/teamb', allowed: false },
  { name: 'plus matches an empty segment', policies: DOCS_GLOBS, operation: 'read', path: 'secret//teamb', allowed: true },
  { name: 'leading slashes are ignored', policies: DOCS_GLOBS, operation: 'read', path: '//secret/foo', allowed: true },
  { name: 'leading slash in a policy path', policies: [rule('/secret/lead', caps('read'))], operation: 'read', path: 'secret/lead', allowed: true },
]);

const DOCS_DETAILED = [
  rule('secret/*', caps('create', 'read', 'update', 'patch', 'delete', 'list')) +
    rule('secret/super-secret', caps('deny')) +
    rule('secret/restricted', `${caps('create')}\nallowed_parameters = {\n  "foo" = []\n  "bar" = ["zip", "zap"]\n}`),
];

runCases('acl documented detailed policy', [
  { name: 'glob grants read', policies: DOCS_DETAILED, operation: 'read', path: 'secret/anything', allowed: true },
  { name: 'glob grants patch', policies: DOCS_DETAILED, operation: 'patch', path: 'secret/anything', allowed: true },
  { name: 'exact deny wins over glob', policies: DOCS_DETAILED, operation: 'read', path: 'secret/super-secret', allowed: false, reason: 'the matching rule denies the path' },
  { name: 'exact deny applies to list', policies: DOCS_DETAILED, operation: 'list', path: 'secret/super-secret/', allowed: false },
  { name: 'restricted accepts allowed values', policies: DOCS_DETAILED, operation: 'create', path: 'secret/restricted', data: { foo: 'anything', bar: 'zip' }, allowed: true },
  { name: 'restricted rejects a value', policies: DOCS_DETAILED, operation: 'create', path: 'secret/restricted', data: { bar: 'zop' }, allowed: false, reason: 'a value of parameter "bar" is not allowed' },
  { name: 'restricted rejects a parameter', policies: DOCS_DETAILED, operation: 'create', path: 'secret/restricted', data: { baz: 'x' }, allowed: false, reason: 'parameter "baz" is not allowed' },
  { name: 'restricted shadows the glob', policies: DOCS_DETAILED, operation: 'read', path: 'secret/restricted', allowed: false },
]);

runCases('acl priority', [
  {
    name: 'fewer plus segments win (documented example)',
    policies: [rule('secret/*', caps('read')) + rule('secret/+/+/foo/*', caps('update'))],
    operation: 'read',
    path: 'secret/a/b/foo/c',
    allowed: true,
  },
  {
    name: 'documented example loser grants nothing',
    policies: [rule('secret/*', caps('read')) + rule('secret/+/+/foo/*', caps('update'))],
    operation: 'update',
    path: 'secret/a/b/foo/c',
    allowed: false,
  },
  { name: 'later glob beats earlier plus', policies: [rule('foo/a*', caps('read')) + rule('foo/+', caps('update'))], operation: 'read', path: 'foo/ab', allowed: true },
  { name: 'earlier plus loses to later glob', policies: [rule('foo/a*', caps('read')) + rule('foo/+', caps('update'))], operation: 'update', path: 'foo/ab', allowed: false },
  { name: 'plus alone when the glob misses', policies: [rule('foo/a*', caps('read')) + rule('foo/+', caps('update'))], operation: 'update', path: 'foo/bc', allowed: true },
  { name: 'non-glob beats glob at same position', policies: [rule('foo/+/bar', caps('read')) + rule('foo/+/ba*', caps('update'))], operation: 'read', path: 'foo/x/bar', allowed: true },
  { name: 'glob serves what the exact misses', policies: [rule('foo/+/bar', caps('read')) + rule('foo/+/ba*', caps('update'))], operation: 'update', path: 'foo/x/baz', allowed: true },
  { name: 'plus segment beats trailing glob', policies: [rule('foo/+', caps('read')) + rule('foo/*', caps('update'))], operation: 'update', path: 'foo/x', allowed: false },
  { name: 'trailing glob covers deeper paths', policies: [rule('foo/+', caps('read')) + rule('foo/*', caps('update'))], operation: 'update', path: 'foo/x/y', allowed: true },
  { name: 'later first plus wins', policies: [rule('foo/bar/+/baz', caps('read')) + rule('foo/+/+/baz', caps('update'))], operation: 'read', path: 'foo/bar/x/baz', allowed: true },
  { name: 'later first plus shadows', policies: [rule('foo/bar/+/baz', caps('read')) + rule('foo/+/bar/baz', caps('update'))], operation: 'update', path: 'foo/bar/bar/baz', allowed: false },
  { name: 'fewer plus segments win', policies: [rule('foo/+/bar/+/baz', caps('read')) + rule('foo/+/+/+/baz', caps('update'))], operation: 'read', path: 'foo/a/bar/b/baz', allowed: true },
  { name: 'longer glob wins', policies: [rule('foo/+/bar/ba*', caps('read')) + rule('foo/+/bar/b*', caps('update'))], operation: 'read', path: 'foo/x/bar/baz', allowed: true },
  { name: 'shorter glob loses', policies: [rule('foo/+/bar/ba*', caps('read')) + rule('foo/+/bar/b*', caps('update'))], operation: 'update', path: 'foo/x/bar/baz', allowed: false },
  { name: 'lexically greater path wins', policies: [rule('foo/+/x/+', caps('read')) + rule('foo/+/+/y', caps('update'))], operation: 'read', path: 'foo/a/x/y', allowed: true },
  { name: 'lexically smaller path loses', policies: [rule('foo/+/x/+', caps('read')) + rule('foo/+/+/y', caps('update'))], operation: 'update', path: 'foo/a/x/y', allowed: false },
  { name: 'prefix with later glob beats plus', policies: [rule('secret/bar/*', caps('read')) + rule('secret/+/foo/*', caps('update'))], operation: 'update', path: 'secret/bar/foo/x', allowed: false },
  { name: 'longest prefix wins', policies: [rule('secret/*', caps('read')) + rule('secret/foo*', caps('update'))], operation: 'update', path: 'secret/food', allowed: true },
  { name: 'longest prefix shadows shorter', policies: [rule('secret/*', caps('read')) + rule('secret/foo*', caps('update'))], operation: 'read', path: 'secret/food', allowed: false },
  { name: 'exact beats every glob', policies: [rule('secret/*', caps('update')) + rule('secret/+', caps('update')) + rule('secret/x', caps('read'))], operation: 'update', path: 'secret/x', allowed: false },
  { name: 'plus with trailing glob', policies: [rule('secret/+/data/*', caps('read'))], operation: 'read', path: 'secret/a/data/x/y', allowed: true },
  { name: 'plus with trailing glob needs the folder', policies: [rule('secret/+/data/*', caps('read'))], operation: 'read', path: 'secret/a/datax', allowed: false },
  { name: 'plus with partial segment glob', policies: [rule('secret/+/da*', caps('read'))], operation: 'read', path: 'secret/a/dab/c', allowed: true },
  { name: 'leading plus matches any mount', policies: [rule('+/config', caps('read'))], operation: 'read', path: 'kv/config', allowed: true },
  { name: 'literal first segment beats leading plus', policies: [rule('+/x/y', caps('read')) + rule('kv/+/y', caps('update'))], operation: 'read', path: 'kv/x/y', allowed: false },
  { name: 'leading plus serves other mounts', policies: [rule('+/x/y', caps('read')) + rule('kv/+/y', caps('update'))], operation: 'read', path: 'db/x/y', allowed: true },
  {
    // "+x" is a literal segment, but its "+" still counts as the first wildcard.
    name: 'leading plus with fewer pluses wins',
    policies: [rule('+x/+/+/y', caps('read')) + rule('+/a/b/y', caps('update'))],
    operation: 'update',
    path: '+x/a/b/y',
    allowed: true,
  },
  { name: 'lone plus matches one segment', policies: [rule('+', caps('read'))], operation: 'read', path: 'anything', allowed: true },
  { name: 'lone plus needs one segment', policies: [rule('+', caps('read'))], operation: 'read', path: 'a/b', allowed: false },
  { name: 'plus glued to text is literal', policies: [rule('secret/+x', caps('read'))], operation: 'read', path: 'secret/ax', allowed: false },
  { name: 'rule without capabilities shadows', policies: [rule('secret/*', caps('read')) + rule('secret/foo', 'capabilities = []')], operation: 'read', path: 'secret/foo', allowed: false },
]);

runCases('acl trailing slash and list', [
  { name: 'list on folder uses exact rule', policies: [rule('secret/foo', caps('list'))], operation: 'list', path: 'secret/foo/', allowed: true },
  { name: 'list on folder uses folder glob', policies: [rule('secret/foo/*', caps('list'))], operation: 'list', path: 'secret/foo/', allowed: true },
  { name: 'list on subfolder uses folder glob', policies: [rule('secret/foo/*', caps('list'))], operation: 'list', path: 'secret/foo/bar/', allowed: true },
  { name: 'list on folder uses slash rule', policies: [rule('secret/foo/', caps('list'))], operation: 'list', path: 'secret/foo/', allowed: true },
  { name: 'read does not drop the slash', policies: [rule('secret/foo', caps('read'))], operation: 'read', path: 'secret/foo/', allowed: false },
  { name: 'slash rule is not the bare path', policies: [rule('secret/foo/', caps('read'))], operation: 'read', path: 'secret/foo', allowed: false },
  { name: 'list of mount root', policies: [rule('secret/*', caps('list'))], operation: 'list', path: 'secret/', allowed: true },
  {
    // Vault tries globs on "secret/foo" before "secret/foo/", so the shorter
    // prefix "secret/fo" decides.
    name: 'list tries the bare path first',
    policies: [rule('secret/fo*', caps('read')) + rule('secret/foo/*', caps('list'))],
    operation: 'list',
    path: 'secret/foo/',
    allowed: false,
  },
]);

runCases('acl deny and merging', [
  { name: 'deny in another policy wins', policies: [rule('secret/foo', caps('read')), rule('secret/foo', caps('deny'))], operation: 'read', path: 'secret/foo', allowed: false, sudo: false },
  { name: 'deny wins in either order', policies: [rule('secret/foo', caps('deny')), rule('secret/foo', caps('read', 'sudo'))], operation: 'read', path: 'secret/foo', allowed: false, sudo: false },
  { name: 'deny in the same list wins', policies: [rule('secret/foo', caps('read', 'deny'))], operation: 'read', path: 'secret/foo', allowed: false },
  { name: 'deny beats glob in another policy', policies: [rule('secret/*', caps('read')), rule('secret/foo*', caps('deny'))], operation: 'read', path: 'secret/food', allowed: false },
  { name: 'broader deny leaves specific grant', policies: [rule('secret/*', caps('deny')), rule('secret/foo', caps('read'))], operation: 'read', path: 'secret/foo', allowed: true },
  { name: 'broader deny covers the rest', policies: [rule('secret/*', caps('deny')), rule('secret/foo', caps('read'))], operation: 'read', path: 'secret/bar', allowed: false },
  { name: 'same path capabilities unite', policies: [rule('secret/foo', caps('read')), rule('secret/foo', caps('update'))], operation: 'update', path: 'secret/foo', allowed: true },
  { name: 'same path in one policy unites', policies: [rule('secret/foo', caps('read')) + rule('secret/foo', caps('delete'))], operation: 'delete', path: 'secret/foo', allowed: true },
  { name: 'sudo is reported', policies: [rule('sys/audit', caps('read', 'sudo'))], operation: 'read', path: 'sys/audit', allowed: true, sudo: true },
  { name: 'sudo is reported on denial', policies: [rule('sys/audit', caps('read', 'sudo'))], operation: 'delete', path: 'sys/audit', allowed: false, sudo: true },
  { name: 'no sudo without the capability', policies: [rule('sys/audit', caps('read'))], operation: 'read', path: 'sys/audit', allowed: true, sudo: false },
  { name: 'legacy write policy', policies: [rule('secret/old', 'policy = "write"')], operation: 'delete', path: 'secret/old', allowed: true },
  { name: 'legacy write lacks patch', policies: [rule('secret/old', 'policy = "write"')], operation: 'patch', path: 'secret/old', allowed: false },
  { name: 'renew needs update', policies: [rule('database/creds/x', caps('update'))], operation: 'renew', path: 'database/creds/x', allowed: true },
  { name: 'revoke needs update', policies: [rule('database/creds/x', caps('read'))], operation: 'revoke', path: 'database/creds/x', allowed: false, reason: 'the matching rule does not grant the "update" capability' },
  { name: 'no policy grants nothing', policies: [], operation: 'read', path: 'secret/foo', allowed: false, reason: 'no policy rule matches the path' },
]);

const param = (body: string): string[] => [rule('secret/foo', `${caps('create', 'read', 'update', 'patch', 'delete', 'list')}\n${body}`)];

runCases('acl parameter constraints', [
  { name: 'required present', policies: param('required_parameters = ["bar", "baz"]'), operation: 'create', path: 'secret/foo', data: { bar: 1, baz: 2 }, allowed: true },
  { name: 'required missing', policies: param('required_parameters = ["bar", "baz"]'), operation: 'create', path: 'secret/foo', data: { bar: 1 }, allowed: false, reason: 'missing required parameter "baz"' },
  { name: 'required without data', policies: param('required_parameters = ["bar"]'), operation: 'update', path: 'secret/foo', allowed: false },
  { name: 'required name is lower-cased', policies: param('required_parameters = ["Bar"]'), operation: 'update', path: 'secret/foo', data: { bar: 1 }, allowed: true },
  { name: 'required needs a lower-case key', policies: param('required_parameters = ["Bar"]'), operation: 'update', path: 'secret/foo', data: { Bar: 1 }, allowed: false },
  { name: 'required ignored on delete', policies: param('required_parameters = ["bar"]'), operation: 'delete', path: 'secret/foo', allowed: true },
  { name: 'allowed any value', policies: param('allowed_parameters = { "bar" = [] }'), operation: 'update', path: 'secret/foo', data: { bar: 'x' }, allowed: true },
  { name: 'allowed rejects others', policies: param('allowed_parameters = { "bar" = [] }'), operation: 'update', path: 'secret/foo', data: { bar: 'x', other: 1 }, allowed: false, reason: 'parameter "other" is not allowed' },
  { name: 'allowed without data', policies: param('allowed_parameters = { "bar" = ["zip"] }'), operation: 'update', path: 'secret/foo', allowed: true },
  { name: 'allowed value listed', policies: param('allowed_parameters = { "bar" = ["zip", "zap"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'zap' }, allowed: true },
  { name: 'allowed value not listed', policies: param('allowed_parameters = { "bar" = ["zip", "zap"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'zop' }, allowed: false },
  { name: 'allowed star admits others', policies: param('allowed_parameters = {\n "bar" = ["zip"]\n "*" = []\n}'), operation: 'update', path: 'secret/foo', data: { bar: 'zip', other: 'x' }, allowed: true },
  { name: 'allowed star keeps value limits', policies: param('allowed_parameters = {\n "bar" = ["zip"]\n "*" = []\n}'), operation: 'update', path: 'secret/foo', data: { bar: 'zop' }, allowed: false },
  { name: 'allowed star alone admits all', policies: param('allowed_parameters = { "*" = [] }'), operation: 'update', path: 'secret/foo', data: { a: 1, b: [2] }, allowed: true },
  { name: 'allowed prefix glob', policies: param('allowed_parameters = { "bar" = ["foo-*"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'foo-1' }, allowed: true },
  { name: 'allowed prefix glob mismatch', policies: param('allowed_parameters = { "bar" = ["foo-*"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'bar-1' }, allowed: false },
  { name: 'allowed suffix glob', policies: param('allowed_parameters = { "bar" = ["*-prod"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'db-prod' }, allowed: true },
  { name: 'allowed infix glob', policies: param('allowed_parameters = { "bar" = ["*mid*"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'a-mid-b' }, allowed: true },
  { name: 'allowed infix glob mismatch', policies: param('allowed_parameters = { "bar" = ["*mid*"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'nothing' }, allowed: false },
  { name: 'lone star value is literal', policies: param('allowed_parameters = { "bar" = ["*"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'x' }, allowed: false },
  { name: 'lone star value matches star', policies: param('allowed_parameters = { "bar" = ["*"] }'), operation: 'update', path: 'secret/foo', data: { bar: '*' }, allowed: true },
  { name: 'glob matches whole comma string', policies: param('allowed_parameters = { "bar" = ["baz/*"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'baz/quux,wibble' }, allowed: true },
  { name: 'allowed list every element', policies: param('allowed_parameters = { "bar" = ["a", "b"] }'), operation: 'update', path: 'secret/foo', data: { bar: ['b', 'a'] }, allowed: true },
  { name: 'allowed list one bad element', policies: param('allowed_parameters = { "bar" = ["a", "b"] }'), operation: 'update', path: 'secret/foo', data: { bar: ['a', 'c'] }, allowed: false },
  { name: 'allowed comma string elements', policies: param('allowed_parameters = { "bar" = ["a", "b"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'a, b' }, allowed: true },
  { name: 'allowed comma string bad element', policies: param('allowed_parameters = { "bar" = ["a", "b"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'a,c' }, allowed: false },
  { name: 'allowed whole list value', policies: param('allowed_parameters = { "bar" = [["a", "c"]] }'), operation: 'update', path: 'secret/foo', data: { bar: ['a', 'c'] }, allowed: true },
  { name: 'allowed empty string passes', policies: param('allowed_parameters = { "bar" = ["a"] }'), operation: 'update', path: 'secret/foo', data: { bar: '' }, allowed: true },
  { name: 'allowed number value', policies: param('allowed_parameters = { "ttl" = [300] }'), operation: 'update', path: 'secret/foo', data: { ttl: 300 }, allowed: true },
  { name: 'allowed number is not a string', policies: param('allowed_parameters = { "ttl" = [300] }'), operation: 'update', path: 'secret/foo', data: { ttl: '300' }, allowed: false },
  { name: 'allowed names are case-insensitive', policies: param('allowed_parameters = { "Bar" = [] }'), operation: 'update', path: 'secret/foo', data: { BAR: 1 }, allowed: true },
  { name: 'allowed applies to read', policies: param('allowed_parameters = { "bar" = ["zip"] }'), operation: 'read', path: 'secret/foo', data: { bar: 'zop' }, allowed: false },
  { name: 'allowed ignored on list', policies: param('allowed_parameters = { "bar" = ["zip"] }'), operation: 'list', path: 'secret/foo/', data: { bar: 'zop' }, allowed: true },
  { name: 'denied any value', policies: param('denied_parameters = { "bar" = [] }'), operation: 'update', path: 'secret/foo', data: { bar: 'x' }, allowed: false, reason: 'parameter "bar" is denied' },
  { name: 'denied leaves others', policies: param('denied_parameters = { "bar" = [] }'), operation: 'update', path: 'secret/foo', data: { other: 'x' }, allowed: true },
  { name: 'denied value listed', policies: param('denied_parameters = { "bar" = ["zip", "zap"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'zip' }, allowed: false },
  { name: 'denied value not listed', policies: param('denied_parameters = { "bar" = ["zip", "zap"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'zop' }, allowed: true },
  { name: 'denied list any element', policies: param('denied_parameters = { "bar" = ["zip"] }'), operation: 'update', path: 'secret/foo', data: { bar: ['zop', 'zip'] }, allowed: false },
  { name: 'denied comma string element', policies: param('denied_parameters = { "bar" = ["zip"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'zop, zip' }, allowed: false },
  { name: 'denied suffix glob', policies: param('denied_parameters = { "role" = ["*-admin"] }'), operation: 'update', path: 'secret/foo', data: { role: 'db-admin' }, allowed: false },
  { name: 'denied star denies any data', policies: param('denied_parameters = { "*" = [] }'), operation: 'update', path: 'secret/foo', data: { any: 1 }, allowed: false, reason: 'every parameter is denied' },
  { name: 'denied star allows no data', policies: param('denied_parameters = { "*" = [] }'), operation: 'update', path: 'secret/foo', allowed: true },
  { name: 'denied star ignored on delete', policies: param('denied_parameters = { "*" = [] }'), operation: 'delete', path: 'secret/foo', data: { any: 1 }, allowed: true },
  { name: 'denied beats allowed', policies: param('allowed_parameters = { "bar" = [] }\ndenied_parameters = { "bar" = ["secret"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'secret' }, allowed: false },
  { name: 'allowed after denied passes', policies: param('allowed_parameters = { "bar" = [] }\ndenied_parameters = { "bar" = ["secret"] }'), operation: 'update', path: 'secret/foo', data: { bar: 'other' }, allowed: true },
  { name: 'block form of allowed', policies: param('allowed_parameters {\n  bar = ["zip"]\n}'), operation: 'update', path: 'secret/foo', data: { bar: 'zop' }, allowed: false },
  {
    name: 'merged allowed values add up',
    policies: [...param('allowed_parameters = { "bar" = ["a"] }'), ...param('allowed_parameters = { "bar" = ["b"] }')],
    operation: 'update',
    path: 'secret/foo',
    data: { bar: 'b' },
    allowed: true,
  },
  {
    name: 'merged empty list admits any',
    policies: [...param('allowed_parameters = { "bar" = ["a"] }'), ...param('allowed_parameters = { "bar" = [] }')],
    operation: 'update',
    path: 'secret/foo',
    data: { bar: 'z' },
    allowed: true,
  },
  {
    // Vault restricts the merged rule even though one policy set no limits.
    name: 'merged limits bind the other policy',
    policies: [rule('secret/foo', caps('update')), rule('secret/foo', `${caps('read')}\nallowed_parameters = { "foo" = [] }`)],
    operation: 'update',
    path: 'secret/foo',
    data: { bar: 1 },
    allowed: false,
  },
]);

const wrapped = (body: string): string[] => [rule('auth/approle/role/my-role/secret-id', `${caps('create', 'update')}\n${body}`)];
const WRAP_PATH = 'auth/approle/role/my-role/secret-id';

runCases('acl wrapping ttl', [
  { name: 'min and max without wrapping', policies: wrapped('min_wrapping_ttl = "1s"\nmax_wrapping_ttl = "90s"'), operation: 'update', path: WRAP_PATH, allowed: false, reason: 'response wrapping is required, with a TTL of at most 90s' },
  { name: 'min and max within bounds', policies: wrapped('min_wrapping_ttl = "1s"\nmax_wrapping_ttl = "90s"'), operation: 'update', path: WRAP_PATH, wrapTtl: 30, allowed: true },
  { name: 'above max', policies: wrapped('min_wrapping_ttl = "1s"\nmax_wrapping_ttl = "90s"'), operation: 'update', path: WRAP_PATH, wrapTtl: 120, allowed: false, reason: 'wrapping TTL 120s is above max_wrapping_ttl 90s' },
  { name: 'min without wrapping', policies: wrapped('min_wrapping_ttl = 10'), operation: 'update', path: WRAP_PATH, allowed: false, reason: 'response wrapping is required, with a TTL of at least 10s' },
  { name: 'below min', policies: wrapped('min_wrapping_ttl = 10'), operation: 'update', path: WRAP_PATH, wrapTtl: 5, allowed: false, reason: 'wrapping TTL 5s is below min_wrapping_ttl 10s' },
  { name: 'at min', policies: wrapped('min_wrapping_ttl = "10s"'), operation: 'update', path: WRAP_PATH, wrapTtl: 10, allowed: true },
  { name: 'max in minutes', policies: wrapped('max_wrapping_ttl = "2m"'), operation: 'update', path: WRAP_PATH, wrapTtl: 120, allowed: true },
  { name: 'wrapping without bounds', policies: wrapped(''), operation: 'update', path: WRAP_PATH, wrapTtl: 5000, allowed: true },
  {
    name: 'merged bounds take lower max',
    policies: [...wrapped('min_wrapping_ttl = 10\nmax_wrapping_ttl = 100'), ...wrapped('min_wrapping_ttl = 20\nmax_wrapping_ttl = 60')],
    operation: 'update',
    path: WRAP_PATH,
    wrapTtl: 70,
    allowed: false,
  },
  {
    name: 'merged bounds take lower min',
    policies: [...wrapped('min_wrapping_ttl = 10\nmax_wrapping_ttl = 100'), ...wrapped('min_wrapping_ttl = 20\nmax_wrapping_ttl = 60')],
    operation: 'update',
    path: WRAP_PATH,
    wrapTtl: 15,
    allowed: true,
  },
  {
    name: 'merged max below min denies',
    policies: [...wrapped('min_wrapping_ttl = 100'), ...wrapped('max_wrapping_ttl = 50')],
    operation: 'update',
    path: WRAP_PATH,
    wrapTtl: 75,
    allowed: false,
  },
]);

const ENTITY: EntityContext = {
  id: 'e-123',
  name: 'alice',
  metadata: { team: 'payments', empty: '', glob: 'a*' },
  aliases: [{ mountAccessor: 'auth_userpass_1234', name: 'alice-up', metadata: { region: 'eu' }, id: 'alias-1', customMetadata: { tier: 'gold' } }],
  groups: [{ id: 'g-1', name: 'engineering', metadata: { cost: 'c42' } }],
};

const templated = (path: string): string[] => [rule(path, caps('read'))];

runCases('acl templated paths', [
  { name: 'entity id', policies: templated('secret/data/{{identity.entity.id}}/*'), entity: ENTITY, operation: 'read', path: 'secret/data/e-123/x', allowed: true },
  { name: 'entity id of another', policies: templated('secret/data/{{identity.entity.id}}/*'), entity: ENTITY, operation: 'read', path: 'secret/data/e-999/x', allowed: false },
  { name: 'no entity matches nothing', policies: templated('secret/data/{{identity.entity.id}}/*'), operation: 'read', path: 'secret/data/e-123/x', allowed: false, reason: 'no policy rule matches the path' },
  { name: 'no entity keeps plain paths', policies: [rule('secret/{{identity.entity.id}}', caps('read')) + rule('secret/plain', caps('read'))], operation: 'read', path: 'secret/plain', allowed: true },
  { name: 'directive with spaces', policies: templated('secret/{{ identity.entity.name }}'), entity: ENTITY, operation: 'read', path: 'secret/alice', allowed: true },
  { name: 'entity metadata', policies: templated('secret/{{identity.entity.metadata.team}}/*'), entity: ENTITY, operation: 'read', path: 'secret/payments/db', allowed: true },
  { name: 'missing metadata key', policies: templated('secret/{{identity.entity.metadata.nope}}/*'), entity: ENTITY, operation: 'read', path: 'secret//db', allowed: false },
  { name: 'empty metadata value renders', policies: templated('secret/x{{identity.entity.metadata.empty}}'), entity: ENTITY, operation: 'read', path: 'secret/x', allowed: true },
  { name: 'glob in a value matches nothing', policies: templated('secret/{{identity.entity.metadata.glob}}'), entity: ENTITY, operation: 'read', path: 'secret/a*', allowed: false },
  { name: 'alias name', policies: templated('secret/{{identity.entity.aliases.auth_userpass_1234.name}}'), entity: ENTITY, operation: 'read', path: 'secret/alice-up', allowed: true },
  { name: 'alias id', policies: templated('secret/{{identity.entity.aliases.auth_userpass_1234.id}}'), entity: ENTITY, operation: 'read', path: 'secret/alias-1', allowed: true },
  { name: 'alias metadata', policies: templated('secret/{{identity.entity.aliases.auth_userpass_1234.metadata.region}}/*'), entity: ENTITY, operation: 'read', path: 'secret/eu/x', allowed: true },
  { name: 'alias custom metadata', policies: templated('secret/{{identity.entity.aliases.auth_userpass_1234.custom_metadata.tier}}'), entity: ENTITY, operation: 'read', path: 'secret/gold', allowed: true },
  { name: 'alias of another mount', policies: templated('secret/{{identity.entity.aliases.auth_ldap_9.name}}'), entity: ENTITY, operation: 'read', path: 'secret/alice-up', allowed: false },
  { name: 'group name by id', policies: templated('secret/groups/{{identity.groups.ids.g-1.name}}/*'), entity: ENTITY, operation: 'read', path: 'secret/groups/engineering/x', allowed: true },
  { name: 'group id by name', policies: templated('secret/groups/{{identity.groups.names.engineering.id}}'), entity: ENTITY, operation: 'read', path: 'secret/groups/g-1', allowed: true },
  { name: 'group metadata', policies: templated('secret/cost/{{identity.groups.names.engineering.metadata.cost}}'), entity: ENTITY, operation: 'read', path: 'secret/cost/c42', allowed: true },
  { name: 'group not joined', policies: templated('secret/groups/{{identity.groups.ids.g-2.name}}'), entity: ENTITY, operation: 'read', path: 'secret/groups/', allowed: false },
  { name: 'default policy entity lookup', policies: [DEFAULT_POLICY], entity: ENTITY, operation: 'read', path: 'identity/entity/id/e-123', allowed: true },
  { name: 'default policy other entity', policies: [DEFAULT_POLICY], entity: ENTITY, operation: 'read', path: 'identity/entity/id/e-999', allowed: false },
  { name: 'default policy lookup-self', policies: [DEFAULT_POLICY], operation: 'read', path: 'auth/token/lookup-self', allowed: true },
  { name: 'default policy cubbyhole', policies: [DEFAULT_POLICY], operation: 'list', path: 'cubbyhole/', allowed: true },
  { name: 'default policy oidc authorize', policies: [DEFAULT_POLICY], operation: 'update', path: 'identity/oidc/provider/p1/authorize', allowed: true },
  { name: 'default policy no secrets', policies: [DEFAULT_POLICY], operation: 'read', path: 'secret/data/x', allowed: false },
]);

describe('acl root and capabilities', () => {
  test('root allows everything with sudo', () => {
    const acl = ACL.build([ROOT_POLICY]);
    assert.equal(acl.isRoot, true);
    assert.deepEqual(acl.check({ operation: 'delete', path: 'sys/mounts/secret', data: {} }), { allowed: true, sudo: true });
    assert.deepEqual(acl.capabilities('anything'), ['root']);
  });

  test('root wins over other policies', async () => {
    const other = await parsePolicy('other', rule('secret/*', caps('deny')));
    const acl = ACL.build([other, ROOT_POLICY]);
    assert.equal(acl.isRoot, true);
    assert.equal(acl.check({ operation: 'read', path: 'secret/x', data: {} }).allowed, true);
  });

  test('capabilities are sorted and united', async () => {
    const acl = await buildAcl([rule('secret/foo', caps('update', 'read')), rule('secret/foo', caps('sudo', 'list'))]);
    assert.equal(acl.isRoot, false);
    assert.deepEqual(acl.capabilities('secret/foo'), ['list', 'read', 'sudo', 'update']);
  });

  test('capabilities deny without a match', async () => {
    const acl = await buildAcl([rule('secret/foo', caps('read'))]);
    assert.deepEqual(acl.capabilities('secret/bar'), ['deny']);
  });

  test('capabilities deny on a deny rule', async () => {
    const acl = await buildAcl([rule('secret/foo', caps('read')), rule('secret/foo', caps('deny'))]);
    assert.deepEqual(acl.capabilities('secret/foo'), ['deny']);
  });

  test('capabilities deny on an empty rule', async () => {
    const acl = await buildAcl([rule('secret/foo', 'capabilities = []')]);
    assert.deepEqual(acl.capabilities('secret/foo'), ['deny']);
  });

  test('capabilities match like a list', async () => {
    const acl = await buildAcl([rule('secret/foo', caps('read'))]);
    assert.deepEqual(acl.capabilities('secret/foo/'), ['read']);
    assert.deepEqual(acl.capabilities('/secret/foo'), ['read']);
  });

  test('capabilities of a templated path', async () => {
    const acl = await buildAcl([rule('secret/{{identity.entity.id}}/*', caps('read', 'create'))], ENTITY);
    assert.deepEqual(acl.capabilities('secret/e-123/x'), ['create', 'read']);
  });
});

describe('access under a mount', () => {
  const cases: [string, string[], string, boolean][] = [
    ['exact rule below', [rule('secret/data/app', caps('read'))], 'secret/', true],
    ['prefix rule below', [rule('secret/data/*', caps('list'))], 'secret/', true],
    ['prefix rule above', [rule('sec*', caps('read'))], 'secret/', true],
    ['plus rule below', [rule('secret/+/app', caps('read'))], 'secret/', true],
    ['leading plus rule', [rule('+/data/app', caps('read'))], 'secret/', true],
    ['plus rule elsewhere', [rule('kv/+/app', caps('read'))], 'secret/', false],
    ['rule on another mount', [rule('secrets/data/app', caps('read'))], 'secret/', false],
    ['deny only', [rule('secret/*', caps('deny'))], 'secret/', false],
    ['deny above a grant', [rule('secret/*', caps('deny')), rule('secret/data/app', caps('read'))], 'secret/', true],
    ['no rules', [], 'secret/', false],
  ];
  for (const [title, policies, mountPath, expected] of cases) {
    test(title, async () => {
      assert.equal((await buildAcl(policies)).hasAccessUnder(mountPath), expected);
    });
  }

  test('root reaches every mount', async () => {
    const acl = ACL.build([await parsePolicy('root', '')]);
    assert.equal(acl.hasAccessUnder('secret/'), true);
  });
});
