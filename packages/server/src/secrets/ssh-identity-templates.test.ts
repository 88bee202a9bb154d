/**
 * SSH roles whose allowed_users, default_user, allowed_domains and
 * default_extensions contain identity templates, rendered for each caller
 * through the system view of a real server. Every case runs twice: with the
 * built-in engine in process, and with the same engine as an external plugin
 * that renders over the wire. ssh-keygen reads the certificates.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { callerFor, expectStatus, type Caller } from '../identity/test-support.js';
import { startPluginTestServer, writeScript, type PluginTestServer } from '../plugin/test-support.js';
import { TEMPLATE_PARAMETERS } from '../policy/templates.js';
import type { ApiResponse } from '../testing/api-client.js';
import { createIdentityCallers, type IdentityCallers } from './identity-callers.js';

const run = promisify(execFile);

const ROOT = 'root-ssh-templates';
const PLUGIN_PATH = fileURLToPath(new URL('./testdata/ssh-plugin.js', import.meta.url));
const MOUNTS = [
  { mount: 'ssh', type: 'ssh', label: 'in process' },
  { mount: 'ssh-ext', type: 'ssh-external', label: 'external plugin' },
];
const POLICY = MOUNTS.map(({ mount }) => `path "${mount}/sign/*" {\n  capabilities = ["update"]\n}\n`).join('');

/** The principals and extension lines of a certificate, as `ssh-keygen -L` prints them. */
interface Listing {
  principals: string[];
  extensions: string[];
}

