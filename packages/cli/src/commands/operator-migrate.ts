// `coffer operator migrate`: the offline copy of a whole storage from one
// backend to another, with the config file shape and flag of Vault's
// `vault operator migrate`.
import { ConfigError, loadMigrationConfig, migrateStorage } from '@coffer/server';
import type { Command } from '../command.js';
import { expectArguments } from '../command.js';
import { UsageError } from '../flags.js';

export const operatorMigrateCommand: Command = {
  name: 'operator migrate',
  synopsis: 'Migrate the storage to another backend, offline',
  help: `
Usage: coffer operator migrate [options]

  Copies every entry, still encrypted, from the storage_source stanza's
  storage to the storage_destination stanza's, which must not hold an
  initialized Coffer storage yet. Stop every server that uses either storage
  first: a write made during the copy could be missed. The copied storage
  unseals with the same unseal keys.

      storage_source "sqlite" {
        path = "/var/lib/coffer/coffer.db"
      }
      storage_destination "postgresql" {
        connection_url = "postgres://coffer:secret@db:5432/coffer"
      }

      $ coffer operator migrate -config=migrate.hcl`,
  flags: [
    {
      name: 'config',
      kind: 'string',
      usage: 'Path to the migration config file (HCL or JSON) with a storage_source and a storage_destination stanza. Required.',
    },
  ],
  async run({ ui, args, flags }) {
    expectArguments(args, 0);
    const file = flags.string('config');
    if (file === '') throw new UsageError('missing required flag -config: pass the migration config file, e.g. -config=migrate.hcl');

    try {
      const config = await loadMigrationConfig(file);
      const result = await migrateStorage(config);
      ui.output(`Success! Copied ${result.copied} entries from "${config.source.type}" to "${config.destination.type}".`);
      return 0;
    } catch (error) {
      const reason = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
      ui.error(`Error migrating the storage: ${reason}`);
      return 1;
    }
  },
};
