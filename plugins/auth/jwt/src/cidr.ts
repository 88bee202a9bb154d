/**
 * The check of a caller's address against a role's `token_bound_cidrs`.
 */
import { BlockList, isIP } from 'node:net';

/**
 * Returns true when `address` is inside one of `cidrs`, and false when the
 * address is unknown. Entries were checked when the role was written.
 */
export function addressAllowed(address: string | undefined, cidrs: string[]): boolean {
  if (address === undefined || address === '') return false;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;

  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/');
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(network, type);
    else list.addSubnet(network, Number(prefix), type);
  }
  return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
}
