/**
 * Policy capabilities and their bit flags. A rule's capabilities are kept as
 * one integer so that merging rules is a bitwise OR and a check is one AND.
 */

/** A capability a policy rule may grant, as Vault names it. */
export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny';

/**
 * An operation a request can ask for, each checked against one capability.
 * `renew` and `revoke` of a leased secret need `update`, as in Vault.
 */
export type AclOperation = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'renew' | 'revoke';

export const DENY = 1 << 0;
export const CREATE = 1 << 1;
export const READ = 1 << 2;
export const UPDATE = 1 << 3;
export const DELETE = 1 << 4;
export const LIST = 1 << 5;
export const SUDO = 1 << 6;
export const PATCH = 1 << 7;

export const CAPABILITY_BITS: Readonly<Record<Capability, number>> = {
  deny: DENY,
  create: CREATE,
  read: READ,
  update: UPDATE,
  delete: DELETE,
  list: LIST,
  sudo: SUDO,
  patch: PATCH,
};

/** Every capability, in the order Vault's documentation lists them. */
export const CAPABILITY_NAMES: readonly Capability[] = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'];

/** The capability each operation needs. */
export const OPERATION_CAPABILITY: Readonly<Record<AclOperation, Capability>> = {
  create: 'create',
  read: 'read',
  update: 'update',
  patch: 'patch',
  delete: 'delete',
  list: 'list',
  renew: 'update',
  revoke: 'update',
};

/** Returns true when `name` is one of the capabilities above. */
export function isCapability(name: string): name is Capability {
  return Object.hasOwn(CAPABILITY_BITS, name);
}

/**
 * Returns the names of the capabilities in `bits`, sorted, as sys/capabilities
 * reports them: `["deny"]` when the bits contain deny or nothing at all.
 */
export function capabilityNames(bits: number): string[] {
  if ((bits & DENY) !== 0 || bits === 0) return ['deny'];
  return CAPABILITY_NAMES.filter((name) => (bits & CAPABILITY_BITS[name]) !== 0).sort();
}
