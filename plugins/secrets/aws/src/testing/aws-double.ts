/**
 * A local stand-in for AWS IAM and STS, for tests only: AWS cannot run
 * offline. It speaks the services' Query protocol (a form-encoded POST with
 * `Action` and `Version`) and returns the XML documents and error codes
 * of the real services (`NoSuchEntity`, `EntityAlreadyExists`,
 * `DeleteConflict`, `MalformedPolicyDocument`, `AccessDenied`, ...).
 *
 * Every request must carry a SigV4 signature made with an access key the
 * stand-in issued, and the signature is verified, so a deleted or rotated
 * key stops working as it does on AWS. Users, access keys, inline and
 * attached policies, groups, tags, roles and issued session credentials
 * live in memory, where tests inspect them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAuthorization, signatureMatches } from './sigv4.js';

export const ACCOUNT_ID = '123456789012';
const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IAM_VERSION = '2010-05-08';
const STS_VERSION = '2011-06-15';
const MAX_ACCESS_KEYS_PER_USER = 2;

export interface AccessKey {
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
}

export interface IamUser {
  userName: string;
  path: string;
  userId: string;
  arn: string;
  createDate: Date;
  permissionsBoundary?: string;
  tags: Record<string, string>;
  accessKeys: Map<string, AccessKey>;
  /** Inline policy name to policy document. */
  inlinePolicies: Map<string, string>;
  attachedPolicyArns: Set<string>;
  groups: Set<string>;
}

export interface IamGroup {
  groupName: string;
  groupId: string;
  arn: string;
  createDate: Date;
  attachedPolicyArns: Set<string>;
  inlinePolicies: Map<string, string>;
}

export interface IamRole {
  arn: string;
  maxSessionDuration: number;
}

/** Temporary credentials that AssumeRole or GetFederationToken issued. */
export interface SessionCredentials {
  action: 'AssumeRole' | 'GetFederationToken';
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  durationSeconds: number;
  /** The assumed-role or federated-user ARN that GetCallerIdentity returns. */
  arn: string;
  /** RoleSessionName or Name from the request. */
  sessionName: string;
  policy?: string;
  policyArns: string[];
  externalId?: string;
  /** Session tags from AssumeRole. */
  tags: Record<string, string>;
}

export interface AwsDouble {
  /** Base URL for both `iam_endpoint` and `sts_endpoint`, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
  region: string;
  /** The IAM user the engine is configured as, with one access key. */
  admin: { userName: string; accessKeyId: string; secretAccessKey: string };
  users: Map<string, IamUser>;
  groups: Map<string, IamGroup>;
  /** Roles by ARN. */
  roles: Map<string, IamRole>;
  managedPolicyArns: Set<string>;
  sessions: SessionCredentials[];
  /** Actions received so far, e.g. `CreateUser`, in order. */
  readonly calls: string[];
  createGroup(name: string): IamGroup;
  /** Creates a role the admin may assume and returns its ARN. */
  createRole(name: string, maxSessionDuration?: number): string;
  /** Creates a customer managed policy and returns its ARN. */
  createManagedPolicy(name: string): string;
  /**
   * Holds the next request of `action`, such as `CreateAccessKey`, before it
   * runs: `reached` resolves once the request arrives, and `release` lets it run.
   */
  holdNext(action: string): { reached: Promise<void>; release: () => void };
  close(): Promise<void>;
}

class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Params = URLSearchParams;
interface Caller {
  arn: string;
  user?: IamUser;
  session?: SessionCredentials;
}
type Handler = (params: Params, caller: Caller) => Record<string, unknown>;

