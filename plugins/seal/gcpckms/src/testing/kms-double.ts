/**
 * A local stand-in for Google Cloud KMS, for tests only: Cloud KMS cannot
 * run offline. It serves the real `google.cloud.kms.v1.KeyManagementService`
 * gRPC service, loaded from the protos that ship with @google-cloud/kms,
 * on a plaintext loopback port, and implements GetCryptoKey, Encrypt and
 * Decrypt. Ciphertexts are AES-256-GCM under a per-key secret the double
 * keeps in memory, with the crypto key version inside.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export interface GcpKmsDouble {
  /** For the seal's `endpoint` setting: `http://127.0.0.1:<port>`. */
  endpoint: string;
  project: string;
  region: string;
  keyRing: string;
  /** Name of the crypto key the double made at start. */
  cryptoKey: string;
  /** Methods received so far, e.g. `Encrypt`, in order. */
  readonly calls: string[];
  /** Adds another crypto key in the same key ring. */
  createKey(name: string): void;
  close(): Promise<void>;
}

interface CryptoKeyRecord {
  secret: Buffer;
  version: string;
}

type UnaryHandler = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

class StatusError extends Error implements Partial<grpc.StatusObject> {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

/** Starts the double on a free loopback port. */
export async function startGcpKmsDouble(): Promise<GcpKmsDouble> {
  const project = 'coffer-test';
  const region = 'global';
  const keyRing = 'coffer-ring';
  const keyPrefix = `projects/${project}/locations/${region}/keyRings/${keyRing}/cryptoKeys/`;
  const keys = new Map<string, CryptoKeyRecord>();
  const calls: string[] = [];
  const createKey = (name: string): void => {
    keys.set(`${keyPrefix}${name}`, { secret: randomBytes(32), version: `${keyPrefix}${name}/cryptoKeyVersions/1` });
  };
  const findKey = (name: unknown): CryptoKeyRecord => {
    const key = typeof name === 'string' ? keys.get(name) : undefined;
    if (key === undefined) throw new StatusError(grpc.status.NOT_FOUND, `CryptoKey ${String(name)} not found.`);
    return key;
  };

  const handlers: Record<string, (request: Record<string, unknown>) => unknown> = {
    GetCryptoKey(request) {
      const key = findKey(request.name);
      return { name: request.name, primary: { name: key.version, state: 'ENABLED' }, purpose: 'ENCRYPT_DECRYPT' };
    },
    Encrypt(request) {
      const key = findKey(request.name);
      const plaintext = request.plaintext as Buffer;
      return { name: key.version, ciphertext: seal(key.secret, key.version, plaintext) };
    },
    Decrypt(request) {
      const key = findKey(request.name);
      return { plaintext: open(key.secret, key.version, request.ciphertext as Buffer) };
    },
  };

  const definition = loadSync('google/cloud/kms/v1/service.proto', { includeDirs: protoDirectories(), keepCase: false, longs: String, defaults: false });
  const service = (definition['google.cloud.kms.v1.KeyManagementService'] as grpc.ServiceDefinition);
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, run] of Object.entries(handlers)) {
    const handler: UnaryHandler = (call, callback) => {
      calls.push(method);
      try {
        callback(null, run(call.request));
      } catch (err) {
        callback(err instanceof StatusError ? err : new StatusError(grpc.status.INTERNAL, (err as Error).message));
      }
    };
    implementation[lowerFirst(method)] = handler;
  }
  const server = new grpc.Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  createKey('coffer-key');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    project,
    region,
    keyRing,
    cryptoKey: 'coffer-key',
    calls,
    createKey,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** Folders of the KMS protos and the Google API protos they import. */
function protoDirectories(): string[] {
  const require = createRequire(import.meta.url);
  const kms = dirname(require.resolve('@google-cloud/kms/package.json'));
  // google-gax exports no package.json, so find its folder from its entry point under build/.
  const gaxEntry = createRequire(join(kms, 'package.json')).resolve('google-gax');
  const gax = gaxEntry.slice(0, gaxEntry.lastIndexOf(`${sep}build${sep}`));
  return [join(kms, 'build', 'protos'), join(gax, 'build', 'protos')];
}

function lowerFirst(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

/** Layout: 12-byte IV, ciphertext, 16-byte tag; the version name is the associated data. */
function seal(secret: Buffer, version: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  cipher.setAAD(Buffer.from(version));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(secret: Buffer, version: string, blob: Buffer): Buffer {
  if (blob.length < 28) throw new StatusError(grpc.status.INVALID_ARGUMENT, 'Decryption failed: the ciphertext is invalid.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret, blob.subarray(0, 12));
    decipher.setAAD(Buffer.from(version));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
  } catch {
    throw new StatusError(grpc.status.INVALID_ARGUMENT, 'Decryption failed: the ciphertext is invalid.');
  }
}
