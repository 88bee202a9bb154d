/**
 * Locations of the kit's own files: the templates the CLI package ships and
 * the folders of the Coffer packages a generated project links to.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of templates, packages/cli/templates. */
export const TEMPLATES_DIRECTORY = fileURLToPath(new URL('../../templates/', import.meta.url));

/**
 * Returns the `node_modules` folder that contains the kit's packages, found by
 * walking up from the CLI package. In this repository that is the root's.
 * @throws Error when no such folder exists.
 */
export function kitNodeModules(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'node_modules');
    if (existsSync(join(candidate, '@coffer', 'sdk'))) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error('cannot find node_modules/@coffer/sdk above the coffer CLI; install Coffer with npm first');
    directory = parent;
  }
}

/** Returns the real folder of an installed package such as `@coffer/sdk`. */
export function kitPackageDirectory(name: string): string {
  return realpathSync(join(kitNodeModules(), name));
}
