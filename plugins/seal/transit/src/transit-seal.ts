/**
 * The transit seal: the root key is encrypted by the transit engine of
 * another Coffer or Vault server, over its HTTP API. The ciphertext is the
 * transit engine's own `vault:v<version>:...` string, and the associated
 * data is sent as `associated_data`, which AES-GCM transit keys bind to the
 * ciphertext.
 *
 * Errors name the operation, the HTTP status and the server's messages, but
 * never the token or the address, so they can be logged.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { BlobInfo, Seal } from '@coffer/sdk';
import type { TransitSettings } from './settings.js';

/** How long one request to the transit server may take, in milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;

export class TransitSeal implements Seal {
  readonly type = 'transit';
  private readonly agent: Agent | undefined;
  private closed = false;

  constructor(private readonly settings: TransitSettings) {
    if (settings.address.startsWith('https:')) {
      const tls = settings.tls;
      this.agent = new Agent({
        keepAlive: true,
        rejectUnauthorized: !tls.skipVerify,
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
        ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
      });
    }
  }

  async keyId(): Promise<string> {
    const body = await this.call('key lookup', 'GET', `keys/${encodeURIComponent(this.settings.keyName)}`);
    const latest = (body.data as { latest_version?: unknown } | undefined)?.latest_version;
    return typeof latest === 'number' ? `${this.settings.keyName}:v${latest}` : this.settings.keyName;
  }

  async encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    const payload: Record<string, string> = { plaintext: plaintext.toString('base64') };
    if (aad !== undefined) payload.associated_data = aad.toString('base64');
    const body = await this.call('encrypt', 'POST', `encrypt/${encodeURIComponent(this.settings.keyName)}`, payload);

    const ciphertext = (body.data as { ciphertext?: unknown } | undefined)?.ciphertext;
    if (typeof ciphertext !== 'string') throw new Error('transit seal: encrypt failed: the response has no "data.ciphertext"');
    return {
      ciphertext: Buffer.from(ciphertext, 'utf8'),
      iv: Buffer.alloc(0),
      keyInfo: { mechanism: 0, hmacMechanism: 0, keyId: this.settings.keyName, hmacKeyId: '' },
    };
  }

  async decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    const payload: Record<string, string> = { ciphertext: blob.ciphertext.toString('utf8') };
    if (aad !== undefined) payload.associated_data = aad.toString('base64');
    const keyName = blob.keyInfo.keyId === '' ? this.settings.keyName : blob.keyInfo.keyId;
    const body = await this.call('decrypt', 'POST', `decrypt/${encodeURIComponent(keyName)}`, payload);

    const plaintext = (body.data as { plaintext?: unknown } | undefined)?.plaintext;
    if (typeof plaintext !== 'string') throw new Error('transit seal: decrypt failed: the response has no "data.plaintext"');
    return Buffer.from(plaintext, 'base64');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent?.destroy();
  }

  /**
   * Sends one request to the transit mount and returns the parsed JSON body.
   * @throws Error for a connection failure, a timeout or a status other than 2xx.
   */
  private async call(operation: string, method: string, path: string, payload?: Record<string, string>): Promise<Record<string, unknown>> {
    if (this.closed) throw new Error(`transit seal: ${operation} failed: the seal is closed`);
    const url = new URL(`${this.settings.address}/v1/${this.settings.mountPath}/${path}`);
    const headers: Record<string, string> = { 'X-Vault-Token': this.settings.token, 'X-Vault-Request': 'true' };
    if (this.settings.namespace !== undefined) headers['X-Vault-Namespace'] = this.settings.namespace;
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let response: { status: number; text: string };
    try {
      response = await send(url, method, headers, body, this.agent);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`transit seal: ${operation} failed: cannot reach the transit server (${code})`);
    }

    let parsed: Record<string, unknown> = {};
    try {
      parsed = response.text === '' ? {} : (JSON.parse(response.text) as Record<string, unknown>);
    } catch {
      // The body is not JSON, for example a proxy's HTML error page. The status below names the failure.
    }
    if (response.status < 200 || response.status > 299) {
      const errors = Array.isArray(parsed.errors) ? parsed.errors.map(String).join('; ') : 'no error message';
      throw new Error(`transit seal: ${operation} failed: status ${response.status}: ${errors}`);
    }
    return parsed;
  }
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  agent: Agent | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options = { method, headers, timeout: REQUEST_TIMEOUT_MS, ...(agent !== undefined ? { agent } : {}) };
    const onResponse = (response: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    };
    const request = url.protocol === 'https:' ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end(body);
  });
}
