/**
 * A secrets engine served as an external plugin whose Initialize fails
 * while the file named by the mount option "fail_while" exists, for the
 * tests of mounts that cannot start at unseal. The failure is an API error
 * unless the file contains "internal".
 */
import { readFile } from 'node:fs/promises';
import { Backend, badRequest, definePath, SDK_VERSION, serve, type SecretsPlugin } from '@coffer/sdk';

/** Returns the text of the file at `path`, or undefined when there is none. */
async function readMarker(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'coffer-test-startup',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    const marker = config.options.fail_while ?? '';
    return new Backend({
      backendType: 'logical',
      help: 'Fails to initialize on demand, for the mount manager tests.',
      initialize: async () => {
        const text = marker === '' ? undefined : await readMarker(marker);
        if (text === undefined) return;
        // A marker containing "internal" simulates a plugin bug: a plain error, not an API error.
        if (text === 'internal') throw new Error(`the key store at ${marker} is corrupt`);
        throw badRequest(`the key store is locked while ${marker} exists`);
      },
      paths: [
        definePath({
          pattern: 'status',
          fields: {},
          operations: {
            async read() {
              return { data: { started: true } };
            },
          },
          helpSynopsis: 'Report that the mount started.',
          helpDescription: 'Answers only once Initialize succeeded.',
        }),
      ],
    });
  },
};

await serve(plugin);
