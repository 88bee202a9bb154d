/**
 * `coffer plugin new`: writes a ready-to-build plugin project from the
 * templates the CLI package ships, and links the Coffer packages it needs
 * into the project's node_modules so it builds and tests offline.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { kitNodeModules, kitPackageDirectory, TEMPLATES_DIRECTORY } from './locations.js';

/** A kind and language that has a template. */
interface TemplateSpec {
  /** Template folders copied in order; a later file replaces an earlier one. */
  folders: string[];
  /** Common source files that this kind leaves out. */
  omit: string[];
  /** Packages linked into node_modules. */
  links: string[];
  kindTitle: string;
  language: string;
  layout: string;
  /** README sentence naming the unit tests and how `npm test` runs them. */
  unitTests: string;
  acceptance: string;
}

const TS_UNIT_TESTS = 'The unit tests (`src/*.test.ts` other than the acceptance test) drive the code directly.';

const TS_LINKS = ['@coffer/sdk', '@coffer/server', 'typescript', '@types/node'];

const TEMPLATES: Record<string, TemplateSpec> = {
  'secrets-ts': {
    folders: ['common-ts', 'secrets-ts'],
    omit: [],
    links: TS_LINKS,
    kindTitle: 'secrets engine',
    language: 'TypeScript',
    layout: '`src/index.ts` serves the plugin, `src/plugin.ts` declares it, `src/backend.ts` lists its paths, and each `src/path-<thing>.ts` declares a group of paths with their fields, operations and help.',
    unitTests: TS_UNIT_TESTS,
    acceptance: 'starts a real Coffer dev server, registers the built plugin by SHA-256, mounts it and uses it over HTTP.',
  },
  'auth-ts': {
    folders: ['common-ts', 'auth-ts'],
    omit: [],
    links: TS_LINKS,
    kindTitle: 'auth method',
    language: 'TypeScript',
    layout: '`src/index.ts` serves the plugin, `src/plugin.ts` declares it, `src/path-users.ts` manages users and `src/path-login.ts` checks logins. Coffer issues the token from the `auth` a login returns.',
    unitTests: TS_UNIT_TESTS,
    acceptance: 'starts a real Coffer dev server, registers the built plugin by SHA-256, enables it and logs in over HTTP.',
  },
  'audit-ts': {
    folders: ['common-ts', 'audit-ts'],
    omit: ['src/test-storage.ts'],
    links: TS_LINKS,
    kindTitle: 'audit device',
    language: 'TypeScript',
    layout: '`src/index.ts` serves the plugin, `src/plugin.ts` declares the device type and its options, and `src/device.ts` writes the entries. Coffer builds each entry and replaces secrets with HMACs before the device sees it.',
    unitTests: TS_UNIT_TESTS,
    acceptance: 'starts a real Coffer dev server, registers the built plugin by SHA-256, enables the device and checks what it records.',
  },
  'storage-ts': {
    folders: ['common-ts', 'storage-ts'],
    omit: ['src/test-storage.ts', 'src/test-server.ts'],
    links: ['@coffer/sdk', '@coffer/certify', 'typescript', '@types/node'],
    kindTitle: 'storage backend',
    language: 'TypeScript',
    layout: '`src/index.ts` serves the plugin, `src/plugin.ts` declares it with the settings a `storage` stanza may give, and `src/store.ts` is the store.',
    unitTests: TS_UNIT_TESTS,
    acceptance: "runs Coffer's storage conformance suite against the built plugin in the test's own process; `coffer plugin certify` runs the same suite over the wire against `dist/index.js`.",
  },
  'database-ts': {
    folders: ['common-ts', 'database-ts'],
    omit: ['src/test-storage.ts'],
    links: [...TS_LINKS, 'better-sqlite3', '@types/better-sqlite3'],
    kindTitle: 'database plugin',
    language: 'TypeScript',
    layout:
      '`src/index.ts` serves the plugin, `src/plugin.ts` declares it, and `src/users-database.ts` creates, changes and drops users. The example database is the `users` table of a SQLite file, so the project tests offline: replace it with your database\'s client and statements.',
    unitTests: TS_UNIT_TESTS,
    acceptance: 'starts a real Coffer dev server, registers the built plugin by SHA-256 under `sys/plugins/catalog/database/`, mounts the database engine and creates, renews and revokes a user over HTTP.',
  },
  'seal-ts': {
    folders: ['common-ts', 'seal-ts'],
    omit: ['src/test-storage.ts', 'src/test-server.ts'],
    links: TS_LINKS,
    kindTitle: 'seal',
    language: 'TypeScript',
    layout:
      '`src/index.ts` serves the plugin, `src/plugin.ts` declares it with the settings a `seal` stanza may give, `src/seal.ts` encrypts with AES-256-GCM, and `src/key-source.ts` reads the key from a file: call your KMS there.',
    unitTests: TS_UNIT_TESTS,
    acceptance: 'starts a real Coffer server whose `seal` stanza names the built plugin, initializes it with recovery keys, restarts it and checks that it unseals itself.',
  },
  'auth-python': {
    folders: ['auth-python'],
    omit: [],
    links: TS_LINKS,
    kindTitle: 'auth method',
    language: 'Python',
    layout: [
      "`plugin.py` speaks the plugin protocol with Debian's `python3-grpcio` (install `python3-grpcio python3-grpc-tools python3-cryptography`).",
      "It imports the protocol's Python modules, generated from the SDK's `.proto` files. `npm test` and `coffer plugin certify` generate their own copy.",
      'To run the unit tests by hand or the plugin in your own server, generate them once into `stubs/`:',
      '',
      '```sh',
      'mkdir -p stubs',
      '/usr/bin/python3 -m grpc_tools.protoc -Inode_modules/@coffer/sdk/proto \\',
      '  -I/usr/lib/python3/dist-packages/grpc_tools/_proto \\',
      '  --python_out=stubs --grpc_python_out=stubs node_modules/@coffer/sdk/proto/*.proto',
      'PYTHONPATH=stubs /usr/bin/python3 -m unittest -v test_plugin',
      '```',
      '',
      'The second `-I` folder is where Debian installs the `google/protobuf` files the protocol imports.',
    ].join('\n'),
    unitTests: 'The unit tests in `test_plugin.py` call `plugin.py` directly with `unittest`, and `src/unit.test.ts` generates the protocol modules and runs every `test_*.py`.',
    acceptance: 'generates the protocol modules, starts a real Coffer dev server, registers a launcher by SHA-256, enables the method and logs in over HTTP.',
  },
};

