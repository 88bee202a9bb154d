/**
 * Library sets: `library/:set` (LIST, read, write, delete),
 * `library/:set/status`, `library/:set/check-out`, `library/:set/check-in`
 * and `library/manage/:set/check-in`. A set lends each of its service
 * accounts to one caller at a time under a lease; check-out and check-in
 * both set a new password.
 */
import {
  badRequest,
  definePath,
  defineSecret,
  nameSegment,
  permissionDenied,
  secretResponse,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type SecretType,
} from '@coffer/sdk';
import { findAccountDn, type EngineDeps } from './deps.js';
import { borrowedBy, checkIn, checkOut, requireLibrarySet, withLibrarySet } from './library.js';
import {
  LIBRARY_ACCOUNT_PREFIX,
  LIBRARY_PREFIX,
  listNames,
  readLibraryAccount,
  readLibrarySet,
  writeLibraryAccount,
  writeLibrarySet,
  type LibraryAccount,
  type LibrarySet,
} from './store.js';

/** Vault's default TTL and max TTL of a check-out: 24 hours. */
const DEFAULT_CHECK_OUT_TTL = 24 * 3600;

const SET_FIELDS = {
  name: { type: 'string', description: 'Name of the library set.', required: true },
  service_account_names: { type: 'comma_string_slice', description: 'Accounts the set lends, found under userdn by userattr. Each may be in one set only.' },
  ttl: { type: 'duration', description: 'Time a check-out lasts, in seconds or as a duration; 0 for no limit.', default: DEFAULT_CHECK_OUT_TTL },
  max_ttl: { type: 'duration', description: 'Time a check-out may last with renewals; 0 for no limit.', default: DEFAULT_CHECK_OUT_TTL },
  disable_check_in_enforcement: { type: 'bool', description: 'Let any caller who may write check-in return an account, not only its borrower.' },
} as const;

const CHECK_IN_FIELDS = {
  name: { type: 'string', description: 'Name of the library set.', required: true },
  service_account_names: { type: 'comma_string_slice', description: 'Accounts to return; may be left out when exactly one is checked out.' },
} as const;

type SetFields = FieldData<typeof SET_FIELDS>;
type CheckInFields = FieldData<typeof CHECK_IN_FIELDS>;

export function librarySecret(deps: EngineDeps): SecretType<FieldMap> {
  return defineSecret({
    type: 'library',
    fields: {
      service_account_name: { type: 'string', description: 'The account lent.' },
      password: { type: 'string', description: 'Its password for this check-out.' },
    },
    renew: async (request) => {
      const internal = request.secret!.internalData;
      const setName = String(internal.set);
      const state = await currentCheckOut(request, String(internal.service_account_name), String(internal.check_out_id));
      if (state === null) throw badRequest('the service account was checked in; check one out again');
      const set = await requireLibrarySet(request.storage, setName);
      return { secret: { ttl: renewalTtl(request, set), maxTtl: set.maxTtl, renewable: true, internalData: internal } };
    },
    revoke: async (request) => {
      const internal = request.secret!.internalData;
      const account = String(internal.service_account_name);
      await withLibrarySet(deps, String(internal.set), async () => {
        // An account checked in since, and perhaps lent again, is not this lease's to return.
        const state = await currentCheckOut(request, account, String(internal.check_out_id));
        if (state !== null) await checkIn(deps, request.storage, account, state);
      });
      return null;
    },
  });
}

export function pathLibraryList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'library/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listNames(request.storage, LIBRARY_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the library sets.',
    helpDescription: 'Returns the names of the sets written under library/.',
  });
}

export function pathLibrarySet(deps: EngineDeps): PathDefinition<FieldMap> {
  const write = (request: Request, fields: SetFields) => withLibrarySet(deps, fields.get('name'), () => writeSet(request, fields));
  return definePath({
    pattern: `library/${nameSegment('name')}`,
    fields: SET_FIELDS,
    existenceCheck: async (request, fields) => (await readLibrarySet(request.storage, fields.get('name'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const set = await readLibrarySet(request.storage, fields.get('name'));
        if (set === null) return null;
        return {
          data: {
            service_account_names: set.serviceAccountNames,
            ttl: set.ttl,
            max_ttl: set.maxTtl,
            disable_check_in_enforcement: set.disableCheckInEnforcement,
          },
        };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        await withLibrarySet(deps, name, () => deleteSet(request, name));
        return null;
      },
    },
    helpSynopsis: 'Manage sets of service accounts to check out.',
    helpDescription: `
A set lends each of its service accounts to one caller at a time. The
accounts must exist under userdn, found by userattr, and belong to no other
set. An update keeps the fields it does not set. A set with accounts checked
out cannot be deleted, and those accounts cannot be removed from it.`,
  });
}

export function pathLibraryStatus(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `library/${nameSegment('name')}/status`,
    fields: { name: { type: 'string', description: 'Name of the library set.', required: true } },
    operations: {
      read: async (request, fields) => {
        const set = await requireLibrarySet(request.storage, fields.get('name'));
        const data: Record<string, unknown> = {};
        for (const account of set.serviceAccountNames) {
          const state = await readLibraryAccount(request.storage, account);
          const lent = state?.checkOut ?? null;
          data[account] = lent === null ? { available: true } : { available: false, borrower_client_token: lent.borrowerClientToken };
        }
        return { data };
      },
    },
    helpSynopsis: 'Show which accounts of a set are checked out.',
    helpDescription: 'Returns each account with "available", and for a checked-out one the salted token of its borrower.',
  });
}

