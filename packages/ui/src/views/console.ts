/**
 * The console: `read`, `list`, `write` and `delete` on any API path, like
 * the CLI's generic commands, for engines and settings the UI has no page
 * for. The output shows the response as JSON, or the server's error.
 */
import { ApiError, encodePath, list, read, remove, write } from '../api.js';
import { h, replace } from '../dom.js';
import { describe, type Page } from '../layout.js';

const USAGE = [
  'read PATH                 read a path, e.g. read sys/mounts',
  'list PATH                 list the keys under a path, e.g. list secret/metadata/',
  'write PATH k=v [k=v ...]  write fields, e.g. write transit/keys/app type=ed25519',
  "write PATH {JSON}         write a JSON object, e.g. write secret/data/a {\"data\":{\"x\":1}}",
  'delete PATH               delete a path',
].join('\n');

/** A parsed command line. */
export interface ConsoleCommand {
  verb: 'read' | 'list' | 'write' | 'delete';
  path: string;
  body?: Record<string, unknown>;
}

/**
 * Parses one command line.
 * @throws Error naming what is wrong, with the usage.
 */
export function parseCommand(line: string): ConsoleCommand {
  const trimmed = line.trim();
  const match = /^(\S+)\s+(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (match === null) throw new Error(`Give a command and a path.\n\n${USAGE}`);
  const [, verb, rawPath, rest] = match;
  if (verb !== 'read' && verb !== 'list' && verb !== 'write' && verb !== 'delete') throw new Error(`Unknown command "${verb}".\n\n${USAGE}`);
  const path = rawPath.replace(/^\/+/, '').replace(/^v1\//, '');
  if (verb !== 'write') {
    if (rest !== '') throw new Error(`"${verb}" takes only a path.\n\n${USAGE}`);
    return { verb, path };
  }
  return { verb, path, body: parseBody(rest) };
}

function parseBody(text: string): Record<string, unknown> {
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`The JSON is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('The JSON must be an object.');
    return parsed as Record<string, unknown>;
  }
  const body: Record<string, unknown> = {};
  for (const pair of text.split(/\s+/).filter((part) => part !== '')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`"${pair}" is not a field: write key=value.`);
    body[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return body;
}

async function run(command: ConsoleCommand): Promise<unknown> {
  const path = encodePath(command.path);
  switch (command.verb) {
    case 'read':
      return (await read(path)) ?? 'No value found.';
    case 'list': {
      const keys = await list(path);
      return keys.length === 0 ? 'No keys found.' : keys;
    }
    case 'write':
      return (await write(path, command.body ?? {})) ?? 'Success: the server returned no data.';
    case 'delete':
      await remove(path);
      return 'Success: deleted.';
  }
}

export function renderConsole(page: Page): Promise<void> {
  const output = h('pre', { class: 'console-output', 'aria-label': 'console output', 'aria-live': 'polite' }, USAGE);
  const input = h('input', { name: 'command', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'command', placeholder: 'read sys/health' });
  const form = h('form', { class: 'inline', 'aria-label': 'console' }, input, h('button', { type: 'submit' }, 'Run'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let command: ConsoleCommand;
    try {
      command = parseCommand(input.value);
    } catch (err) {
      replace(output, describe(err));
      return;
    }
    run(command)
      .then((result) => replace(output, typeof result === 'string' ? result : JSON.stringify(result, null, 2)))
      .catch((err: unknown) => replace(output, err instanceof ApiError ? describe(err) : String(err)));
  });
  replace(page.main, h('h1', null, 'Console'), h('p', null, 'Run read, list, write and delete on any API path with your token.'), form, output);
  return Promise.resolve();
}