describe('ssh identity templates', () => {
  let server: PluginTestServer;
  let root: Caller;
  let callers: IdentityCallers;
  let directory: string;
  let publicKey: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-ssh-templates-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'user', '-f', join(directory, 'user')]);
    publicKey = await readFile(join(directory, 'user.pub'), 'utf8');

    server = await startPluginTestServer(ROOT);
    root = callerFor(server, ROOT);
    const sha256 = await writeScript(server.pluginDirectory, 'ssh-external', `exec '${process.execPath}' '${PLUGIN_PATH}' "$@"`);
    expectStatus(await root('POST', 'sys/plugins/catalog/secret/ssh-external', { sha256, command: 'ssh-external' }), 204, 'register the external ssh plugin');
    for (const { mount, type } of MOUNTS) {
      expectStatus(await root('POST', `sys/mounts/${mount}`, { type }), 204, `mount ${mount}`);
      expectStatus(await root('POST', `${mount}/config/ca`, { key_type: 'ssh-ed25519' }), 200, `CA of ${mount}`);
    }
    expectStatus(await root('PUT', 'sys/policies/acl/signer', { policy: POLICY }), 204, 'write the signer policy');
    callers = await createIdentityCallers(server, ROOT, ['signer']);
    expectStatus(await root('POST', `identity/entity/id/${callers.bob.entityId}`, { metadata: { logins: 'bob,root' } }), 204, 'give bob a list as metadata');
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** Lists a signed certificate with ssh-keygen. */
  async function listCertificate(signedKey: string): Promise<Listing> {
    const path = join(directory, 'user-cert.pub');
    await writeFile(path, signedKey);
    const { stdout } = await run('ssh-keygen', ['-L', '-f', path]);
    const listing: Listing = { principals: [], extensions: [] };
    let section: string[] | undefined;
    // ssh-keygen indents headings by 8 spaces and the items under them by 16.
    for (const line of stdout.split('\n')) {
      if (/^ {16}\S/.test(line)) {
        section?.push(line.trim());
        continue;
      }
      const heading = line.trim();
      section = heading.startsWith('Principals:') ? listing.principals : heading.startsWith('Extensions:') ? listing.extensions : undefined;
    }
    return listing;
  }

  function assertRejected(response: ApiResponse, message: string): void {
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.deepEqual(response.body, { errors: [message] });
  }

  for (const { mount, label } of MOUNTS) {
    describe(label, () => {
      const sign = (call: Caller, role: string, body: Record<string, unknown> = {}) => call('POST', `${mount}/sign/${role}`, { public_key: publicKey, ...body });
      const signed = async (response: ApiResponse): Promise<Listing> => {
        expectStatus(response, 200, 'sign');
        return listCertificate(response.body.data.signed_key as string);
      };
      const writeRole = async (name: string, body: Record<string, unknown>) => {
        expectStatus(await root('POST', `${mount}/roles/${name}`, { key_type: 'ca', ...body }), 204, `write role ${name} on ${mount}`);
      };

      before(async () => {
        const alias = `{{identity.entity.aliases.${callers.accessor}.name}}`;
        await writeRole('users', {
          allow_user_certificates: true,
          allowed_users: `${alias},shared`,
          allowed_users_template: true,
          default_user: '{{identity.entity.name}}',
          default_user_template: true,
        });
        await writeRole('hosts', { allow_host_certificates: true, allowed_domains: '{{identity.entity.metadata.team}}.example.com', allowed_domains_template: true, allow_subdomains: true });
        await writeRole('extensions', {
          allow_user_certificates: true,
          allowed_users: '*',
          default_extensions: { 'permit-pty': '', 'team@example.com': '{{identity.entity.metadata.team}}' },
          default_extensions_template: true,
        });
        await writeRole('logins', { allow_user_certificates: true, allowed_users: '{{identity.entity.metadata.logins}}', allowed_users_template: true });
        await writeRole('unix', { allow_user_certificates: true, allowed_users: '{{identity.entity.metadata.unix}}', allowed_users_template: true });
      });

      test('own alias is a principal', async () => {
        assert.deepEqual((await signed(await sign(callers.alice.call, 'users', { valid_principals: 'alice' }))).principals, ['alice']);
        assert.deepEqual((await signed(await sign(callers.bob.call, 'users', { valid_principals: 'bob,shared' }))).principals, ['bob', 'shared']);
      });

      test('other user name is rejected', async () => {
        assertRejected(await sign(callers.alice.call, 'users', { valid_principals: 'bob' }), 'bob is not a valid value for valid_principals');
        assertRejected(await sign(callers.bob.call, 'users', { valid_principals: 'bob,alice' }), 'alice is not a valid value for valid_principals');
      });

      test('default user renders', async () => {
        assert.deepEqual((await signed(await sign(callers.alice.call, 'users'))).principals, ['alice']);
        assert.deepEqual((await signed(await sign(callers.bob.call, 'users'))).principals, ['bob']);
      });

      test('root token gets no templated principal', async () => {
        assert.deepEqual((await signed(await sign(root, 'users', { valid_principals: 'shared' }))).principals, ['shared']);
        assertRejected(await sign(root, 'users', { valid_principals: 'alice' }), 'alice is not a valid value for valid_principals');
        assertRejected(
          await sign(root, 'users'),
          "template '{{identity.entity.name}}' in default_user needs a token with an identity entity: log in through an auth method, or set valid_principals",
        );
      });

      test('host domains render from metadata', async () => {
        const listing = await signed(await sign(callers.alice.call, 'hosts', { cert_type: 'host', valid_principals: 'web.payments.example.com' }));
        assert.deepEqual(listing.principals, ['web.payments.example.com']);
        assertRejected(
          await sign(callers.alice.call, 'hosts', { cert_type: 'host', valid_principals: 'web.billing.example.com' }),
          'web.billing.example.com is not a valid value for valid_principals',
        );
      });

      test('missing metadata key is rejected', async () => {
        assertRejected(
          await sign(callers.bob.call, 'hosts', { cert_type: 'host', valid_principals: 'web.payments.example.com' }),
          "template '{{identity.entity.metadata.team}}.example.com' in allowed_domains could not be rendered for the caller's entity: the entity lacks an alias, group or metadata key it names, or a value contains * or +",
        );
        assertRejected(
          await sign(callers.alice.call, 'unix', { valid_principals: 'alice' }),
          "template '{{identity.entity.metadata.unix}}' in allowed_users could not be rendered for the caller's entity: the entity lacks an alias, group or metadata key it names, or a value contains * or +",
        );
      });

      test('rendered comma adds no principal', async () => {
        assertRejected(
          await sign(callers.bob.call, 'logins', { valid_principals: 'root' }),
          "template '{{identity.entity.metadata.logins}}' in allowed_users rendered to a value with a comma, which cannot be one principal",
        );
      });

      test('default extensions render', async () => {
        const listing = await signed(await sign(callers.alice.call, 'extensions', { valid_principals: 'alice' }));
        // ssh-keygen prints an extension it does not know with its value as an SSH string in hex: length 8, then "payments".
        assert.deepEqual(listing.extensions, ['permit-pty', 'team@example.com UNKNOWN OPTION: 000000087061796d656e7473 (len 12)']);
        const rootListing = await signed(await sign(root, 'extensions', { valid_principals: 'alice' }));
        assert.deepEqual(rootListing.extensions, ['permit-pty']);
      });

      test('malformed template is rejected on write', async () => {
        const response = await root('POST', `${mount}/roles/bad`, { key_type: 'ca', allow_user_certificates: true, allowed_users: '{{identity.entity.nmae}}', allowed_users_template: true });

        assertRejected(
          response,
          `invalid field "allowed_users": invalid identity template "{{identity.entity.nmae}}": unknown template parameter "identity.entity.nmae"; use ${TEMPLATE_PARAMETERS}`,
        );
        assert.equal((await root('GET', `${mount}/roles/bad`)).status, 404);
      });
    });
  }
});
