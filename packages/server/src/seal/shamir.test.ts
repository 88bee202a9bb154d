import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { combine, gfDivide, gfInverse, gfMultiply, split } from './shamir.js';

/** Multiplies in GF(2^8) the slow, obvious way, as a reference for gfMultiply. */
function referenceMultiply(a: number, b: number): number {
  let product = 0;
  let shifted = a;
  for (let bit = 0; bit < 8; bit++) {
    if ((b >> bit) & 1) product ^= shifted;
    shifted <<= 1;
    if (shifted & 0x100) shifted ^= 0x11b;
  }
  return product;
}

/** Returns every subset of `items` with exactly `size` elements. */
function subsetsOfSize<T>(items: T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items;
  const withFirst = subsetsOfSize(rest, size - 1).map((subset) => [first, ...subset]);
  return [...withFirst, ...subsetsOfSize(rest, size)];
}

describe('GF(256) arithmetic', () => {
  test('multiply known answers in the AES field', () => {
    assert.equal(gfMultiply(0x53, 0xca), 0x01);
    assert.equal(gfMultiply(0x57, 0x83), 0xc1);
    assert.equal(gfMultiply(0x57, 0x13), 0xfe);
    assert.equal(gfMultiply(0x02, 0x80), 0x1b);
    assert.equal(gfMultiply(0x00, 0xff), 0x00);
    assert.equal(gfMultiply(0x01, 0xab), 0xab);
  });

  test('multiply matches reference for all pairs', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const expected = referenceMultiply(a, b);
        if (gfMultiply(a, b) !== expected) {
          assert.equal(gfMultiply(a, b), expected, `${a} * ${b}`);
        }
      }
    }
  });

  test('inverse of every non-zero element', () => {
    assert.equal(gfInverse(0x53), 0xca);
    for (let a = 1; a < 256; a++) {
      assert.equal(gfMultiply(a, gfInverse(a)), 1, `inverse of ${a}`);
    }
  });

  test('divide undoes multiply', () => {
    assert.equal(gfDivide(0x01, 0x53), 0xca);
    assert.equal(gfDivide(gfMultiply(0x57, 0x83), 0x83), 0x57);
  });
});

describe('split', () => {
  test('share format is secret length plus x', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 5, 3);

    assert.equal(shares.length, 5);
    const xCoordinates = shares.map((share) => share[share.length - 1]);
    for (const share of shares) assert.equal(share.length, 33);
    for (const x of xCoordinates) assert.notEqual(x, 0);
    assert.equal(new Set(xCoordinates).size, 5);
  });

  test('x coordinates are drawn at random', () => {
    const secret = Buffer.from('same secret');
    const layouts = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const shares = split(secret, 3, 2);
      layouts.add(shares.map((share) => share[share.length - 1]).join(','));
    }
    // Twenty draws of three coordinates from 255 all matching has odds far below 1e-40.
    assert.ok(layouts.size > 1, `every split used x coordinates ${[...layouts][0]}`);
  });

  test('shares do not contain the secret', () => {
    const secret = Buffer.alloc(64, 0x41);
    const shares = split(secret, 3, 2);
    for (const share of shares) {
      assert.notDeepEqual(share.subarray(0, 64), secret);
    }
  });

  test('255 parts use every non-zero x', () => {
    const shares = split(Buffer.from([7]), 255, 2);
    const xCoordinates = shares.map((share) => share[1]).sort((a, b) => a - b);
    assert.deepEqual(xCoordinates, Array.from({ length: 255 }, (_, index) => index + 1));
  });
});