export function pathLibraryCheckOut(deps: EngineDeps, secret: SecretType<FieldMap>): PathDefinition<FieldMap> {
  return definePath({
    pattern: `library/${nameSegment('name')}/check-out`,
    fields: {
      name: { type: 'string', description: 'Name of the library set.', required: true },
      ttl: { type: 'duration', description: "Time the check-out lasts, in seconds or as a duration; capped at the set's ttl, which it defaults to." },
    },
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        const requestedTtl = fields.get('ttl');
        if (requestedTtl < 0) throw badRequest('invalid field "ttl": must not be negative');
        const set = await requireLibrarySet(request.storage, name);
        const ttl = requestedTtl > 0 && (set.ttl === 0 || requestedTtl < set.ttl) ? requestedTtl : set.ttl;

        const { account, state } = await withLibrarySet(deps, name, () => checkOut(deps, request.storage, name, request.clientToken));
        return secretResponse(
          secret,
          { service_account_name: account, password: state.password },
          { set: name, service_account_name: account, check_out_id: state.checkOut!.id },
          { ttl, maxTtl: set.maxTtl },
        );
      },
    },
    helpSynopsis: 'Check out an account of a set.',
    helpDescription: `
Lends the first available account with a new password under a lease. When the
lease ends, or the account is checked in, it gets another new password.
Returns 400 when every account is checked out.`,
  });
}

export function pathLibraryCheckIn(deps: EngineDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: `library/${nameSegment('name')}/check-in`,
    fields: CHECK_IN_FIELDS,
    operations: { update: (request, fields) => checkInAccounts(deps, request, fields, false) },
    helpSynopsis: 'Return checked-out accounts of a set.',
    helpDescription: `
Sets a new password for each account and makes it available again. Unless the
set disables check-in enforcement, only the token that checked an account out
may return it. check_ins lists the accounts this call returned.`,
  });
}

export function pathLibraryManageCheckIn(deps: EngineDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: `library/manage/${nameSegment('name')}/check-in`,
    fields: CHECK_IN_FIELDS,
    operations: { update: (request, fields) => checkInAccounts(deps, request, fields, true) },
    helpSynopsis: 'Return checked-out accounts of a set, whoever borrowed them.',
    helpDescription: 'As library/<set>/check-in without the check of the borrower; grant it to operators only.',
  });
}

async function writeSet(request: Request, fields: SetFields): Promise<null> {
  const name = fields.get('name');
  const existing = await readLibrarySet(request.storage, name);
  const names = fields.getIfSet('service_account_names')?.map((account) => account.trim());
  const set: LibrarySet = {
    serviceAccountNames: names ?? existing?.serviceAccountNames ?? [],
    ttl: fields.getIfSet('ttl') ?? existing?.ttl ?? fields.get('ttl'),
    maxTtl: fields.getIfSet('max_ttl') ?? existing?.maxTtl ?? fields.get('max_ttl'),
    disableCheckInEnforcement: fields.getIfSet('disable_check_in_enforcement') ?? existing?.disableCheckInEnforcement ?? false,
  };

  if (set.serviceAccountNames.length === 0) throw badRequest('missing required field "service_account_names"');
  if (set.serviceAccountNames.some((account) => account === '')) throw badRequest('invalid field "service_account_names": empty name in the list');
  if (new Set(set.serviceAccountNames).size !== set.serviceAccountNames.length) throw badRequest('invalid field "service_account_names": a name is listed twice');
  if (set.maxTtl > 0 && (set.ttl === 0 || set.ttl > set.maxTtl)) {
    throw badRequest(`invalid field "ttl": ${set.ttl === 0 ? 'no limit' : `${set.ttl} s`} is longer than "max_ttl" of ${set.maxTtl} s`);
  }

  const removed = (existing?.serviceAccountNames ?? []).filter((account) => !set.serviceAccountNames.includes(account));
  for (const account of removed) {
    if ((await readLibraryAccount(request.storage, account))?.checkOut) {
      throw badRequest(`invalid field "service_account_names": "${account}" is checked out and cannot be removed; check it in first`);
    }
  }
  // Every new account is checked before anything is stored.
  const added: [string, LibraryAccount][] = [];
  for (const account of set.serviceAccountNames.filter((candidate) => !existing?.serviceAccountNames.includes(candidate))) {
    const other = await readLibraryAccount(request.storage, account);
    if (other !== null) throw badRequest(`invalid field "service_account_names": "${account}" already belongs to library set "${other.set}"`);
    added.push([account, { set: name, dn: await findAccountDn(request.storage, account, 'service_account_names'), password: '', checkOut: null }]);
  }

  for (const [account, state] of added) await writeLibraryAccount(request.storage, account, state);
  for (const account of removed) await request.storage.delete(LIBRARY_ACCOUNT_PREFIX + account);
  await writeLibrarySet(request.storage, name, set);
  return null;
}

