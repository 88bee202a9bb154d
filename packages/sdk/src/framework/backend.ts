/**
 * The framework backend: routes a request to the first declared path whose
 * pattern matches, validates its fields, and calls the operation's handler.
 */
import { badRequest, CofferError, internalError, unsupportedOperation, unsupportedPath } from '../errors.js';
import type {
  ExistenceResult,
  LogicalBackend,
  Request,
  Response,
  SpecialPaths,
} from '../logical.js';
import { FieldData } from './field-data.js';
import type { FieldMap } from './field.js';
import { literalPrefix, type CompiledPath, type PathDefinition } from './path.js';
import { SECRET_TYPE_KEY, type SecretType } from './secret.js';
import { rollBackOldEntries, type WalRollback } from './wal.js';

export interface BackendDefinition {
  backendType: 'logical' | 'credential';
  /** Overall help, returned for `?help=1` on the mount root. */
  help: string;
  /**
   * Paths in match order: the first whose pattern matches the whole path
   * serves the request, so list a specific pattern before a general one.
   */
  paths: PathDefinition<FieldMap>[];
  specialPaths?: Partial<SpecialPaths>;
  /**
   * The kinds of leased secret the backend issues. `renew` and `revoke`
   * requests go to the type named by the lease's `secret_type`.
   */
  secrets?: SecretType[];
  /**
   * For an auth method: renews a token it issued. The request carries the
   * login in `request.auth`; the handler checks that the login is still valid
   * (the user or role exists, its policies are unchanged) and returns a
   * response whose `auth` gives the TTL, max TTL and period to renew with.
   * `renewLogin` from the SDK does this for the shared `token_*` settings.
   * Without a handler, tokens of the method cannot be renewed.
   */
  authRenew?: (request: Request) => Promise<Response | null>;
  initialize?: () => Promise<void>;
  cleanup?: () => Promise<void>;
  invalidate?: (key: string) => void;
  /**
   * Work the server runs about once a minute while the mount exists, such as
   * tidying expired entries. It runs after any write-ahead log rollback.
   */
  periodic?: () => Promise<void>;
  /** The backend's write-ahead log, rolled back by the periodic pass. */
  wal?: WalRollback;
}

type RouteMatch = { path: CompiledPath; captures: Record<string, string> };

/** The route and fields an existence check found, kept so the request's handler call need not route and parse again. */
interface CheckedRequest {
  /** The backend that checked; another backend handed the same request routes it itself. */
  backend: Backend;
  /** The request's path and data when checked. The result is valid only while both are unchanged. */
  path: string;
  data: Record<string, unknown>;
  match: RouteMatch | undefined;
  /** Parsed only when the path declares an existence check. */
  fields?: FieldData<FieldMap>;
}

/**
 * Symbol key of the existence check result, which the check leaves on the
 * request object for the handler call that follows. A property costs less
 * than a WeakMap entry per request, which the garbage collector must trace.
 */
const CHECKED = Symbol('coffer.checkedRequest');

type CheckedHolder = { [CHECKED]?: CheckedRequest | undefined };

export class Backend implements LogicalBackend {
  readonly backendType: 'logical' | 'credential';
  private readonly paths: CompiledPath[];
  private readonly secretTypes = new Map<string, SecretType>();

  /** @throws Error when two secret types share a name. */
  constructor(private readonly definition: BackendDefinition) {
    this.backendType = definition.backendType;
    this.paths = definition.paths.map((path) => ({
      definition: path,
      regex: new RegExp(`^${path.pattern}$`),
      literalPrefix: literalPrefix(path.pattern),
    }));
    for (const secretType of definition.secrets ?? []) {
      if (this.secretTypes.has(secretType.type)) {
        throw new Error(`invalid backend definition: secret type "${secretType.type}" is declared twice`);
      }
      this.secretTypes.set(secretType.type, secretType);
    }
  }

  specialPaths(): SpecialPaths {
    return {
      root: this.definition.specialPaths?.root ?? [],
      unauthenticated: this.definition.specialPaths?.unauthenticated ?? [],
    };
  }

