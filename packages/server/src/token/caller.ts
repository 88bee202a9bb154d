/**
 * What the server's own backends learn about the caller of a request. The
 * pipeline records it for the request's duration, because a plugin backend
 * sees only a salted token and must never see more.
 */
import type { ACL } from '../policy/index.js';
import type { TokenEntry } from './token-entry.js';

export interface CallerContext {
  /** The token as presented. */
  token: string;
  entry: TokenEntry | undefined;
  /** The policies of the token and its entity, merged. */
  acl?: ACL;
  /** The token carries the root policy. */
  isRoot: boolean;
  /** The caller's policies grant sudo on the requested path. */
  hasSudo: boolean;
  remoteAddress?: string;
}

/** Records caller contexts by request id for the duration of each request. */
export class CallerRegistry {
  private readonly contexts = new Map<string, CallerContext>();

  set(requestId: string, context: CallerContext): void {
    this.contexts.set(requestId, context);
  }

  get(requestId: string): CallerContext | undefined {
    return this.contexts.get(requestId);
  }

  delete(requestId: string): void {
    this.contexts.delete(requestId);
  }
}
