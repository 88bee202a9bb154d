/**
 * The audit device conformance suite: the device records every request and
 * response, keeps secrets out of its output, uses the HMACs that
 * sys/audit-hash computes, rejects options it does not declare, and a device
 * that cannot write stops requests.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SkipCheck, skippableByDescription, type Check } from '../check.js';
import { describeBody, type CofferHttp } from '../http.js';

/**
 * How to exercise one audit device, from the `certify { audit { ... } }`
 * block of its integration.hcl. In option values and `log_file`, `{{dir}}`
 * stands for an empty scratch folder of the run.
 */
export interface AuditDescription {
  /** Options that enable a working device. */
  options: Record<string, string>;
  /** File where the device, enabled with `options`, writes one JSON entry per line. */
  log_file: string;
  /** Options under which the device enables but every write fails, e.g. a path of /dev/full. */
  failing_options?: Record<string, string>;
  skip?: Record<string, string>;
}

/** A server of its own for one check, closed by the check. */
export interface IsolatedServer {
  http: CofferHttp;
  close(): Promise<void>;
}

/** Context of every audit check. */
export interface AuditContext {
  http: CofferHttp;
  /** The device type to enable: a built-in name or the catalog name of the plugin. */
  type: string;
  /** The path the suite enables the device at, without slashes. */
  path: string;
  description: AuditDescription;
  /** The scratch folder that replaces `{{dir}}`. */
  dir: string;
  /**
   * Starts a fresh server where the device type is available and no other
   * device is enabled. Without it the failing-device check is skipped,
   * because on a shared server another device would record the requests.
   */
  startIsolatedServer?: () => Promise<IsolatedServer>;
  /** Filled as the checks run. */
  state: { secret?: string; requestIds?: string[] };
}

/** Replaces `{{dir}}` in every option value. */
export function expandOptions(options: Record<string, string>, dir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([name, value]) => [name, value.replaceAll('{{dir}}', dir)]));
}

/** Reads the device's log as parsed entries; a line that is not JSON fails the check. */
async function readEntries(context: AuditContext): Promise<{ text: string; entries: any[] }> {
  const file = context.description.log_file.replaceAll('{{dir}}', context.dir);
  const text = await readFile(file, 'utf8');
  const entries = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`line ${index + 1} of ${file} is not JSON`);
      }
    });
  return { text, entries };
}

/** An option name no device declares, sent to check that unknown options are rejected. */
const UNKNOWN_OPTION = 'certify_unknown_option';

const unknownOptionCheck: Check<AuditContext> = {
  id: 'unknown-option',
  title: 'an enable request with an unknown option fails with 400 naming it, and enables nothing',
  required: true,
  async run(context) {
    const path = `${context.path}-unknown-option`;
    const options = { ...expandOptions(context.description.options, context.dir), [UNKNOWN_OPTION]: 'x' };
    const enabled = await context.http.call('PUT', `sys/audit/${path}`, { type: context.type, options });
    if (enabled.status === 200 || enabled.status === 204) {
      // Disabled again, so that this device's entries do not mix into the log the later checks read.
      await context.http.call('DELETE', `sys/audit/${path}`);
    }
    if (enabled.status !== 400) throw new Error(`enabling with the option "${UNKNOWN_OPTION}" returned ${enabled.status}, expected 400: ${describeBody(enabled.body)}`);
    const errors: unknown = (enabled.body as { errors?: unknown } | undefined)?.errors;
    if (!Array.isArray(errors) || !errors.some((error) => typeof error === 'string' && error.includes(UNKNOWN_OPTION))) {
      throw new Error(`the 400 for the option "${UNKNOWN_OPTION}" does not name it: ${describeBody(enabled.body)}`);
    }

    const listed = await context.http.expect([200], 'GET', 'sys/audit');
    if ((listed?.data ?? listed)?.[`${path}/`] !== undefined) throw new Error(`"${path}/" is listed although its enable request failed`);
  },
};

const enableCheck: Check<AuditContext> = {
  id: 'enable',
  title: 'the device enables with its options and is listed in sys/audit',
  required: true,
  async run(context) {
    const options = expandOptions(context.description.options, context.dir);
    await context.http.expect([204, 200], 'PUT', `sys/audit/${context.path}`, { type: context.type, options });
    const listed = await context.http.expect([200], 'GET', 'sys/audit');
    const device = listed?.data?.[`${context.path}/`] ?? listed?.[`${context.path}/`];
    if (device?.type !== context.type) throw new Error(`sys/audit does not list "${context.path}/" with type "${context.type}": ${describeBody(listed)}`);
  },
};

