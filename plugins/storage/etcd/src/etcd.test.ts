import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { childrenOf, silentLogger, type Logger } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
import { EtcdStorage, plugin } from './index.js';
import { parseSettings } from './settings.js';
import { etcdUnavailableReason, freePort, startTestEtcd, TEST_MAX_REQUEST_BYTES, type TestEtcd } from './testing.js';

const unavailable = etcdUnavailableReason();

if (unavailable !== null && process.env.CI !== undefined && process.env.CI !== '') {
  // CI installs etcd-server, so a missing binary there is a broken setup, not a reason to skip.
  test('etcd is installed', () => assert.fail(unavailable));
} else if (unavailable !== null) {
  test('etcd storage', { skip: unavailable }, () => undefined);
} else {
  declareTests();
}

function declareTests(): void {
  // One private etcd for the file, started on first use; each case gets a key prefix of its own.
  let server: Promise<TestEtcd> | undefined;
  let prefixCount = 0;
  const sharedEtcd = (): Promise<TestEtcd> => (server ??= startTestEtcd());
  after(async () => {
    if (server !== undefined) await (await server).stop();
  });

  async function freshSettings(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    prefixCount += 1;
    return { address: (await sharedEtcd()).address, path: `/coffer-test-${prefixCount}/`, ...extra };
  }

  runStorageConformance({
    name: 'etcd',
    module: new URL('./index.js', import.meta.url).href,
    settings: () => freshSettings(),
    persistent: true,
  });

  describe('etcd storage', () => {
    let address: string;
    before(async () => {
      address = (await sharedEtcd()).address;
    });

    test('keys follow Vault layout', async () => {
      const storage = await plugin.create({ address }, { logger: silentLogger });
      await storage.put({ key: 'core/layout', value: Buffer.from([0, 1, 2]) });
      await storage.close();
      const client = new Etcd3({ hosts: address });
      try {
        assert.deepEqual(await client.get('/vault/core/layout').buffer(), Buffer.from([0, 1, 2]));
        await client.delete().key('/vault/core/layout');
      } finally {
        client.close();
      }
    });

    test('list pages through small batches', async () => {
      const keys = ['a', 'b/c', 'b/d/e', 'big/x', 'c', 'd/e', 'e', 'f', 'g/h', 'h', 'i/j/k', 'z'];
      for (let i = 0; i < 40; i++) keys.push(`big/many/k${i}`, `big/k${i}`, `wide/f${i}/leaf`);
      const settings = parseSettings(await freshSettings());
      for (const listBatch of [1, 2, 3, 7, 500]) {
        const storage = await EtcdStorage.open(settings, silentLogger, { listBatch });
        if (listBatch === 1) for (const key of keys) await storage.put({ key, value: Buffer.from(key) });
        for (const prefix of ['', 'b/', 'big/', 'big/many/', 'wide/', 'i/j/', 'nothing/']) {
          assert.deepEqual(await storage.list(prefix), childrenOf(prefix, keys), `list("${prefix}") with batches of ${listBatch}`);
        }
        await storage.close();
      }
    });

    test('prefix without trailing slash', async () => {
      const storage = await plugin.create({ address, path: '/no-slash' }, { logger: silentLogger });
      await storage.put({ key: 'k', value: Buffer.from('v') });
      await storage.close();
      const client = new Etcd3({ hosts: address });
      try {
        assert.deepEqual(await client.getAll().prefix('/no-slash').keys(), ['/no-slash/k']);
      } finally {
        client.close();
      }
    });

    test('oversized entry leaves the client usable', async () => {
      const storage = await plugin.create(await freshSettings(), { logger: silentLogger });
      try {
        // Over etcd's gRPC size limit (--max-request-bytes plus 512 KiB in etcd 3.4), so etcd returns RESOURCE_EXHAUSTED.
        const oversized = Buffer.alloc(TEST_MAX_REQUEST_BYTES + 1024 * 1024);
        await assert.rejects(storage.put({ key: 'big', value: oversized }), {
          status: 413,
          message: 'storage "etcd": put failed: the entry is larger than the etcd members accept: raise their --max-request-bytes',
        });

        await storage.put({ key: 'small', value: Buffer.from('v') });
        assert.deepEqual((await storage.get('small'))?.value, Buffer.from('v'));
        assert.equal(await storage.get('big'), null);
      } finally {
        await storage.close();
      }
    });

    test('closed storage rejects every operation', async () => {
      const storage = await plugin.create(await freshSettings(), { logger: silentLogger });
      await storage.close();
      await storage.close();
      for (const operation of [storage.get('k'), storage.put({ key: 'k', value: Buffer.from('v') }), storage.delete('k'), storage.list('')]) {
        await assert.rejects(operation, { message: 'storage "etcd": the storage is closed' });
      }
    });

    test('unreachable etcd fails within request_timeout', async () => {
      const port = await freePort();
      const started = Date.now();
      await assert.rejects(plugin.create({ address: `http://127.0.0.1:${port}`, request_timeout: '1s' }, { logger: silentLogger }), (err: Error) => {
        assert.match(err.message, /^storage "etcd": connect failed: /);
        assert.doesNotMatch(err.message, /127\.0\.0\.1/);
        assert.doesNotMatch(err.message, new RegExp(`:${port}\\b`));
        return true;
      });
      assert.ok(Date.now() - started < 15_000, `open took ${Date.now() - started} ms`);
    });

    test('ha_enabled opens without warnings', async () => {
      const warnings: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (_fields, message) => void warnings.push(message), child: () => logger };
      const storage = await plugin.create(await freshSettings({ ha_enabled: 'true' }), { logger });
      assert.equal((storage as EtcdStorage).haEnabled(), true);
      await storage.close();
      assert.deepEqual(warnings, []);
    });
  });

  describe('etcd storage with login', () => {
    const etcdctl = spawnSync('etcdctl', ['version'], { encoding: 'utf8' });
    const skip = etcdctl.status === 0 ? undefined : 'etcdctl is not installed; install it with "apt-get install -y etcd-client"';
    let secured: TestEtcd;
    before(async () => {
      if (skip !== undefined) return;
      secured = await startTestEtcd();
      for (const args of [
        ['user', 'add', 'root', '--new-user-password=root-secret-pw'],
        ['user', 'grant-role', 'root', 'root'],
        ['user', 'add', 'coffer', '--new-user-password=coffer-secret-pw'],
        ['role', 'add', 'coffer'],
        ['role', 'grant-permission', 'coffer', '--prefix=true', 'readwrite', '/vault/'],
        ['user', 'grant-role', 'coffer', 'coffer'],
        ['auth', 'enable'],
      ]) {
        const result = spawnSync('etcdctl', [`--endpoints=${secured.address}`, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
        // grant-role of root to root fails on versions that grant it at creation; anything else must work.
        if (result.status !== 0 && args[1] !== 'grant-role') assert.fail(`etcdctl ${args.join(' ')} failed: ${result.stderr}`);
      }
    });
    after(async () => {
      if (secured !== undefined) await secured.stop();
    });

    test('username and password log in', { skip }, async () => {
      const storage = await plugin.create({ address: secured.address, username: 'coffer', password: 'coffer-secret-pw' }, { logger: silentLogger });
      await storage.put({ key: 'auth/k', value: Buffer.from('v') });
      assert.deepEqual(await storage.list('auth/'), ['k']);
      await storage.close();
    });

    test('wrong password is refused without echo', { skip }, async () => {
      await assert.rejects(plugin.create({ address: secured.address, username: 'coffer', password: 'wrong-secret-pw' }, { logger: silentLogger }), (err: Error) => {
        assert.match(err.message, /^storage "etcd": connect failed: .*; check settings "username" and "password"$/);
        assert.doesNotMatch(err.message, /wrong-secret-pw/);
        return true;
      });
    });

    test('prefix outside the grant is refused', { skip }, async () => {
      await assert.rejects(
        plugin.create({ address: secured.address, path: '/elsewhere/', username: 'coffer', password: 'coffer-secret-pw' }, { logger: silentLogger }),
        (err: Error) => {
          assert.match(err.message, /^storage "etcd": connect failed: .*permission denied.*; grant the etcd user read and write on the prefix "\/elsewhere\/"$/);
          return true;
        },
      );
    });
  });

  describe('etcd storage over TLS', () => {
    const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
    const skip = openssl.status === 0 ? undefined : 'openssl is not installed; install it with "apt-get install -y openssl"';
    let dir: string;
    let secured: TestEtcd;
    before(async () => {
      if (skip !== undefined) return;
      dir = await mkdtemp(join(tmpdir(), 'coffer-etcd-tls-'));
      await makeCertificates(dir);
      secured = await startTestEtcd({ tls: { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem'), caFile: join(dir, 'ca.pem') } });
    });
    after(async () => {
      if (secured !== undefined) await secured.stop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    test('client certificate connects', { skip }, async () => {
      const storage = await plugin.create(
        { address: secured.address, tls_ca_file: join(dir, 'ca.pem'), tls_cert_file: join(dir, 'client.pem'), tls_key_file: join(dir, 'client-key.pem') },
        { logger: silentLogger },
      );
      await storage.put({ key: 'tls/k', value: Buffer.from('v') });
      assert.deepEqual((await storage.get('tls/k'))?.value, Buffer.from('v'));
      await storage.close();
    });

    test('missing client certificate fails', { skip }, async () => {
      await assert.rejects(
        plugin.create({ address: secured.address, tls_ca_file: join(dir, 'ca.pem'), request_timeout: '2s' }, { logger: silentLogger }),
        /^Error: storage "etcd": connect failed: /,
      );
    });
  });

  describe('etcd settings', () => {
    test('each problem names the setting', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'coffer-etcd-settings-'));
      const notPem = join(dir, 'not.pem');
      await writeFile(notPem, 'plain text');
      const cases: Array<[Record<string, string>, string]> = [
        [{ address: ' , ' }, 'storage "etcd": setting "address" must list at least one URL such as "http://127.0.0.1:2379", not " , "'],
        [{ address: 'localhost:2379' }, 'storage "etcd": setting "address" contains "localhost:2379"; each address must be "http://host:port" or "https://host:port" with no path or user'],
        [{ address: 'etcd' }, 'storage "etcd": setting "address" contains "etcd", which is not a URL; use the form "http://host:2379"'],
        [{ address: 'http://a:2379,https://b:2379' }, 'storage "etcd": setting "address" mixes http:// and https:// in "http://a:2379,https://b:2379"; use one scheme for every address'],
        [{ path: 'vault/' }, 'storage "etcd": setting "path" must be a key prefix such as "/vault/" that starts with "/", not "vault/"'],
        [{ ha_enabled: 'maybe' }, 'storage "etcd": setting "ha_enabled" must be "true" or "false", not "maybe"'],
        [{ session_ttl: '1s' }, 'storage "etcd": setting "session_ttl" must be a duration from 2s to 10m, such as "15s", not "1s"'],
        [{ etcd_api: 'v2' }, 'storage "etcd": setting "etcd_api" must be "v3", not "v2"; the v2 API is not supported, so migrate the data to the v3 API'],
        [{ tls_ca_file: join(dir, 'missing.pem') }, `storage "etcd": setting "tls_ca_file" names "${join(dir, 'missing.pem')}", which cannot be read (ENOENT); point it at a PEM file`],
        [{ tls_ca_file: notPem }, `storage "etcd": setting "tls_ca_file" names "${notPem}", which is not a PEM file; point it at a PEM file`],
        [{ username: 'coffer' }, 'storage "etcd": settings "username" and "password" must be set together; set both to log in to etcd, or neither'],
        [{ password: 'hunter2' }, 'storage "etcd": settings "username" and "password" must be set together; set both to log in to etcd, or neither'],
        [{ request_timeout: '500ms' }, 'storage "etcd": setting "request_timeout" must be a duration of at least 1s, such as "5s" or "1m", not "500ms"'],
        [{ request_timeout: 'soon' }, 'storage "etcd": setting "request_timeout" must be a duration of at least 1s, such as "5s" or "1m", not "soon"'],
      ];
      for (const [settings, message] of cases) {
        assert.throws(() => parseSettings(settings), { message });
        await assert.rejects(plugin.create(settings, { logger: silentLogger }), { message });
      }
      await rm(dir, { recursive: true, force: true });
    });

    test('defaults follow Vault', () => {
      assert.deepEqual(parseSettings({}), { endpoints: ['http://127.0.0.1:2379'], path: '/vault/', haEnabled: false, sessionTtlMs: 15_000, tls: {}, requestTimeoutMs: 5000 });
      assert.deepEqual(parseSettings({ address: 'http://a:2379/, http://b:2379', path: '/x', etcd_api: 'v3' }).endpoints, ['http://a:2379', 'http://b:2379']);
      assert.deepEqual(
        [...plugin.settings],
        ['address', 'path', 'ha_enabled', 'etcd_api', 'tls_ca_file', 'tls_cert_file', 'tls_key_file', 'tls_server_name', 'username', 'password', 'request_timeout', 'session_ttl'],
      );
    });
  });
}

/** Writes a CA, a server certificate for 127.0.0.1 and a client certificate into `dir` with openssl. */
async function makeCertificates(dir: string): Promise<void> {
  const run = (...args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  };
  await writeFile(join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage = clientAuth\n');
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=coffer test ca');
  for (const name of ['server', 'client']) {
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=coffer test ${name}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
}
