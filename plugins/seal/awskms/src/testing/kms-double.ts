/**
 * A local stand-in for AWS KMS, for tests only: AWS KMS cannot run offline.
 * It speaks the service's wire protocol, JSON 1.1 over HTTP with the
 * operation in `X-Amz-Target` (`TrentService.Encrypt`, `Decrypt`,
 * `DescribeKey`), and rejects a request without SigV4 headers
 * (`Authorization: AWS4-HMAC-SHA256 ...` and `X-Amz-Date`) without checking
 * the signature. Ciphertexts are AES-256-GCM under a per-key secret the
 * double keeps in memory, with the key ID inside, as real KMS ciphertexts
 * name their key.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KmsDouble {
  /** Base URL for the seal's `endpoint` setting, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
  region: string;
  /** ARN of the key the double made at start. */
  keyArn: string;
  /** Key ID (the UUID part of the ARN). */
  keyId: string;
  /** Operations received so far, e.g. `Encrypt`, in order. */
  readonly calls: string[];
  /** Adds another key and returns its ARN. */
  createKey(): string;
  close(): Promise<void>;
}

const ACCOUNT = '111122223333';

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Starts the double on a free loopback port. */
export async function startKmsDouble(region = 'us-east-1'): Promise<KmsDouble> {
  const keys = new Map<string, Buffer>();
  const calls: string[] = [];
  const createKey = (): string => {
    const id = randomUUID();
    keys.set(id, randomBytes(32));
    return `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`;
  };
  const findKey = (reference: unknown): string => {
    if (typeof reference !== 'string' || reference === '') throw new KmsError('ValidationException', 'KeyId is required');
    const id = reference.startsWith('arn:') ? reference.slice(reference.lastIndexOf('/') + 1) : reference;
    if (!keys.has(id)) throw new KmsError('NotFoundException', `Key '${reference}' does not exist`);
    return id;
  };

  const operations: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    DescribeKey(input) {
      const id = findKey(input.KeyId);
      return { KeyMetadata: { KeyId: id, Arn: arnOf(region, id), KeyState: 'Enabled', Enabled: true, KeyUsage: 'ENCRYPT_DECRYPT' } };
    },
    Encrypt(input) {
      const id = findKey(input.KeyId);
      if (typeof input.Plaintext !== 'string') throw new KmsError('ValidationException', 'Plaintext is required');
      const ciphertext = seal(keys.get(id)!, id, Buffer.from(input.Plaintext, 'base64'));
      return { CiphertextBlob: ciphertext.toString('base64'), KeyId: arnOf(region, id), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    Decrypt(input) {
      if (typeof input.CiphertextBlob !== 'string') throw new KmsError('ValidationException', 'CiphertextBlob is required');
      const blob = Buffer.from(input.CiphertextBlob, 'base64');
      const id = blob.subarray(1, 1 + (blob[0] ?? 0)).toString('utf8');
      if (!keys.has(id)) throw new KmsError('InvalidCiphertextException', 'the ciphertext refers to a key that does not exist');
      if (input.KeyId !== undefined && findKey(input.KeyId) !== id) {
        throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext');
      }
      const plaintext = open(keys.get(id)!, blob);
      return { Plaintext: plaintext.toString('base64'), KeyId: arnOf(region, id), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
  };

  const server = createServer((request, response) => {
    handle(request, response, operations, calls).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const keyArn = createKey();
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region,
    keyArn,
    keyId: keyArn.slice(keyArn.lastIndexOf('/') + 1),
    calls,
    createKey,
    close: () => closeServer(server),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  operations: Record<string, (input: Record<string, unknown>) => Record<string, unknown>>,
  calls: string[],
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith('TrentService.')) {
      throw new KmsError('UnknownOperationException', `unknown operation "${target}"`);
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      throw new KmsError('SerializationException', 'expected Content-Type application/x-amz-json-1.1');
    }
    const authorization = String(request.headers.authorization ?? '');
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/kms\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.test(authorization)) {
      throw new KmsError('MissingAuthenticationTokenException', 'Request is missing a SigV4 Authorization header', 400);
    }
    if (request.headers['x-amz-date'] === undefined) throw new KmsError('IncompleteSignatureException', 'Request is missing X-Amz-Date');

    const operation = target.slice('TrentService.'.length);
    const run = operations[operation];
    if (run === undefined) throw new KmsError('UnknownOperationException', `unknown operation "${target}"`);
    calls.push(operation);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    send(response, 200, run(input));
  } catch (err) {
    const error = err instanceof KmsError ? err : new KmsError('InternalException', (err as Error).message, 500);
    response.setHeader('x-amzn-ErrorType', error.type);
    send(response, error.status, { __type: error.type, message: error.message });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': payload.length,
    'x-amzn-RequestId': randomUUID(),
  });
  response.end(payload);
}

function arnOf(region: string, id: string): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`;
}

/** Layout: key ID length (1 byte), key ID, 12-byte IV, ciphertext, 16-byte tag. */
function seal(key: Buffer, id: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(id));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const idBytes = Buffer.from(id);
  return Buffer.concat([Buffer.from([idBytes.length]), idBytes, iv, body]);
}

function open(key: Buffer, blob: Buffer): Buffer {
  const idLength = blob[0];
  const id = blob.subarray(1, 1 + idLength);
  const iv = blob.subarray(1 + idLength, 13 + idLength);
  const body = blob.subarray(13 + idLength);
  if (body.length < 16) throw new KmsError('InvalidCiphertextException', 'the ciphertext is too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(id);
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    throw new KmsError('InvalidCiphertextException', 'the ciphertext failed authentication');
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
