/** Location of a configuration problem, as precise as the loader can make it. */
export interface ConfigErrorLocation {
  /** The config file, as given on the command line or joined to its directory. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** The setting at fault, dotted for nested ones, e.g. `listener.tls_cert_file`. */
  setting?: string;
}

/**
 * A configuration file that cannot be used: malformed, of the wrong type, or
 * naming a setting Coffer does not know. Start-up stops with its message,
 * which reads `FILE:LINE,COLUMN: DETAIL` (or `FILE: DETAIL` when the line is
 * unknown), the position format HCL itself uses.
 */
export class ConfigError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly setting?: string;
  /** The message without the file and position prefix. */
  readonly detail: string;

  constructor(detail: string, location: ConfigErrorLocation) {
    super(formatMessage(detail, location));
    this.name = 'ConfigError';
    this.detail = detail;
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.setting = location.setting;
  }
}

function formatMessage(detail: string, location: ConfigErrorLocation): string {
  if (location.file === '') return detail;
  if (location.line === undefined) return `${location.file}: ${detail}`;
  const column = location.column === undefined ? '' : `,${location.column}`;
  return `${location.file}:${location.line}${column}: ${detail}`;
}