  async initialize(): Promise<void> {
    await this.definition.initialize?.();
  }

  async cleanup(): Promise<void> {
    await this.definition.cleanup?.();
  }

  invalidate(key: string): void {
    this.definition.invalidate?.(key);
  }

  /** Rolls back old write-ahead log records, then runs the backend's periodic function. */
  async periodic(): Promise<void> {
    if (this.definition.wal !== undefined) await rollBackOldEntries(this.definition.wal);
    await this.definition.periodic?.();
  }

  async handleRequest(request: Request): Promise<Response | null> {
    if (request.operation === 'renew' && request.secret === undefined && request.auth !== undefined) return this.handleAuthRenew(request);
    if (request.operation === 'renew' || request.operation === 'revoke') return this.handleSecretRequest(request);

    const checked = this.takeCheckedRequest(request);
    const match = checked !== undefined ? checked.match : this.route(request.path);

    if (request.operation === 'help') {
      return { data: { help: this.helpText(match?.path.definition) } };
    }
    if (match === undefined) throw unsupportedPath(request.path);

    const { path, captures } = match;
    const handler = path.definition.operations[request.operation];
    if (handler === undefined) throw unsupportedOperation(request.operation, request.path);

    const fields = checked?.fields ?? this.parseFields(path, request, captures);
    if (path.definition.ignoresUnknownFields !== true) return handler(request, fields);
    return withIgnoredFieldsWarning(await handler(request, fields), path.definition.fields, request.data);
  }

  async handleExistenceCheck(request: Request): Promise<ExistenceResult> {
    const match = this.route(request.path);
    const check = match?.path.definition.existenceCheck;
    if (match === undefined || check === undefined) {
      keepChecked(request, { backend: this, path: request.path, data: request.data, match });
      return { checkFound: false, exists: false };
    }

    const fields = this.parseFields(match.path, request, match.captures);
    keepChecked(request, { backend: this, path: request.path, data: request.data, match, fields });
    return { checkFound: true, exists: await check(request, fields) };
  }

  /**
   * Removes and returns this backend's existence check result of `request`,
   * if its path and data have not changed since. A request frozen after its
   * check keeps the result, which is then not used, so that no call uses it twice.
   */
  private takeCheckedRequest(request: Request): CheckedRequest | undefined {
    const holder = request as Request & CheckedHolder;
    const checked = holder[CHECKED];
    if (checked === undefined) return undefined;
    // Reflect.set returns false where an assignment to a frozen object would throw.
    if (!Reflect.set(holder, CHECKED, undefined)) return undefined;
    return checked.backend === this && checked.path === request.path && checked.data === request.data ? checked : undefined;
  }

  private async handleAuthRenew(request: Request): Promise<Response | null> {
    const renew = this.definition.authRenew;
    if (renew === undefined) {
      throw new CofferError('COFFER_ERR_UNSUPPORTED_OPERATION', 405, 'token renewal is not supported by this auth method');
    }
    return renew(request);
  }

  /** Returns the declared paths, for help and OpenAPI generation. */
  pathDefinitions(): readonly PathDefinition<FieldMap>[] {
    return this.definition.paths;
  }

  /** Returns the secret type declared under `name`, if any. */
  secretType(name: string): SecretType | undefined {
    return this.secretTypes.get(name);
  }

  /**
   * Calls the renew or revoke handler of the lease's secret type. A renewal
   * response keeps the type's name, so later requests still find the type.
   *
   * @throws CofferError (400) when the lease names no type of this backend;
   *   (405) when the type has no renew handler.
   */
  private async handleSecretRequest(request: Request): Promise<Response | null> {
    const secret = request.secret;
    if (secret === undefined) throw internalError(`${request.operation} request for "${request.path}" carries no secret`);

    const typeName = secret.internalData[SECRET_TYPE_KEY];
    const secretType = typeof typeName === 'string' ? this.secretTypes.get(typeName) : undefined;
    if (secretType === undefined) {
      throw new CofferError('COFFER_ERR_UNSUPPORTED_SECRET', 400, `secret type ${JSON.stringify(typeName ?? null)} of lease "${secret.leaseId}" is not supported by this backend`);
    }
    const fields = FieldData.parse(secretType.fields ?? {}, request.data, true);

    if (request.operation === 'revoke') return secretType.revoke(request, fields);

    if (secretType.renew === undefined) {
      throw new CofferError('COFFER_ERR_UNSUPPORTED_OPERATION', 405, `lease is not renewable: secret type "${secretType.type}" has no renew handler`);
    }
    const response = await secretType.renew(request, fields);
    if (response?.secret !== undefined && response.secret.internalData[SECRET_TYPE_KEY] === undefined) {
      response.secret = { ...response.secret, internalData: { ...response.secret.internalData, [SECRET_TYPE_KEY]: secretType.type } };
    }
    return response;
  }

