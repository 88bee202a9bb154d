/**
 * Shamir's secret sharing over GF(2^8), in the share format Vault uses: each
 * share is as long as the secret plus one byte, and that last byte is the
 * share's x coordinate. Every byte of the secret is the constant term of its
 * own random polynomial of degree `threshold - 1`, and share i contains that
 * polynomial's value at x_i. Any `threshold` shares recover the secret by
 * Lagrange interpolation at x = 0.
 *
 * Side channels: the field arithmetic below uses no lookup tables and no
 * branches on secret values. Multiplication is a fixed eight-step shift and
 * XOR loop with masks, and inversion is a fixed chain of multiplications
 * (a^254). This removes the cache-timing leak of log/exp tables. JavaScript
 * gives no constant-time guarantee, though: the JIT may compile these
 * functions differently over time, and Buffer and Number operations are not
 * audited for timing. Treat this as a best effort. The x coordinates are
 * public, so code that branches on them leaks nothing.
 */
import { randomBytes, randomInt } from 'node:crypto';

/** The AES field's reduction polynomial x^8 + x^4 + x^3 + x + 1, without the x^8 bit. */
const AES_REDUCTION = 0x1b;

/** The largest number of shares: x coordinates are the non-zero bytes. */
export const MAX_PARTS = 255;

/** Adds two field elements: addition in GF(2^8) is XOR. */
export function gfAdd(a: number, b: number): number {
  return a ^ b;
}

/**
 * Multiplies two field elements in GF(2^8) modulo the AES polynomial.
 * Runs the same eight steps for every input, using masks instead of
 * branches.
 */
export function gfMultiply(a: number, b: number): number {
  let product = 0;
  for (let bit = 7; bit >= 0; bit--) {
    // Double the running product and reduce it when its top bit overflows.
    const overflowMask = -((product >> 7) & 1) & 0xff;
    product = ((product << 1) & 0xff) ^ (overflowMask & AES_REDUCTION);

    // Add `a` when this bit of `b` is set.
    const bitMask = -((b >> bit) & 1) & 0xff;
    product ^= a & bitMask;
  }
  return product;
}

/**
 * Inverts a field element as a^254, since a^255 = 1 for every non-zero a.
 * Returns 0 for 0, which has no inverse, so callers must not pass 0.
 */
export function gfInverse(a: number): number {
  // a^254 = a^(2+4+8+16+32+64+128): square seven times, multiplying the
  // squares from a^2 on into the result.
  let square = gfMultiply(a, a);
  let result = square;
  for (let step = 0; step < 6; step++) {
    square = gfMultiply(square, square);
    result = gfMultiply(result, square);
  }
  return result;
}

/** Divides a by b in GF(2^8). `b` must not be 0. */
export function gfDivide(a: number, b: number): number {
  return gfMultiply(a, gfInverse(b));
}

/**
 * Splits `secret` into `parts` shares, any `threshold` of which recover it.
 * @returns `parts` buffers, each `secret.length + 1` bytes long, whose last
 *   byte is a distinct non-zero x coordinate drawn at random.
 * @throws Error when `secret` is empty, `threshold` is below 2, `parts` is
 *   below `threshold` or above 255, or either count is not an integer. A
 *   1-of-1 split is the caller's to handle, by using the secret itself as the
 *   one share.
 */
export function split(secret: Buffer, parts: number, threshold: number): Buffer[] {
  checkSplitArguments(secret, parts, threshold);

  const xCoordinates = randomXCoordinates(parts);
  const shares = xCoordinates.map((x) => {
    const share = Buffer.alloc(secret.length + 1);
    share[secret.length] = x;
    return share;
  });

  // One polynomial per secret byte. Its constant term is the secret byte and
  // its other threshold - 1 coefficients are random.
  const coefficients = Buffer.alloc(threshold);
  for (let offset = 0; offset < secret.length; offset++) {
    coefficients[0] = secret[offset];
    randomBytes(threshold - 1).copy(coefficients, 1);
    for (let index = 0; index < parts; index++) {
      shares[index][offset] = evaluatePolynomial(coefficients, xCoordinates[index]);
    }
  }
  coefficients.fill(0);

  return shares;
}

