/**
 * Messages for the local syslog socket in the BSD syslog format of RFC 3164,
 * as glibc's syslog(3) sends them: `<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE`,
 * with the timestamp in local time and no host name, which the daemon adds.
 */

/** Facility codes from RFC 3164 section 4.1.1, by the names Vault's syslog device accepts. */
export const FACILITIES: Readonly<Record<string, number>> = {
  KERN: 0,
  USER: 1,
  MAIL: 2,
  DAEMON: 3,
  AUTH: 4,
  SYSLOG: 5,
  LPR: 6,
  NEWS: 7,
  UUCP: 8,
  CRON: 9,
  AUTHPRIV: 10,
  FTP: 11,
  LOCAL0: 16,
  LOCAL1: 17,
  LOCAL2: 18,
  LOCAL3: 19,
  LOCAL4: 20,
  LOCAL5: 21,
  LOCAL6: 22,
  LOCAL7: 23,
};

/** Severity 6, informational, which Vault's syslog device also uses for every entry. */
export const SEVERITY_INFO = 6;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Formats one message; `body` must not contain the trailing newline. */
export function formatMessage(facility: number, tag: string, body: Buffer, now: Date, pid = process.pid): Buffer {
  const priority = facility * 8 + SEVERITY_INFO;
  const header = `<${priority}>${timestamp(now)} ${tag}[${pid}]: `;
  return Buffer.concat([Buffer.from(header), body]);
}

/** `Mmm dd hh:mm:ss` with the day padded by a space, as RFC 3164 section 4.1.2 requires. */
function timestamp(now: Date): string {
  const day = String(now.getDate()).padStart(2, ' ');
  const time = [now.getHours(), now.getMinutes(), now.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
  return `${MONTHS[now.getMonth()]} ${day} ${time}`;
}
