// Runs a parsed template with Go's text/template semantics for the
// supported subset: field lookup on secrets and maps, variables and their
// scopes, truth of values, and printing values the way Go's fmt %v does.
import type { Secret } from '../../secret.js';
import { TemplateError } from './lexer.js';
import type { CommandNode, Operand, Pipeline, TemplateNode } from './parser.js';

/** A secret as templates see it: Consul Template's Secret with its Go field names. */
export class SecretValue {
  constructor(readonly secret: Secret) {}

  /** Returns the field named as in Go, or undefined for a name the type does not have. */
  field(name: string): unknown {
    const secret = this.secret;
    switch (name) {
      case 'RequestID':
        return secret.request_id;
      case 'LeaseID':
        return secret.lease_id;
      case 'LeaseDuration':
        return secret.lease_duration;
      case 'Renewable':
        return secret.renewable;
      case 'Data':
        return secret.data ?? {};
      case 'Warnings':
        return secret.warnings ?? [];
      case 'Auth':
        return secret.auth ?? null;
      case 'WrapInfo':
        return secret.wrap_info ?? null;
      default:
        return undefined;
    }
  }
}

const secretFields = 'RequestID, LeaseID, LeaseDuration, Renewable, Data, Warnings, Auth and WrapInfo';

/** The value of a map key that is not there, which Go prints as "<no value>". */
export const missingValue: unique symbol = Symbol('no value');

/** A function a template may call, with its evaluated arguments. */
export type TemplateFunction = (...args: unknown[]) => unknown;

export interface ExecuteOptions {
  name: string;
  /** Fail on a missing map key, in place of printing "<no value>". */
  errorOnMissingKey: boolean;
  functions: Record<string, TemplateFunction>;
}

/** A failure inside a template function; the executor adds the template's line. */
export class FunctionError extends Error {
  override name = 'FunctionError';
}

/** Runs `nodes` with `data` as dot and `$`, as Go's Execute does, and returns the rendered text. */
export async function executeTemplate(nodes: TemplateNode[], options: ExecuteOptions, data: unknown = null): Promise<string> {
  const state = new Execution(options, data);
  const output: string[] = [];
  await state.list(nodes, data, output);
  return output.join('');
}

type Scope = Map<string, unknown>;

class Execution {
  private readonly scopes: Scope[];

  constructor(
    private readonly options: ExecuteOptions,
    data: unknown,
  ) {
    this.scopes = [new Map([['$', data]])];
  }

  async list(nodes: TemplateNode[], dot: unknown, output: string[]): Promise<void> {
    for (const node of nodes) {
      if (node.kind === 'text') {
        output.push(node.text);
      } else if (node.kind === 'action') {
        const value = await this.pipeline(node.pipeline, dot);
        // An action that declares or assigns a variable prints nothing, as in Go.
        if (node.pipeline.variables.length === 0) output.push(formatValue(value));
      } else {
        await this.inScope(() => this.block(node, dot, output));
      }
    }
  }

  private async inScope(run: () => Promise<void>): Promise<void> {
    this.scopes.push(new Map());
    try {
      await run();
    } finally {
      this.scopes.pop();
    }
  }

  private async block(node: Extract<TemplateNode, { kind: 'if' | 'with' | 'range' }>, dot: unknown, output: string[]): Promise<void> {
    if (node.kind === 'range') {
      await this.range(node.pipeline, node.body, node.otherwise, dot, output);
      return;
    }
    const value = await this.pipeline(node.pipeline, dot);
    if (isTrue(value)) await this.list(node.body, node.kind === 'with' ? value : dot, output);
    else await this.list(node.otherwise, dot, output);
  }

  private async range(pipeline: Pipeline, body: TemplateNode[], otherwise: TemplateNode[], dot: unknown, output: string[]): Promise<void> {
    const value = await this.commands(pipeline, dot);
    let entries: [unknown, unknown][];
    if (Array.isArray(value)) entries = value.map((item, index) => [index, item]);
    else if (isMap(value)) entries = Object.keys(value).sort().map((key) => [key, value[key]]);
    else if (value === null || value === undefined || value === missingValue) entries = [];
    else throw this.error(pipeline, `range can't iterate over a value of type ${goType(value)}`);

    if (entries.length === 0) {
      await this.list(otherwise, dot, output);
      return;
    }
    const scope = this.scopes[this.scopes.length - 1];
    for (const [key, element] of entries) {
      if (pipeline.variables.length === 1) scope.set(pipeline.variables[0], element);
      if (pipeline.variables.length === 2) {
        scope.set(pipeline.variables[0], key);
        scope.set(pipeline.variables[1], element);
      }
      await this.list(body, element, output);
    }
  }

  /** Evaluates a pipeline and declares or assigns its variable. */
  private async pipeline(pipeline: Pipeline, dot: unknown): Promise<unknown> {
    const value = await this.commands(pipeline, dot);
    for (const name of pipeline.variables) {
      if (pipeline.assign) this.assign(pipeline, name, value);
      else this.scopes[this.scopes.length - 1].set(name, value);
    }
    return value;
  }

