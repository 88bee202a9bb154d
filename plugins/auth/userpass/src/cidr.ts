/**
 * Checks of `token_bound_cidrs` entries and of a caller's address against them.
 */
import { BlockList, isIP } from 'node:net';
import { badRequest } from '@coffer/sdk';

/**
 * Checks that every entry is an IP address or a CIDR block.
 * @throws CofferError (400) naming the field and the first bad entry.
 */
export function checkCidrs(field: string, entries: string[]): void {
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixValid = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixValid || rest.length > 0) {
      throw badRequest(`invalid "${field}" entry "${entry}": expected an IP address or a CIDR block such as "10.0.0.0/8"`);
    }
  }
}

/** Returns true when `address` falls inside one of `cidrs`; false when the address is unknown. */
export function addressAllowed(address: string | undefined, cidrs: string[]): boolean {
  if (address === undefined || address === '') return false;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';

  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/');
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(network, type);
    else list.addSubnet(network, Number(prefix), type);
  }
  return list.check(plain, family);
}
