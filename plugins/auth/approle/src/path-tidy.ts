/**
 * `tidy/secret-id`: removes expired secret IDs, secret IDs whose accessor
 * entry is gone, and accessor entries whose secret ID is gone.
 *
 * Vault runs the same clean-up every minute; Coffer's SDK has no periodic
 * hook, so expired secret IDs stay in storage until this runs or a login or
 * lookup meets them. A login always rejects them.
 */
import { definePath, type FieldMap, type PathDefinition, type Response, type Storage } from '@coffer/sdk';
import type { AppRoleContext } from './context.js';
import { isExpired, STORAGE_FOLDERS, type AccessorEntry, type SecretIdEntry } from './secret-ids.js';

interface TidyCounts {
  expired: number;
  withoutAccessor: number;
  danglingAccessors: number;
}

export function pathTidySecretId(context: AppRoleContext): PathDefinition<FieldMap> {
  let running = false;
  return definePath({
    pattern: 'tidy/secret-id',
    fields: {},
    operations: {
      update: async (request) => {
        if (running) return { warnings: ['Tidy operation already in progress.'] };
        running = true;
        try {
          const counts = await tidySecretIds(context, request.storage);
          context.logger.info({ ...counts, mount: request.mountPoint }, 'tidy of secret IDs finished');
          const warning = `Tidy operation finished: removed ${counts.expired} expired secret IDs, ${counts.withoutAccessor} secret IDs without an accessor and ${counts.danglingAccessors} accessors without a secret ID.`;
          return accepted(request.id, request.mountType, warning);
        } finally {
          running = false;
        }
      },
    },
    helpSynopsis: 'Remove expired secret IDs and broken index entries.',
    helpDescription: `
Deletes secret IDs past their expiration time, secret IDs whose accessor entry
is missing, and accessor entries whose secret ID is missing. It finishes before
the response, which is 202 with the counts in a warning.`,
  });
}

/**
 * Builds Vault's 202 Accepted response to a tidy. The envelope is written
 * here because only a raw response can set the status.
 */
function accepted(requestId: string, mountType: string, warning: string): Response {
  const body = {
    request_id: requestId,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: [warning],
    auth: null,
    mount_type: mountType,
  };
  return { raw: { status: 202, contentType: 'application/json', body: JSON.stringify(body) } };
}

async function tidySecretIds(context: AppRoleContext, storage: Storage): Promise<TidyCounts> {
  const counts: TidyCounts = { expired: 0, withoutAccessor: 0, danglingAccessors: 0 };
  for (const folders of STORAGE_FOLDERS) {
    for (const roleFolder of await storage.list(folders.secretIds)) {
      for (const hmac of await storage.list(folders.secretIds + roleFolder)) {
        await tidyOneSecretId(context, storage, folders, folders.secretIds + roleFolder + hmac, hmac, counts);
      }
    }
    for (const saltedAccessor of await storage.list(folders.accessors)) {
      await tidyOneAccessor(context, storage, folders, folders.accessors + saltedAccessor, counts);
    }
  }
  return counts;
}

async function tidyOneSecretId(
  context: AppRoleContext,
  storage: Storage,
  folders: (typeof STORAGE_FOLDERS)[number],
  key: string,
  hmac: string,
  counts: TidyCounts,
): Promise<void> {
  await context.secretIdLocks.run(hmac, async () => {
    const stored = await storage.get(key);
    if (stored === null) return;
    const entry = JSON.parse(stored.value.toString('utf8')) as SecretIdEntry;
    const accessorKey = folders.accessors + (await context.salt.saltedId(storage, entry.secretIdAccessor));

    if ((await storage.get(accessorKey)) === null) {
      await storage.delete(key);
      counts.withoutAccessor += 1;
    } else if (isExpired(entry, context.now())) {
      await storage.delete(accessorKey);
      await storage.delete(key);
      counts.expired += 1;
    }
  });
}

/**
 * Deletes an accessor entry whose secret ID is in no role's folder. The
 * secret ID's lock is held, and new secret IDs are written under it, so a
 * secret ID that is being created is never mistaken for a missing one.
 */
async function tidyOneAccessor(
  context: AppRoleContext,
  storage: Storage,
  folders: (typeof STORAGE_FOLDERS)[number],
  key: string,
  counts: TidyCounts,
): Promise<void> {
  const stored = await storage.get(key);
  if (stored === null) return;
  const { secretIdHmac } = JSON.parse(stored.value.toString('utf8')) as AccessorEntry;

  await context.secretIdLocks.run(secretIdHmac, async () => {
    for (const roleFolder of await storage.list(folders.secretIds)) {
      if ((await storage.get(folders.secretIds + roleFolder + secretIdHmac)) !== null) return;
    }
    if ((await storage.get(key)) === null) return;
    await storage.delete(key);
    counts.danglingAccessors += 1;
  });
}
