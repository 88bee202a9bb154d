/**
 * The web UI driven in Debian's headless Chromium through playwright-core,
 * against real servers on loopback. Each check that the UI wrote something
 * reads it back through the API.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningServer } from '../server.js';
import { api, startConfiguredServer, startDevServer } from '../testing/api-client.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = 'root-ui-token';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package`;

let browser: Browser;

before(async () => {
  if (skip !== false) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Background networking would try hosts outside this machine.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

/** Opens a page that fails the test on any script error or dialog it did not expect. */
async function openPage(server: RunningServer, failures: string[]): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => failures.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    if (dialog.type() === 'confirm') {
      void dialog.accept();
      return;
    }
    failures.push(`unexpected ${dialog.type()} dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(`${server.address}/`);
  return page;
}

async function signInWithToken(page: Page, token: string): Promise<void> {
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Secrets engines' }).waitFor();
}

/** Opens a page signed in with the root token; `failures` collects script errors and dialogs it did not expect. */
async function openSignedIn(server: RunningServer): Promise<{ page: Page; failures: string[] }> {
  const failures: string[] = [];
  const page = await openPage(server, failures);
  await signInWithToken(page, ROOT);
  return { page, failures };
}

/**
 * Waits for the banner to show `expected`, a text to match exactly or a
 * pattern, and fails with the banner's actual text when it does not. A
 * banner left from an earlier action does not count, because it must match.
 */
async function expectBanner(page: Page, expected: string | RegExp): Promise<void> {
  const matches = (text: string): boolean => (typeof expected === 'string' ? text === expected : expected.test(text));
  const message = page.locator('.banner p').filter({ hasText: expected });
  await message.waitFor({ timeout: 5_000 }).catch(() => undefined);
  const text = (await page.locator('.banner p').textContent({ timeout: 1_000 }).catch(() => null)) ?? '(no banner)';
  assert.ok(matches(text), `banner shows ${JSON.stringify(text)}, expected ${String(expected)}`);
}

describe('ui in a browser', { skip }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  test('root token writes a kv secret', async () => {
    const { page, failures } = await openSignedIn(server);

    await page.getByRole('link', { name: 'secret/' }).click();
    await page.getByRole('link', { name: 'Create secret' }).click();
    await page.getByLabel('secret path', { exact: true }).fill('app/db');
    await page.getByLabel('key', { exact: true }).fill('password');
    await page.getByLabel('value', { exact: true }).fill('hunter2');
    await page.getByRole('button', { name: 'Save' }).click();

    await expectBanner(page, 'Saved secret/app/db.');
    const value = page.locator('code.secret-value');
    assert.equal(await value.isHidden(), true);
    await page.getByRole('button', { name: 'reveal value' }).click();
    assert.equal(await value.textContent(), 'hunter2');
    assert.equal(await value.isVisible(), true);

    const stored = await api(server, 'GET', 'secret/data/app/db', { token: ROOT });
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.body.data.data, { password: 'hunter2' });
    assert.deepEqual(failures, []);
  });

  test('ui writes while cors is on', async () => {
    const enabled = await api(server, 'POST', 'sys/config/cors', { token: ROOT, body: { allowed_origins: 'https://app.example.com' } });
    assert.equal(enabled.status, 204);
    try {
      const failures: string[] = [];
      const page = await openPage(server, failures);
      await signInWithToken(page, ROOT);
      // Chromium sends Origin on a same-origin POST, which the CORS check must let through.
      await page.goto(`${server.address}/ui/#/secrets/secret%2F/create/`);
      await page.getByLabel('secret path', { exact: true }).fill('cors-on');
      await page.getByLabel('key', { exact: true }).fill('a');
      await page.getByLabel('value', { exact: true }).fill('1');
      await page.getByRole('button', { name: 'Save' }).click();
      await expectBanner(page, 'Saved secret/cors-on.');
      const stored = await api(server, 'GET', 'secret/data/cors-on', { token: ROOT });
      assert.deepEqual(stored.body.data.data, { a: '1' });
      assert.deepEqual(failures, []);
    } finally {
      await api(server, 'DELETE', 'sys/config/cors', { token: ROOT });
    }
  });

  test('duplicate keys are rejected before writing', async () => {
    const { page, failures } = await openSignedIn(server);
    await page.goto(`${server.address}/ui/#/secrets/secret%2F/create/`);
    await page.getByLabel('secret path', { exact: true }).fill('dup');
    await page.getByLabel('key', { exact: true }).fill('a');
    await page.getByLabel('value', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('key', { exact: true }).nth(1).fill('a');
    await page.getByLabel('value', { exact: true }).nth(1).fill('2');
    await page.getByRole('button', { name: 'Save' }).click();

    await expectBanner(page, 'The key "a" appears twice.');
    const stored = await api(server, 'GET', 'secret/data/dup', { token: ROOT });
    assert.equal(stored.status, 404);
    assert.deepEqual(failures, []);
  });

  test('invalid json blocks the switch to fields', async () => {
    const { page, failures } = await openSignedIn(server);
    await page.goto(`${server.address}/ui/#/secrets/secret%2F/create/`);
    await page.getByRole('button', { name: 'Edit as JSON' }).click();
    await page.getByLabel('secret data as JSON', { exact: true }).fill('{"a": ');
    await page.getByRole('button', { name: 'Edit as fields' }).click();

    await expectBanner(page, /^The JSON is invalid: /);
    // The text stays in the JSON editor so it can be fixed.
    assert.equal(await page.getByLabel('secret data as JSON', { exact: true }).inputValue(), '{"a": ');
    assert.deepEqual(failures, []);
  });

  test('markup in secret data stays text', async () => {
    const hostile = '<img src=x onerror="alert(document.cookie)">';
    await api(server, 'POST', 'secret/data/hostile', { token: ROOT, body: { data: { [hostile]: hostile } } });
    const { page, failures } = await openSignedIn(server);
    await page.goto(`${server.address}/ui/#/secrets/secret%2F/show/hostile`);
    await page.getByRole('button', { name: 'reveal value' }).click();

    assert.equal(await page.locator('table[aria-label="secret data"] td').first().textContent(), hostile);
    assert.equal(await page.locator('code.secret-value').textContent(), hostile);
    assert.equal(await page.locator('main img').count(), 0);
    assert.deepEqual(failures, []);
  });

  test('userpass user is held to its policy', async () => {
    await api(server, 'POST', 'sys/auth/userpass', { token: ROOT, body: { type: 'userpass' } });
    const policy = 'path "secret/data/team/*" {\n  capabilities = ["read"]\n}\npath "secret/metadata/*" {\n  capabilities = ["list"]\n}\n';
    await api(server, 'PUT', 'sys/policies/acl/team-reader', { token: ROOT, body: { policy } });
    await api(server, 'POST', 'auth/userpass/users/alice', { token: ROOT, body: { password: 'correct horse', token_policies: 'team-reader' } });
    await api(server, 'POST', 'secret/data/team/api', { token: ROOT, body: { data: { key: 'k-123' } } });

    const failures: string[] = [];
    const page = await openPage(server, failures);
    await page.getByLabel('Method', { exact: true }).selectOption('userpass');
    await page.getByLabel('Username', { exact: true }).fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectBanner(page, 'Error 400: invalid username or password');

    await page.getByLabel('Password', { exact: true }).fill('correct horse');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Secrets engines' }).waitFor();
    assert.equal(await page.locator('.who').textContent(), 'userpass-alice');

    await page.getByRole('link', { name: 'secret/' }).click();
    await page.getByRole('link', { name: 'team/' }).click();
    await page.getByRole('link', { name: 'api' }).click();
    await page.getByRole('button', { name: 'reveal value' }).click();
    assert.equal(await page.locator('code.secret-value').textContent(), 'k-123');

    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('value', { exact: true }).fill('changed');
    await page.getByRole('button', { name: 'Save' }).click();
    await expectBanner(page, 'Error 403: permission denied');
    const stored = await api(server, 'GET', 'secret/data/team/api', { token: ROOT });
    assert.deepEqual(stored.body.data.data, { key: 'k-123' });
    assert.equal(stored.body.data.metadata.version, 1);
    assert.deepEqual(failures, []);
  });

  test('transit encrypts and decrypts', async () => {
    await api(server, 'POST', 'sys/mounts/transit', { token: ROOT, body: { type: 'transit' } });
    const { page, failures } = await openSignedIn(server);
    await page.getByRole('link', { name: 'transit/' }).click();
    await page.getByLabel('Name', { exact: true }).fill('orders');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expectBanner(page, 'Created key orders.');

    await page.getByLabel('Plaintext', { exact: true }).fill('héllo wörld');
    await page.getByRole('button', { name: 'Encrypt' }).click();
    const ciphertext = (await page.locator('form[aria-label="encrypt"] output code').textContent()) ?? '';
    assert.match(ciphertext, /^vault:v1:[A-Za-z0-9+/=]+$/);

    const decrypted = await api(server, 'POST', 'transit/decrypt/orders', { token: ROOT, body: { ciphertext } });
    assert.equal(Buffer.from(decrypted.body.data.plaintext, 'base64').toString('utf8'), 'héllo wörld');

    await page.getByLabel('Ciphertext', { exact: true }).fill(ciphertext);
    await page.getByRole('button', { name: 'Decrypt' }).click();
    assert.equal(await page.locator('form[aria-label="decrypt"] output code').textContent(), 'héllo wörld');
    assert.deepEqual(failures, []);
  });

  test('policy written in the ui reaches the server', async () => {
    const { page, failures } = await openSignedIn(server);
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('link', { name: 'Create policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('ops');
    await page.getByLabel('Policy (HCL or JSON)', { exact: true }).fill('path "ops/*" {\n  capabilities = ["read"]\n}\n');
    await page.getByRole('button', { name: 'Save' }).click();
    await expectBanner(page, 'Saved policy ops.');
    const stored = await api(server, 'GET', 'sys/policies/acl/ops', { token: ROOT });
    assert.equal(stored.body.data.policy, 'path "ops/*" {\n  capabilities = ["read"]\n}\n');

    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Policy (HCL or JSON)', { exact: true }).fill('path "ops/*" {\n  capabilities = ["fly"]\n}\n');
    await page.getByRole('button', { name: 'Save' }).click();
    await expectBanner(page, /^Error 400: /);
    const unchanged = await api(server, 'GET', 'sys/policies/acl/ops', { token: ROOT });
    assert.equal(unchanged.body.data.policy, 'path "ops/*" {\n  capabilities = ["read"]\n}\n');
    assert.deepEqual(failures, []);
  });

  test('policy name lower-cased on save', async () => {
    const { page, failures } = await openSignedIn(server);
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('link', { name: 'Create policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('MixedCase');
    await page.getByLabel('Policy (HCL or JSON)', { exact: true }).fill('path "mixed/*" {\n  capabilities = ["read"]\n}\n');
    await page.getByRole('button', { name: 'Save' }).click();

    await expectBanner(page, 'Saved policy mixedcase. Warning: policy name "MixedCase" was lower-cased to "mixedcase"');
    await page.getByRole('heading', { name: 'Policy mixedcase' }).waitFor();
    assert.equal(await page.evaluate('location.hash'), '#/policies/mixedcase');
    assert.deepEqual(failures, []);
  });

  test('bad routes get clear messages', async () => {
    const { page, failures } = await openSignedIn(server);

    // A lone "%E0" is not valid percent-encoding, so no route can decode it.
    await page.evaluate("location.hash = '#/secrets/secret%2F/show/%E0'");
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal(await page.locator('main p').textContent(), 'The UI has no page at /secrets/secret%2F/show/%E0.');

    await page.evaluate("location.hash = '#/transit/secret%2F'");
    await expectBanner(page, '"secret/" is a kv mount, not transit');
    assert.deepEqual(failures, []);
  });

  test('kv routes accept a mount without slash', async () => {
    await api(server, 'POST', 'secret/data/slashless', { token: ROOT, body: { data: { value: 'one' } } });
    await api(server, 'POST', 'sys/mounts/flat', { token: ROOT, body: { type: 'kv' } });
    const { page, failures } = await openSignedIn(server);

    await page.evaluate("location.hash = '#/secrets/secret/versions/slashless'");
    await page.getByRole('heading', { name: 'Versions of secret/slashless' }).waitFor();
    assert.equal(await page.getByRole('table', { name: 'versions' }).locator('tbody tr').count(), 1);

    await page.evaluate("location.hash = '#/secrets/flat%2F/versions/any'");
    await expectBanner(page, '"flat/" is a KV version 1 mount, which keeps no versions');
    assert.deepEqual(failures, []);
  });

  test('deleted kv secret links to versions', async () => {
    await api(server, 'POST', 'secret/data/gone', { token: ROOT, body: { data: { value: 'one' } } });
    assert.equal((await api(server, 'DELETE', 'secret/data/gone', { token: ROOT })).status, 204);
    const { page, failures } = await openSignedIn(server);

    await page.evaluate("location.hash = '#/secrets/secret%2F/show/gone'");
    await page.getByText('The latest version of this secret is deleted.').waitFor();
    await page.getByRole('link', { name: 'Versions' }).click();
    await page.getByRole('table', { name: 'versions' }).getByRole('button', { name: 'Undelete' }).click();
    await expectBanner(page, 'Version 1: undelete done.');
    const restored = await api(server, 'GET', 'secret/data/gone', { token: ROOT });
    assert.deepEqual(restored.body.data.data, { value: 'one' });
    assert.deepEqual(failures, []);
  });

  test('sign in keeps the requested page', async () => {
    const failures: string[] = [];
    const page = await openPage(server, failures);
    await page.goto(`${server.address}/ui/#/policies`);
    await page.getByLabel('Token', { exact: true }).fill(ROOT);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'ACL policies' }).waitFor();
    assert.equal(await page.evaluate('location.hash'), '#/policies');
    assert.deepEqual(failures, []);
  });

  test('secrets engine enabled and disabled', async () => {
    const { page, failures } = await openSignedIn(server);
    const form = page.getByRole('form', { name: 'enable secrets engine' });
    await form.getByLabel('Type', { exact: true }).fill('no-such-engine');
    await form.getByLabel('Path', { exact: true }).fill('bad');
    await form.getByRole('button', { name: 'Enable secrets engine' }).click();
    await expectBanner(page, /^Error 400: .*no-such-engine/);
    const before = await api(server, 'GET', 'sys/mounts', { token: ROOT });
    assert.equal(before.body.data['bad/'], undefined);

    await form.getByLabel('Type', { exact: true }).fill('kv-v2');
    await form.getByLabel('Path', { exact: true }).fill('team-kv');
    await form.getByRole('button', { name: 'Enable secrets engine' }).click();
    await expectBanner(page, 'Enabled kv-v2 at team-kv/.');
    const mounted = await api(server, 'GET', 'sys/mounts', { token: ROOT });
    assert.equal(mounted.body.data['team-kv/'].type, 'kv');
    assert.deepEqual(mounted.body.data['team-kv/'].options, { version: '2' });

    await page.getByRole('button', { name: 'disable team-kv/' }).click();
    await expectBanner(page, 'Disabled team-kv/.');
    const after = await api(server, 'GET', 'sys/mounts', { token: ROOT });
    assert.equal(after.body.data['team-kv/'], undefined);
    assert.deepEqual(failures, []);
  });

  test('kv versions deleted, undeleted and destroyed', async () => {
    for (const value of ['one', 'two']) await api(server, 'POST', 'secret/data/history', { token: ROOT, body: { data: { value } } });
    const { page, failures } = await openSignedIn(server);
    await page.goto(`${server.address}/ui/#/secrets/secret%2F/show/history`);
    await page.getByRole('link', { name: 'Versions' }).click();
    const versions = page.getByRole('table', { name: 'versions' });
    await versions.locator('tbody tr').nth(1).waitFor();
    assert.equal(await versions.locator('tbody tr').count(), 2);

    await versions.locator('tbody tr').nth(1).getByRole('link', { name: 'View' }).click();
    await page.getByRole('button', { name: 'reveal value' }).click();
    assert.equal(await page.locator('code.secret-value').textContent(), 'one');
    await page.getByRole('link', { name: '← all versions' }).click();

    await versions.locator('tbody tr').first().getByRole('button', { name: 'Delete' }).click();
    await expectBanner(page, 'Version 2: delete done.');
    const deleted = await api(server, 'GET', 'secret/metadata/history', { token: ROOT });
    assert.notEqual(deleted.body.data.versions['2'].deletion_time, '');

    await versions.locator('tbody tr').first().getByRole('button', { name: 'Undelete' }).click();
    await expectBanner(page, 'Version 2: undelete done.');
    const restored = await api(server, 'GET', 'secret/data/history', { token: ROOT });
    assert.deepEqual(restored.body.data.data, { value: 'two' });

    await versions.locator('tbody tr').nth(1).getByRole('button', { name: 'Destroy' }).click();
    await expectBanner(page, 'Version 1: destroy done.');
    const destroyed = await api(server, 'GET', 'secret/metadata/history', { token: ROOT });
    assert.equal(destroyed.body.data.versions['1'].destroyed, true);
    assert.deepEqual(failures, []);
  });

  test('userpass users are saved and deleted', async () => {
    await api(server, 'POST', 'sys/auth/people', { token: ROOT, body: { type: 'userpass' } });
    const { page, failures } = await openSignedIn(server);
    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByRole('link', { name: 'people/' }).click();
    await page.getByLabel('Username', { exact: true }).fill('bob');
    await page.getByLabel('Password', { exact: true }).fill('s3cret-pass');
    await page.getByLabel('Policies', { exact: true }).fill('default,ops');
    await page.getByRole('button', { name: 'Save user' }).click();
    await expectBanner(page, 'Saved user bob.');

    const login = await api(server, 'POST', 'auth/people/login/bob', { body: { password: 's3cret-pass' } });
    assert.equal(login.status, 200);
    assert.deepEqual(login.body.auth.token_policies, ['default', 'ops']);

    await page.getByRole('button', { name: 'delete bob' }).click();
    await expectBanner(page, 'Deleted user bob.');
    const deletedUser = await api(server, 'GET', 'auth/people/users/bob', { token: ROOT });
    assert.equal(deletedUser.status, 404);
    assert.deepEqual(failures, []);
  });

  test('passwords and hash input keep spaces', async () => {
    await api(server, 'POST', 'sys/auth/spaced', { token: ROOT, body: { type: 'userpass' } });
    const { page, failures } = await openSignedIn(server);
    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByRole('link', { name: 'spaced/' }).click();
    await page.getByLabel('Username', { exact: true }).fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('  padded pass  ');
    await page.getByRole('button', { name: 'Save user' }).click();
    await expectBanner(page, 'Saved user carol.');
    const login = await api(server, 'POST', 'auth/spaced/login/carol', { body: { password: '  padded pass  ' } });
    assert.equal(login.status, 200);

    // Sign in through the form with the same padded password.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Method', { exact: true }).selectOption('userpass');
    await page.getByLabel('Username', { exact: true }).fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('  padded pass  ');
    await page.getByLabel('Mount path', { exact: true }).fill('spaced');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();

    await signInWithToken(page, ROOT);
    await page.getByRole('link', { name: 'Tools' }).click();
    const hash = page.getByRole('form', { name: 'Hash' });
    await hash.getByLabel('Input (text)', { exact: true }).fill('abc ');
    await hash.getByRole('button', { name: 'Hash' }).click();
    // SHA-256 of the four bytes "abc ".
    const expected = createHash('sha256').update('abc ').digest('hex');
    await hash.locator('output pre').getByText(expected).waitFor();
    assert.deepEqual(failures, []);
  });

  test('console runs commands on any path', async () => {
    const { page, failures } = await openSignedIn(server);
    await page.getByRole('link', { name: 'Console' }).click();
    const command = page.getByLabel('command', { exact: true });
    const output = page.getByLabel('console output', { exact: true });

    await command.fill('write cubbyhole/note text=hello count=2');
    await page.getByRole('button', { name: 'Run' }).click();
    await output.getByText('Success: the server returned no data.').waitFor();
    const stored = await api(server, 'GET', 'cubbyhole/note', { token: ROOT });
    assert.deepEqual(stored.body.data, { text: 'hello', count: '2' });

    await command.fill('read cubbyhole/note');
    await page.getByRole('button', { name: 'Run' }).click();
    await output.getByText('"text": "hello"').waitFor();
    assert.equal(JSON.parse((await output.textContent()) ?? '').data.count, '2');

    await command.fill('write cubbyhole/bad {"oops"');
    await page.getByRole('button', { name: 'Run' }).click();
    await output.getByText(/^The JSON is invalid: /).waitFor();
    assert.equal((await api(server, 'GET', 'cubbyhole/bad', { token: ROOT })).status, 404);

    await command.fill('delete sys/mounts/cubbyhole');
    await page.getByRole('button', { name: 'Run' }).click();
    await output.getByText(/^Error 400: /).waitFor();

    await command.fill('delete cubbyhole/note');
    await page.getByRole('button', { name: 'Run' }).click();
    await output.getByText('Success: deleted.').waitFor();
    assert.equal((await api(server, 'GET', 'cubbyhole/note', { token: ROOT })).status, 404);
    assert.deepEqual(failures, []);
  });

  test('sign out forgets the token', async () => {
    const { page, failures } = await openSignedIn(server);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expectBanner(page, 'Signed out.');
    assert.equal(await page.evaluate("sessionStorage.getItem('coffer.token')"), null);
    await page.getByLabel('Token', { exact: true }).waitFor();
    assert.deepEqual(failures, []);
  });
  test('revoked token returns to sign in', async () => {
    const failures: string[] = [];
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const token = created.body.auth.client_token as string;
    const page = await openPage(server, failures);
    await page.getByLabel('Token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    assert.equal((await api(server, 'POST', 'auth/token/revoke-self', { token })).status, 204);
    await page.getByRole('link', { name: 'Policies' }).click();
    await expectBanner(page, 'Your session ended. Sign in again.');
    await page.getByLabel('Token', { exact: true }).waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('coffer.token')"), null);
    assert.deepEqual(failures, []);
  });

  test('token without permission stays signed in', async () => {
    const failures: string[] = [];
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const token = created.body.auth.client_token as string;
    const page = await openPage(server, failures);
    await page.getByLabel('Token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    await page.getByRole('link', { name: 'Policies' }).click();
    await expectBanner(page, 'Error 403: permission denied');
    assert.equal(await page.evaluate("sessionStorage.getItem('coffer.token')"), token);
    assert.deepEqual(failures, []);
  });

  test('wrong token is rejected at sign in', async () => {
    const failures: string[] = [];
    const page = await openPage(server, failures);
    await page.getByLabel('Token', { exact: true }).fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectBanner(page, 'Error 403: permission denied');
    assert.equal(await page.evaluate("sessionStorage.getItem('coffer.token')"), null);
    assert.deepEqual(failures, []);
  });
});

describe('ui initializes and unseals', { skip }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startConfiguredServer('storage "inmem" {}\nui = true');
  });
  after(() => server.close());

  test('init then unseal then sign in', async () => {
    const failures: string[] = [];
    const page = await openPage(server, failures);
    await page.getByLabel('Key shares', { exact: true }).fill('3');
    await page.getByLabel('Key threshold', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Initialize' }).click();

    const shares = await page.locator('[data-share]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-share') ?? ''));
    const rootToken = (await page.locator('[data-root-token]').getAttribute('data-root-token')) ?? '';
    assert.equal(shares.length, 3);
    assert.match(rootToken, /^hvs\./);
    await page.getByRole('button', { name: 'Continue to unseal' }).click();

    await page.getByLabel('Key share', { exact: true }).fill(shares[0]);
    await page.getByRole('button', { name: 'Unseal' }).click();
    await expectBanner(page, 'Key share accepted.');
    assert.equal(await page.locator('.progress').textContent(), 'Unseal progress: 1 of 2 key shares');

    await page.getByLabel('Key share', { exact: true }).fill(shares[2]);
    await page.getByRole('button', { name: 'Unseal' }).click();
    await expectBanner(page, 'Coffer is unsealed.');
    const status = await api(server, 'GET', 'sys/seal-status');
    assert.equal(status.body.sealed, false);

    await signInWithToken(page, rootToken);
    assert.equal(await page.getByRole('table', { name: 'secrets engines' }).getByText('cubbyhole/').count(), 1);
    assert.deepEqual(failures, []);
  });
});
