// The response envelope of Vault's API, as the CLI reads and prints it.

/** Authentication block of a response (`auth`), in the field order Vault's CLI prints. */
export interface SecretAuth {
  client_token: string;
  accessor: string;
  policies: string[] | null;
  token_policies: string[] | null;
  identity_policies: string[] | null;
  metadata: Record<string, string> | null;
  orphan: boolean;
  entity_id: string;
  lease_duration: number;
  renewable: boolean;
  [extra: string]: unknown;
}

/** Response-wrapping block of a response (`wrap_info`). */
export interface SecretWrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

/** A parsed API response envelope. */
export interface Secret {
  request_id: string;
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  data: Record<string, unknown> | null;
  warnings: string[] | null;
  auth?: SecretAuth | null;
  wrap_info?: SecretWrapInfo | null;
  mount_type?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) ? value.map((item) => String(item)) : null;
}

/** Builds a Secret from a response body, filling absent envelope fields with Vault's zero values. */
export function parseSecret(body: unknown): Secret {
  const source = isRecord(body) ? body : {};
  const secret: Secret = {
    request_id: typeof source.request_id === 'string' ? source.request_id : '',
    lease_id: typeof source.lease_id === 'string' ? source.lease_id : '',
    lease_duration: typeof source.lease_duration === 'number' ? source.lease_duration : 0,
    renewable: source.renewable === true,
    data: isRecord(source.data) ? source.data : null,
    warnings: stringList(source.warnings),
  };
  if (isRecord(source.auth)) secret.auth = parseAuth(source.auth);
  if (isRecord(source.wrap_info)) secret.wrap_info = source.wrap_info as unknown as SecretWrapInfo;
  if (typeof source.mount_type === 'string' && source.mount_type !== '') secret.mount_type = source.mount_type;
  return secret;
}

function parseAuth(source: Record<string, unknown>): SecretAuth {
  const auth: SecretAuth = {
    client_token: typeof source.client_token === 'string' ? source.client_token : '',
    accessor: typeof source.accessor === 'string' ? source.accessor : '',
    policies: stringList(source.policies),
    token_policies: stringList(source.token_policies),
    identity_policies: stringList(source.identity_policies),
    metadata: isRecord(source.metadata) ? (source.metadata as Record<string, string>) : null,
    orphan: source.orphan === true,
    entity_id: typeof source.entity_id === 'string' ? source.entity_id : '',
    lease_duration: typeof source.lease_duration === 'number' ? source.lease_duration : 0,
    renewable: source.renewable === true,
  };
  for (const [key, value] of Object.entries(source)) {
    if (!(key in auth)) auth[key] = value;
  }
  return auth;
}

/**
 * Looks up `field` the way Vault's `-field` flag does: the token fields of
 * `auth` first, then the wrapping fields, then `data`, then the lease fields.
 * Returns undefined when the secret has no such field.
 */
export function extractField(secret: Secret, field: string): unknown {
  const auth = secret.auth;
  if (auth) {
    const authFields: Record<string, unknown> = {
      token: auth.client_token,
      token_accessor: auth.accessor,
      token_duration: auth.lease_duration,
      token_renewable: auth.renewable,
      token_policies: auth.token_policies ?? [],
      identity_policies: auth.identity_policies ?? [],
      policies: auth.policies ?? [],
    };
    if (field in authFields) return authFields[field];
    if (field.startsWith('token_meta_') && auth.metadata) {
      const value = auth.metadata[field.slice('token_meta_'.length)];
      if (value !== undefined) return value;
    }
  }

  const wrap = secret.wrap_info;
  if (wrap) {
    const wrapFields: Record<string, unknown> = {
      wrapping_token: wrap.token,
      wrapping_accessor: wrap.accessor,
      wrapping_token_ttl: wrap.ttl,
      wrapping_token_creation_time: wrap.creation_time,
      wrapping_token_creation_path: wrap.creation_path,
      wrapped_accessor: wrap.wrapped_accessor,
    };
    if (wrapFields[field] !== undefined) return wrapFields[field];
  }

  if (secret.data && field in secret.data) {
    const value = secret.data[field];
    return value === null ? undefined : value;
  }

  switch (field) {
    case 'refresh_interval':
    case 'lease_duration':
      return secret.lease_duration;
    case 'lease_id':
      return secret.lease_id === '' ? undefined : secret.lease_id;
    case 'lease_renewable':
      return secret.renewable;
    default:
      return undefined;
  }
}
