import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListMethodRewriter } from './list-method.js';

/** Feeds `input` to a fresh rewriter in pieces of `size` bytes. */
function rewrite(input: string, size = input.length): string {
  const rewriter = new ListMethodRewriter();
  const bytes = Buffer.from(input, 'latin1');
  const out: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    out.push(rewriter.process(bytes.subarray(offset, offset + size)));
  }
  return Buffer.concat(out).toString('latin1');
}

const LIST = 'LIST /v1/secret/metadata/ HTTP/1.1\r\nHost: x\r\n\r\n';
const LISTED = 'PROPFIND /v1/secret/metadata/ HTTP/1.1\r\nHost: x\r\n\r\n';

test('rewriter renames a LIST request', () => {
  assert.equal(rewrite(LIST), LISTED);
});

test('rewriter leaves other methods alone', () => {
  const get = 'GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n';
  assert.equal(rewrite(get), get);
  const lis = 'LISTEN /x HTTP/1.1\r\n\r\n';
  assert.equal(rewrite(lis), lis);
});

test('rewriter handles pipelined requests split at every byte', () => {
  const body = 'LIST /inside/the/body';
  const put = `PUT /v1/kv/a HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const input = `${put}${LIST}${put}${LIST}`;
  const expected = `${put}${LISTED}${put}${LISTED}`;
  for (const size of [1, 2, 3, 5, 7, 64, input.length]) {
    assert.equal(rewrite(input, size), expected, `piece size ${size}`);
  }
});

test('rewriter skips chunked bodies', () => {
  const chunked = 'POST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nLIST \r\n3;ext=1\r\nabc\r\n0\r\n\r\n';
  const withTrailer = 'POST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nLIST \r\n0\r\nX-T: 1\r\n\r\n';
  for (const size of [1, 4, 1000]) {
    assert.equal(rewrite(chunked + LIST, size), chunked + LISTED, `piece size ${size}`);
    assert.equal(rewrite(withTrailer + LIST, size), withTrailer + LISTED, `trailer, piece size ${size}`);
  }
});

test('rewriter passes empty lines between requests', () => {
  assert.equal(rewrite(`\r\n${LIST}`), `\r\n${LISTED}`);
});
