/**
 * A small secrets engine served as an external plugin, for the plugin tests:
 * notes kept in the mount's storage, plus paths that report the process,
 * the mount and identity entities, fail, or take their time.
 */
import { Backend, definePath, nameSegment, notFound, SDK_VERSION, serve, type SecretsPlugin } from '@coffer/sdk';

const plugin: SecretsPlugin = {
  kind: 'secrets',
  name: 'coffer-test-secrets',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    config.logger.info({ options: Object.keys(config.options) }, 'test secrets backend created');
    return new Backend({
      backendType: 'logical',
      help: 'Stores notes, for the external plugin tests.',
      paths: [
        definePath({
          pattern: `notes/${nameSegment('name')}`,
          fields: {
            name: { type: 'string', description: 'Name of the note.', required: true },
            text: { type: 'string', description: 'Text of the note.' },
          },
          existenceCheck: async (request, fields) => (await request.storage.get(`notes/${fields.get('name')}`)) !== null,
          operations: {
            async create(request, fields) {
              await request.storage.put({ key: `notes/${fields.get('name')}`, value: Buffer.from(fields.get('text')) });
              return null;
            },
            async update(request, fields) {
              await request.storage.put({ key: `notes/${fields.get('name')}`, value: Buffer.from(fields.get('text')) });
              return null;
            },
            async read(request, fields) {
              const entry = await request.storage.get(`notes/${fields.get('name')}`);
              if (entry === null) throw notFound(`no note "${fields.get('name')}"`);
              return { data: { text: entry.value.toString('utf8') } };
            },
            async delete(request, fields) {
              await request.storage.delete(`notes/${fields.get('name')}`);
              return null;
            },
          },
          helpSynopsis: 'Write, read or delete a note.',
          helpDescription: 'Keeps the text of a note in the mount storage.',
        }),
        definePath({
          pattern: 'notes/?',
          fields: {},
          operations: {
            async list(request) {
              return { data: { keys: await request.storage.list('notes/') } };
            },
          },
          helpSynopsis: 'List the notes.',
          helpDescription: 'Returns the names of the stored notes.',
        }),
        definePath({
          pattern: 'info',
          fields: {},
          operations: {
            async read(request) {
              config.logger.info({ path: request.path }, 'info requested');
              return {
                data: {
                  pid: process.pid,
                  mount_point: config.mountPoint,
                  request_mount_point: request.mountPoint,
                  options: config.options,
                  default_lease_ttl: config.system.defaultLeaseTtl(),
                  max_lease_ttl: config.system.maxLeaseTtl(),
                  has_token: request.clientToken !== '',
                  headers: request.headers,
                  env_marker: process.env.TEST_PLUGIN_MARKER ?? '',
                },
              };
            },
          },
          helpSynopsis: 'Report the plugin process and mount.',
          helpDescription: 'Returns the process ID, mount point, options and lease TTLs the plugin sees.',
        }),
        definePath({
          pattern: 'identity',
          fields: { entity_id: { type: 'string', description: 'Entity to look up; the caller\'s entity when empty.' } },
          operations: {
            async read(request, fields) {
              const entityId = fields.get('entity_id') || (request.entityId ?? '');
              const entity = await config.system.entityInfo?.(entityId);
              const groups = await config.system.groupsForEntity?.(entityId);
              return { data: { entity_id: entityId, entity: entity ?? null, groups: groups ?? null } };
            },
          },
          helpSynopsis: 'Look up an identity entity and its groups.',
          helpDescription: 'Returns what the system view reports for the entity, for the tests of EntityInfo and GroupsForEntity.',
        }),
        definePath({
          pattern: 'slow',
          fields: { ms: { type: 'int', description: 'Milliseconds to wait.', default: 5000 } },
          operations: {
            async read(_request, fields) {
              await new Promise((resolve) => setTimeout(resolve, fields.get('ms')));
              return { data: { waited: fields.get('ms') } };
            },
          },
          helpSynopsis: 'Answer after a delay.',
          helpDescription: 'Waits before answering, so a test can act while a request is in flight.',
        }),
        definePath({
          pattern: 'broken',
          fields: {},
          operations: {
            async read() {
              throw new Error('the broken path always fails');
            },
          },
          helpSynopsis: 'Fail with an internal error.',
          helpDescription: 'Throws a plain error, which the server reports as an internal error.',
        }),
      ],
    });
  },
};

await serve(plugin);
