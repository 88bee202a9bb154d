// Checks every `coffer` command line that the README and the guides show:
// each must name a command that exists and pass its flag parser, with its
// flags before the positional arguments. This catches a renamed flag or
// command in the docs before a reader types it.
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from './command.js';
import { HelpRequested, UsageError, parseFlags } from './flags.js';
import { commands } from './index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Folders whose Markdown files are checked, and single files. */
const DOC_FOLDERS = ['docs', 'docs/plugins', 'docs/secrets'];
const DOC_FILES = ['README.md', 'examples/auth-python/README.md', 'examples/secrets-ts/README.md', 'examples/storage-python/README.md'];

/** Words that separate one simple shell command from the next. */
const SEPARATORS = new Set(['&&', '||', ';', '|', '&']);

/** Group names that take a further word, as the CLI's `main` resolves them. */
const GROUPS = new Set(commands.flatMap((command) => {
  const words = command.name.split(' ');
  return words.slice(0, -1).map((_, index) => words.slice(0, index + 1).join(' '));
}));

interface ShellWords {
  words: string[];
  /** Text inside each `$(...)`, checked as a command line of its own. */
  substitutions: string[];
}

/**
 * Splits one shell line into words with quotes removed, the way sh would,
 * minus expansion. `$(...)` stays in its word and its text is returned too.
 */
function splitShellWords(line: string): ShellWords {
  const words: string[] = [];
  const substitutions: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
      continue;
    }
    if (char === '$' && line[index + 1] === '(') {
      const end = matchingParenthesis(line, index + 1);
      substitutions.push(line.slice(index + 2, end));
      word += line.slice(index, end + 1);
      inWord = true;
      index = end;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && index + 1 < line.length) word += line[(index += 1)];
      else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && index + 1 < line.length) {
      word += line[(index += 1)];
      inWord = true;
    } else if (char === '#' && !inWord) {
      break;
    } else if (char === ' ' || char === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (char === ';' || char === '|' || char === '&') {
      if (inWord) words.push(word);
      const doubled = line[index + 1] === char && char !== ';';
      words.push(doubled ? char + char : char);
      if (doubled) index += 1;
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words, substitutions };
}

function matchingParenthesis(line: string, open: number): number {
  let depth = 0;
  for (let index = open; index < line.length; index += 1) {
    if (line[index] === '(') depth += 1;
    if (line[index] === ')') depth -= 1;
    if (depth === 0) return index;
  }
  return line.length - 1;
}

/** Returns the arguments after `coffer` of each simple command on the line that runs it. */
function cofferInvocations(line: string): string[][] {
  const { words, substitutions } = splitShellWords(line);
  const invocations: string[][] = [];
  let start = 0;
  for (let index = 0; index <= words.length; index += 1) {
    if (index < words.length && !SEPARATORS.has(words[index])) continue;
    const simple = words.slice(start, index);
    start = index + 1;

    while (simple.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(simple[0])) simple.shift();
    if (simple[0] === 'npx') simple.shift();
    if (simple[0] === 'coffer' || simple[0]?.endsWith('/coffer.js')) invocations.push(simple.slice(1));
    else if (simple[0] === 'node' && simple[1]?.endsWith('/coffer.js')) invocations.push(simple.slice(2));
  }
  for (const inner of substitutions) invocations.push(...cofferInvocations(inner));
  return invocations;
}

/**
 * Returns the shell lines of a Markdown file's code blocks, continuations
 * joined and prompts removed, then each inline code span that starts with
 * `coffer `.
 */
function codeLines(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  let pending = '';
  for (const raw of markdown.split('\n')) {
    const opening = /^\s*(```+)\s*(\S*)/.exec(raw);
    if (fence === undefined) {
      if (opening !== null) fence = opening[2];
      continue;
    }
    if (opening !== null && opening[2] === '') {
      fence = undefined;
      pending = '';
      continue;
    }
    if (!['', 'sh', 'shell', 'bash', 'console'].includes(fence)) continue;

    const line = pending + raw.trim().replace(/^\$ /, '');
    if (line.endsWith('\\')) {
      pending = `${line.slice(0, -1)} `;
      continue;
    }
    pending = '';
    lines.push(line);
  }
  for (const span of markdown.matchAll(/`(coffer [^`]+)`/g)) lines.push(span[1].replace(/\s+/g, ' '));
  return lines;
}

/** Resolves the command as `main` does and returns it with its own arguments. */
function resolveCommand(argv: string[]): { command: Command; rest: string[] } | string {
  for (let length = 1; length <= argv.length; length += 1) {
    const name = argv.slice(0, length).join(' ');
    const command = commands.find((candidate) => candidate.name === name);
    if (command !== undefined) return { command, rest: argv.slice(length) };
    if (!GROUPS.has(name)) return `unknown command "coffer ${name}"`;
  }
  return `"coffer ${argv.join(' ')}" names a group, not a command`;
}

/** Returns the problem with one documented invocation, or undefined when it parses. */
function checkInvocation(argv: string[]): string | undefined {
  if (argv.length === 0 || ['-h', '-help', '--help', '-v', '-version', '--version'].includes(argv[0])) return undefined;
  const resolved = resolveCommand(argv);
  if (typeof resolved === 'string') return resolved;

  try {
    const flags = parseFlags(resolved.rest, resolved.command.flags);
    if (flags.trailingFlags.length > 0) return `flags after the positional arguments: ${flags.trailingFlags.join(' ')}`;
  } catch (error) {
    if (error instanceof HelpRequested) return undefined;
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  return undefined;
}

async function docFiles(): Promise<string[]> {
  const files = DOC_FILES.map((file) => join(ROOT, file));
  for (const folder of DOC_FOLDERS) {
    const names = await readdir(join(ROOT, folder));
    files.push(...names.filter((name) => name.endsWith('.md')).map((name) => join(ROOT, folder, name)));
  }
  return files;
}

describe('documented commands', () => {
  test('shell word splitting', () => {
    assert.deepEqual(cofferInvocations(`export A=1 && npx coffer kv put secret/x 'a b'="c d" # comment`), [['kv', 'put', 'secret/x', 'a b=c d']]);
    assert.deepEqual(cofferInvocations('id=$(coffer read -field=role_id auth/approle/role/r/role-id)'), [['read', '-field=role_id', 'auth/approle/role/r/role-id']]);
    assert.deepEqual(cofferInvocations('coffer server -dev &'), [['server', '-dev']]);
  });

  test('checker rejects bad invocations', () => {
    assert.equal(checkInvocation(['kv', 'get', '-versoin=1', 'secret/x']), 'flag provided but not defined: -versoin');
    assert.equal(checkInvocation(['kv', 'get', 'secret/x', '-version=1']), 'flags after the positional arguments: -version=1');
    assert.equal(checkInvocation(['kv', 'fetch', 'secret/x']), 'unknown command "coffer kv fetch"');
    assert.equal(checkInvocation(['operator']), '"coffer operator" names a group, not a command');
    assert.equal(checkInvocation(['kv', 'get', '-version=1', 'secret/x']), undefined);
  });

  test('every documented command parses', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of await docFiles()) {
      const markdown = await readFile(file, 'utf8');
      for (const line of codeLines(markdown)) {
        for (const argv of cofferInvocations(line)) {
          checked += 1;
          const problem = checkInvocation(argv);
          if (problem !== undefined) problems.push(`${relative(ROOT, file)}: coffer ${argv.join(' ')}: ${problem}`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 100, `only ${checked} documented commands found; the Markdown scan may be broken`);
  });
});
