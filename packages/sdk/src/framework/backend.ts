/**
 * The framework backend: routes a request to the first declared path whose
 * pattern matches, validates its fields, and calls the operation's handler.
 */
import { badRequest, unsupportedOperation } from '../errors.js';
import type {
  ExistenceResult,
  LogicalBackend,
  Request,
  Response,
  SpecialPaths,
} from '../logical.js';
import { FieldData } from './field-data.js';
import type { FieldMap } from './field.js';
import type { CompiledPath, PathDefinition } from './path.js';

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
  initialize?: () => Promise<void>;
  cleanup?: () => Promise<void>;
  invalidate?: (key: string) => void;
}

export class Backend implements LogicalBackend {
  readonly backendType: 'logical' | 'credential';
  private readonly paths: CompiledPath[];

  constructor(private readonly definition: BackendDefinition) {
    this.backendType = definition.backendType;
    this.paths = definition.paths.map((path) => ({
      definition: path,
      regex: new RegExp(`^${path.pattern}$`),
    }));
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

  async handleRequest(request: Request): Promise<Response | null> {
    const match = this.route(request.path);

    if (request.operation === 'help') {
      return { data: { help: this.helpText(match?.path.definition) } };
    }
    if (match === undefined) {
      throw unsupportedOperation(request.operation, request.path);
    }

    const { path, captures } = match;
    const handler = path.definition.operations[request.operation];
    if (handler === undefined) throw unsupportedOperation(request.operation, request.path);

    const fields = this.parseFields(path, request, captures);
    return handler(request, fields);
  }

  async handleExistenceCheck(request: Request): Promise<ExistenceResult> {
    const match = this.route(request.path);
    const check = match?.path.definition.existenceCheck;
    if (match === undefined || check === undefined) return { checkFound: false, exists: false };

    const fields = this.parseFields(match.path, request, match.captures);
    return { checkFound: true, exists: await check(request, fields) };
  }

  /** Returns the declared paths, for help and OpenAPI generation. */
  pathDefinitions(): readonly PathDefinition<FieldMap>[] {
    return this.definition.paths;
  }

  private route(path: string): { path: CompiledPath; captures: Record<string, string> } | undefined {
    for (const compiled of this.paths) {
      const match = compiled.regex.exec(path);
      if (match !== null) return { path: compiled, captures: { ...match.groups } };
    }
    return undefined;
  }

  private parseFields(path: CompiledPath, request: Request, captures: Record<string, string>): FieldData<FieldMap> {
    // A capture in the URL wins over a body field of the same name, so a
    // body cannot redirect a handler to another object.
    for (const name of Object.keys(captures)) {
      if (name in request.data && request.data[name] !== captures[name]) {
        throw badRequest(`field "${name}" in the body does not match "${captures[name]}" in the path`);
      }
    }
    const raw = { ...request.data, ...definedOnly(captures) };
    return FieldData.parse(path.definition.fields, raw, path.definition.takesArbitraryInput === true);
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

function definedOnly(captures: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(captures)) {
    if (value !== undefined) result[name] = value;
  }
  return result;
}
