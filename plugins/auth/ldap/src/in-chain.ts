/**
 * LDAP_MATCHING_RULE_IN_CHAIN (OID 1.2.840.113556.1.4.1941), evaluated on
 * the client.
 *
 * Vault's documentation resolves nested groups with a filter such as
 * `(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={{.UserDN}}))`,
 * which Active Directory evaluates by following `member` links
 * transitively. Other servers, OpenLDAP 2.5 among them, do not know the
 * rule and match nothing. So before a search, each such item is replaced by
 * equality tests against the value and against every entry that reaches it
 * through the attribute. For `member` that is `(member=<user>)`,
 * `(member=<group of user>)`, `(member=<group of that group>)` and so on.
 * One search per level under the same base finds them, and the result is
 * the same on every server.
 *
 * NOTE: Active Directory follows links across the whole directory, but this
 * follows only entries under the search base (`groupdn` for the group
 * filter) and stops after MAX_DEPTH levels.
 */
import { AndFilter, EqualityFilter, ExtensibleFilter, NotFilter, OrFilter, type Filter } from 'ldapts';

export const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';

/** Levels of nesting followed; deeper chains are cut off there. */
export const MAX_DEPTH = 32;

/** Returns the DNs of the entries under `base` that match `filter`. */
export type DnSearch = (base: string, filter: Filter) => Promise<string[]>;

/** Returns `filter` with every in-chain item replaced by its expansion. */
export async function expandInChain(filter: Filter, base: string, search: DnSearch): Promise<Filter> {
  if (filter instanceof AndFilter) {
    return new AndFilter({ filters: await expandEach(filter.filters, base, search) });
  }
  if (filter instanceof OrFilter) {
    return new OrFilter({ filters: await expandEach(filter.filters, base, search) });
  }
  if (filter instanceof NotFilter) {
    return new NotFilter({ filter: await expandInChain(filter.filter, base, search) });
  }
  if (filter instanceof ExtensibleFilter && filter.rule === IN_CHAIN_RULE && filter.matchType !== '') {
    const values = await reachingValues(filter.matchType, filter.value, base, search);
    return new OrFilter({ filters: values.map((value) => new EqualityFilter({ attribute: filter.matchType, value })) });
  }
  return filter;
}

async function expandEach(filters: Filter[], base: string, search: DnSearch): Promise<Filter[]> {
  const expanded: Filter[] = [];
  for (const filter of filters) expanded.push(await expandInChain(filter, base, search));
  return expanded;
}

/**
 * Returns `value` and the DN of every entry under `base` whose `attribute`
 * leads to it in one or more steps, breadth first.
 */
async function reachingValues(attribute: string, value: string, base: string, search: DnSearch): Promise<string[]> {
  const reached = new Map<string, string>([[value.toLowerCase(), value]]);
  let frontier = [value];

  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth++) {
    const level = new OrFilter({ filters: frontier.map((dn) => new EqualityFilter({ attribute, value: dn })) });
    const found = await search(base, level);
    frontier = [];
    for (const dn of found) {
      // DNs compare without regard to case here, which is right for the
      // usual cn/ou/dc attribute types and only risks a repeated search.
      const key = dn.toLowerCase();
      if (reached.has(key)) continue;
      reached.set(key, dn);
      frontier.push(dn);
    }
  }
  return [...reached.values()];
}
