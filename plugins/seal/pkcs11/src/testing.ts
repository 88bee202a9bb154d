/**
 * SoftHSM2 tokens for tests: each call makes a private token folder and
 * config file, so test runs never share or keep tokens. Only tests import
 * this module (as `@coffer/seal-pkcs11/testing`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Path of the PKCS#11 library that Debian's softhsm2 package installs. */
export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsm {
  /** The config file that SOFTHSM2_CONF points at while this SoftHsm is open. */
  configPath: string;
  /**
   * Initializes a token in the first free slot and returns its slot ID. A
   * library that is already initialized finds the token only after it is
   * finalized and initialized again.
   */
  initToken(label: string, pin: string): Promise<bigint>;
  /** Restores SOFTHSM2_CONF and deletes the tokens. */
  close(): Promise<void>;
}

/**
 * Makes a private SoftHSM2 setup and points SOFTHSM2_CONF at it. The library
 * reads that variable when it is initialized, which happens in this process,
 * so the variable is set here rather than passed to a child.
 */
export async function openSoftHsm(): Promise<SoftHsm> {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-softhsm-'));
  const configPath = join(directory, 'softhsm2.conf');
  await writeFile(configPath, `directories.tokendir = ${directory}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = configPath;

  return {
    configPath,
    async initToken(label, pin) {
      const { stdout } = await run(
        'softhsm2-util',
        ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`],
        { env: { ...process.env, SOFTHSM2_CONF: configPath } },
      );
      const match = /reassigned to slot (\d+)/.exec(stdout);
      if (match === null) throw new Error(`softhsm2-util printed no slot: ${stdout}`);
      return BigInt(match[1]);
    },
    async close() {
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
