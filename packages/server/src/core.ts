/**
 * The core: storage, barrier, seal, token store and router, and the
 * transitions between sealed and unsealed.
 */
import { randomBytes } from 'node:crypto';
import { badRequest, type ClosableStorage, type Logger } from '@coffer/sdk';
import { KEY_BYTES } from './barrier/aead.js';
import { Barrier } from './barrier/barrier.js';
import { MountManager } from './router/mount-manager.js';
import { Router } from './router/router.js';
import { validateShareCounts } from './seal/key-shares.js';
import { ShamirSeal } from './seal/shamir-seal.js';
import { TokenStore } from './token/token-store.js';

export interface CoreOptions {
  physical: ClosableStorage;
  storageType: string;
  logger: Logger;
  /** Seconds. */
  defaultLeaseTtl: number;
  /** Seconds. */
  maxLeaseTtl: number;
  clusterName?: string;
}

export interface InitResult {
  keys: string[];
  keys_base64: string[];
  root_token: string;
}

export class Core {
  readonly barrier: Barrier;
  readonly seal: ShamirSeal;
  readonly tokens: TokenStore;
  readonly router = new Router();
  readonly mounts: MountManager;
  readonly logger: Logger;
  readonly clusterName: string;
  readonly clusterId: string;
  private unsealed = false;
  private initialized = false;

  constructor(readonly options: CoreOptions) {
    this.logger = options.logger;
    this.barrier = new Barrier(options.physical);
    this.seal = new ShamirSeal(options.physical);
    this.tokens = new TokenStore(this.barrier);
    this.mounts = new MountManager(this.barrier, this.router, this.logger, options);
    this.clusterName = options.clusterName ?? 'coffer-cluster';
    this.clusterId = '';
  }

  get sealed(): boolean {
    return !this.unsealed;
  }

  get isInitialized(): boolean {
    return this.initialized;
  }

  /** Reads the seal configuration; call once before serving. */
  async load(): Promise<void> {
    this.initialized = (await this.seal.load()) !== null && (await this.barrier.isInitialized());
  }

  /**
   * Initializes storage: a root key, a keyring, unseal key shares and a root
   * token. The server stays sealed afterwards, as Vault's does.
   */
  async initialize(secretShares: number, secretThreshold: number, rootTokenId?: string): Promise<InitResult> {
    if (this.initialized) throw badRequest('Vault is already initialized');
    // Validate before the first write, so a rejected init leaves storage empty.
    validateShareCounts(secretShares, secretThreshold);

    const rootKey = randomBytes(KEY_BYTES);
    await this.barrier.initialize(rootKey);
    const shares = await this.seal.initialize(rootKey, secretShares, secretThreshold);

    // The root token lives behind the barrier, so open it briefly.
    await this.barrier.unseal(rootKey);
    rootKey.fill(0);
    let rootToken: string;
    try {
      await this.tokens.setup();
      rootToken = await this.tokens.createRoot(rootTokenId);
      await this.mounts.createDefaultTable();
    } finally {
      this.tokens.teardown();
      this.barrier.seal();
    }
    this.initialized = true;
    this.logger.info({ secretShares, secretThreshold }, 'core initialized');

    return {
      keys: shares.map((share) => share.toString('hex')),
      keys_base64: shares.map((share) => share.toString('base64')),
      root_token: rootToken,
    };
  }

  /**
   * Adds one unseal key share and unseals once the threshold is reached.
   * Returns true when the server is unsealed.
   */
  async submitUnsealKey(key: string): Promise<boolean> {
    if (!this.initialized) throw badRequest('Vault is not initialized');
    if (this.unsealed) return true;

    const rootKey = await this.seal.submitUnsealShare(key);
    if (rootKey === null) return false;
    try {
      await this.barrier.unseal(rootKey);
    } finally {
      rootKey.fill(0);
    }
    await this.postUnseal();
    return true;
  }

  /** Forgets every key and stops the mounted backends. */
  async sealServer(): Promise<void> {
    if (!this.unsealed) return;
    this.unsealed = false;
    await this.mounts.teardown();
    this.tokens.teardown();
    this.barrier.seal();
    this.seal.resetUnseal();
    this.logger.info({}, 'core sealed');
  }

  private async postUnseal(): Promise<void> {
    try {
      await this.tokens.setup();
      await this.mounts.setup();
    } catch (err) {
      this.logger.error({ err }, 'post-unseal setup failed; sealing again');
      await this.mounts.teardown();
      this.tokens.teardown();
      this.barrier.seal();
      throw err;
    }
    this.unsealed = true;
    this.logger.info({ mounts: this.router.all().length }, 'core unsealed');
  }
}
