/**
 * CIDR blocks: validation of the lists a role or secret ID carries, subset
 * checks between them, and the caller's address against them. An entry
 * without a prefix is a single address.
 */
import { BlockList, isIP } from 'node:net';
import { badRequest } from '@coffer/sdk';

interface Block {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseBlock(entry: string): Block | null {
  const [address, prefixText, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return null;
  const family = version === 6 ? 'ipv6' : 'ipv4';
  const maxPrefix = version === 6 ? 128 : 32;
  if (prefixText === undefined) return { address, prefix: maxPrefix, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) return null;
  return { address, prefix: Number(prefixText), family };
}

/**
 * Checks that every entry is an IP address or a CIDR block.
 * @throws CofferError (400) naming the field and the first bad entry.
 */
export function checkCidrs(field: string, entries: string[]): void {
  for (const entry of entries) {
    if (parseBlock(entry) === null) {
      throw badRequest(`invalid "${field}" entry "${entry}": expected an IP address or a CIDR block such as "10.0.0.0/8"`);
    }
  }
}

/**
 * Checks that every block of `inner` lies inside a block of `outer`; an
 * empty `outer` allows anything.
 * @throws CofferError (400) naming both fields and the block outside.
 */
export function checkCidrSubset(innerField: string, inner: string[], outerField: string, outer: string[]): void {
  if (outer.length === 0) return;
  const outerBlocks = outer.map((entry) => parseBlock(entry)).filter((block): block is Block => block !== null);
  for (const entry of inner) {
    const block = parseBlock(entry);
    const inside = block !== null && outerBlocks.some((candidate) => contains(candidate, block));
    if (!inside) {
      throw badRequest(`invalid "${innerField}" entry "${entry}": it must lie inside the role's "${outerField}" (${outer.join(', ')})`);
    }
  }
}

/** Returns true when `block` lies wholly inside `outer`. */
function contains(outer: Block, block: Block): boolean {
  if (outer.family !== block.family || block.prefix < outer.prefix) return false;
  // With a prefix at least as long, every address of `block` shares the
  // first `outer.prefix` bits with the one written, so checking it suffices.
  const list = new BlockList();
  list.addSubnet(outer.address, outer.prefix, outer.family);
  return list.check(block.address, block.family);
}

/** Returns the address without an IPv4-mapped IPv6 prefix such as `::ffff:`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Returns true when `address` falls inside one of `cidrs`; false when the address is unknown. */
export function addressAllowed(address: string | undefined, cidrs: string[]): boolean {
  if (address === undefined || address === '') return false;
  const plain = plainAddress(address);
  const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';

  const list = new BlockList();
  for (const entry of cidrs) {
    const block = parseBlock(entry);
    if (block !== null) list.addSubnet(block.address, block.prefix, block.family);
  }
  return list.check(plain, family);
}