const recordedCheck: Check<AuditContext> = {
  id: 'request-and-response',
  title: 'every request and its response are recorded, matched by request ID',
  required: true,
  async run(context) {
    const secret = randomBytes(18).toString('base64url');
    context.state.secret = secret;
    const ids: string[] = [];
    const write = await context.http.call('PUT', `cubbyhole/certify-${context.path}`, { secret });
    if (write.status !== 204 && write.status !== 200) throw new Error(`a cubbyhole write returned ${write.status}: ${describeBody(write.body)}`);
    const read = await context.http.expect([200], 'GET', `cubbyhole/certify-${context.path}`);
    ids.push(read.request_id);
    const mounts = await context.http.expect([200], 'GET', 'sys/mounts');
    ids.push(mounts.request_id);
    context.state.requestIds = ids;

    const { entries } = await readEntries(context);
    for (const id of ids) {
      const kinds = entries.filter((entry) => entry?.request?.id === id).map((entry) => entry.type);
      if (!kinds.includes('request')) throw new Error(`no request entry for request ${id}`);
      if (!kinds.includes('response')) throw new Error(`no response entry for request ${id}`);
    }
    const writeEntries = entries.filter((entry) => entry?.request?.path === `cubbyhole/certify-${context.path}` && entry?.request?.operation !== 'read');
    if (writeEntries.length < 2) throw new Error(`the cubbyhole write has ${writeEntries.length} entries, expected a request and a response`);
  },
};

const noClearSecretCheck: Check<AuditContext> = {
  id: 'no-clear-secret',
  title: 'no secret value or token appears in clear in the device output',
  required: true,
  async run(context) {
    const secret = context.state.secret;
    if (secret === undefined) throw new Error('no secret to look for: the request-and-response check failed');
    const { text } = await readEntries(context);
    if (text.includes(secret)) throw new Error('the secret value written to cubbyhole appears in clear in the device output');
    if (text.includes(context.http.token)) throw new Error('the client token appears in clear in the device output');
  },
};

const hmacCheck: Check<AuditContext> = {
  id: 'hmac-matches-audit-hash',
  title: 'the HMAC in the entry equals sys/audit-hash of the value',
  required: true,
  async run(context) {
    const secret = context.state.secret;
    if (secret === undefined) throw new Error('no secret to hash: the request-and-response check failed');
    const hashed = await context.http.expect([200], 'PUT', `sys/audit-hash/${context.path}`, { input: secret });
    const expected: unknown = hashed?.data?.hash ?? hashed?.hash;
    if (typeof expected !== 'string' || !expected.startsWith('hmac-sha256:')) throw new Error(`sys/audit-hash returned no hash: ${describeBody(hashed)}`);

    const { entries } = await readEntries(context);
    const request = entries.find((entry) => entry.type === 'request' && entry?.request?.path === `cubbyhole/certify-${context.path}` && entry?.request?.data?.secret !== undefined);
    if (request === undefined) throw new Error('no request entry carries the written field "secret"');
    if (request.request.data.secret !== expected) {
      throw new Error(`the entry has "${request.request.data.secret}" for the field "secret", but sys/audit-hash returned "${expected}"`);
    }
  },
};

const failingCheck: Check<AuditContext> = {
  id: 'failing-device-fails-requests',
  title: 'when the only device cannot write, requests fail with 500',
  required: true,
  async run(context) {
    const failing = context.description.failing_options;
    if (failing === undefined) throw new SkipCheck('the description sets no failing_options');
    if (context.startIsolatedServer === undefined) throw new SkipCheck('the runner offers no isolated server, and another device would record the requests');
    const isolated = await context.startIsolatedServer();
    try {
      const options = expandOptions(failing, context.dir);
      const enabled = await isolated.http.call('PUT', `sys/audit/${context.path}`, { type: context.type, options });
      if (![200, 204, 500].includes(enabled.status)) throw new Error(`enabling the device with failing_options returned ${enabled.status}: ${describeBody(enabled.body)}`);
      const write = await isolated.http.call('PUT', 'cubbyhole/certify-failing', { secret: 'x' });
      if (write.status !== 500) throw new Error(`a request returned ${write.status} while the only device failed to write, expected 500`);
    } finally {
      await isolated.close();
    }
  },
};

const disableCheck: Check<AuditContext> = {
  id: 'disable',
  title: 'the device disables and leaves sys/audit',
  required: true,
  async run(context) {
    await context.http.expect([204, 200], 'DELETE', `sys/audit/${context.path}`);
    const listed = await context.http.expect([200], 'GET', 'sys/audit');
    if ((listed?.data ?? listed)?.[`${context.path}/`] !== undefined) throw new Error(`"${context.path}/" is still listed after it was disabled`);
  },
};


/** The audit device checks, in order. */
export const auditChecks: readonly Check<AuditContext>[] = [unknownOptionCheck, enableCheck, recordedCheck, noClearSecretCheck, hmacCheck, failingCheck, disableCheck].map(skippableByDescription);
