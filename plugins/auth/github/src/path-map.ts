/**
 * `map/teams/<team>` and `map/users/<user>`: the policies that members of a
 * team, or one user, get at login, as Vault's comma-separated `value`.
 * Names are the team's slug (or its name, when that has no spaces) and the
 * user's login, matched case-insensitively.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition, type PathHandler } from '@coffer/sdk';
import { DEFAULT_KEY, deleteMapping, listMappings, parsePolicies, readMapping, writeMapping, type MapKind } from './mappings.js';

/** Vault's pattern for a mapped name: letters, digits, `_` and `-`. */
const KEY_SEGMENT = '(?<key>[-\\w]+)';

const NOUNS: Record<MapKind, { one: string; help: string }> = {
  teams: { one: 'team', help: 'Slug of the GitHub team, or its name when that has no spaces.' },
  users: { one: 'user', help: 'Login of the GitHub user.' },
};

export function pathMapList(kind: MapKind): PathDefinition<FieldMap> {
  return definePath({
    pattern: `map/${kind}/?`,
    fields: {},
    operations: {
      // Vault returns the list for a read here too.
      list: async (request) => listResponse(await listMappings(request.storage, kind)),
      read: async (request) => listResponse(await listMappings(request.storage, kind)),
    },
    helpSynopsis: `List the GitHub ${kind} that have policies.`,
    helpDescription: `Returns the names mapped under map/${kind}/.`,
  });
}

function listResponse(keys: string[]) {
  // An empty list returns no response, so the server returns 404 as Vault does.
  return Promise.resolve(keys.length === 0 ? null : { data: { keys } });
}

function mapFields(kind: MapKind) {
  const { one, help } = NOUNS[kind];
  return {
    key: { type: 'string', description: help, required: true },
    value: { type: 'string', description: `Comma-separated policies granted to the ${one} at login.` },
  } as const;
}

export function pathMap(kind: MapKind): PathDefinition<FieldMap> {
  const { one } = NOUNS[kind];
  const write: PathHandler<ReturnType<typeof mapFields>> = async (request, fields) => {
    const policies = parsePolicies(fields.get('value'));
    if (policies.includes('root')) throw badRequest('root policy cannot be granted by an auth method: remove "root" from "value"');

    await writeMapping(request.storage, kind, { key: fields.get('key'), policies });
    return null;
  };

  return definePath({
    pattern: `map/${kind}/${KEY_SEGMENT}`,
    fields: mapFields(kind),
    existenceCheck: async (request, fields) => (await readMapping(request.storage, kind, fields.get('key'))) !== null,
    operations: {
      read: async (request, fields) => {
        const entry = await readMapping(request.storage, kind, fields.get('key'));
        return entry === null ? null : { data: { key: entry.key, value: entry.policies.join(',') } };
      },
      create: write,
      update: write,
      delete: async (request, fields) => {
        await deleteMapping(request.storage, kind, fields.get('key'));
        return null;
      },
    },
    helpSynopsis: `Manage the policies of a GitHub ${one}.`,
    helpDescription: `
value lists the policies, separated by commas. The ${one} named "${DEFAULT_KEY}"
applies to every login. Changing or deleting a mapping does not revoke
tokens issued before, but their renewal fails unless the user still maps to
the same policies.`,
  });
}