  private async commands(pipeline: Pipeline, dot: unknown): Promise<unknown> {
    let value: unknown;
    let piped = false;
    for (const command of pipeline.commands) {
      value = await this.command(pipeline, command, dot, piped ? [value] : []);
      piped = true;
    }
    return value;
  }

  private async command(pipeline: Pipeline, command: CommandNode, dot: unknown, piped: unknown[]): Promise<unknown> {
    const [first, ...rest] = command.operands;
    if (first.kind === 'function') {
      const args: unknown[] = [];
      for (const operand of rest) args.push(await this.operand(pipeline, operand, dot));
      return this.call(pipeline, first.name, [...args, ...piped]);
    }
    if (rest.length > 0 || piped.length > 0) throw this.error(pipeline, `can't give an argument to a value that is not a function: ${describeOperand(first)}`);
    return this.operand(pipeline, first, dot);
  }

  private async call(pipeline: Pipeline, name: string, args: unknown[]): Promise<unknown> {
    try {
      return await this.options.functions[name](...args);
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      throw this.error(pipeline, `error calling ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async operand(pipeline: Pipeline, operand: Operand, dot: unknown): Promise<unknown> {
    switch (operand.kind) {
      case 'dot':
        return dot;
      case 'field':
        return this.fields(pipeline, dot, operand.names);
      case 'variable':
        return this.fields(pipeline, this.lookup(pipeline, operand.name), operand.fields);
      case 'pipeline':
        return this.fields(pipeline, await this.commands(operand.pipeline, dot), operand.fields);
      case 'function':
        return this.call(pipeline, operand.name, []);
      case 'nil':
        return null;
      default:
        return operand.value;
    }
  }

  private fields(pipeline: Pipeline, start: unknown, names: string[]): unknown {
    let value = start;
    for (const name of names) value = this.field(pipeline, value, name);
    return value;
  }

  private field(pipeline: Pipeline, value: unknown, name: string): unknown {
    if (value instanceof SecretValue) {
      const field = value.field(name);
      if (field === undefined) throw this.error(pipeline, `can't evaluate field ${name} in a secret: a secret has the fields ${secretFields}`);
      return field;
    }
    if (isMap(value)) {
      if (Object.hasOwn(value, name)) return value[name];
      if (this.options.errorOnMissingKey) throw this.error(pipeline, `map has no entry for key "${name}"`);
      return missingValue;
    }
    if (value === null || value === undefined || value === missingValue) {
      throw this.error(pipeline, `can't evaluate field ${name} of a missing value (nil)`);
    }
    throw this.error(pipeline, `can't evaluate field ${name} in type ${goType(value)}`);
  }

  private lookup(pipeline: Pipeline, name: string): unknown {
    for (let index = this.scopes.length - 1; index >= 0; index -= 1) {
      if (this.scopes[index].has(name)) return this.scopes[index].get(name);
    }
    throw this.error(pipeline, `undefined variable: ${name}`);
  }

  private assign(pipeline: Pipeline, name: string, value: unknown): void {
    for (let index = this.scopes.length - 1; index >= 0; index -= 1) {
      if (this.scopes[index].has(name)) {
        this.scopes[index].set(name, value);
        return;
      }
    }
    throw this.error(pipeline, `undefined variable: ${name}`);
  }

  private error(pipeline: Pipeline, problem: string): TemplateError {
    return new TemplateError(this.options.name, pipeline.line, problem);
  }
}

function describeOperand(operand: Operand): string {
  switch (operand.kind) {
    case 'dot':
      return '.';
    case 'field':
      return `.${operand.names.join('.')}`;
    case 'variable':
      return [operand.name, ...operand.fields].join('.');
    case 'string':
      return JSON.stringify(operand.value);
    case 'pipeline':
      return '(...)';
    case 'nil':
      return 'nil';
    case 'function':
      return operand.name;
    default:
      return String(operand.value);
  }
}

/** Returns true for a plain object, which templates treat as a Go map. */
export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof SecretValue);
}

/** Go's truth: false, 0, nil and empty strings, lists and maps are false. */
export function isTrue(value: unknown): boolean {
  if (value === null || value === undefined || value === missingValue || value === false) return false;
  if (typeof value === 'number' || typeof value === 'bigint') return value !== 0 && value !== 0n;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** Go's type name of a value, for error messages. */
export function goType(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number' || typeof value === 'bigint') return 'json.Number';
  if (Array.isArray(value)) return '[]interface {}';
  if (value instanceof SecretValue) return '*dependency.Secret';
  if (isMap(value)) return 'map[string]interface {}';
  return 'interface {}';
}

/** Formats a value as Go's fmt %v does: maps as map[k:v] with sorted keys, lists as [a b]. */
export function formatValue(value: unknown): string {
  if (value === missingValue) return '<no value>';
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (value instanceof SecretValue) return `&{${value.secret.request_id} ${value.secret.lease_id} ${value.secret.lease_duration} ${value.secret.renewable} ${formatValue(value.secret.data ?? {})}}`;
  if (isMap(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((key) => `${key}:${formatValue(value[key])}`)
      .join(' ')}]`;
  }
  return String(value);
}
