/**
 * sys/mfa/validate: completes a login held for MFA, as in Vault. It needs
 * no token: the MFA request ID and the codes are the credentials.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { LoginMfa } from './login.js';

export function mfaValidatePaths(mfa: LoginMfa): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'mfa/validate',
      fields: {
        mfa_request_id: { type: 'string', description: 'The mfa_request_id of the login response.' },
        mfa_payload: { type: 'map', description: 'Passcodes by MFA method ID or name, each a list with one passcode, such as {"<method_id>": ["123456"]}.' },
      },
      operations: {
        async update(_request, fields) {
          const requestId = fields.get('mfa_request_id');
          if (requestId === '') throw badRequest('missing mfa_request_id: set it to the mfa_request_id of the login response');
          const payload = fields.get('mfa_payload');
          if (Object.keys(payload).length === 0) throw badRequest('missing mfa_payload: set it to the passcodes by MFA method ID, such as {"<method_id>": ["123456"]}');
          return mfa.validate(requestId, payload);
        },
      },
      helpSynopsis: 'Complete a login that needs MFA.',
      helpDescription: 'Returns the login\'s token when every login enforcement it matched is satisfied by a valid passcode.',
    }),
  ];
}
