/**
 * PKI roles whose allowed_domains and allowed_uri_sans contain identity
 * templates, rendered for each caller through the system view of a real
 * server. Every case runs twice: with the built-in engine in process, and
 * with the same engine as an external plugin that renders over the wire.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { callerFor, expectStatus, type Caller } from '../identity/test-support.js';
import { startPluginTestServer, writeScript, type PluginTestServer } from '../plugin/test-support.js';
import { createIdentityCallers, type IdentityCallers } from './identity-callers.js';

const run = promisify(execFile);

const ROOT = 'root-pki-templates';
const PLUGIN_PATH = fileURLToPath(new URL('./testdata/pki-plugin.js', import.meta.url));
const MOUNTS = [
  { mount: 'pki', type: 'pki', label: 'in process', external: false },
  { mount: 'pki-ext', type: 'pki-external', label: 'external plugin', external: true },
];
const POLICY = MOUNTS.map(({ mount }) => `path "${mount}/issue/*" {\n  capabilities = ["update"]\n}\npath "${mount}/sign/*" {\n  capabilities = ["update"]\n}\n`).join('');

/** Returns a PEM CSR for `commonName` with a new P-256 key, made by openssl. */
async function opensslCsr(commonName: string): Promise<string> {
  const { stdout } = await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', `/CN=${commonName}`, '-out', '-']);
  return stdout;
}

