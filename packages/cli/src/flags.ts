// Vault-style command-line flags: single-dash long names (`-format=json`,
// `-mount secret`), boolean flags that take no value, and parsing that stops at
// the first positional argument, as Go's `flag` package does.
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseGoBool, parseJson } from '@coffer/sdk';

/**
 * Kind of a flag's value. A `list` flag repeats and also splits on commas
 * (`-versions=1,2 -versions=3`). A `repeated` flag repeats and keeps each
 * value whole, commas included (`-env=HOSTS=a,b -env=PORT=1`). A `map` flag
 * repeats and takes `key=value`.
 */
export type FlagKind = 'string' | 'bool' | 'int' | 'duration' | 'list' | 'repeated' | 'map';

/** One flag a command accepts. */
export interface FlagSpec {
  name: string;
  kind: FlagKind;
  /** Help text: what the flag sets and in what unit. */
  usage: string;
  /** Heading the flag is listed under in help, such as "HTTP Options". */
  group?: string;
  /** Value shown as the default in help; the parser does not apply it. */
  defaultText?: string;
  aliases?: string[];
}

/** Bad command-line input: the CLI prints the message and exits 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Thrown when `-h`, `-help` or `--help` is given: the CLI prints help and exits 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

type FlagValue = string | boolean | number | string[] | Record<string, string>;

/** Flags a command was given, with typed getters, and the positional arguments. */
export class ParsedFlags {
  constructor(
    private readonly values: Map<string, FlagValue>,
    /** Positional arguments in order. */
    readonly args: string[],
    /** Arguments after the first positional one that look like flags and were not parsed as flags. */
    readonly trailingFlags: string[],
  ) {}

  /** Returns true when the flag appeared on the command line. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string, fallback = ''): string {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : fallback;
  }

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** Integer value, or undefined when the flag was not given. */
  int(name: string): number | undefined {
    const value = this.values.get(name);
    return typeof value === 'number' ? value : undefined;
  }

  /** Duration in seconds, or undefined when the flag was not given. */
  duration(name: string): number | undefined {
    return this.int(name);
  }

  list(name: string): string[] {
    const value = this.values.get(name);
    return Array.isArray(value) ? value : [];
  }

  map(name: string): Record<string, string> {
    const value = this.values.get(name);
    return value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : {};
  }
}

const helpNames = new Set(['h', 'help']);

/**
 * Parses `argv` against `specs` the way Go's `flag` package does: flags come
 * first, `--` ends them, and the first argument that is not a flag (or is a
 * lone `-`) starts the positional arguments.
 *
 * @throws UsageError for an unknown flag or a value of the wrong type.
 * @throws HelpRequested for `-h`, `-help` or `--help`.
 */
