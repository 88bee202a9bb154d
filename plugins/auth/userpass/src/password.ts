/**
 * Password hashing with argon2id from `@node-rs/argon2`, a Rust build that
 * ships prebuilt as npm packages (no install script, works offline). Its
 * `hash` and `verify` run on libuv's thread pool, so hashing does not block
 * the event loop; password.test.ts checks that a timer keeps firing meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** Hashes and checks passwords. The backend takes one, so tests can count the calls. */
export interface PasswordHasher {
  /** Returns a PHC string (`$argon2id$v=19$m=...`) with its own random salt. */
  hash(password: string): Promise<string>;
  /** Returns true when `password` matches `passwordHash`; the library compares in constant time. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * Returns the hash of a random password that is never stored or returned.
   * A login for an unknown user checks against it, so it takes as long as a
   * wrong password.
   */
  dummyHash(): Promise<string>;
}

/**
 * The library's defaults as of 2.2 (19 MiB of memory, 2 passes, 1 lane),
 * pinned so that an upgrade cannot weaken new hashes unnoticed. Each stored
 * hash records its own parameters, so older hashes still verify after a change.
 */
const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function createArgon2Hasher(): PasswordHasher {
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, ARGON2_OPTIONS),
    verify: (passwordHash, password) => verify(passwordHash, password),
    dummyHash() {
      dummy ??= hash(randomBytes(32).toString('base64'), ARGON2_OPTIONS);
      return dummy;
    },
  };
}
