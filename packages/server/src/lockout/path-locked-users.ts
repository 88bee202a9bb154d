/**
 * sys/locked-users and sys/locked-users/:mount_accessor/unlock/:alias_identifier.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { UserLockout } from './user-lockout.js';

export function lockedUserPaths(lockout: UserLockout): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'locked-users',
      fields: { mount_accessor: { type: 'string', description: 'Only list users locked out of this mount.' } },
      operations: {
        async read(_request, fields) {
          const accessor = fields.get('mount_accessor');
          const byMount = lockout.list(Date.now(), accessor === '' ? undefined : accessor);
          const mountAccessors = [...byMount.entries()].map(([mountAccessor, aliases]) => ({
            mount_accessor: mountAccessor,
            counts: aliases.length,
            alias_identifiers: aliases,
          }));
          const total = mountAccessors.reduce((sum, mount) => sum + mount.counts, 0);
          return {
            data: {
              by_namespace: total === 0 ? [] : [{ namespace_id: 'root', namespace_path: '', counts: total, mount_accessors: mountAccessors }],
              total,
            },
          };
        },
      },
      helpSynopsis: 'List users locked out after failed logins.',
      helpDescription: 'Returns locked users grouped by the mount accessor of their auth method.',
    }),
    definePath({
      pattern: 'locked-users/(?<mount_accessor>[^/]+)/unlock/(?<alias_identifier>.+)',
      fields: {
        mount_accessor: { type: 'string', description: 'Accessor of the auth mount.', required: true },
        alias_identifier: { type: 'string', description: 'The user name, or role ID for AppRole.', required: true },
      },
      operations: {
        async update(_request, fields) {
          await lockout.unlock(fields.get('mount_accessor'), fields.get('alias_identifier'));
          return null;
        },
      },
      helpSynopsis: 'Unlock a locked-out user.',
      helpDescription: 'Removes the lock at once; the user can log in again.',
    }),
  ];
}
