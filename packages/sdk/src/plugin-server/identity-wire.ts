/**
 * Identity entities and groups on the wire, as the SystemView's EntityInfo
 * and GroupsForEntity carry them in Vault's `logical.Entity` and
 * `logical.Group` messages.
 */
import type { IdentityEntity, IdentityEntityAlias, IdentityGroup } from '../logical.js';
import type { WireAlias, WireEntity, WireGroup } from './messages.js';

/**
 * The namespace ID Vault gives aliases and groups of its root namespace,
 * the only namespace Coffer has.
 */
export const ROOT_NAMESPACE_ID = 'root';

/**
 * Encodes an entity for `EntityInfoReply`. The entity's own `namespace_id`
 * stays empty, each alias gets the root namespace and `local` stays false,
 * as Vault's host sends them.
 */
export function entityToWire(entity: IdentityEntity): WireEntity {
  return {
    id: entity.id,
    name: entity.name,
    aliases: entity.aliases.map(
      (alias): WireAlias => ({
        mount_type: alias.mountType,
        mount_accessor: alias.mountAccessor,
        name: alias.name,
        metadata: { ...alias.metadata },
        id: alias.id,
        namespace_id: ROOT_NAMESPACE_ID,
        custom_metadata: { ...alias.customMetadata },
      }),
    ),
    metadata: { ...entity.metadata },
    disabled: entity.disabled,
  };
}

/** Decodes the entity of an `EntityInfoReply`, returning `undefined` when the reply has none. */
export function entityFromWire(wire: WireEntity | null | undefined): IdentityEntity | undefined {
  if (wire === null || wire === undefined) return undefined;
  return {
    id: wire.id ?? '',
    name: wire.name ?? '',
    aliases: (wire.aliases ?? []).map(
      (alias): IdentityEntityAlias => ({
        id: alias.id ?? '',
        mountAccessor: alias.mount_accessor ?? '',
        mountType: alias.mount_type ?? '',
        name: alias.name ?? '',
        metadata: { ...alias.metadata },
        customMetadata: { ...alias.custom_metadata },
      }),
    ),
    metadata: { ...wire.metadata },
    disabled: wire.disabled ?? false,
  };
}

/** Encodes a group for `GroupsForEntityReply`, in the root namespace. */
export function groupToWire(group: IdentityGroup): WireGroup {
  return { id: group.id, name: group.name, metadata: { ...group.metadata }, namespace_id: ROOT_NAMESPACE_ID };
}

/** Decodes one group of a `GroupsForEntityReply`. */
export function groupFromWire(wire: WireGroup): IdentityGroup {
  return { id: wire.id ?? '', name: wire.name ?? '', metadata: { ...wire.metadata } };
}