describe('pki identity templates', () => {
  let server: PluginTestServer;
  let root: Caller;
  let callers: IdentityCallers;

  before(async () => {
    server = await startPluginTestServer(ROOT);
    root = callerFor(server, ROOT);
    const sha256 = await writeScript(server.pluginDirectory, 'pki-external', `exec '${process.execPath}' '${PLUGIN_PATH}' "$@"`);
    expectStatus(await root('POST', 'sys/plugins/catalog/secret/pki-external', { sha256, command: 'pki-external' }), 204, 'register the external pki plugin');
    for (const { mount, type } of MOUNTS) {
      expectStatus(await root('POST', `sys/mounts/${mount}`, { type }), 204, `mount ${mount}`);
      expectStatus(await root('POST', `${mount}/root/generate/internal`, { common_name: 'Template Test Root', key_type: 'ec', ttl: '8760h' }), 200, `root CA of ${mount}`);
    }
    expectStatus(await root('PUT', 'sys/policies/acl/issuer', { policy: POLICY }), 204, 'write the issuer policy');

    callers = await createIdentityCallers(server, ROOT, ['issuer']);
    expectStatus(await root('POST', `identity/entity/id/${callers.bob.entityId}`, { metadata: { host: '*' } }), 204, 'give bob a glob as metadata');
    const group = await root('POST', 'identity/group', { name: 'ops', member_entity_ids: [callers.alice.entityId], metadata: { zone: 'eu' } });
    expectStatus(group, 200, 'create group ops');
  });
  after(async () => {
    await server.close();
  });

  for (const { mount, label, external } of MOUNTS) {
    describe(label, () => {
      const issue = (call: Caller, role: string, body: Record<string, unknown>) => call('POST', `${mount}/issue/${role}`, body);
      const writeRole = async (name: string, body: Record<string, unknown>) => {
        expectStatus(await root('POST', `${mount}/roles/${name}`, { key_type: 'ec', ttl: '1h', ...body }), 200, `write role ${name} on ${mount}`);
      };
      const assertIssued = (response: Awaited<ReturnType<Caller>>, commonName: string, altNames: string) => {
        expectStatus(response, 200, `issue ${commonName}`);
        const certificate = new X509Certificate(response.body.data.certificate as string);
        assert.equal(certificate.subject, `CN=${commonName}`);
        assert.equal(certificate.subjectAltName, altNames);
      };
      const assertRejected = (response: Awaited<ReturnType<Caller>>, message: string) => {
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.deepEqual(response.body, { errors: [message] });
      };

      before(async () => {
        const alias = `{{identity.entity.aliases.${callers.accessor}.name}}`;
        await writeRole('by-alias', { allowed_domains: `${alias}.users.example.com`, allowed_domains_template: true, allow_bare_domains: true });
        await writeRole('by-name', { allowed_domains: '{{identity.entity.name}}.example.net', allowed_domains_template: true, allow_bare_domains: true });
        await writeRole('by-team', { allowed_domains: '{{identity.entity.metadata.team}}.example.org', allowed_domains_template: true, allow_subdomains: true });
        await writeRole('mixed', { allowed_domains: `${alias}.users.example.com,static.example.com`, allowed_domains_template: true, allow_bare_domains: true });
        await writeRole('other-mount', { allowed_domains: '{{identity.entity.aliases.auth_userpass_00000000.name}}.example.com', allowed_domains_template: true, allow_bare_domains: true });
        await writeRole('by-host', { allowed_domains: '{{identity.entity.metadata.host}}.example.com', allowed_domains_template: true, allow_glob_domains: true });
        await writeRole('by-host-bare', { allowed_domains: '{{identity.entity.metadata.host}}.example.com', allowed_domains_template: true, allow_bare_domains: true });
        await writeRole('glob-template', { allowed_domains: 'ftp*.{{identity.entity.name}}.example.net', allowed_domains_template: true, allow_glob_domains: true });
        await writeRole('by-domain', { allowed_domains: '{{identity.entity.metadata.domain}}', allowed_domains_template: true, allow_subdomains: true });
        await writeRole('by-group', { allowed_domains: '{{identity.groups.names.ops.metadata.zone}}.example.com', allowed_domains_template: true, allow_subdomains: true });
        await writeRole('by-uri', { allow_any_name: true, allowed_uri_sans: `spiffe://example.org/${alias}`, allowed_uri_sans_template: true });
        // The role check lets the extra braces through, but the server's parser rejects the template.
        await writeRole('stray-brace', { allowed_domains: '{{{identity.entity.name}}}.example.com,static.example.com', allowed_domains_template: true, allow_bare_domains: true });
        await writeRole('literal', { allowed_domains: '{{identity.entity.name}}.example.net', allowed_domains_template: false, allow_bare_domains: true });
      });

      test('alias name allows own domain', async () => {
        assertIssued(await issue(callers.alice.call, 'by-alias', { common_name: 'alice.users.example.com' }), 'alice.users.example.com', 'DNS:alice.users.example.com');
        assertIssued(await issue(callers.bob.call, 'by-alias', { common_name: 'bob.users.example.com' }), 'bob.users.example.com', 'DNS:bob.users.example.com');
      });

      test('other user name is rejected', async () => {
        const before = await root('LIST', `${mount}/certs`);

        assertRejected(await issue(callers.alice.call, 'by-alias', { common_name: 'bob.users.example.com' }), 'common name bob.users.example.com not allowed by this role');
        assertRejected(
          await issue(callers.alice.call, 'by-alias', { common_name: 'alice.users.example.com', alt_names: 'bob.users.example.com' }),
          'subject alternate name bob.users.example.com not allowed by this role',
        );

        assert.deepEqual((await root('LIST', `${mount}/certs`)).body.data.keys, before.body.data.keys);
      });

      test('entity name renders', async () => {
        assertIssued(await issue(callers.alice.call, 'by-name', { common_name: 'alice.example.net' }), 'alice.example.net', 'DNS:alice.example.net');
        assertRejected(await issue(callers.bob.call, 'by-name', { common_name: 'alice.example.net' }), 'common name alice.example.net not allowed by this role');
      });

      test('entity metadata renders', async () => {
        assertIssued(await issue(callers.alice.call, 'by-team', { common_name: 'api.payments.example.org' }), 'api.payments.example.org', 'DNS:api.payments.example.org');
        // Bob's entity has no "team" key, so the entry allows nothing rather than ".example.org".
        assertRejected(await issue(callers.bob.call, 'by-team', { common_name: 'api.payments.example.org' }), 'common name api.payments.example.org not allowed by this role');
        assertRejected(await issue(callers.bob.call, 'by-team', { common_name: 'api.example.org' }), 'common name api.example.org not allowed by this role');
      });

      test('metadata change applies at once', async () => {
        const entity = `identity/entity/id/${callers.alice.entityId}`;
        expectStatus(await root('POST', entity, { metadata: { team: 'billing' } }), 204, 'change the team of alice');
        try {
          assertIssued(await issue(callers.alice.call, 'by-team', { common_name: 'api.billing.example.org' }), 'api.billing.example.org', 'DNS:api.billing.example.org');
          assertRejected(await issue(callers.alice.call, 'by-team', { common_name: 'api.payments.example.org' }), 'common name api.payments.example.org not allowed by this role');
        } finally {
          expectStatus(await root('POST', entity, { metadata: { team: 'payments' } }), 204, 'restore the team of alice');
        }
      });

      test('root token skips templated entries', async () => {
        assertIssued(await issue(root, 'mixed', { common_name: 'static.example.com' }), 'static.example.com', 'DNS:static.example.com');
        assertRejected(await issue(root, 'mixed', { common_name: 'alice.users.example.com' }), 'common name alice.users.example.com not allowed by this role');
        assertIssued(await issue(callers.alice.call, 'mixed', { common_name: 'alice.users.example.com' }), 'alice.users.example.com', 'DNS:alice.users.example.com');
      });

      test('batch token and deleted entity', async () => {
        // A batch token carries its entity, and once the entity is deleted the server denies the token.
        const name = `carol-${mount}`;
        expectStatus(await root('POST', `auth/userpass/users/${name}`, { password: 'carol-password', token_policies: 'issuer', token_type: 'batch' }), 204, `create user ${name}`);
        const loggedIn = await callerFor(server, '')('POST', `auth/userpass/login/${name}`, { password: 'carol-password' });
        expectStatus(loggedIn, 200, `log in ${name}`);
        const batch = callerFor(server, loggedIn.body.auth.client_token as string);
        const domain = `${name}.users.example.com`;
        assertIssued(await issue(batch, 'by-alias', { common_name: domain }), domain, `DNS:${domain}`);

        expectStatus(await root('DELETE', `identity/entity/id/${loggedIn.body.auth.entity_id as string}`), 204, `delete the entity of ${name}`);
        const denied = await issue(batch, 'by-alias', { common_name: domain });
        assert.equal(denied.status, 403);
        assert.deepEqual(denied.body, { errors: ['permission denied'] });
      });

      test('alias of unknown accessor skips', async () => {
        assertRejected(await issue(callers.alice.call, 'other-mount', { common_name: 'alice.example.com' }), 'common name alice.example.com not allowed by this role');
      });

      test('glob in metadata allows nothing', async () => {
        // Rendered, bob's "*" would make the glob *.example.com.
        assertRejected(await issue(callers.bob.call, 'by-host', { common_name: 'anything.example.com' }), 'common name anything.example.com not allowed by this role');
        assertRejected(await issue(callers.alice.call, 'by-host', { common_name: 'anything.example.com' }), 'common name anything.example.com not allowed by this role');
      });

      test('fullwidth glob in metadata allows nothing', async () => {
        // U+FF0A and U+FE61 become "*" when a domain is converted to its ASCII form.
        const entity = `identity/entity/id/${callers.bob.entityId}`;
        for (const host of ['\uff0a', '\ufe61']) {
          expectStatus(await root('POST', entity, { metadata: { host } }), 204, `give bob the host ${JSON.stringify(host)}`);
          try {
            assertRejected(await issue(callers.bob.call, 'by-host', { common_name: 'anything.example.com' }), 'common name anything.example.com not allowed by this role');
            assertRejected(await issue(callers.bob.call, 'by-host-bare', { common_name: '*.example.com' }), 'common name *.example.com not allowed by this role');
          } finally {
            expectStatus(await root('POST', entity, { metadata: { host: '*' } }), 204, 'restore the host of bob');
          }
        }
      });

      test('glob in the template itself applies', async () => {
        assertIssued(await issue(callers.alice.call, 'glob-template', { common_name: 'ftp01.alice.example.net' }), 'ftp01.alice.example.net', 'DNS:ftp01.alice.example.net');
        assertRejected(await issue(callers.bob.call, 'glob-template', { common_name: 'ftp01.alice.example.net' }), 'common name ftp01.alice.example.net not allowed by this role');
      });

      test('empty metadata allows no domain', async () => {
        // An empty allowed domain would match every name with a trailing dot as its subdomain.
        const entity = `identity/entity/id/${callers.bob.entityId}`;
        expectStatus(await root('POST', entity, { metadata: { host: '*', domain: '' } }), 204, 'give bob an empty domain');
        try {
          assertRejected(await issue(callers.bob.call, 'by-domain', { common_name: 'bank.example.' }), 'common name bank.example. not allowed by this role');
        } finally {
          expectStatus(await root('POST', entity, { metadata: { host: '*' } }), 204, 'restore the metadata of bob');
        }
        expectStatus(await root('POST', entity, { metadata: { host: '*', domain: 'bob.example' } }), 204, 'give bob a domain');
        try {
          assertIssued(await issue(callers.bob.call, 'by-domain', { common_name: 'www.bob.example' }), 'www.bob.example', 'DNS:www.bob.example');
        } finally {
          expectStatus(await root('POST', entity, { metadata: { host: '*' } }), 204, 'restore the metadata of bob');
        }
      });

      test('group metadata renders', async () => {
        assertIssued(await issue(callers.alice.call, 'by-group', { common_name: 'db.eu.example.com' }), 'db.eu.example.com', 'DNS:db.eu.example.com');
        assertRejected(await issue(callers.bob.call, 'by-group', { common_name: 'db.eu.example.com' }), 'common name db.eu.example.com not allowed by this role');
      });

      test('uri sans render per caller', async () => {
        const issued = await issue(callers.alice.call, 'by-uri', { common_name: 'alice.example.com', uri_sans: 'spiffe://example.org/alice' });
        assertIssued(issued, 'alice.example.com', 'DNS:alice.example.com, URI:spiffe://example.org/alice');
        assertRejected(
          await issue(callers.alice.call, 'by-uri', { common_name: 'alice.example.com', uri_sans: 'spiffe://example.org/bob' }),
          'URI Subject Alternative Name spiffe://example.org/bob provided via the API is not allowed by this role',
        );
      });

      test('template the server rejects is skipped', async () => {
        assertRejected(await issue(callers.alice.call, 'stray-brace', { common_name: 'alice.example.com' }), 'common name alice.example.com not allowed by this role');
        assertIssued(await issue(callers.alice.call, 'stray-brace', { common_name: 'static.example.com' }), 'static.example.com', 'DNS:static.example.com');

        // In process the engine logs through the server's logger, and an external plugin's JSON line is logged as plugin output.
        const warning = 'identity template skipped because the server rejected it';
        const warnings = () =>
          server.logLines.filter((line) =>
            external ? line.msg === 'plugin output' && String(line.line).includes(warning) && String(line.line).includes('"role":"stray-brace"') : line.msg === warning && line.role === 'stray-brace',
          );
        // A plugin's standard error reaches the server log through a pipe, possibly after the response.
        for (let attempt = 0; attempt < 50 && warnings().length < 2; attempt++) await delay(40);
        const logged = warnings();
        // One line per request, and both requests render the role.
        assert.equal(logged.length, 2, JSON.stringify(logged));
        assert.match(JSON.stringify(logged[0]), /unknown template parameter/);
      });

      test('template without the flag is literal', async () => {
        assertRejected(await issue(callers.alice.call, 'literal', { common_name: 'alice.example.net' }), 'common name alice.example.net not allowed by this role');
      });

      test('sign renders the role too', async () => {
        const signed = await callers.alice.call('POST', `${mount}/sign/by-alias`, { csr: await opensslCsr('alice.users.example.com') });
        assertIssued(signed, 'alice.users.example.com', 'DNS:alice.users.example.com');
        const refused = await callers.alice.call('POST', `${mount}/sign/by-alias`, { csr: await opensslCsr('bob.users.example.com'), common_name: 'bob.users.example.com' });
        assertRejected(refused, 'common name bob.users.example.com not allowed by this role');
      });
    });
  }
});
