/**
 * The client certificates of a TLS connection, in the form auth methods
 * receive them on login and renewal.
 */
import type { DetailedPeerCertificate } from 'node:tls';
import type { RequestConnection } from '@coffer/sdk';

/**
 * The connection an HTTP request came over: a TLS socket, the LIST method
 * wrapper around one, or a plain TCP socket, which has no
 * `getPeerCertificate`.
 */
export interface PeerCertificateSource {
  getPeerCertificate?(detailed: true): DetailedPeerCertificate | Record<string, never> | null | undefined;
}

/** Stops a malformed issuer loop; real chains are a handful of certificates long. */
const MAX_CHAIN_LENGTH = 16;

/**
 * Returns the client's certificate chain, leaf first, as DER. The chain is
 * the one Node's TLS layer assembled: the leaf, then each issuer it found
 * among the certificates the client sent and the listener's trusted CAs.
 * Returns `undefined` for a connection without TLS, and an empty chain for
 * a TLS client that sent no certificate. Nothing here is verified.
 *
 * NOTE: on a resumed TLS session OpenSSL keeps only the client's leaf
 * certificate, so the chain is then the leaf plus whatever issuers the
 * listener's CA file supplies, not the intermediates the client first sent.
 */
export function peerConnection(source: PeerCertificateSource): RequestConnection | undefined {
  const peer = source.getPeerCertificate?.(true);
  if (peer === undefined || peer === null) return undefined;

  const peerCertificates: Buffer[] = [];
  const seen = new Set<string>();
  let current = 'raw' in peer ? (peer as DetailedPeerCertificate) : undefined;
  // A self-signed certificate is its own issuerCertificate, so the walk stops at a repeat.
  while (current?.raw !== undefined && !seen.has(current.fingerprint256) && peerCertificates.length < MAX_CHAIN_LENGTH) {
    seen.add(current.fingerprint256);
    peerCertificates.push(current.raw);
    current = current.issuerCertificate;
  }
  return { peerCertificates };
}
