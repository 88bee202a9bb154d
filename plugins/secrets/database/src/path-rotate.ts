/**
 * `rotate-root/:name` and `rotate-role/:name`: rotate a password now.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { rotateRoot, rotateStaticRole, type RotationDeps } from './rotation.js';
import { readStaticRole } from './store.js';

export function pathRotateRoot(deps: RotationDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: `rotate-root/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the connection.', required: true } },
    operations: {
      update: async (request, fields) => {
        await rotateRoot(deps, request.storage, fields.get('name'));
        return null;
      },
    },
    helpSynopsis: "Rotate the password of a connection's root account.",
    helpDescription: `
Sets a new random password for the account in the connection's username
setting, with root_rotation_statements or the plugin's default, and stores it.
Only the engine knows the new password afterwards.`,
  });
}

export function pathRotateRole(deps: RotationDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: `rotate-role/${nameSegment('name')}`,
    fields: { name: { type: 'string', description: 'Name of the static role.', required: true } },
    operations: {
      update: async (request, fields) => {
        await rotateStaticRole(deps, request.storage, fields.get('name'));
        return null;
      },
    },
    helpSynopsis: 'Rotate the password of a static role now.',
    helpDescription: 'Sets a new password for the static role\'s account and starts its rotation period again.',
  });
}
