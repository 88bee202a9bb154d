/**
 * Encoding of certificates in responses, by the request's `format`.
 */
import { certificateDer, certificatePem, parseCertificatePem, x509 } from './x509.js';

/** Encodes a certificate as PEM, or base64 DER when `format` is der. */
export function encodeCertificate(certificate: x509.X509Certificate, format: string): string {
  return format === 'der' ? certificateDer(certificate).toString('base64') : certificatePem(certificate);
}

/** Encodes a stored PEM certificate for `format`. */
export function encodeStoredPem(pem: string, format: string): string {
  if (format !== 'der') return pem;
  const certificate = parseCertificatePem(pem);
  return certificate === undefined ? pem : certificateDer(certificate).toString('base64');
}
