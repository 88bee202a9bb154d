import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nameAllowed, uriAllowed } from './name-policy.js';
import { defaultRole, type Role } from './roles.js';

function role(settings: Partial<Role>): Role {
  return { ...defaultRole(), ...settings };
}

describe('name policy', () => {
  test('table of roles and names', () => {
    const subdomains = role({ allowed_domains: ['example.com'], allow_subdomains: true });
    const bare = role({ allowed_domains: ['example.com'], allow_bare_domains: true });
    const glob = role({ allowed_domains: ['ftp*.example.com'], allow_glob_domains: true });
    const noWildcards = role({ allowed_domains: ['example.com'], allow_subdomains: true, allow_wildcard_certificates: false });
    const emptyDomain = role({ allowed_domains: ['', 'example.com'], allow_subdomains: true, allow_bare_domains: true });
    const anyName = role({ allow_any_name: true });
    const anyNameLoose = role({ allow_any_name: true, enforce_hostnames: false });
    const noLocalhost = role({ allow_localhost: false, allow_any_name: false });
    const cases: [string, Role, string, boolean][] = [
      ['subdomain', subdomains, 'www.example.com', true],
      ['deep subdomain', subdomains, 'a.b.example.com', true],
      ['bare without flag', subdomains, 'example.com', false],
      ['lookalike suffix', subdomains, 'wwwexample.com', false],
      ['wildcard subdomain', subdomains, '*.example.com', true],
      ['partial wildcard label', subdomains, 'w*.example.com', true],
      ['wildcard not leftmost', subdomains, 'www.*.example.com', false],
      ['two wildcards', subdomains, '*.*.example.com', false],
      ['wildcard refused by role', noWildcards, '*.example.com', false],
      ['email on subdomain', subdomains, 'admin@mail.example.com', true],
      ['email on wildcard', subdomains, 'admin@*.example.com', false],
      ['bare domain', bare, 'example.com', true],
      ['bare domain in other case', bare, 'EXAMPLE.com', true],
      ['bare email domain', bare, 'admin@example.com', true],
      ['subdomain without flag', bare, 'www.example.com', false],
      ['glob match', glob, 'ftp01.example.com', true],
      ['glob miss', glob, 'www.example.com', false],
      ['empty domain allows no trailing dot', emptyDomain, 'bank.test.', false],
      ['empty domain keeps the others', emptyDomain, 'www.example.com', true],
      ['localhost default', subdomains, 'localhost', true],
      ['localhost off', noLocalhost, 'localhost', false],
      ['any name', anyName, 'anything.test', true],
      ['any name still needs a hostname', anyName, 'not a host', false],
      ['any name without hostname checks', anyNameLoose, 'My Service', true],
      ['idn', anyName, 'bücher.example', true],
      ['two at signs', anyName, 'a@b@c.test', false],
    ];

    for (const [label, policy, name, expected] of cases) {
      assert.equal(nameAllowed(policy, name), expected, label);
    }
  });

  test('uri globs', () => {
    const policy = role({ allowed_uri_sans: ['spiffe://example/*'] });

    assert.equal(uriAllowed(policy, 'spiffe://example/service'), true);
    assert.equal(uriAllowed(policy, 'spiffe://other/service'), false);
    assert.equal(uriAllowed(role({}), 'spiffe://example/service'), false);
  });
});