/** Options of {@link scaffoldPlugin}. */
export interface ScaffoldOptions {
  name: string;
  kind: string;
  language: string;
  /** Project folder; must not exist or be empty. */
  output: string;
  vendor: string;
}

/** Raised for a request the scaffold cannot serve; the CLI prints it and exits with 1. */
export class ScaffoldError extends Error {}

const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

function templateFor(kind: string, language: string): TemplateSpec {
  const spec = TEMPLATES[`${kind}-${language}`];
  if (spec === undefined) {
    const available = Object.keys(TEMPLATES).join(', ');
    throw new ScaffoldError(`no template for kind "${kind}" in language "${language}": available are ${available}`);
  }
  return spec;
}

async function listTemplateFiles(root: string, dir: string = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listTemplateFiles(root, path)));
    else files.push(relative(root, path));
  }
  return files;
}

/** Writes the project and returns the paths it wrote, relative to the output folder. */
export async function scaffoldPlugin(options: ScaffoldOptions): Promise<string[]> {
  if (!NAME_PATTERN.test(options.name)) throw new ScaffoldError(`invalid plugin name "${options.name}": use lowercase letters, digits and dashes, starting with a letter`);
  // NOTE: the catalog's HCL parser returns `${` and `%{` inconsistently after
  // escaping, so a vendor name may not contain them.
  if (options.vendor.trim() === '' || /[\u0000-\u001f\u007f]|[$%]\{/.test(options.vendor)) {
    throw new ScaffoldError(`invalid -vendor ${JSON.stringify(options.vendor)}: give the vendor's name on one line, without "\${" or "%{"`);
  }
  const spec = templateFor(options.kind, options.language);
  const output = resolve(options.output);
  if (existsSync(output) && !(await stat(output)).isDirectory()) throw new ScaffoldError(`output "${options.output}" is a file, not a folder: choose a new folder`);
  if (existsSync(output) && (await readdir(output)).length > 0) throw new ScaffoldError(`output folder "${options.output}" is not empty: choose a new folder`);

  const replacements = replacementsFor(options, spec);
  const files = new Map<string, string>();
  for (const folder of spec.folders) {
    const root = join(TEMPLATES_DIRECTORY, folder);
    for (const file of await listTemplateFiles(root)) files.set(file, join(root, file));
  }
  files.set('README.md', join(TEMPLATES_DIRECTORY, 'README.md'));
  for (const omitted of spec.omit) files.delete(omitted);

  const written: string[] = [];
  for (const [file, source] of [...files].sort()) {
    // npm drops files named .gitignore from packages, so templates ship it as gitignore.
    const target = join(output, file === 'gitignore' ? '.gitignore' : file);
    await mkdir(dirname(target), { recursive: true });
    let text = await readFile(source, 'utf8');
    for (const [placeholder, value] of Object.entries(replacements)) text = text.replaceAll(placeholder, value);
    await writeFile(target, text, { mode: (await stat(source)).mode & 0o777 });
    written.push(relative(output, target));
  }
  await linkPackages(output, spec.links);
  return written;
}

/**
 * Describes how `coffer plugin certify` starts a plugin of `kind` and which
 * logs its bundle holds. Seals and storage backends run as configuration
 * stanzas, not under a certify server with an audit device.
 */
function certifyRunFor(kind: string): { start: string; logs: string } {
  if (kind === 'seal') {
    return { start: "starts the plugin the way a `seal` stanza with `plugin_sha256` would, and servers that use it,", logs: 'the log of those servers' };
  }
  if (kind === 'storage') {
    return { start: "starts the plugin the way a `storage` stanza with `plugin_sha256` would,", logs: 'the suite output' };
  }
  return { start: 'starts a fresh Coffer server with a file audit device, registers the plugin by SHA-256,', logs: 'the server and audit logs' };
}

function replacementsFor(options: ScaffoldOptions, spec: TemplateSpec): Record<string, string> {
  const certifyRun = certifyRunFor(options.kind);
  return {
    __NAME__: options.name,
    __VENDOR__: hclStringContent(options.vendor),
    __KIND_TITLE__: spec.kindTitle,
    __KIND__: options.kind,
    __LANGUAGE__: spec.language,
    __DESCRIPTION__: `A Coffer ${spec.kindTitle}`,
    __ENTRY__: 'dist/index.js',
    __SDK_DEPENDENCY__: `file:${kitPackageDirectory('@coffer/sdk')}`,
    __SERVER_DEPENDENCY__: `file:${kitPackageDirectory('@coffer/server')}`,
    __CERTIFY_DEPENDENCY__: `file:${kitPackageDirectory('@coffer/certify')}`,
    __SQLITE_DEPENDENCY__: `file:${kitPackageDirectory('better-sqlite3')}`,
    __SQLITE_TYPES_DEPENDENCY__: `file:${kitPackageDirectory('@types/better-sqlite3')}`,
    __PYTHON_NOTE__: options.language === 'python' ? "'s wire protocol (the SDK's .proto files)" : '',
    __LAYOUT__: spec.layout,
    __UNIT_TESTS__: spec.unitTests,
    __ACCEPTANCE__: spec.acceptance,
    __CERTIFY_START__: certifyRun.start,
    __CERTIFY_LOGS__: certifyRun.logs,
    __LINKS__: spec.links.map((name) => `\`${name}\``).join(', '),
  };
}

/** Escapes the backslashes and quotes of text for the inside of an HCL quoted string. */
function hclStringContent(text: string): string {
  return text.replace(/[\\"]/g, (char) => `\\${char}`);
}

/**
 * Links each package from the kit's node_modules into the project's, and
 * `tsc` into node_modules/.bin, so `npm run build` works with no install.
 */
async function linkPackages(output: string, packages: string[]): Promise<void> {
  const source = kitNodeModules();
  for (const name of packages) {
    const target = join(output, 'node_modules', name);
    await mkdir(dirname(target), { recursive: true });
    await symlink(kitPackageDirectory(name), target, 'dir');
  }
  const bin = join(output, 'node_modules', '.bin');
  await mkdir(bin, { recursive: true });
  await symlink(join(source, 'typescript', 'bin', 'tsc'), join(bin, 'tsc'));
}
