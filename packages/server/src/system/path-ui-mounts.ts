/**
 * sys/internal/ui/mounts without a path: the mounts a caller may see, as the
 * UI and CLI list them before login and after.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { Core } from '../core.js';
import type { ACL } from '../policy/index.js';
import { listAllMounts } from './path-mounts.js';

type Listing = Record<string, Record<string, unknown>>;

/**
 * Filters `listing` to the mounts a caller may see. As in Vault, any caller
 * gets a mount whose `listing_visibility` is "unauth", with only its type,
 * description and options. A caller with a token also gets every mount where
 * its policies grant some capability, and each entry in full.
 */
function visibleMounts(listing: Listing, routePrefix: string, acl: ACL | undefined): Listing {
  const visible: Listing = {};
  for (const [path, mount] of Object.entries(listing)) {
    const config = mount.config as { listing_visibility?: string };
    const open = config.listing_visibility === 'unauth';
    if (acl !== undefined) {
      if (open || acl.hasAccessUnder(routePrefix + path)) visible[path] = mount;
    } else if (open) {
      visible[path] = { type: mount.type, description: mount.description, options: mount.options };
    }
  }
  return visible;
}

/** Declares the list form of sys/internal/ui/mounts, which the pipeline serves with or without a token. */
export function uiMountListPaths(core: Core): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'internal/ui/mounts',
      fields: {},
      operations: {
        async read(request) {
          // The pipeline records a caller only when the request sent a valid token.
          const acl = core.callers.get(request.id)?.acl;
          const all = listAllMounts(core);
          return { data: { secret: visibleMounts(all.secret, '', acl), auth: visibleMounts(all.auth, 'auth/', acl) } };
        },
      },
      helpSynopsis: 'List the mounts the caller may see.',
      helpDescription:
        'Without a token, lists the mounts whose listing_visibility is "unauth". With one, also lists every mount where its policies grant a capability, with full details.',
    }),
  ];
}
