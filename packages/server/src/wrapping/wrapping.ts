/**
 * Response wrapping: a response is stored in the cubbyhole of a new
 * single-use token, and the client gets only that token. The first unwrap
 * returns the response and revokes the token, so a second unwrap fails.
 */
import { badRequest, parseJson, stringifyJson, StorageView, type Logger, type Storage } from '@coffer/sdk';
import { cubbyholePrefix } from '../cubbyhole/backend.js';
import type { TokenEntry } from '../token/token-entry.js';
import type { TokenStore } from '../token/token-store.js';

/** The policy wrapping tokens carry; the pipeline lets it reach only the wrapping endpoints. */
export const WRAPPING_POLICY = 'response-wrapping';
const RESPONSE_KEY = 'response';
/** Cubbyhole key of the wrap info's creation time, so lookups return the time the wrap returned. */
const CREATION_TIME_KEY = 'creation-time';
export const INVALID_WRAPPING_TOKEN = 'wrapping token is not valid or does not exist';

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

export class ResponseWrapper {
  constructor(
    private readonly tokens: TokenStore,
    private readonly barrier: Storage,
    private readonly onCreated: (entry: TokenEntry) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Stores `body` (the response as the client would have received it) and returns the wrap info. */
  async wrap(body: Record<string, unknown>, ttl: number, creationPath: string, wrappedAccessor?: string): Promise<WrapInfo> {
    // Serialize first: a response that cannot be stored must not leave a token behind.
    const serialized = Buffer.from(stringifyJson(body) as string);
    const now = Date.now();
    const { token, entry } = await this.tokens.create({
      parent: '',
      policies: [WRAPPING_POLICY],
      path: creationPath,
      meta: null,
      displayName: 'response-wrapping',
      numUses: 1,
      creationTime: Math.floor(now / 1000),
      creationTtl: ttl,
      expireTime: now + ttl * 1000,
      lastRenewalTime: 0,
      explicitMaxTtl: ttl,
      period: 0,
      renewable: false,
      type: 'service',
      role: '',
      entityId: '',
      boundCidrs: [],
    });
    const creationTime = new Date(now).toISOString();
    await this.cubbyhole(entry).put({ key: RESPONSE_KEY, value: serialized });
    await this.cubbyhole(entry).put({ key: CREATION_TIME_KEY, value: Buffer.from(creationTime) });
    await this.onCreated(entry);

    const info: WrapInfo = {
      token,
      accessor: entry.accessor,
      ttl,
      creation_time: creationTime,
      creation_path: creationPath,
    };
    if (wrappedAccessor !== undefined) info.wrapped_accessor = wrappedAccessor;
    return info;
  }

  /** Returns the wrapped response and revokes the wrapping token. */
  async unwrap(entry: TokenEntry): Promise<Record<string, unknown>> {
    const body = await this.read(entry);
    await this.tokens.revokeTree(entry.saltedId);
    return body;
  }

  /**
   * Wraps the response of a spent wrapping token under a new token with the
   * same TTL and creation path, then revokes the old token.
   */
  async rewrap(entry: TokenEntry): Promise<WrapInfo> {
    const body = await this.read(entry);
    // The new token is stored first, so a failed revocation cannot lose the response.
    // NOTE: a storage failure while the new token is stored leaves the response only
    // under the spent old token, which no request can unwrap, until that token expires.
    const info = await this.wrap(body, entry.creationTtl, entry.path);

    // The new token is the client's only way to the response, so a failed
    // revocation is logged, not returned. The spent old token expires anyway.
    try {
      await this.tokens.revokeTree(entry.saltedId);
    } catch (err) {
      this.logger.error({ err, creationPath: entry.path }, 'revoking the old wrapping token after a rewrap failed, so it stays spent until it expires');
    }
    return info;
  }

  /** Reads the wrapped response without consuming it. */
  async read(entry: TokenEntry): Promise<Record<string, unknown>> {
    if (!isWrappingToken(entry)) throw badRequest(INVALID_WRAPPING_TOKEN);
    const stored = await this.cubbyhole(entry).get(RESPONSE_KEY);
    if (stored === null) throw badRequest(INVALID_WRAPPING_TOKEN);
    return parseJson(stored.value.toString('utf8')) as Record<string, unknown>;
  }

  /**
   * Returns the creation time that the wrap info reported. A token wrapped
   * before that time was stored gets its creation time in whole seconds.
   */
  async creationTime(entry: TokenEntry): Promise<string> {
    const stored = await this.cubbyhole(entry).get(CREATION_TIME_KEY);
    if (stored !== null) return stored.value.toString('utf8');
    return new Date(entry.creationTime * 1000).toISOString();
  }

  private cubbyhole(entry: TokenEntry): StorageView {
    return new StorageView(this.barrier, cubbyholePrefix(entry.cubbyholeId));
  }
}

export function isWrappingToken(entry: TokenEntry): boolean {
  return entry.policies.length === 1 && entry.policies[0] === WRAPPING_POLICY;
}
