/**
 * `config/urls`: the URLs written into the certificates and CRLs the mount
 * signs from now on, as the authority information access and CRL
 * distribution points extensions.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { invalidField } from './errors.js';
import { readUrls, URLS_KEY, writeJson, type UrlsConfig } from './store.js';

const URL_FIELDS = {
  issuing_certificates: { type: 'comma_string_slice', description: 'URLs of the issuing CA certificate, for the authority information access extension.' },
  crl_distribution_points: { type: 'comma_string_slice', description: 'URLs of the CRL, for the CRL distribution points extension.' },
  ocsp_servers: { type: 'comma_string_slice', description: 'URLs of OCSP responders, for the authority information access extension.' },
} as const;

/**
 * Checks that every entry parses as a URL.
 * @throws CofferError (400) naming the field and the first invalid URL.
 */
function checkUrls(field: string, values: string[]): string[] {
  const urls = values.filter((value) => value !== '');
  for (const value of urls) {
    if (!URL.canParse(value)) throw invalidField(field, `"${value}" is not a valid URL`);
  }
  return urls;
}

export function pathConfigUrls(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/urls',
    fields: URL_FIELDS,
    operations: {
      read: async (request) => ({ data: { ...(await readUrls(request.storage)) } }),
      update: async (request, fields) => {
        const current = await readUrls(request.storage);
        const next: UrlsConfig = {
          issuing_certificates: checkUrls('issuing_certificates', fields.getIfSet('issuing_certificates') ?? current.issuing_certificates),
          crl_distribution_points: checkUrls('crl_distribution_points', fields.getIfSet('crl_distribution_points') ?? current.crl_distribution_points),
          ocsp_servers: checkUrls('ocsp_servers', fields.getIfSet('ocsp_servers') ?? current.ocsp_servers),
        };
        await writeJson(request.storage, URLS_KEY, next);
        return { data: { ...next } };
      },
    },
    helpSynopsis: 'Set or read the URLs written into issued certificates.',
    helpDescription: `
Sets the URLs of the issuing certificate, the CRL distribution points and
OCSP servers. A write changes only the fields it sends. Certificates signed
before the change keep the URLs they were signed with.`,
  });
}
