/**
 * IAM and STS clients built from `config/root`, and the translation of AWS
 * errors into Coffer errors. AWS error messages name users, policies and
 * ARNs but never a secret key, so they are passed on.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { badRequest, CofferError } from '@coffer/sdk';
import type { RootConfig } from './store.js';

/** How long one AWS request may take, in milliseconds. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Returns the region of `config`, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1, as Vault resolves it. */
export function resolveRegion(config: Pick<RootConfig, 'region'>): string {
  return config.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
}

function clientOptions(config: RootConfig, endpoint: string, credentials?: { accessKeyId: string; secretAccessKey: string }) {
  const keys = credentials ?? (config.accessKey !== '' ? { accessKeyId: config.accessKey, secretAccessKey: config.secretKey } : undefined);
  return {
    region: resolveRegion(config),
    requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: REQUEST_TIMEOUT_MS },
    // The SDK counts attempts, Vault's max_retries counts retries after the first attempt.
    ...(config.maxRetries >= 0 ? { maxAttempts: config.maxRetries + 1 } : {}),
    ...(endpoint !== '' ? { endpoint } : {}),
    ...(keys !== undefined ? { credentials: keys } : {}),
  };
}

/** Builds an IAM client; `credentials` overrides the configured access key, as rotate-root needs. */
export function iamClient(config: RootConfig, credentials?: { accessKeyId: string; secretAccessKey: string }): IAMClient {
  return new IAMClient(clientOptions(config, config.iamEndpoint, credentials));
}

export function stsClient(config: RootConfig): STSClient {
  return new STSClient(clientOptions(config, config.stsEndpoint));
}

/** Returns the code of an AWS error, such as `NoSuchEntity`, or undefined for other errors. */
export function awsErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('$metadata' in err)) return undefined;
  // The SDK names modeled errors `NoSuchEntityException`; `Code` carries the code from the XML document.
  const code = (err as { Code?: unknown }).Code;
  return typeof code === 'string' ? code : err.name;
}

/**
 * Runs one AWS call and turns its failure into a CofferError whose message
 * names the operation and AWS's code and message: 400 when AWS rejected the
 * request (a 4xx), 500 otherwise.
 */
export async function callAws<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof CofferError) throw err;
    const code = awsErrorCode(err);
    if (code === undefined) throw new CofferError('COFFER_ERR_AWS', 500, `failed to ${operation}: ${(err as Error).message}`);
    const status = (err as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode ?? 500;
    const message = `failed to ${operation}: ${code}: ${(err as Error).message}`;
    throw status >= 400 && status < 500 ? badRequest(message) : new CofferError('COFFER_ERR_AWS', 500, message);
  }
}
