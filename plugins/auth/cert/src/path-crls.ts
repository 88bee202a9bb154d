/**
 * `crls/` (LIST) and `crls/:name` (write, read, delete): the revocation
 * lists every login is checked against.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { CertContext } from './context.js';
import { deleteCrl, listCrls, parseCrlPem, readCrl, writeCrl } from './crls.js';

// NOTE: Vault's `url` field (a CRL distribution point the server fetches)
// is not supported; a request that sends it is rejected as an unknown field.
const CRL_FIELDS = {
  name: { type: 'lowercase_string', description: 'Name of the CRL, stored in lowercase.', required: true },
  crl: { type: 'string', description: 'PEM-encoded CRL ("-----BEGIN X509 CRL-----"). Required on write.' },
} as const;

export function pathCrlsList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'crls/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listCrls(request.storage);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the stored CRLs.',
    helpDescription: 'Returns the lowercased names of the CRLs that logins are checked against.',
  });
}

export function pathCrls(context: CertContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `crls/${nameSegment('name')}`,
    fields: CRL_FIELDS,
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        const pem = fields.get('crl');
        if (pem.trim() === '') throw badRequest(`missing "crl": set a PEM-encoded CRL for "${name}"`);
        let crl;
        try {
          crl = parseCrlPem(pem);
        } catch (err) {
          throw badRequest(`invalid "crl": failed to parse CRL: ${(err as Error).message}`);
        }

        await context.locks.run(`crls/${name}`, () => writeCrl(request.storage, name, crl));
        context.revoked.invalidate();
        return null;
      },
      read: async (request, fields) => {
        const name = fields.get('name');
        const crl = await readCrl(request.storage, name);
        if (crl === null) throw badRequest(`no such CRL ${name}`);
        return { data: { serials: crl.serials } };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        await context.locks.run(`crls/${name}`, async () => {
          if ((await readCrl(request.storage, name)) === null) throw badRequest(`no such CRL ${name}`);
          await deleteCrl(request.storage, name);
        });
        context.revoked.invalidate();
        return null;
      },
    },
    helpSynopsis: 'Store, read or delete a certificate revocation list.',
    helpDescription: `
A login fails when its chain to a trusted certificate contains a serial
number that any stored CRL lists, whichever CA issued that CRL. Reading a
CRL returns its revoked serial numbers in decimal. The CRL's own signature
and validity dates are not checked; replace it at the same name to update it.`,
  });
}