async function deleteSet(request: Request, name: string): Promise<void> {
  const set = await readLibrarySet(request.storage, name);
  if (set === null) return;
  const lent: string[] = [];
  for (const account of set.serviceAccountNames) {
    if ((await readLibraryAccount(request.storage, account))?.checkOut) lent.push(account);
  }
  if (lent.length > 0) throw badRequest(`library set "${name}" has checked-out service accounts (${lent.join(', ')}); check them in first`);

  for (const account of set.serviceAccountNames) await request.storage.delete(LIBRARY_ACCOUNT_PREFIX + account);
  await request.storage.delete(LIBRARY_PREFIX + name);
}

async function checkInAccounts(deps: EngineDeps, request: Request, fields: CheckInFields, manage: boolean) {
  const name = fields.get('name');
  return withLibrarySet(deps, name, async () => {
    const set = await requireLibrarySet(request.storage, name);
    const enforce = !manage && !set.disableCheckInEnforcement;
    let accounts = fields.getIfSet('service_account_names')?.map((account) => account.trim());
    if (accounts === undefined) {
      const candidates: string[] = [];
      for (const account of set.serviceAccountNames) {
        const state = await readLibraryAccount(request.storage, account);
        if (state?.checkOut && (!enforce || borrowedBy(state, request.clientToken))) candidates.push(account);
      }
      if (candidates.length > 1) throw badRequest('missing required field "service_account_names": more than one account is checked out, so name the ones to check in');
      accounts = candidates;
    }

    // Every account is checked before any is returned, so a rejected request changes nothing.
    const returning: [string, LibraryAccount][] = [];
    for (const account of accounts) {
      if (!set.serviceAccountNames.includes(account)) throw badRequest(`invalid field "service_account_names": "${account}" is not in library set "${name}"`);
      const state = await readLibraryAccount(request.storage, account);
      if (state === null || state.checkOut === null) continue;
      if (enforce && !borrowedBy(state, request.clientToken)) {
        throw permissionDenied(`"${account}" was checked out by another token; only its borrower or library/manage/${name}/check-in may return it`);
      }
      returning.push([account, state]);
    }

    for (const [account, state] of returning) await checkIn(deps, request.storage, account, state);
    return { data: { check_ins: returning.map(([account]) => account) } };
  });
}

/** Returns the account's state when it is still lent under check-out `checkOutId`, else null. */
async function currentCheckOut(request: Request, account: string, checkOutId: string): Promise<LibraryAccount | null> {
  const state = await readLibraryAccount(request.storage, account);
  return state?.checkOut?.id === checkOutId ? state : null;
}

/**
 * Computes the TTL of a renewal: the requested increment, else the set's
 * ttl, cut so the check-out ends no later than max_ttl after it began.
 * @throws CofferError (400) with Vault's message when the max TTL has passed.
 */
function renewalTtl(request: Request, set: LibrarySet): number {
  const secret = request.secret!;
  const requested = secret.increment > 0 ? secret.increment : set.ttl;
  if (set.maxTtl <= 0) return requested;
  const elapsed = Math.floor((Date.now() - Date.parse(secret.issueTime)) / 1000);
  if (set.maxTtl - elapsed <= 0) throw badRequest('past the max TTL, cannot renew');
  return requested > 0 ? Math.min(requested, set.maxTtl - elapsed) : set.maxTtl - elapsed;
}
