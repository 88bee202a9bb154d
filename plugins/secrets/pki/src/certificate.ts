/**
 * Building and signing certificates with @peculiar/x509: one template for
 * roots, intermediates and leaves, with the extensions Vault sets.
 */
import { type KeyObject } from 'node:crypto';
import { importSigningKey, publicKeyOf, signingAlgorithm, type KeySpec } from './keys.js';
import type { Signer, UrlsConfig } from './store.js';
import { generalNames, subjectName, type AltNames, type SubjectSpec } from './subject.js';
import { derElements, derSequence, derTagged } from './der.js';
import { encodeOtherName } from './other-sans.js';
import { certificatePoliciesExtension } from './policies.js';
import { libraryKey, x509 } from './x509.js';

/** Contents of a new certificate, apart from its issuer. */
export interface CertificateTemplate {
  /** A subject to encode, or an encoded name taken verbatim from a CSR. */
  subject: SubjectSpec | x509.Name;
  altNames: AltNames;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** Path length constraint of a CA certificate; -1 for none. */
  maxPathLength: number;
  /** Key usage bits as @peculiar/x509's KeyUsageFlags; 0 leaves the extension out. */
  keyUsage: number;
  /** Extended key usage OIDs; empty leaves the extension out. */
  extKeyUsage: string[];
  /** Mark a leaf certificate's basic constraints as valid (CA false), as the role setting does. */
  basicConstraintsForNonCa: boolean;
  /** DNS domains a CA may issue for, as a name constraints extension; empty leaves it out. */
  permittedDnsDomains: string[];
  urls: UrlsConfig;
  /** The subject's public key. */
  publicKey: KeyObject;
  /** Checked policy_identifiers of a role; absent or empty leaves the certificate policies extension out. */
  policyIdentifiers?: string[];
}

/** The key that signs: a CA, or the subject's own key for a self-signed root. */
export interface SigningKey {
  key: KeyObject;
  spec: KeySpec;
  /** The CA certificate; absent when the certificate signs itself. */
  certificate?: x509.X509Certificate;
  signatureBits?: number;
  /** Sign with RSA-PSS when the key is RSA. */
  usePss?: boolean;
}

/** Returns the signing key of a loaded CA. */
export function signingKeyOf(signer: Signer): SigningKey {
  return { key: signer.key, spec: signer.spec, certificate: signer.certificate };
}

/** Returns the SHA-1 key identifier of a public key, as hex, per RFC 5280 section 4.2.1.2 method 1. */
export async function keyIdentifier(publicKey: KeyObject): Promise<string> {
  const spki = publicKeyOf(publicKey).export({ type: 'spki', format: 'der' });
  const identifier = await new x509.PublicKey(spki).getKeyIdentifier();
  return Buffer.from(identifier).toString('hex');
}

/** Returns the subject key identifier of a CA certificate, computing it when the extension is absent. */
export async function certificateKeyIdentifier(certificate: x509.X509Certificate): Promise<string> {
  const extension = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (extension !== null) return extension.keyId;
  const identifier = await certificate.publicKey.getKeyIdentifier();
  return Buffer.from(identifier).toString('hex');
}

/** Signs a certificate built from `template` with serial number `serialHex`. */
export async function buildCertificate(template: CertificateTemplate, signer: SigningKey, serialHex: string): Promise<x509.X509Certificate> {
  const subject = template.subject instanceof x509.Name ? template.subject : subjectName(template.subject);
  const subjectKeyId = await keyIdentifier(template.publicKey);
  const authorityKeyId = signer.certificate === undefined ? subjectKeyId : await certificateKeyIdentifier(signer.certificate);
  const algorithm = signingAlgorithm(signer.spec, signer.signatureBits ?? 0, signer.usePss ?? false);
  const subjectEmpty = (subject instanceof x509.Name ? subject : new x509.Name(subject)).toJSON().length === 0;

  return x509.X509CertificateGenerator.create({
    serialNumber: serialHex,
    subject,
    issuer: signer.certificate?.subjectName ?? subject,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    publicKey: publicKeyOf(template.publicKey).export({ type: 'spki', format: 'der' }),
    signingKey: libraryKey(await importSigningKey(signer.key, algorithm)),
    signingAlgorithm: algorithm,
    extensions: [
      ...basicExtensions(template),
      new x509.SubjectKeyIdentifierExtension(subjectKeyId),
      new x509.AuthorityKeyIdentifierExtension(authorityKeyId),
      ...nameExtensions(template, subjectEmpty),
      ...urlExtensions(template.urls),
    ],
  });
}

function basicExtensions(template: CertificateTemplate): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (template.isCa) {
    extensions.push(new x509.BasicConstraintsExtension(true, template.maxPathLength >= 0 ? template.maxPathLength : undefined, true));
  } else if (template.basicConstraintsForNonCa) {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
  }
  if (template.keyUsage !== 0) extensions.push(new x509.KeyUsagesExtension(template.keyUsage, true));
  if (template.extKeyUsage.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(template.extKeyUsage, false));
  return extensions;
}

/**
 * Returns the SAN, certificate policies and name constraints extensions.
 * RFC 5280 section 4.2.1.6 requires the SAN extension to be critical when
 * the subject is empty, as it is for a role with require_cn false.
 */
function nameExtensions(template: CertificateTemplate, subjectEmpty: boolean): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  const names = generalNames(template.altNames);
  const otherNames = template.altNames.otherNames ?? [];
  if (otherNames.length > 0) {
    // @peculiar/x509 encodes only the GUID and UPN otherName types, so the otherNames are appended to its encoding of the rest.
    const [standard] = derElements(Buffer.from(new x509.GeneralNames(names).rawData));
    const value = derSequence(standard.content, ...otherNames.map(encodeOtherName));
    extensions.push(new x509.Extension('2.5.29.17', subjectEmpty, value));
  } else if (names.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(names, subjectEmpty));
  }
  if (template.policyIdentifiers !== undefined) {
    const policies = certificatePoliciesExtension(template.policyIdentifiers);
    if (policies !== undefined) extensions.push(policies);
  }
  if (template.permittedDnsDomains.length > 0) extensions.push(nameConstraints(template.permittedDnsDomains));
  return extensions;
}

function urlExtensions(urls: UrlsConfig): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (urls.issuing_certificates.length > 0 || urls.ocsp_servers.length > 0) {
    const access: { caIssuers?: string[]; ocsp?: string[] } = {};
    if (urls.issuing_certificates.length > 0) access.caIssuers = urls.issuing_certificates;
    if (urls.ocsp_servers.length > 0) access.ocsp = urls.ocsp_servers;
    extensions.push(new x509.AuthorityInfoAccessExtension(access, false));
  }
  if (urls.crl_distribution_points.length > 0) extensions.push(new x509.CRLDistributionPointsExtension(urls.crl_distribution_points, false));
  return extensions;
}

/**
 * Encodes a critical name constraints extension (RFC 5280 section 4.2.1.10)
 * that permits only the given DNS domains, as Vault's `permitted_dns_domains`.
 */
function nameConstraints(domains: string[]): x509.Extension {
  const subtrees = domains.map((domain) => derSequence(derTagged(0x82, Buffer.from(domain, 'ascii'))));
  const value = derSequence(derTagged(0xa0, Buffer.concat(subtrees)));
  return new x509.Extension('2.5.29.30', true, value);
}
