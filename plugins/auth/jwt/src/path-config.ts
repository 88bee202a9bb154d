/**
 * `config` (read, update): the key source, issuer and OIDC client of the mount.
 *
 * As in Vault, a write replaces the whole configuration, and the key source
 * is checked before anything is stored: PEM keys must parse, and a JWKS URL
 * or discovery URL must return a valid document.
 */
import { badRequest, definePath, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { describeConfig, readConfig, writeConfig, type ConfigEntry } from './config.js';
import type { JwtContext } from './context.js';
import { checkCaPem, parseHttpUrl } from './http-client.js';
import { fetchDiscovery, fetchKeySet, parsePublicKeyPem, SUPPORTED_ALGORITHMS } from './keys.js';

// NOTE: Vault's jwks_pairs, provider_config, namespace_in_state,
// oidc_response_mode, oidc_response_types and
// unsupported_critical_cert_extensions are not supported, so a request that
// sends one is rejected as an unknown field.
const CONFIG_FIELDS = {
  oidc_discovery_url: { type: 'string', description: 'Issuer URL of an OIDC provider, without the /.well-known/openid-configuration part.' },
  oidc_discovery_ca_pem: { type: 'string', description: 'PEM CA certificates for connections to the discovery URL; the system CAs when empty.' },
  oidc_client_id: { type: 'string', description: 'OAuth client ID of this mount at the provider, for oidc roles.' },
  oidc_client_secret: { type: 'string', description: 'OAuth client secret of this mount at the provider, for oidc roles. Never returned.' },
  jwks_url: { type: 'string', description: 'URL of a JSON Web Key Set whose keys verify tokens.' },
  jwks_ca_pem: { type: 'string', description: 'PEM CA certificates for connections to the JWKS URL; the system CAs when empty.' },
  jwt_validation_pubkeys: { type: 'comma_string_slice', description: 'PEM public keys or certificates that verify tokens locally.' },
  jwt_supported_algs: {
    type: 'comma_string_slice',
    description: `Signing algorithms tokens may use, from ${SUPPORTED_ALGORITHMS.join(', ')}. Defaults to all of them for jwt roles and RS256 for oidc roles.`,
  },
  bound_issuer: { type: 'string', description: 'Required value of the "iss" claim.' },
  default_role: { type: 'lowercase_string', description: 'Role of a login that names none.' },
} as const;

type ConfigFields = FieldData<typeof CONFIG_FIELDS>;

export function pathConfig(context: JwtContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config',
    fields: CONFIG_FIELDS,
    operations: {
      read: async (request) => {
        const config = await readConfig(request.storage);
        return config === null ? null : { data: describeConfig(config) };
      },
      update: (request, fields) => writeConfigEntry(context, request, fields),
    },
    helpSynopsis: 'Configure the key source, issuer and OIDC client of the mount.',
    helpDescription: `
Exactly one of jwt_validation_pubkeys, jwks_url and oidc_discovery_url must be
set. A write fetches the JWKS or discovery document and is rejected when the
provider cannot be reached. oidc_client_id and oidc_client_secret enable the
browser flow at oidc/auth_url and oidc/callback; the secret is never returned.`,
  });
}

async function writeConfigEntry(context: JwtContext, request: Request, fields: ConfigFields): Promise<null> {
  const config: ConfigEntry = {
    oidcDiscoveryUrl: fields.get('oidc_discovery_url').trim(),
    oidcDiscoveryCaPem: fields.get('oidc_discovery_ca_pem'),
    oidcClientId: fields.get('oidc_client_id'),
    oidcClientSecret: fields.get('oidc_client_secret'),
    jwksUrl: fields.get('jwks_url').trim(),
    jwksCaPem: fields.get('jwks_ca_pem'),
    jwtValidationPubkeys: fields.get('jwt_validation_pubkeys'),
    jwtSupportedAlgs: fields.get('jwt_supported_algs'),
    boundIssuer: fields.get('bound_issuer'),
    defaultRole: fields.get('default_role').trim(),
  };

  checkConfigFields(config);
  await checkKeySource(config);

  await writeConfig(request.storage, config);
  context.keys.invalidate();
  context.oidcStates.clear();
  return null;
}

/**
 * Checks the fields that need no network: one key source, a complete
 * client, known algorithms, parseable keys, certificates and URLs.
 * @throws CofferError (400) naming the field.
 */
export function checkConfigFields(config: ConfigEntry): void {
  const sources = [config.jwtValidationPubkeys.length > 0, config.jwksUrl !== '', config.oidcDiscoveryUrl !== ''].filter(Boolean).length;
  if (sources !== 1) throw badRequest('exactly one of "jwt_validation_pubkeys", "jwks_url" or "oidc_discovery_url" must be set');
  if ((config.oidcClientId === '') !== (config.oidcClientSecret === '')) {
    throw badRequest('both "oidc_client_id" and "oidc_client_secret" must be set for OIDC');
  }
  if (config.oidcClientId !== '' && config.oidcDiscoveryUrl === '') throw badRequest('"oidc_discovery_url" must be set for OIDC');

  for (const alg of config.jwtSupportedAlgs) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw badRequest(`invalid "jwt_supported_algs" entry "${alg}": must be one of ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
  }
  for (const [index, pem] of config.jwtValidationPubkeys.entries()) {
    try {
      parsePublicKeyPem(pem);
    } catch (err) {
      throw badRequest(`invalid "jwt_validation_pubkeys" entry ${index + 1}: error parsing public key: ${(err as Error).message}`);
    }
  }
  for (const [field, pem] of [['jwks_ca_pem', config.jwksCaPem], ['oidc_discovery_ca_pem', config.oidcDiscoveryCaPem]] as const) {
    if (pem === '') continue;
    try {
      checkCaPem(pem);
    } catch (err) {
      throw badRequest(`invalid "${field}": ${(err as Error).message}`);
    }
  }
  for (const [field, url] of [['jwks_url', config.jwksUrl], ['oidc_discovery_url', config.oidcDiscoveryUrl]] as const) {
    if (url === '') continue;
    try {
      parseHttpUrl(url);
    } catch (err) {
      throw badRequest(`invalid "${field}": ${(err as Error).message}`);
    }
  }
}

/**
 * Fetches the JWKS or discovery document the configuration names.
 * @throws CofferError (400) with the URL and the reason it failed.
 */
async function checkKeySource(config: ConfigEntry): Promise<void> {
  if (config.jwksUrl !== '') {
    try {
      await fetchKeySet(config.jwksUrl, config.jwksCaPem);
    } catch (err) {
      throw badRequest(`error checking jwks URL "${config.jwksUrl}": ${(err as Error).message}`);
    }
    return;
  }
  if (config.oidcDiscoveryUrl === '') return;

  try {
    const metadata = await fetchDiscovery(config.oidcDiscoveryUrl, config.oidcDiscoveryCaPem);
    if (config.oidcClientId !== '' && (metadata.authorizationEndpoint === '' || metadata.tokenEndpoint === '')) {
      throw new Error('the document has no "authorization_endpoint" or "token_endpoint", which OIDC logins need');
    }
    await fetchKeySet(metadata.jwksUri, config.oidcDiscoveryCaPem);
  } catch (err) {
    throw badRequest(`error checking oidc discovery URL "${config.oidcDiscoveryUrl}": ${(err as Error).message}`);
  }
}
