/**
 * Path building and verification of a client's certificate chain against
 * the trusted CA certificates. It follows RFC 5280 section 6 in the subset
 * that Go's crypto/x509 checks for Vault. That subset is signatures, issuer
 * names, validity periods, CA flags, path length constraints, key usage for
 * client authentication and unhandled critical extensions.
 */
import { anyExtendedKeyUsage, id_kp_clientAuth } from '@peculiar/asn1-x509';
import type { ParsedCertificate } from './x509.js';

/** Paths longer than this many certificates are not followed. */
const MAX_CHAIN_LENGTH = 10;

/**
 * The maximum number of signature checks one verification may make. Go's crypto/x509
 * uses the same limit, because a client can send intermediates that all
 * sign each other and make the path search grow factorially.
 */
const MAX_SIGNATURE_CHECKS = 100;

/**
 * Extensions this module or the login checks act on, so they may be
 * critical. NOTE: name constraints (2.5.29.30) are not enforced, so a
 * certificate or CA that marks them critical is rejected rather than
 * trusted beyond its constraints.
 */
const HANDLED_EXTENSIONS = new Set([
  '2.5.29.14', // subject key identifier
  '2.5.29.15', // key usage
  '2.5.29.17', // subject alternative name
  '2.5.29.19', // basic constraints
  '2.5.29.31', // CRL distribution points
  '2.5.29.32', // certificate policies
  '2.5.29.35', // authority key identifier
  '2.5.29.37', // extended key usage
  '1.3.6.1.5.5.7.1.1', // authority information access
]);

/** A client certificate that cannot be used at all, whatever the trusted CAs. */
export class CertificateInvalidError extends Error {}

/**
 * Returns every chain from the leaf (`presented[0]`) to one of `roots`,
 * leaf first, using the other presented certificates as intermediates.
 * An empty result means no trusted CA issued the leaf, which the caller
 * reports as an unknown authority.
 * @throws CertificateInvalidError when the leaf is outside its validity
 *   period or has an unhandled critical extension, when the path search
 *   needs too many signature checks, or when chains exist but none allows
 *   client authentication.
 */
export function verifiedChains(presented: ParsedCertificate[], roots: ParsedCertificate[], now: Date): ParsedCertificate[][] {
  const leaf = presented[0];
  const leafProblem = validityProblem(leaf, now) ?? extensionProblem(leaf);
  if (leafProblem !== undefined) throw new CertificateInvalidError(leafProblem);

  const chains: ParsedCertificate[][] = [];
  const search: ChainSearch = { intermediates: presented.slice(1), roots, now, chains, signatureChecks: 0 };
  // A trusted CA certificate presented as the leaf is a chain by itself, as in Go.
  if (roots.some((root) => root.der.equals(leaf.der))) chains.push([leaf]);
  else extendChain([leaf], search);

  const usable = chains.filter((chain) => chain.every(allowsClientAuth));
  if (chains.length > 0 && usable.length === 0) throw new CertificateInvalidError('certificate specifies an incompatible key usage');
  return usable;
}

/** The inputs and results of one path search. */
interface ChainSearch {
  intermediates: ParsedCertificate[];
  roots: ParsedCertificate[];
  now: Date;
  /** Complete chains found so far, leaf first. */
  chains: ParsedCertificate[][];
  signatureChecks: number;
}

/**
 * Adds to `search.chains` every complete chain that continues `chain`,
 * depth first.
 * @throws CertificateInvalidError when the search passes the limit of signature checks.
 */
function extendChain(chain: ParsedCertificate[], search: ChainSearch): void {
  const child = chain[chain.length - 1];
  for (const root of search.roots) {
    if (canIssue(root, child, chain, search)) search.chains.push([...chain, root]);
  }
  if (chain.length + 1 >= MAX_CHAIN_LENGTH) return;
  for (const intermediate of search.intermediates) {
    if (chain.some((member) => member.der.equals(intermediate.der))) continue;
    if (canIssue(intermediate, child, chain, search)) extendChain([...chain, intermediate], search);
  }
}

/**
 * Returns true when `issuer` signed `child` and may act as a CA at this
 * place in `chain`. Its subject must be the child's issuer, and the
 * signature must verify with its key. It must be a CA within its validity
 * period whose key may sign certificates, with a path length constraint
 * that allows the CAs already below it.
 */
function canIssue(issuer: ParsedCertificate, child: ParsedCertificate, chain: ParsedCertificate[], search: ChainSearch): boolean {
  if (!issuer.isCa || validityProblem(issuer, search.now) !== undefined || extensionProblem(issuer) !== undefined) return false;
  if (issuer.keyUsage !== undefined && !issuer.keyUsage.includes('keyCertSign')) return false;
  // Every certificate in the chain but the leaf is a CA below this issuer.
  const casBelow = chain.length - 1;
  if (issuer.maxPathLength !== undefined && casBelow > issuer.maxPathLength) return false;
  if (!child.node.checkIssued(issuer.node)) return false;

  search.signatureChecks += 1;
  if (search.signatureChecks > MAX_SIGNATURE_CHECKS) {
    throw new CertificateInvalidError('signature check attempts limit reached while verifying certificate chain');
  }
  try {
    return child.node.verify(issuer.node.publicKey);
  } catch {
    // An unsupported or malformed key or signature algorithm does not verify.
    return false;
  }
}

/** Returns why the time is outside the certificate's validity period, or undefined when it is inside. */
function validityProblem(certificate: ParsedCertificate, now: Date): string | undefined {
  if (now < certificate.notBefore) {
    return `certificate has expired or is not yet valid: current time ${now.toISOString()} is before ${certificate.notBefore.toISOString()}`;
  }
  if (now > certificate.notAfter) {
    return `certificate has expired or is not yet valid: current time ${now.toISOString()} is after ${certificate.notAfter.toISOString()}`;
  }
  return undefined;
}

function extensionProblem(certificate: ParsedCertificate): string | undefined {
  const unhandled = certificate.criticalExtensions.find((oid) => !HANDLED_EXTENSIONS.has(oid));
  return unhandled === undefined ? undefined : `unhandled critical extension ${unhandled}`;
}

/** Returns true when the certificate may authenticate a TLS client. Without extended key usage it allows every use (RFC 5280 section 4.2.1.12). */
function allowsClientAuth(certificate: ParsedCertificate): boolean {
  const usages = certificate.extendedKeyUsage;
  return usages === undefined || usages.includes(id_kp_clientAuth) || usages.includes(anyExtendedKeyUsage);
}
