/**
 * Group membership from the directory: `groupfilter` rendered for the user,
 * searched under `groupdn`, and each result turned into a group name by
 * `groupattr`. A DN-valued attribute such as memberOf yields the DN's `cn`;
 * an entry without the attribute yields the `cn` of its own DN.
 */
import type { Logger } from '@coffer/sdk';
import type { Entry, Filter } from 'ldapts';
import type { LdapConfig } from './config.js';
import { attributeValues, type LdapConnection } from './connection.js';
import { commonName, escapeFilterValue } from './dn.js';
import { parseFilter, renderTemplate } from './filter-template.js';
import { expandInChain } from './in-chain.js';

/** Returns the user's directory group names, deduplicated and sorted. */
export async function searchGroups(connection: LdapConnection, config: LdapConfig, userDn: string, username: string, logger: Logger): Promise<string[]> {
  if (config.groupfilter === '' || config.groupdn === '') {
    logger.debug({ username }, 'ldap group search skipped: groupfilter or groupdn is empty');
    return [];
  }

  const filter = renderTemplate(config.groupfilter, {
    UserDN: escapeFilterValue(userDn),
    Username: escapeFilterValue(username),
  });
  const entries = await searchWithInChain(connection, config.groupdn, filter, [config.groupattr], { paged: true });

  const names = new Set<string>();
  for (const entry of entries) {
    const values = attributeValues(entry, config.groupattr);
    if (values.length === 0) names.add(commonName(entry.dn));
    for (const value of values) names.add(commonName(value));
  }
  if (names.size === 0) logger.debug({ username, groupdn: config.groupdn }, 'ldap group search found no groups');
  return [...names].sort();
}

/**
 * Searches with a filter whose LDAP_MATCHING_RULE_IN_CHAIN items are
 * expanded first (see in-chain.ts), so nested groups resolve on any server.
 */
export async function searchWithInChain(
  connection: LdapConnection,
  base: string,
  filterText: string,
  attributes: string[],
  options: { sizeLimit?: number; paged?: boolean },
): Promise<Entry[]> {
  const dnsUnder = async (searchBase: string, levelFilter: Filter): Promise<string[]> => {
    const found = await connection.search(searchBase, levelFilter, ['1.1'], { paged: options.paged });
    return found.map((entry) => entry.dn);
  };
  const filter = await expandInChain(parseFilter(filterText), base, dnsUnder);
  return connection.search(base, filter, attributes, options);
}