/**
 * Recovers the secret from shares made by `split`. Given fewer shares than
 * the split's threshold, it returns a value unrelated to the secret: the
 * share format carries no threshold, so that case cannot be detected here.
 * @throws Error when fewer than two shares are given, a share is shorter than
 *   two bytes, the shares differ in length, two shares have the same x
 *   coordinate, or a share has x coordinate 0.
 */
export function combine(shares: Buffer[]): Buffer {
  const xCoordinates = checkShares(shares);
  const secretLength = shares[0].length - 1;
  const weights = lagrangeWeightsAtZero(xCoordinates);

  const secret = Buffer.alloc(secretLength);
  for (let offset = 0; offset < secretLength; offset++) {
    let value = 0;
    for (let index = 0; index < shares.length; index++) {
      value ^= gfMultiply(weights[index], shares[index][offset]);
    }
    secret[offset] = value;
  }
  return secret;
}

function checkSplitArguments(secret: Buffer, parts: number, threshold: number): void {
  if (secret.length === 0) {
    throw new Error('cannot split an empty secret: the secret must be at least one byte');
  }
  if (!Number.isInteger(parts)) {
    throw new Error(`invalid parts ${parts}: must be a whole number from 2 to ${MAX_PARTS}`);
  }
  if (!Number.isInteger(threshold)) {
    throw new Error(`invalid threshold ${threshold}: must be a whole number from 2 to ${MAX_PARTS}`);
  }
  if (threshold < 2) {
    throw new Error(
      `invalid threshold ${threshold}: must be at least 2 (for a 1-of-1 split, use the secret itself as the share)`,
    );
  }
  if (parts < threshold) {
    throw new Error(`invalid parts ${parts}: must be at least the threshold ${threshold}`);
  }
  if (parts > MAX_PARTS) {
    throw new Error(`invalid parts ${parts}: must be at most ${MAX_PARTS}, the number of non-zero x coordinates`);
  }
}

/** Draws `count` distinct x coordinates from 1..255 by a partial Fisher-Yates shuffle. */
function randomXCoordinates(count: number): number[] {
  const candidates = Array.from({ length: MAX_PARTS }, (_, index) => index + 1);
  for (let index = 0; index < count; index++) {
    const pick = randomInt(index, MAX_PARTS);
    [candidates[index], candidates[pick]] = [candidates[pick], candidates[index]];
  }
  return candidates.slice(0, count);
}

/** Evaluates the polynomial with the given coefficients (constant term first) at x by Horner's rule. */
function evaluatePolynomial(coefficients: Buffer, x: number): number {
  let value = 0;
  for (let degree = coefficients.length - 1; degree >= 0; degree--) {
    value = gfMultiply(value, x) ^ coefficients[degree];
  }
  return value;
}

/**
 * Computes each share's Lagrange basis polynomial at x = 0:
 * w_j = prod over m != j of x_m / (x_m - x_j). In GF(2^8) subtraction is XOR.
 */
function lagrangeWeightsAtZero(xCoordinates: number[]): number[] {
  return xCoordinates.map((xj, j) => {
    let weight = 1;
    xCoordinates.forEach((xm, m) => {
      if (m === j) return;
      weight = gfMultiply(weight, gfDivide(xm, xm ^ xj));
    });
    return weight;
  });
}

/** Checks the shares' shape and returns their x coordinates. */
function checkShares(shares: Buffer[]): number[] {
  if (shares.length < 2) {
    throw new Error(`cannot combine ${shares.length} share(s): at least two shares are required`);
  }

  const shareLength = shares[0].length;
  if (shareLength < 2) {
    throw new Error(
      `invalid share of ${shareLength} byte(s): a share must be at least 2 bytes, one of secret and the x coordinate`,
    );
  }

  const seen = new Set<number>();
  return shares.map((share, index) => {
    if (share.length !== shareLength) {
      throw new Error(
        `invalid share ${index + 1}: it is ${share.length} bytes but share 1 is ${shareLength} bytes, and all shares of one split have the same length`,
      );
    }
    const x = share[shareLength - 1];
    if (x === 0) {
      throw new Error(`invalid share ${index + 1}: its x coordinate is 0, which split never produces`);
    }
    if (seen.has(x)) {
      throw new Error(`duplicate share: two shares have x coordinate ${x}, so remove the repeated share`);
    }
    seen.add(x);
    return x;
  });
}
