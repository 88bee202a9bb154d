/**
 * The `seal "azurekeyvault"` stanza. Names and environment variables are
 * Vault's: `tenant_id` (AZURE_TENANT_ID), `client_id` (AZURE_CLIENT_ID),
 * `client_secret` (AZURE_CLIENT_SECRET), `environment` (AZURE_ENVIRONMENT),
 * `resource` (AZURE_AD_RESOURCE), `vault_name`
 * (VAULT_AZUREKEYVAULT_VAULT_NAME) and `key_name`
 * (VAULT_AZUREKEYVAULT_KEY_NAME). An environment variable wins over the
 * stanza. Without a client secret, the seal authenticates with the managed
 * identity of the machine, as Vault's does.
 *
 * Coffer adds three settings for private endpoints. `vault_url` replaces the
 * URL made from `vault_name` and `resource`. `tls_ca_cert` is a PEM file of
 * CAs trusted for Key Vault and the token endpoint. AZURE_AUTHORITY_HOST, the
 * Azure SDK's variable, replaces the token endpoint host of `environment`.
 */
import { readFileSync } from 'node:fs';

export const AZUREKEYVAULT_SETTINGS = [
  'tenant_id',
  'client_id',
  'client_secret',
  'environment',
  'resource',
  'vault_name',
  'key_name',
  'vault_url',
  'tls_ca_cert',
] as const;

type SettingName = (typeof AZUREKEYVAULT_SETTINGS)[number];

const ENVIRONMENT: Partial<Record<SettingName, string[]>> = {
  tenant_id: ['AZURE_TENANT_ID'],
  client_id: ['AZURE_CLIENT_ID'],
  client_secret: ['AZURE_CLIENT_SECRET'],
  environment: ['AZURE_ENVIRONMENT'],
  resource: ['AZURE_AD_RESOURCE'],
  vault_name: ['VAULT_AZUREKEYVAULT_VAULT_NAME'],
  key_name: ['VAULT_AZUREKEYVAULT_KEY_NAME'],
};

/** Token endpoint host and Key Vault DNS suffix of each Azure cloud, by the names Vault accepts. */
const CLOUDS: Record<string, { authorityHost: string; resource: string }> = {
  AZUREPUBLICCLOUD: { authorityHost: 'https://login.microsoftonline.com', resource: 'vault.azure.net' },
  AZUREUSGOVERNMENTCLOUD: { authorityHost: 'https://login.microsoftonline.us', resource: 'vault.usgovcloudapi.net' },
  AZURECHINACLOUD: { authorityHost: 'https://login.chinacloudapi.cn', resource: 'vault.azure.cn' },
  AZUREGERMANCLOUD: { authorityHost: 'https://login.microsoftonline.de', resource: 'vault.microsoftazure.de' },
};

export interface AzureKeyVaultSettings {
  /** e.g. `https://my-vault.vault.azure.net`, without a trailing slash. */
  vaultUrl: string;
  keyName: string;
  /** Host of the token endpoint, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  /** Client secret credentials; absent means the managed identity (with `clientId` when set). */
  clientSecret?: { tenantId: string; clientId: string; secret: string };
  clientId?: string;
  /** True when `vault_url` names a host outside the cloud's Key Vault domain, such as a private endpoint. */
  customVaultUrl: boolean;
  /** PEM CA bundle. */
  ca?: Buffer;
}

/** Error for a bad stanza; the message names the setting and never contains the client secret. */
export class AzureKeyVaultSettingsError extends Error {
  override name = 'AzureKeyVaultSettingsError';
}