/** Starts the stand-in on a free loopback port, with one admin user and key. */
export async function startAwsDouble(region = 'us-east-1'): Promise<AwsDouble> {
  const state = newState(region);
  const admin = state.addUser('coffer-admin', '/');
  const adminKeyId = state.addAccessKey(admin);

  const server = createServer((request, response) => {
    handle(state, request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region,
    admin: { userName: admin.userName, accessKeyId: adminKeyId, secretAccessKey: admin.accessKeys.get(adminKeyId)!.secretAccessKey },
    users: state.users,
    groups: state.groups,
    roles: state.roles,
    managedPolicyArns: state.managedPolicyArns,
    sessions: state.sessions,
    calls: state.calls,
    createGroup: (name) => {
      const group: IamGroup = { groupName: name, groupId: newId('AGPA'), arn: `arn:aws:iam::${ACCOUNT_ID}:group/${name}`, createDate: new Date(), attachedPolicyArns: new Set(), inlinePolicies: new Map() };
      state.groups.set(name, group);
      return group;
    },
    createRole: (name, maxSessionDuration = 3600) => {
      const arn = `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;
      state.roles.set(arn, { arn, maxSessionDuration });
      return arn;
    },
    createManagedPolicy: (name) => {
      const arn = `arn:aws:iam::${ACCOUNT_ID}:policy/${name}`;
      state.managedPolicyArns.add(arn);
      return arn;
    },
    holdNext: (action) => {
      let arrived!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      state.holds.set(action, async () => {
        arrived();
        await released;
      });
      return { reached, release };
    },
    close: () => closeServer(server),
  };
}

type State = ReturnType<typeof newState>;

function newState(region: string) {
  const users = new Map<string, IamUser>();
  const state = {
    region,
    users,
    groups: new Map<string, IamGroup>(),
    roles: new Map<string, IamRole>(),
    managedPolicyArns: new Set<string>(['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']),
    sessions: [] as SessionCredentials[],
    calls: [] as string[],
    /** Requests to hold, by action, each removed once used. */
    holds: new Map<string, () => Promise<void>>(),
    addUser(userName: string, path: string): IamUser {
      const user: IamUser = {
        userName,
        path,
        userId: newId('AIDA'),
        arn: `arn:aws:iam::${ACCOUNT_ID}:user${path}${userName}`,
        createDate: new Date(),
        tags: {},
        accessKeys: new Map(),
        inlinePolicies: new Map(),
        attachedPolicyArns: new Set(),
        groups: new Set(),
      };
      users.set(userName, user);
      return user;
    },
    addAccessKey(user: IamUser): string {
      const id = newId('AKIA');
      user.accessKeys.set(id, { secretAccessKey: randomBytes(30).toString('base64'), status: 'Active', createDate: new Date() });
      return id;
    },
  };
  return state;
}

async function handle(state: State, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const params = new URLSearchParams(body.toString('utf8'));
  const action = params.get('Action') ?? '';
  const service = Object.hasOwn(STS_ACTIONS, action) ? 'sts' : 'iam';
  try {
    if (request.method !== 'POST') throw new AwsError('InvalidAction', `expected POST, got ${request.method}`);
    const caller = authenticate(state, request, body, service);
    const version = params.get('Version');
    if (service === 'sts' ? version !== STS_VERSION : version !== IAM_VERSION) {
      throw new AwsError('InvalidParameterValue', `Version ${version} is not supported by ${service}`);
    }
    const actions = service === 'sts' ? STS_ACTIONS : IAM_ACTIONS;
    const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (run === undefined) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${version}`);
    if (caller.session !== undefined && action !== 'GetCallerIdentity') {
      throw new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: ${service}:${action}`, 403);
    }
    const hold = state.holds.get(action);
    if (hold !== undefined) {
      state.holds.delete(action);
      await hold();
    }
    state.calls.push(action);
    const result = run.call(state, params, caller);
    const ns = service === 'sts' ? STS_NAMESPACE : IAM_NAMESPACE;
    const xml = `<${action}Response xmlns="${ns}">${toXml(`${action}Result`, result)}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
    send(response, 200, xml);
  } catch (err) {
    const error = err instanceof AwsError ? err : new AwsError('ServiceFailure', (err as Error).message, 500);
    const ns = service === 'sts' ? STS_NAMESPACE : IAM_NAMESPACE;
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    const xml = `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
    send(response, error.status, xml);
  }
}

/** Finds the signing key and checks the signature, as AWS does before anything else. */
function authenticate(state: State, request: IncomingMessage, body: Buffer, service: string): Caller {
  const authorization = parseAuthorization(request.headers.authorization);
  if (authorization === null || request.headers['x-amz-date'] === undefined) {
    throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  }
  if (authorization.service !== service) {
    throw new AwsError('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'.`, 403);
  }

  let caller: Caller | undefined;
  let secretKey: string | undefined;
  for (const user of state.users.values()) {
    const key = user.accessKeys.get(authorization.accessKeyId);
    if (key !== undefined && key.status === 'Active') {
      caller = { arn: user.arn, user };
      secretKey = key.secretAccessKey;
    }
  }
  const session = state.sessions.find((candidate) => candidate.accessKeyId === authorization.accessKeyId);
  if (session !== undefined && session.expiration.getTime() > Date.now() && request.headers['x-amz-security-token'] === session.sessionToken) {
    caller = { arn: session.arn, session };
    secretKey = session.secretAccessKey;
  }
  if (caller === undefined || secretKey === undefined) {
    throw new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  }

  const signed = { method: request.method ?? '', url: request.url ?? '/', headers: request.headers, body };
  if (!signatureMatches(authorization, secretKey, signed)) {
    throw new AwsError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      403,
    );
  }
  return caller;
}

const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const USER_PATH = /^\/([\x21-\x7F]{0,510}\/)?$/;

const IAM_ACTIONS: Record<string, (this: State, params: Params, caller: Caller) => Record<string, unknown>> = {
  GetUser(params, caller) {
    const name = params.get('UserName');
    if (name === null) {
      if (caller.user === undefined) throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
      return { User: userXml(caller.user) };
    }
    return { User: userXml(findUser(this, name)) };
  },
  CreateUser(params) {
    const name = required(params, 'UserName');
    if (!USER_NAME.test(name)) throw validation(name, 'userName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length less than or equal to 64');
    const path = params.get('Path') ?? '/';
    if (!USER_PATH.test(path)) throw validation(path, 'path', 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)');
    if (this.users.has(name)) throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
    const boundary = params.get('PermissionsBoundary') ?? undefined;
    if (boundary !== undefined && !this.managedPolicyArns.has(boundary)) {
      throw new AwsError('NoSuchEntity', `Scope ARN: ${boundary} does not exist or is not attachable.`, 404);
    }
    const tags = memberList(params, 'Tags', ['Key', 'Value']);

    const user = this.addUser(name, path);
    if (boundary !== undefined) user.permissionsBoundary = boundary;
    for (const tag of tags) user.tags[tag.Key] = tag.Value;
    return { User: userXml(user) };
  },
  DeleteUser(params) {
    const user = findUser(this, required(params, 'UserName'));
    if (user.accessKeys.size > 0 || user.inlinePolicies.size > 0 || user.attachedPolicyArns.size > 0 || user.groups.size > 0) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must remove tokens, policies, groups and access keys first.', 409);
    }
    this.users.delete(user.userName);
    return {};
  },
  AttachUserPolicy(params) {
    const user = findUser(this, required(params, 'UserName'));
    const arn = required(params, 'PolicyArn');
    if (!this.managedPolicyArns.has(arn)) throw new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
    user.attachedPolicyArns.add(arn);
    return {};
  },
  DetachUserPolicy(params) {
    const user = findUser(this, required(params, 'UserName'));
    const arn = required(params, 'PolicyArn');
    if (!user.attachedPolicyArns.delete(arn)) throw new AwsError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    return {};
  },
  ListAttachedUserPolicies(params) {
    const user = findUser(this, required(params, 'UserName'));
    return { AttachedPolicies: [...user.attachedPolicyArns].map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })), IsTruncated: false };
  },
  PutUserPolicy(params) {
    const user = findUser(this, required(params, 'UserName'));
    const policyName = required(params, 'PolicyName');
    const document = required(params, 'PolicyDocument');
    checkPolicyDocument(document);
    user.inlinePolicies.set(policyName, document);
    return {};
  },
  DeleteUserPolicy(params) {
    const user = findUser(this, required(params, 'UserName'));
    const policyName = required(params, 'PolicyName');
    if (!user.inlinePolicies.delete(policyName)) throw new AwsError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`, 404);
    return {};
  },
  ListUserPolicies(params) {
    const user = findUser(this, required(params, 'UserName'));
    return { PolicyNames: [...user.inlinePolicies.keys()], IsTruncated: false };
  },
  AddUserToGroup(params) {
    const group = findGroup(this, required(params, 'GroupName'));
    const user = findUser(this, required(params, 'UserName'));
    user.groups.add(group.groupName);
    return {};
  },
  RemoveUserFromGroup(params) {
    const group = findGroup(this, required(params, 'GroupName'));
    const user = findUser(this, required(params, 'UserName'));
    if (!user.groups.delete(group.groupName)) throw new AwsError('NoSuchEntity', `The user with name ${user.userName} is not in group ${group.groupName}.`, 404);
    return {};
  },
  ListGroupsForUser(params) {
    const user = findUser(this, required(params, 'UserName'));
    const groups = [...user.groups].map((name) => this.groups.get(name)!);
    return { Groups: groups.map((group) => ({ Path: '/', GroupName: group.groupName, GroupId: group.groupId, Arn: group.arn, CreateDate: group.createDate })), IsTruncated: false };
  },
  ListAttachedGroupPolicies(params) {
    const group = findGroup(this, required(params, 'GroupName'));
    return { AttachedPolicies: [...group.attachedPolicyArns].map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })), IsTruncated: false };
  },
  ListGroupPolicies(params) {
    const group = findGroup(this, required(params, 'GroupName'));
    return { PolicyNames: [...group.inlinePolicies.keys()], IsTruncated: false };
  },
  GetGroupPolicy(params) {
    const group = findGroup(this, required(params, 'GroupName'));
    const policyName = required(params, 'PolicyName');
    const document = group.inlinePolicies.get(policyName);
    if (document === undefined) throw new AwsError('NoSuchEntity', `The group policy with name ${policyName} cannot be found.`, 404);
    // IAM returns policy documents URL-encoded (RFC 3986).
    return { GroupName: group.groupName, PolicyName: policyName, PolicyDocument: encodeURIComponent(document) };
  },
  CreateAccessKey(params, caller) {
    const user = params.has('UserName') ? findUser(this, params.get('UserName')!) : callerUser(caller);
    if (user.accessKeys.size >= MAX_ACCESS_KEYS_PER_USER) {
      throw new AwsError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS_PER_USER}`, 409);
    }
    const id = this.addAccessKey(user);
    const key = user.accessKeys.get(id)!;
    return { AccessKey: { UserName: user.userName, AccessKeyId: id, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: key.createDate } };
  },
  DeleteAccessKey(params, caller) {
    const user = params.has('UserName') ? findUser(this, params.get('UserName')!) : callerUser(caller);
    const id = required(params, 'AccessKeyId');
    if (!user.accessKeys.delete(id)) throw new AwsError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`, 404);
    return {};
  },
  ListAccessKeys(params, caller) {
    const user = params.has('UserName') ? findUser(this, params.get('UserName')!) : callerUser(caller);
    const keys = [...user.accessKeys].map(([id, key]) => ({ UserName: user.userName, AccessKeyId: id, Status: key.status, CreateDate: key.createDate }));
    return { AccessKeyMetadata: keys, IsTruncated: false };
  },
};

const STS_ACTIONS: Record<string, (this: State, params: Params, caller: Caller) => Record<string, unknown>> = {
  GetCallerIdentity(_params, caller) {
    const userId = caller.user?.userId ?? caller.session!.accessKeyId;
    return { UserId: userId, Account: ACCOUNT_ID, Arn: caller.arn };
  },
  AssumeRole(params, caller) {
    const roleArn = required(params, 'RoleArn');
    const sessionName = required(params, 'RoleSessionName');
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw validation(sessionName, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64');
    }
    const role = this.roles.get(roleArn);
    if (role === undefined) throw new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    const duration = durationSeconds(params, 3600);
    if (duration > role.maxSessionDuration) throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const session = issueSession(this, params, 'AssumeRole', duration, `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleName}/${sessionName}`, sessionName);
    return { Credentials: credentialsXml(session), AssumedRoleUser: { AssumedRoleId: `AROA${roleName.toUpperCase()}:${sessionName}`, Arn: session.arn } };
  },
  GetFederationToken(params, caller) {
    if (caller.user === undefined) throw new AwsError('AccessDenied', 'Cannot call GetFederationToken with session credentials', 403);
    const name = required(params, 'Name');
    if (!/^[\w+=,.@-]{2,32}$/.test(name)) throw validation(name, 'name', 'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 32');
    const duration = durationSeconds(params, 43200);
    if (duration > 129600) throw validation(String(duration), 'durationSeconds', 'Member must have value less than or equal to 129600');
    const session = issueSession(this, params, 'GetFederationToken', duration, `arn:aws:sts::${ACCOUNT_ID}:federated-user/${name}`, name);
    return { Credentials: credentialsXml(session), FederatedUser: { FederatedUserId: `${ACCOUNT_ID}:${name}`, Arn: session.arn } };
  },
};

function issueSession(state: State, params: Params, action: SessionCredentials['action'], duration: number, arn: string, sessionName: string): SessionCredentials {
  const policy = params.get('Policy') ?? undefined;
  if (policy !== undefined) checkPolicyDocument(policy);
  const session: SessionCredentials = {
    action,
    accessKeyId: newId('ASIA'),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(96).toString('base64'),
    expiration: new Date(Date.now() + duration * 1000),
    durationSeconds: duration,
    arn,
    sessionName,
    policyArns: memberList(params, 'PolicyArns', ['arn']).map((item) => item.arn),
    tags: Object.fromEntries(memberList(params, 'Tags', ['Key', 'Value']).map((tag) => [tag.Key, tag.Value])),
    ...(policy === undefined ? {} : { policy }),
    ...(params.has('ExternalId') ? { externalId: params.get('ExternalId')! } : {}),
  };
  state.sessions.push(session);
  return session;
}

function credentialsXml(session: SessionCredentials): Record<string, unknown> {
  return { AccessKeyId: session.accessKeyId, SecretAccessKey: session.secretAccessKey, SessionToken: session.sessionToken, Expiration: session.expiration };
}

function durationSeconds(params: Params, fallback: number): number {
  const raw = params.get('DurationSeconds');
  if (raw === null) return fallback;
  const value = Number(raw);
  if (value < 900) throw validation(raw, 'durationSeconds', 'Member must have value greater than or equal to 900');
  return value;
}

function checkPolicyDocument(document: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) {
    throw new AwsError('MalformedPolicyDocument', 'Policy document must contain a Statement.');
  }
}

function validation(value: string, member: string, constraint: string): AwsError {
  return new AwsError('ValidationError', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);
}

function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw new AwsError('ValidationError', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function findUser(state: State, name: string): IamUser {
  // IAM checks the name's form on every user call, before it looks the user up.
  if (!USER_NAME.test(name)) throw validation(name, 'userName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length less than or equal to 64');
  const user = state.users.get(name);
  if (user === undefined) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
  return user;
}

function findGroup(state: State, name: string): IamGroup {
  const group = state.groups.get(name);
  if (group === undefined) throw new AwsError('NoSuchEntity', `The group with name ${name} cannot be found.`, 404);
  return group;
}

function callerUser(caller: Caller): IamUser {
  if (caller.user === undefined) throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
  return caller.user;
}

function userXml(user: IamUser): Record<string, unknown> {
  return {
    Path: user.path,
    UserName: user.userName,
    UserId: user.userId,
    Arn: user.arn,
    CreateDate: user.createDate,
    ...(user.permissionsBoundary === undefined ? {} : { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: user.permissionsBoundary } }),
    ...(Object.keys(user.tags).length === 0 ? {} : { Tags: Object.entries(user.tags).map(([Key, Value]) => ({ Key, Value })) }),
  };
}

/** Reads a Query protocol list such as `Tags.member.1.Key`, `Tags.member.1.Value`, ... */
function memberList<K extends string>(params: Params, name: string, keys: K[]): Record<K, string>[] {
  const items: Record<K, string>[] = [];
  for (let index = 1; params.has(`${name}.member.${index}.${keys[0]}`); index++) {
    const item = {} as Record<K, string>;
    for (const key of keys) item[key] = params.get(`${name}.member.${index}.${key}`) ?? '';
    items.push(item);
  }
  return items;
}

/** Serializes a result the way the Query protocol does: arrays as `<member>` elements, dates in ISO 8601. */
function toXml(name: string, value: unknown): string {
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (Array.isArray(value)) return `<${name}>${value.map((item) => toXml('member', item)).join('')}</${name}>`;
  if (typeof value === 'object' && value !== null) {
    return `<${name}>${Object.entries(value).map(([key, item]) => toXml(key, item)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function newId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return prefix + [...randomBytes(16)].map((byte) => alphabet[byte % 32]).join('');
}

function send(response: ServerResponse, status: number, xml: string): void {
  const payload = Buffer.from(xml);
  response.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': payload.length, 'x-amzn-RequestId': randomUUID() });
  response.end(payload);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
