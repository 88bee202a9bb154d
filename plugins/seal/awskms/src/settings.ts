/**
 * The `seal "awskms"` stanza. Names and environment variables are Vault's:
 * `region` (AWS_REGION, AWS_DEFAULT_REGION), `kms_key_id`
 * (VAULT_AWSKMS_SEAL_KEY_ID), `endpoint` (AWS_KMS_ENDPOINT), and the
 * credentials `access_key`, `secret_key` and `session_token`
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). An
 * environment variable wins over the stanza, so secrets can stay out of
 * the file. Without a key pair anywhere, the AWS SDK's default chain finds
 * credentials (shared config files, `shared_creds_profile`, web identity,
 * container or instance metadata).
 */

export const AWSKMS_SETTINGS = [
  'region',
  'kms_key_id',
  'endpoint',
  'access_key',
  'secret_key',
  'session_token',
  'shared_creds_profile',
] as const;

type SettingName = (typeof AWSKMS_SETTINGS)[number];

/** Environment variables that set each setting, in order of precedence. */
const ENVIRONMENT: Partial<Record<SettingName, string[]>> = {
  region: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
  kms_key_id: ['VAULT_AWSKMS_SEAL_KEY_ID'],
  endpoint: ['AWS_KMS_ENDPOINT'],
  access_key: ['AWS_ACCESS_KEY_ID'],
  secret_key: ['AWS_SECRET_ACCESS_KEY'],
  session_token: ['AWS_SESSION_TOKEN'],
  shared_creds_profile: ['AWS_PROFILE'],
};

/** Vault's default region for this seal. */
const DEFAULT_REGION = 'us-east-1';

export interface AwsKmsSettings {
  region: string;
  /** Key ID, key ARN, alias name or alias ARN. */
  kmsKeyId: string;
  /** KMS API URL, e.g. a VPC endpoint; the region's public endpoint when absent. */
  endpoint?: string;
  /** A static key pair; absent means the AWS SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  profile?: string;
}

/** Error for a bad stanza; the message names the setting and never contains a secret. */
export class AwsKmsSettingsError extends Error {
  override name = 'AwsKmsSettingsError';
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
 * @throws AwsKmsSettingsError naming the missing or invalid setting.
 */
export function parseAwsKmsSettings(settings: Record<string, string>, env: Record<string, string | undefined>): AwsKmsSettings {
  const kmsKeyId = lookup('kms_key_id', settings, env);
  if (kmsKeyId === undefined) {
    throw new AwsKmsSettingsError('seal "awskms": missing required setting "kms_key_id": set the KMS key ID or ARN, or set VAULT_AWSKMS_SEAL_KEY_ID');
  }
  const parsed: AwsKmsSettings = { region: lookup('region', settings, env) ?? DEFAULT_REGION, kmsKeyId };

  const endpoint = lookup('endpoint', settings, env);
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new AwsKmsSettingsError(`seal "awskms": invalid "endpoint" "${endpoint}": expected a URL such as https://kms.us-east-1.amazonaws.com`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new AwsKmsSettingsError(`seal "awskms": invalid "endpoint" "${endpoint}": the scheme must be https or http`);
    }
    parsed.endpoint = endpoint;
  }

  const accessKeyId = lookup('access_key', settings, env);
  const secretAccessKey = lookup('secret_key', settings, env);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'access_key' : 'secret_key';
    throw new AwsKmsSettingsError(
      `seal "awskms": missing setting "${missing}": "access_key" and "secret_key" go together; set both, or neither to use the default AWS credential chain`,
    );
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = lookup('session_token', settings, env);
    parsed.credentials = { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
  }
  const profile = lookup('shared_creds_profile', settings, env);
  if (profile !== undefined) parsed.profile = profile;
  return parsed;
}
