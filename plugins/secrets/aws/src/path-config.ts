/**
 * `config/root` (read, write), `config/rotate-root` (write) and
 * `config/lease` (read, write): the credentials and endpoints the engine
 * calls AWS with, their rotation, and the lease of IAM user credentials.
 */
import { CreateAccessKeyCommand, DeleteAccessKeyCommand, GetUserCommand } from '@aws-sdk/client-iam';
import {
  badRequest,
  checkUsernameTemplate,
  CofferError,
  definePath,
  formatDuration,
  type FieldData,
  type FieldMap,
  type KeyedLock,
  type Logger,
  type PathDefinition,
  type Request,
} from '@coffer/sdk';
import { callAws, iamClient } from './clients.js';
import { readLease, readRoot, writeLease, writeRoot, type RootConfig } from './store.js';
import { normalizeTemplate } from './username.js';

const ROOT_FIELDS = {
  access_key: { type: 'string', description: 'AWS access key ID of the IAM user the engine acts as. Empty takes the AWS SDK\'s default credential chain.' },
  secret_key: { type: 'string', description: 'AWS secret access key of that access key. Stored encrypted and never returned.' },
  region: { type: 'string', description: 'AWS region, e.g. "us-east-1". Empty takes AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1.' },
  iam_endpoint: { type: 'string', description: 'Custom IAM endpoint URL, e.g. "https://iam.amazonaws.com".' },
  sts_endpoint: { type: 'string', description: 'Custom STS endpoint URL, e.g. "https://sts.us-east-1.amazonaws.com".' },
  max_retries: { type: 'int', description: 'Retries of a failed AWS request after the first attempt; -1 takes the AWS SDK\'s default.', default: -1 },
  username_template: {
    type: 'string',
    description: 'Template of generated IAM user and STS names over .DisplayName and .PolicyName (the role); empty takes Vault\'s defaults.',
  },
} as const;

const LEASE_FIELDS = {
  lease: { type: 'duration', description: 'TTL of IAM user credentials, in seconds or as a duration such as "30m". Required on write.' },
  lease_max: { type: 'duration', description: 'Maximum lifetime of IAM user credentials, renewals included. Required on write.' },
} as const;

type RootFields = FieldData<typeof ROOT_FIELDS>;
type LeaseFields = FieldData<typeof LEASE_FIELDS>;

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export interface ConfigDeps {
  logger: Logger;
  /** Serializes rotate-root and config/root writes, so a rotation never stores over a newer key. */
  rootLock: KeyedLock;
}

export function pathConfigRoot(deps: ConfigDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/root',
    fields: ROOT_FIELDS,
    operations: {
      update: (request, fields) => deps.rootLock.run('root', () => writeRootConfig(request, fields)),
      read: async (request) => {
        const config = await readRoot(request.storage);
        if (config === null) return null;
        return {
          data: {
            access_key: config.accessKey,
            region: config.region,
            iam_endpoint: config.iamEndpoint,
            sts_endpoint: config.stsEndpoint,
            max_retries: config.maxRetries,
            username_template: config.usernameTemplate,
          },
        };
      },
    },
    helpSynopsis: 'Configure the credentials and endpoints the engine calls AWS with.',
    helpDescription: `
Sets the access key of an IAM user allowed to manage IAM users and call STS,
the region, and optionally custom IAM and STS endpoints. A write changes only
the fields it sets. Reading returns everything but secret_key. As in Vault,
the credentials are not checked on write.`,
  });
}

export function pathConfigRotateRoot(deps: ConfigDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/rotate-root',
    fields: {},
    operations: {
      update: (request) => deps.rootLock.run('root', () => rotateRoot(deps, request)),
    },
    helpSynopsis: 'Replace the configured access key with a new one that only the engine knows.',
    helpDescription: `
Creates a new access key for the configured IAM user, stores it, and deletes
the old key with the new one. IAM allows two keys per user, so the user must
have no other key than the configured one. Returns the new access key ID.`,
  });
}

export function pathConfigLease(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/lease',
    fields: LEASE_FIELDS,
    operations: {
      update: writeLeaseConfig,
      read: async (request) => {
        const lease = await readLease(request.storage);
        return lease === null ? null : { data: { lease: formatDuration(lease.lease), lease_max: formatDuration(lease.leaseMax) } };
      },
    },
    helpSynopsis: 'Configure the lease TTL and max TTL of IAM user credentials.',
    helpDescription: `
Credentials of iam_user roles get a lease of "lease", renewable up to
"lease_max" after issue; the mount's max lease TTL caps both. STS credentials
get the TTL of their request instead.`,
  });
}