describe('split and combine', () => {
  test('round trip for many sizes', () => {
    const cases: Array<[number, number, number]> = [
      [1, 2, 2],
      [1, 3, 2],
      [16, 5, 3],
      [32, 5, 3],
      [33, 10, 7],
      [64, 255, 2],
      [100, 20, 20],
      [1024, 4, 4],
    ];
    for (const [length, parts, threshold] of cases) {
      const secret = randomBytes(length);
      const shares = split(secret, parts, threshold);
      assert.deepEqual(combine(shares.slice(0, threshold)), secret, `${length} bytes, ${threshold} of ${parts}`);
      assert.deepEqual(combine(shares), secret, `${length} bytes, all ${parts} shares`);
    }
  });

  test('every threshold subset of 5-of-3 recovers', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 5, 3);
    const subsets = subsetsOfSize(shares, 3);

    assert.equal(subsets.length, 10);
    for (const subset of subsets) {
      assert.deepEqual(combine(subset), secret);
      assert.deepEqual(combine([...subset].reverse()), secret);
    }
  });

  test('every larger subset of 5-of-3 recovers', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 5, 3);
    for (const subset of [...subsetsOfSize(shares, 4), shares]) {
      assert.deepEqual(combine(subset), secret);
    }
  });

  test('fewer than threshold shares give another value', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 5, 3);
    // A 32-byte collision by chance has odds of 2^-256.
    for (const subset of subsetsOfSize(shares, 2)) {
      const recovered = combine(subset);
      assert.equal(recovered.length, 32);
      assert.notDeepEqual(recovered, secret);
    }
  });

  test('combine leaves shares unchanged', () => {
    const shares = split(Buffer.from('key material'), 3, 2);
    const copies = shares.map((share) => Buffer.from(share));
    combine(shares);
    assert.deepEqual(shares, copies);
  });
});

describe('split errors', () => {
  const secret = Buffer.from('secret');

  test('parts below threshold', () => {
    assert.throws(() => split(secret, 2, 3), {
      message: 'invalid parts 2: must be at least the threshold 3',
    });
  });

  test('threshold below 2', () => {
    assert.throws(() => split(secret, 3, 1), {
      message: 'invalid threshold 1: must be at least 2 (for a 1-of-1 split, use the secret itself as the share)',
    });
    assert.throws(() => split(secret, 1, 1), {
      message: 'invalid threshold 1: must be at least 2 (for a 1-of-1 split, use the secret itself as the share)',
    });
  });

  test('parts above 255', () => {
    assert.throws(() => split(secret, 256, 3), {
      message: 'invalid parts 256: must be at most 255, the number of non-zero x coordinates',
    });
  });

  test('empty secret', () => {
    assert.throws(() => split(Buffer.alloc(0), 3, 2), {
      message: 'cannot split an empty secret: the secret must be at least one byte',
    });
  });

  test('counts that are not whole numbers', () => {
    assert.throws(() => split(secret, 2.5, 2), {
      message: 'invalid parts 2.5: must be a whole number from 2 to 255',
    });
    assert.throws(() => split(secret, 3, Number.NaN), {
      message: 'invalid threshold NaN: must be a whole number from 2 to 255',
    });
  });
});

describe('combine errors', () => {
  const shares = split(Buffer.from('secret'), 3, 2);

  test('fewer than two shares', () => {
    assert.throws(() => combine([shares[0]]), {
      message: 'cannot combine 1 share(s): at least two shares are required',
    });
    assert.throws(() => combine([]), {
      message: 'cannot combine 0 share(s): at least two shares are required',
    });
  });

  test('shares of different lengths', () => {
    const longer = Buffer.concat([Buffer.from([0]), shares[1]]);
    assert.throws(() => combine([shares[0], longer]), {
      message:
        'invalid share 2: it is 8 bytes but share 1 is 7 bytes, and all shares of one split have the same length',
    });
  });

  test('duplicate x coordinates', () => {
    const x = shares[0][6];
    const sameX = Buffer.from(shares[1]);
    sameX[6] = x;
    assert.throws(() => combine([shares[0], sameX]), {
      message: `duplicate share: two shares have x coordinate ${x}, so remove the repeated share`,
    });
    assert.throws(() => combine([shares[0], shares[0]]), {
      message: `duplicate share: two shares have x coordinate ${x}, so remove the repeated share`,
    });
  });

  test('shares too short', () => {
    assert.throws(() => combine([Buffer.from([1]), Buffer.from([2])]), {
      message: 'invalid share of 1 byte(s): a share must be at least 2 bytes, one of secret and the x coordinate',
    });
    assert.throws(() => combine([Buffer.alloc(0), Buffer.alloc(0)]), {
      message: 'invalid share of 0 byte(s): a share must be at least 2 bytes, one of secret and the x coordinate',
    });
  });

  test('x coordinate zero', () => {
    const zeroX = Buffer.from(shares[1]);
    zeroX[6] = 0;
    assert.throws(() => combine([shares[0], zeroX]), {
      message: 'invalid share 2: its x coordinate is 0, which split never produces',
    });
  });
});