function lookup(name: SettingName, settings: Record<string, string>, env: Record<string, string | undefined>): string | undefined {
  for (const variable of ENVIRONMENT[name] ?? []) {
    const value = env[variable];
    if (value !== undefined && value !== '') return value;
  }
  const value = settings[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads the stanza and the environment.
 * @throws AzureKeyVaultSettingsError naming the missing or invalid setting.
 */
export function parseAzureKeyVaultSettings(settings: Record<string, string>, env: Record<string, string | undefined>): AzureKeyVaultSettings {
  const environment = lookup('environment', settings, env) ?? 'AzurePublicCloud';
  const cloud = CLOUDS[environment.toUpperCase()];
  if (cloud === undefined) {
    throw new AzureKeyVaultSettingsError(
      `seal "azurekeyvault": invalid "environment" "${environment}": use AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud or AzureGermanCloud`,
    );
  }
  const keyName = lookup('key_name', settings, env);
  if (keyName === undefined) {
    throw new AzureKeyVaultSettingsError('seal "azurekeyvault": missing required setting "key_name": set it in the stanza or set VAULT_AZUREKEYVAULT_KEY_NAME');
  }

  const vaultUrl = resolveVaultUrl(settings, env, cloud.resource);
  const authorityHost = (env.AZURE_AUTHORITY_HOST ?? cloud.authorityHost).replace(/\/$/, '');
  if (!authorityHost.startsWith('https://')) {
    throw new AzureKeyVaultSettingsError(`seal "azurekeyvault": invalid AZURE_AUTHORITY_HOST "${authorityHost}": it must be an https URL`);
  }
  const parsed: AzureKeyVaultSettings = { ...vaultUrl, keyName, authorityHost };

  const tenantId = lookup('tenant_id', settings, env);
  const clientId = lookup('client_id', settings, env);
  const secret = lookup('client_secret', settings, env);
  if (secret !== undefined) {
    if (tenantId === undefined || clientId === undefined) {
      const missing = tenantId === undefined ? 'tenant_id' : 'client_id';
      throw new AzureKeyVaultSettingsError(`seal "azurekeyvault": missing setting "${missing}": a client secret needs both "tenant_id" and "client_id"`);
    }
    parsed.clientSecret = { tenantId, clientId, secret };
  } else if (clientId !== undefined) {
    parsed.clientId = clientId;
  }

  const caFile = lookup('tls_ca_cert', settings, env);
  if (caFile !== undefined) {
    try {
      parsed.ca = readFileSync(caFile);
    } catch (err) {
      throw new AzureKeyVaultSettingsError(`seal "azurekeyvault": invalid "tls_ca_cert" "${caFile}": ${(err as Error).message}`);
    }
  }
  return parsed;
}

function resolveVaultUrl(
  settings: Record<string, string>,
  env: Record<string, string | undefined>,
  defaultResource: string,
): { vaultUrl: string; customVaultUrl: boolean } {
  const resource = lookup('resource', settings, env) ?? defaultResource;
  const explicit = lookup('vault_url', settings, env);
  if (explicit !== undefined) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      throw new AzureKeyVaultSettingsError(`seal "azurekeyvault": invalid "vault_url" "${explicit}": expected a URL such as https://my-vault.vault.azure.net`);
    }
    if (url.protocol !== 'https:') throw new AzureKeyVaultSettingsError(`seal "azurekeyvault": invalid "vault_url" "${explicit}": the scheme must be https`);
    return { vaultUrl: url.origin, customVaultUrl: !url.hostname.endsWith(`.${resource}`) };
  }
  const vaultName = lookup('vault_name', settings, env);
  if (vaultName === undefined) {
    throw new AzureKeyVaultSettingsError(
      'seal "azurekeyvault": missing required setting "vault_name": set it in the stanza or set VAULT_AZUREKEYVAULT_VAULT_NAME',
    );
  }
  if (!/^[A-Za-z0-9-]+$/.test(vaultName)) {
    throw new AzureKeyVaultSettingsError(`seal "azurekeyvault": invalid "vault_name" "${vaultName}": use letters, digits and hyphens`);
  }
  return { vaultUrl: `https://${vaultName}.${resource}`, customVaultUrl: false };
}