async function writeRootConfig(request: Request, fields: RootFields): Promise<null> {
  const existing = await readRoot(request.storage);
  const config: RootConfig = {
    accessKey: (fields.getIfSet('access_key') ?? existing?.accessKey ?? '').trim(),
    secretKey: fields.getIfSet('secret_key') ?? existing?.secretKey ?? '',
    region: (fields.getIfSet('region') ?? existing?.region ?? '').trim(),
    iamEndpoint: (fields.getIfSet('iam_endpoint') ?? existing?.iamEndpoint ?? '').trim(),
    stsEndpoint: (fields.getIfSet('sts_endpoint') ?? existing?.stsEndpoint ?? '').trim(),
    maxRetries: fields.getIfSet('max_retries') ?? existing?.maxRetries ?? -1,
    usernameTemplate: fields.getIfSet('username_template') ?? existing?.usernameTemplate ?? '',
  };

  if (config.accessKey !== '' && config.secretKey === '') throw badRequest('missing required field "secret_key": it must be set with "access_key"');
  if (config.accessKey === '' && config.secretKey !== '') throw badRequest('missing required field "access_key": it must be set with "secret_key"');
  if (config.region !== '' && !REGION_PATTERN.test(config.region)) {
    throw badRequest(`invalid field "region": "${config.region}" is not an AWS region name such as "us-east-1"`);
  }
  checkEndpoint('iam_endpoint', config.iamEndpoint);
  checkEndpoint('sts_endpoint', config.stsEndpoint);
  if (config.maxRetries < -1) {
    throw badRequest(`invalid field "max_retries": ${config.maxRetries} is less than -1; use -1 for the AWS SDK's default or a number of retries`);
  }
  if (config.usernameTemplate !== '') {
    try {
      checkUsernameTemplate(normalizeTemplate(config.usernameTemplate));
    } catch (err) {
      throw badRequest(`invalid field "username_template": ${(err as Error).message}`);
    }
  }

  await writeRoot(request.storage, config);
  return null;
}

/** @throws CofferError (400) naming `field` unless `url` is empty or an http or https URL without credentials. */
function checkEndpoint(field: string, url: string): void {
  if (url === '') return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`invalid field "${field}": "${url}" is not a URL; use an http or https address such as "https://iam.amazonaws.com"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw badRequest(`invalid field "${field}": scheme "${parsed.protocol.slice(0, -1)}" is not supported; use http or https`);
  }
  if (parsed.username !== '' || parsed.password !== '') throw badRequest(`invalid field "${field}": the URL must not contain credentials`);
}

/**
 * Creates a second access key for the configured user, stores it, then
 * deletes the old key while signed with the new one, which also proves the
 * new key works before the old one is gone.
 */
async function rotateRoot(deps: ConfigDeps, request: Request) {
  const config = await readRoot(request.storage);
  if (config === null || config.accessKey === '' || config.secretKey === '') {
    throw badRequest('cannot rotate the root credentials: write "access_key" and "secret_key" to config/root first');
  }

  const oldClient = iamClient(config);
  let userName: string;
  let created: { accessKeyId: string; secretAccessKey: string };
  try {
    const user = await callAws('get the configured IAM user', () => oldClient.send(new GetUserCommand({})));
    userName = user.User?.UserName ?? '';
    if (userName === '') throw new CofferError('COFFER_ERR_AWS', 500, 'failed to get the configured IAM user: the response has no "User.UserName"');
    const output = await callAws('create an access key', () => oldClient.send(new CreateAccessKeyCommand({ UserName: userName })));
    const key = output.AccessKey;
    if (key?.AccessKeyId === undefined || key.SecretAccessKey === undefined) {
      throw new CofferError('COFFER_ERR_AWS', 500, 'failed to create an access key: the response has no "AccessKey"');
    }
    created = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  } finally {
    oldClient.destroy();
  }

  const oldAccessKey = config.accessKey;
  await writeRoot(request.storage, { ...config, accessKey: created.accessKeyId, secretKey: created.secretAccessKey });
  deps.logger.info({ userName, accessKeyId: created.accessKeyId }, 'stored the rotated aws root access key');

  const newClient = iamClient(config, created);
  try {
    await callAws('delete the old access key', () => newClient.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: oldAccessKey })));
  } catch (err) {
    deps.logger.error({ err: (err as Error).message, userName, accessKeyId: oldAccessKey }, 'failed to delete the old aws root access key');
    throw err;
  } finally {
    newClient.destroy();
  }
  return { data: { access_key: created.accessKeyId } };
}

async function writeLeaseConfig(request: Request, fields: LeaseFields): Promise<null> {
  // Not declared required, because the framework would then demand them on read too.
  if (!fields.has('lease')) throw badRequest('missing required field "lease"');
  if (!fields.has('lease_max')) throw badRequest('missing required field "lease_max"');
  const lease = fields.get('lease');
  const leaseMax = fields.get('lease_max');
  if (leaseMax !== 0 && lease > leaseMax) {
    throw badRequest(`invalid field "lease": ${formatDuration(lease)} is greater than "lease_max" of ${formatDuration(leaseMax)}`);
  }

  await writeLease(request.storage, { lease, leaseMax });
  return null;
}
