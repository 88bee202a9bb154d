/**
 * The values of a dynamic role's LDIF templates, as Vault's ldap engine
 * names them: `{{.Username}}`, `{{.Password}}`, `{{.DisplayName}}`,
 * `{{.RoleName}}`, `{{.IssueTime}}`, `{{.IssueTimeSeconds}}`,
 * `{{.ExpirationTime}}` and `{{.ExpirationTimeSeconds}}`.
 * NOTE: Vault renders the LDIF with Go's text/template, so functions and
 * pipelines work there; here an action may hold only one of these fields.
 */

/** The values of one lease, as the templates read them. */
export interface LdifTemplateValues {
  Username: string;
  Password: string;
  DisplayName: string;
  RoleName: string;
  /** RFC 3339 time of issue, in UTC. */
  IssueTime: string;
  IssueTimeSeconds: string;
  /** RFC 3339 time at which the lease's TTL runs out, in UTC. */
  ExpirationTime: string;
  ExpirationTimeSeconds: string;
}

const FIELDS = new Set(['Username', 'Password', 'DisplayName', 'RoleName', 'IssueTime', 'IssueTimeSeconds', 'ExpirationTime', 'ExpirationTimeSeconds']);

/** A template with an action it cannot render. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * Renders `template`, replacing each `{{ .Field }}` action with its value.
 * @throws TemplateError for an unknown field, an unsupported action, or a
 *   value with a line break, which would add lines to the LDIF.
 */
export function renderLdifTemplate(template: string, values: LdifTemplateValues): string {
  let output = '';
  let position = 0;
  for (;;) {
    const start = template.indexOf('{{', position);
    if (start < 0) break;
    const end = template.indexOf('}}', start + 2);
    if (end < 0) throw new TemplateError(`unclosed action at line ${lineOf(template, start)}`);
    const action = template.slice(start + 2, end).trim();
    const match = /^\.([A-Za-z]+)$/.exec(action);
    if (match === null || !FIELDS.has(match[1])) {
      throw new TemplateError(`unsupported action "{{${template.slice(start + 2, end)}}}" at line ${lineOf(template, start)}; use one of ${[...FIELDS].map((field) => `{{.${field}}}`).join(', ')}`);
    }
    const value = values[match[1] as keyof LdifTemplateValues];
    if (/[\r\n]/.test(value)) throw new TemplateError(`the value of .${match[1]} contains a line break`);
    output += template.slice(position, start) + value;
    position = end + 2;
  }
  return output + template.slice(position);
}

/** Builds the template values of a lease issued at `issued` with a TTL of `ttl` seconds. */
export function templateValues(base: { username: string; password: string; displayName: string; roleName: string }, issued: Date, ttl: number): LdifTemplateValues {
  const expires = new Date(issued.getTime() + ttl * 1000);
  return {
    Username: base.username,
    Password: base.password,
    DisplayName: base.displayName,
    RoleName: base.roleName,
    IssueTime: rfc3339(issued),
    IssueTimeSeconds: String(Math.floor(issued.getTime() / 1000)),
    ExpirationTime: rfc3339(expires),
    ExpirationTimeSeconds: String(Math.floor(expires.getTime() / 1000)),
  };
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}
