/**
 * A secrets engine served as an external plugin for the password policy
 * tests: `password` requests a password from the host, through the system
 * view, from the policy named in the request.
 */
import { Backend, definePath, SDK_VERSION, serve, type SecretsPlugin } from '@coffer/sdk';

const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'coffer-test-passwords',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    return new Backend({
      backendType: 'logical',
      help: 'Generates passwords from the host\'s password policies, for the password policy tests.',
      paths: [
        definePath({
          pattern: 'password',
          fields: { policy: { type: 'string', description: 'Name of the password policy.' } },
          operations: {
            async update(_request, fields) {
              const generate = config.system.generatePasswordFromPolicy;
              if (generate === undefined) throw new Error('the system view has no generatePasswordFromPolicy');
              return { data: { password: await generate.call(config.system, fields.get('policy')) } };
            },
          },
          helpSynopsis: 'Generate a password from a host password policy.',
          helpDescription: 'Calls the system view over the plugin connection and returns the password it gets.',
        }),
      ],
    });
  },
};

await serve(plugin);
