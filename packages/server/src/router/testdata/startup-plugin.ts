/**
 * A secrets engine served as an external plugin whose Initialize fails,
 * with an API error, while the file named by the mount option "fail_while"
 * exists, for the tests of mounts that cannot start at unseal.
 */
import { access } from 'node:fs/promises';
import { Backend, badRequest, definePath, SDK_VERSION, serve, type SecretsPlugin } from '@coffer/sdk';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
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
        if (marker !== '' && (await exists(marker))) throw badRequest(`the key store is locked while ${marker} exists`);
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
