// `coffer audit enable`, `disable` and `list`: managing audit devices
// through sys/audit.
import type { Command } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import { structuredText, table } from '../output.js';
import { ensureTrailingSlash, sanitizePath } from '../paths.js';
import { parseData } from './logical.js';
import { mountTable } from './mount-table.js';

/** One device of a `sys/audit` listing. */
interface AuditEntry {
  type?: string;
  path?: string;
  description?: string;
  local?: boolean;
  options?: Record<string, string> | null;
}

export const auditEnableCommand: Command = {
  name: 'audit enable',
  synopsis: 'Enable an audit device',
  help: `
Usage: coffer audit enable [options] TYPE [CONFIG K=V...]

  Enables an audit device of the given type, "file", "socket" or "syslog",
  at a path. The path defaults to the type. The device's options follow the
  type as key=value pairs, read as "coffer write" reads them.

      $ coffer audit enable file file_path=/var/log/coffer/audit.log
      $ coffer audit enable -path=net socket address=127.0.0.1:9090`,
  flags: [
    ...httpFlags,
    { name: 'description', kind: 'string', usage: 'Human-readable description of the audit device.' },
    { name: 'path', kind: 'string', usage: 'Path of the audit device, unique among audit devices. The default is the type.' },
    { name: 'local', kind: 'bool', usage: 'Keep the audit device local to this cluster, out of replication.' },
  ],
  async run({ ui, args, flags, io, client }) {
    if (args.length < 1) {
      throw new UsageError('Error enabling audit device: the audit type is missing; use "file", "socket" or "syslog"');
    }
    const auditType = args[0].trim();
    const devicePath = ensureTrailingSlash(sanitizePath(flags.string('path') || auditType));
    const options = await parseData(args.slice(1), io.stdin);
    const body = { type: auditType, description: flags.string('description'), options, local: flags.bool('local') };

    const api = await client();
    try {
      await api.request('PUT', `sys/audit/${devicePath}`, { body });
    } catch (error) {
      return reportApiError(ui, 'Error enabling audit device', error);
    }
    ui.output(`Success! Enabled the ${auditType} audit device at: ${devicePath}`);
    return 0;
  },
};

export const auditDisableCommand: Command = {
  name: 'audit disable',
  synopsis: 'Disable an audit device',
  help: `
Usage: coffer audit disable [options] PATH

  Disables the audit device at the given path. What it already wrote stays
  where it is.

      $ coffer audit disable file/`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const devicePath = ensureTrailingSlash(sanitizePath(args[0]));
    const api = await client();
    try {
      await api.request('DELETE', `sys/audit/${devicePath}`);
    } catch (error) {
      return reportApiError(ui, 'Error disabling audit device', error);
    }
    ui.output(`Success! Disabled audit device (if it was enabled) at: ${devicePath}`);
    return 0;
  },
};

/** Formats device options as sorted `key=value` words. */
function optionsColumn(options: Record<string, string> | null | undefined): string {
  return Object.keys(options ?? {})
    .sort()
    .map((key) => `${key}=${options?.[key] ?? ''}`)
    .join(' ');
}

export const auditListCommand: Command = {
  name: 'audit list',
  synopsis: 'List enabled audit devices',
  help: `
Usage: coffer audit list [options]

  Lists the enabled audit devices with their paths, types and descriptions.
  With -detailed, it also prints replication and the device options, which
  may contain sensitive values. The table format exits 2 when no device is
  enabled.

      $ coffer audit list
      $ coffer audit list -detailed`,
  flags: [
    ...httpFlags,
    formatFlag,
    { name: 'detailed', kind: 'bool', usage: 'Print the replication and options of each audit device. Applies to the table format only.' },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0);
    const api = await client();
    let devices: Record<string, AuditEntry>;
    try {
      devices = mountTable<AuditEntry>((await api.request('GET', 'sys/audit')).body);
    } catch (error) {
      return reportApiError(ui, 'Error listing audits', error);
    }

    if (ui.format !== 'table') {
      ui.output(structuredText(ui, devices));
      return 0;
    }
    const paths = Object.keys(devices).sort();
    if (paths.length === 0) {
      ui.output('No audit devices are enabled.');
      return 2;
    }
    if (flags.bool('detailed')) {
      const rows = paths.map((path) => {
        const device = devices[path];
        return [device.path ?? path, device.type ?? '', device.description ?? '', device.local ? 'local' : 'replicated', optionsColumn(device.options)];
      });
      ui.output(table(['Path', 'Type', 'Description', 'Replication', 'Options'], rows));
      return 0;
    }
    const rows = paths.map((path) => [devices[path].path ?? path, devices[path].type ?? '', devices[path].description ?? '']);
    ui.output(table(['Path', 'Type', 'Description'], rows));
    return 0;
  },
};

export const auditCommands: Command[] = [auditEnableCommand, auditDisableCommand, auditListCommand];