  private route(path: string): RouteMatch | undefined {
    for (const compiled of this.paths) {
      if (!path.startsWith(compiled.literalPrefix)) continue;
      const match = compiled.regex.exec(path);
      if (match !== null) return { path: compiled, captures: capturesOf(compiled, match) };
    }
    return undefined;
  }

  private parseFields(path: CompiledPath, request: Request, captures: Record<string, string>): FieldData<FieldMap> {
    // A capture in the URL wins over a body field of the same name, so a
    // body cannot redirect a handler to another object. An optional group
    // that took no part in the match wins too. Its body field is dropped, as
    // Vault's empty capture replaces it, so ACL policies on the URL hold.
    const raw = { ...request.data };
    for (const name of Object.keys(captures)) {
      const value = captures[name];
      if (value === undefined) {
        delete raw[name];
        continue;
      }
      if (name in request.data && request.data[name] !== value) {
        throw badRequest(`field "${name}" in the body does not match "${value}" in the path`);
      }
      raw[name] = value;
    }
    const allowUnknown = path.definition.takesArbitraryInput === true || path.definition.ignoresUnknownFields === true;
    return FieldData.parse(path.definition.fields, raw, allowUnknown);
  }

  private helpText(path: PathDefinition<FieldMap> | undefined): string {
    if (path === undefined) return this.definition.help.trim();

    const lines = [`## ${path.helpSynopsis.trim()}`, '', path.helpDescription.trim(), ''];
    const fieldNames = Object.keys(path.fields).sort();
    if (fieldNames.length > 0) lines.push('## PARAMETERS', '');
    for (const name of fieldNames) {
      const field = path.fields[name];
      lines.push(`${name} (${field.type})`, `    ${field.description}`, '');
    }
    return lines.join('\n').trim();
  }
}

/**
 * Adds Vault's warning naming the body fields a path ignored, creating a
 * response for it when the handler returned none, as Vault does.
 */
function withIgnoredFieldsWarning(response: Response | null, schema: FieldMap, data: Record<string, unknown>): Response | null {
  const ignored = Object.keys(data).filter((name) => !Object.hasOwn(schema, name));
  if (ignored.length === 0) return response;
  const warning = `Endpoint ignored these unrecognized parameters: [${ignored.join(' ')}]`;
  const answer = response ?? {};
  answer.warnings = [...(answer.warnings ?? []), warning];
  return answer;
}

/**
 * Copies a match's named groups into a plain object. A group that did not
 * take part in the match is present with the value undefined. In a
 * micro-benchmark on Node.js 20, an exec and a copy by name took 110 ns,
 * and an exec and a spread of `match.groups` 680 ns.
 */
function capturesOf(compiled: CompiledPath, match: RegExpExecArray): Record<string, string> {
  const groups = match.groups;
  const captures: Record<string, string> = {};
  if (groups === undefined) return captures;
  // Every match of one regex has the same group names, each present even when it took no part.
  compiled.groupNames ??= Object.keys(groups);
  for (const name of compiled.groupNames) captures[name] = groups[name];
  return captures;
}

/** Leaves an existence check result on the request. A frozen or sealed request goes without, and its handler call routes it again. */
function keepChecked(request: Request, checked: CheckedRequest): void {
  if (Object.isExtensible(request)) (request as Request & CheckedHolder)[CHECKED] = checked;
}