export function parseFlags(argv: string[], specs: FlagSpec[]): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    for (const alias of spec.aliases ?? []) byName.set(alias, spec);
  }

  const values = new Map<string, FlagValue>();
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index];
    if (arg === '--') {
      index += 1;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;

    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    const equals = body.indexOf('=');
    const name = equals === -1 ? body : body.slice(0, equals);
    let inline = equals === -1 ? undefined : body.slice(equals + 1);
    index += 1;

    if (helpNames.has(name) && !byName.has(name)) throw new HelpRequested();
    const spec = byName.get(name);
    if (spec === undefined) {
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
    if (spec.kind !== 'bool' && inline === undefined) {
      if (index >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
      inline = argv[index];
      index += 1;
    }
    values.set(spec.name, convertFlagValue(spec, inline, values.get(spec.name)));
  }

  const args = argv.slice(index);
  const trailingFlags = args.filter((arg) => arg.startsWith('-') && arg !== '-' && arg !== '--');
  return new ParsedFlags(values, args, trailingFlags);
}

function convertFlagValue(spec: FlagSpec, raw: string | undefined, previous: FlagValue | undefined): FlagValue {
  switch (spec.kind) {
    case 'bool':
      return raw === undefined ? true : parseBoolFlag(spec.name, raw);
    case 'string':
      return raw ?? '';
    case 'int':
      return parseIntFlag(spec.name, raw ?? '');
    case 'duration':
      return parseDurationFlag(spec.name, raw ?? '');
    case 'list': {
      const items = (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
      return [...((previous as string[] | undefined) ?? []), ...items];
    }
    case 'repeated':
      return [...((previous as string[] | undefined) ?? []), raw ?? ''];
    case 'map': {
      const text = raw ?? '';
      const equals = text.indexOf('=');
      if (equals <= 0) {
        throw new UsageError(`invalid value "${text}" for flag -${spec.name}: expected key=value, such as -${spec.name}=version=2`);
      }
      const merged = { ...((previous as Record<string, string> | undefined) ?? {}) };
      merged[text.slice(0, equals)] = text.slice(equals + 1);
      return merged;
    }
  }
}

function parseBoolFlag(name: string, raw: string): boolean {
  const value = parseGoBool(raw);
  if (value !== undefined) return value;
  throw new UsageError(`invalid boolean value "${raw}" for flag -${name}: use -${name}=true or -${name}=false`);
}

function parseIntFlag(name: string, raw: string): number {
  const text = raw.trim();
  if (!/^[-+]?\d+$/.test(text)) {
    throw new UsageError(`invalid value "${raw}" for flag -${name}: expected a whole number`);
  }
  return Number.parseInt(text, 10);
}

function parseDurationFlag(name: string, raw: string): number {
  const seconds = parseDuration(raw);
  if (seconds === undefined) {
    throw new UsageError(
      `invalid value "${raw}" for flag -${name}: expected a duration such as 30s, 15m, 24h or a number of seconds`,
    );
  }
  return seconds;
}

const durationUnits: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  'µs': 1e-6,
  'μs': 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/**
 * Parses a Go duration ("1h30m", "90s", "1.5h") or a plain number of seconds,
 * as Vault's duration flags accept, into whole seconds. Returns undefined when
 * the text is neither.
 */
export function parseDuration(raw: string): number | undefined {
  const text = raw.trim();
  if (/^[-+]?\d+$/.test(text)) return Number.parseInt(text, 10);

  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (match === null) return undefined;

  let total = 0;
  const parts = text.slice(match[1].length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g);
  for (const part of parts) total += Number.parseFloat(part[1]) * durationUnits[part[2]];
  const seconds = Math.trunc(total);
  return match[1] === '-' ? -seconds : seconds;
}

/** Splits whole seconds into a sign and hours, minutes and seconds. */
export function splitSeconds(totalSeconds: number): { sign: string; hours: number; minutes: number; seconds: number } {
  const rest = Math.abs(totalSeconds);
  const hours = Math.floor(rest / 3600);
  const minutes = Math.floor((rest - hours * 3600) / 60);
  return { sign: totalSeconds < 0 ? '-' : '', hours, minutes, seconds: rest - hours * 3600 - minutes * 60 };
}

/** Formats whole seconds as Go's `time.Duration.String()` does, such as "1h0m0s". */
export function formatGoDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  const { sign, hours, minutes, seconds } = splitSeconds(totalSeconds);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/**
 * Builds a request body from `key=value` arguments, as `vault write` and
 * `vault kv put` do. `key=@file` reads the value from a file and `key=-` reads
 * it from stdin. `\@` keeps a literal leading `@`. A lone `@file` or `-`
 * merges a JSON object read from that file or stdin, and a repeated key
 * collects its values into a list.
 *
 * @throws UsageError naming the argument that could not be read.
 */
export async function parseKeyValueArgs(args: string[], stdin: Readable): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  let stdinUsed = false;
  const takeStdin = async (arg: string): Promise<string> => {
    if (stdinUsed) throw new UsageError(`argument "${arg}" reads stdin, but stdin was already read by an earlier argument`);
    stdinUsed = true;
    return readAllText(stdin);
  };

  for (const arg of args) {
    if (arg === '') continue;
    if (arg === '-') {
      Object.assign(result, parseJsonObject(await takeStdin(arg), 'on stdin'));
      continue;
    }

    const equals = arg.indexOf('=');
    // Only an argument without "=" is a JSON file, so a key that starts with "@" still takes a value.
    if (equals === -1 && arg.startsWith('@')) {
      const path = arg.slice(1);
      Object.assign(result, parseJsonObject(await readJsonFile(path), `in file "${path}"`));
      continue;
    }
    if (equals <= 0) {
      throw new UsageError(`invalid argument "${arg}": expected key=value, key=@file, key=-, or a lone @file or - for a JSON object`);
    }
    const key = arg.slice(0, equals);
    let value = arg.slice(equals + 1);
    if (value.startsWith('@')) {
      value = await readValueFile(value.slice(1), key);
    } else if (value.startsWith('\\@')) {
      value = value.slice(1);
    } else if (value === '-') {
      value = await takeStdin(arg);
    }

    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else result[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return result;
}

async function readValueFile(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`error reading file "${path}" for key "${key}": ${reason}`);
  }
}

async function readJsonFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`error reading file "${path}": ${reason}`);
  }
}

/**
 * Parses text that must contain one JSON object. `source` names where the
 * text came from, with its preposition, such as "on stdin" or `in file "data.json"`.
 */
export function parseJsonObject(text: string, source: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`invalid JSON ${source}: ${reason}; expected an object such as {"key": "value"}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`invalid JSON ${source}: expected an object such as {"key": "value"}`);
  }
  return parsed as Record<string, unknown>;
}

/** Reads a stream to its end as UTF-8 text. */
export async function readAllText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}
