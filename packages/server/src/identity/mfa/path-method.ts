/**
 * identity/mfa/method: every MFA method whatever its type, as in Vault.
 * TOTP is the only type, so these paths read the same methods as
 * identity/mfa/method/totp. They must come after the TOTP paths, because
 * `method/<method_id>` would match `method/totp`.
 */
import { definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { listResponse } from '../describe.js';
import type { LoginMfa } from './login.js';
import { describeMethod } from './model.js';

export function methodPaths(mfa: LoginMfa): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'mfa/method/?',
      fields: {},
      operations: {
        async list() {
          const methods = mfa.store.listMethods();
          const keyInfo: Record<string, unknown> = {};
          for (const method of methods) keyInfo[method.id] = describeMethod(method);
          return listResponse(
            methods.map((method) => method.id),
            keyInfo,
          );
        },
      },
      helpSynopsis: 'List MFA methods of every type.',
      helpDescription: 'Returns the IDs of all MFA methods, with their settings under "key_info".',
    }),
    definePath({
      pattern: `mfa/method/${nameSegment('method_id')}`,
      fields: { method_id: { type: 'string', description: 'ID of the method.' } },
      operations: {
        async read(_request, fields) {
          const method = mfa.store.method(fields.get('method_id'));
          return method === undefined ? null : { data: describeMethod(method) };
        },
      },
      helpSynopsis: 'Read an MFA method of any type.',
      helpDescription: 'Returns the settings of the method with this ID.',
    }),
  ];
}
