/**
 * Preparing a fresh Coffer for the benchmark over its HTTP API, as an
 * operator would: initialize, unseal, mount KV v2 at `secret/` and write the
 * secrets that the read scenario reads.
 */

/** Returns the KV v2 write body of the secret at index `i`, for setup and for the write scenario. */
export function secretBody(i) {
  return JSON.stringify({ data: { username: `bench-user-${i}`, password: `bench-password-${i}-${(i * 7919) % 100_003}` } });
}

/**
 * Sends one request to Coffer and returns the response, or throws naming the
 * request when the status is not `expectedStatus`.
 *
 * @returns {Promise<{ status: number, headers: Headers, body: Buffer }>}
 */
export async function callCoffer(address, method, path, { token, body, expectedStatus = 200 } = {}) {
  const headers = {};
  if (token !== undefined) headers['X-Vault-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${address}${path}`, { method, headers, body });
  const responseBody = Buffer.from(await response.arrayBuffer());
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path} returned ${response.status}, expected ${expectedStatus}: ${responseBody.toString('utf8')}`);
  }
  return { status: response.status, headers: response.headers, body: responseBody };
}

/**
 * Initializes Coffer with one key share, unseals it, mounts KV v2 at
 * `secret/` and writes `secrets` secrets at `secret/data/bench/<i>`.
 *
 * @returns {Promise<{ rootToken: string, readBody: Buffer, readContentType: string }>}
 *   the root token, and one real KV v2 read response for the baseline to send
 */
export async function prepareCoffer(address, { secrets, concurrency }) {
  const init = await callCoffer(address, 'PUT', '/v1/sys/init', {
    body: JSON.stringify({ secret_shares: 1, secret_threshold: 1 }),
  });
  const { keys_base64: keys, root_token: rootToken } = JSON.parse(init.body.toString('utf8'));

  const unseal = await callCoffer(address, 'PUT', '/v1/sys/unseal', { body: JSON.stringify({ key: keys[0] }) });
  if (JSON.parse(unseal.body.toString('utf8')).sealed !== false) throw new Error('coffer is still sealed after its one key share');

  await callCoffer(address, 'POST', '/v1/sys/mounts/secret', {
    token: rootToken,
    body: JSON.stringify({ type: 'kv', options: { version: '2' } }),
    expectedStatus: 204,
  });

  await forEachConcurrently(secrets, concurrency, (i) =>
    callCoffer(address, 'POST', `/v1/secret/data/bench/${i}`, { token: rootToken, body: secretBody(i) }),
  );

  const read = await callCoffer(address, 'GET', '/v1/secret/data/bench/0', { token: rootToken });
  return { rootToken, readBody: read.body, readContentType: read.headers.get('content-type') ?? '' };
}

/** The policy of the read scenario's token: read on the benchmark's secrets and nothing else. */
const READER_POLICY = 'path "secret/data/bench/*" {\n  capabilities = ["read"]\n}\n';

/**
 * Writes the `bench-reader` policy and returns a token that has it (and
 * `default`), so reads go through the ACL check a real client's do.
 */
export async function createReaderToken(address, rootToken) {
  await callCoffer(address, 'PUT', '/v1/sys/policies/acl/bench-reader', {
    token: rootToken,
    body: JSON.stringify({ policy: READER_POLICY }),
    expectedStatus: 204,
  });
  const created = await callCoffer(address, 'POST', '/v1/auth/token/create', {
    token: rootToken,
    body: JSON.stringify({ policies: ['bench-reader'], ttl: '2h' }),
  });
  return JSON.parse(created.body.toString('utf8')).auth.client_token;
}

/** Enables a file audit device writing to `filePath`. */
export async function enableFileAudit(address, rootToken, filePath) {
  await callCoffer(address, 'PUT', '/v1/sys/audit/bench-file', {
    token: rootToken,
    body: JSON.stringify({ type: 'file', options: { file_path: filePath } }),
    expectedStatus: 204,
  });
}

/** Disables the file audit device that `enableFileAudit` enabled. */
export async function disableFileAudit(address, rootToken) {
  await callCoffer(address, 'DELETE', '/v1/sys/audit/bench-file', { token: rootToken, expectedStatus: 204 });
}

/** Runs `task(i)` for i in [0, count), at most `concurrency` at a time. */
async function forEachConcurrently(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
