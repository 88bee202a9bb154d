// Reading the mount tables that `sys/mounts`, `sys/auth` and `sys/audit`
// return, for the `secrets`, `auth` and `audit` list commands.
import type { UI } from '../io.js';
import { structuredText, table } from '../output.js';

/** One mount of a `sys/mounts` or `sys/auth` listing, with the fields the list commands print. */
export interface MountEntry {
  type?: string;
  accessor?: string;
  description?: string;
  uuid?: string;
  local?: boolean;
  seal_wrap?: boolean;
  external_entropy_access?: boolean;
  options?: Record<string, string> | null;
  plugin_version?: string;
  running_plugin_version?: string;
  running_sha256?: string;
  deprecation_status?: string;
  config?: { default_lease_ttl?: number; max_lease_ttl?: number; force_no_cache?: boolean; token_type?: string };
}

/**
 * Extracts the mount table from a listing body, which has it under `data`
 * and, for old clients, at the top level too. Only entries with a `type` are
 * kept, so the envelope fields at the top level are skipped.
 */
export function mountTable<Entry = MountEntry>(body: unknown): Record<string, Entry> {
  const source = (body as { data?: unknown } | undefined)?.data ?? body;
  const mounts: Record<string, Entry> = {};
  for (const [path, entry] of Object.entries((source ?? {}) as Record<string, unknown>)) {
    if (entry !== null && typeof entry === 'object' && 'type' in entry) mounts[path] = entry as Entry;
  }
  return mounts;
}

/** Formats a TTL for the `-detailed` tables as seconds, as "system" for the server default, or blank for the server's own mounts. */
export function leaseColumn(type: string | undefined, ttl: number | undefined): string {
  if (type === 'system' || type === 'cubbyhole') return '';
  return ttl ? String(ttl) : 'system';
}

/**
 * Prints a mount listing as `secrets list` and `auth list` do. JSON output
 * is the whole table. The table has the summary columns, unless `detailed`
 * supplies its own header and rows. Returns the exit code.
 */
export function printMounts(
  ui: UI,
  mounts: Record<string, MountEntry>,
  detailed: { header: string[]; row(path: string, mount: MountEntry): string[] } | undefined,
): number {
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, mounts));
    return 0;
  }
  const paths = Object.keys(mounts).sort();
  if (detailed !== undefined) {
    ui.output(table(detailed.header, paths.map((path) => detailed.row(path, mounts[path]))));
    return 0;
  }
  const rows = paths.map((path) => [path, mounts[path].type ?? '', mounts[path].accessor ?? '', mounts[path].description ?? '']);
  ui.output(table(['Path', 'Type', 'Accessor', 'Description'], rows));
  return 0;
}
