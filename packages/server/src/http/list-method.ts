/**
 * Support for Vault's `LIST` HTTP method.
 *
 * Node's HTTP parser (llhttp) rejects request methods it does not know, and
 * `LIST` is one of them, yet every Vault client lists with it. So once a
 * connection has sent `LIST` (see list-adoption.ts), its inbound bytes pass
 * through a small HTTP/1.1 framing tracker that renames `LIST` to `PROPFIND`
 * at the start of each request, and the handler treats `PROPFIND` as a list. The tracker follows request
 * boundaries (Content-Length and chunked bodies) so bytes inside a body are
 * never rewritten.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** The stand-in method that `LIST` becomes before Node parses the request. */
export const LIST_STAND_IN = 'PROPFIND';

const LIST_PREFIX = Buffer.from('LIST ');
const STAND_IN_PREFIX = Buffer.from(`${LIST_STAND_IN} `);
const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** Past this many header bytes tracking stops; Node's parser rejects such requests anyway. */
const MAX_TRACKED_HEADER_BYTES = 64 * 1024;

type State =
  | { kind: 'start' }
  | { kind: 'headers'; seen: Buffer[]; seenBytes: number }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size'; line: Buffer[] }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'trailers'; seen: Buffer[] }
  | { kind: 'passthrough' };

/** Rewrites the method of each request in a stream of HTTP/1.1 request bytes. */
export class ListMethodRewriter {
  private state: State = { kind: 'start' };
  private pending: Buffer = Buffer.alloc(0);

  /** Returns the bytes to hand to the HTTP parser for `chunk`. */
  process(chunk: Buffer): Buffer {
    let input = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    const output: Buffer[] = [];

    while (input.length > 0) {
      const consumed = this.step(input, output);
      if (consumed === 0) {
        this.pending = input;
        break;
      }
      input = input.subarray(consumed);
    }
    return output.length === 1 ? output[0] : Buffer.concat(output);
  }

  /** Handles bytes at the current state; returns how many it consumed, 0 to wait for more. */
  private step(input: Buffer, output: Buffer[]): number {
    const state = this.state;
    switch (state.kind) {
      case 'passthrough':
        output.push(input);
        return input.length;
      case 'start':
        return this.stepStart(input, output);
      case 'headers':
        return this.stepHeaders(state, input, output);
      case 'body': {
        const take = Math.min(state.remaining, input.length);
        output.push(input.subarray(0, take));
        state.remaining -= take;
        if (state.remaining === 0) this.state = { kind: 'start' };
        return take;
      }
      case 'chunk-size':
        return this.stepChunkSize(state, input, output);
      case 'chunk-data': {
        const take = Math.min(state.remaining, input.length);
        output.push(input.subarray(0, take));
        state.remaining -= take;
        if (state.remaining === 0) this.state = { kind: 'chunk-size', line: [] };
        return take;
      }
      case 'trailers':
        return this.stepTrailers(state, input, output);
    }
  }

  private stepStart(input: Buffer, output: Buffer[]): number {
    // Empty lines between requests are allowed (RFC 9112, section 2.2).
    if (input[0] === 0x0d || input[0] === 0x0a) {
      output.push(input.subarray(0, 1));
      return 1;
    }
    const compared = Math.min(input.length, LIST_PREFIX.length);
    const couldBeList = input.subarray(0, compared).equals(LIST_PREFIX.subarray(0, compared));
    if (couldBeList && input.length < LIST_PREFIX.length) return 0;

    this.state = { kind: 'headers', seen: [], seenBytes: 0 };
    if (couldBeList) {
      output.push(STAND_IN_PREFIX);
      return LIST_PREFIX.length;
    }
    return this.stepHeaders(this.state, input, output);
  }

  private stepHeaders(state: Extract<State, { kind: 'headers' }>, input: Buffer, output: Buffer[]): number {
    // Search from a few bytes back, in case the terminator spans two chunks.
    const overlap = lastBytes(state.seen, HEADER_END.length - 1);
    const window = overlap.length > 0 ? Buffer.concat([overlap, input]) : input;
    const found = window.indexOf(HEADER_END);

    if (found === -1) {
      state.seen.push(input);
      state.seenBytes += input.length;
      output.push(input);
      if (state.seenBytes > MAX_TRACKED_HEADER_BYTES) this.state = { kind: 'passthrough' };
      return input.length;
    }

    const end = found + HEADER_END.length - overlap.length;
    const head = input.subarray(0, end);
    output.push(head);
    state.seen.push(head);
    this.state = nextAfterHeaders(Buffer.concat(state.seen).toString('latin1'));
    return end;
  }

  private stepChunkSize(state: Extract<State, { kind: 'chunk-size' }>, input: Buffer, output: Buffer[]): number {
    // Search for LF alone, since the CRLF may arrive split across two chunks.
    const found = input.indexOf(0x0a);
    if (found === -1) {
      state.line.push(input);
      output.push(input);
      return input.length;
    }
    const end = found + 1;
    output.push(input.subarray(0, end));
    state.line.push(input.subarray(0, found));
    const line = Buffer.concat(state.line).toString('latin1').replace(/\r$/, '');
    const size = Number.parseInt(line.split(';')[0].trim(), 16);
    if (Number.isNaN(size)) {
      // Malformed framing: let Node's parser report it.
      this.state = { kind: 'passthrough' };
    } else if (size === 0) {
      this.state = { kind: 'trailers', seen: [CRLF] };
    } else {
      // The chunk's data is followed by CRLF, which belongs to the chunk.
      this.state = { kind: 'chunk-data', remaining: size + CRLF.length };
    }
    return end;
  }

  private stepTrailers(state: Extract<State, { kind: 'trailers' }>, input: Buffer, output: Buffer[]): number {
    // The last chunk's CRLF is in `seen`, so an immediate CRLF ends the message.
    const seen = Buffer.concat([...state.seen, input]);
    const found = seen.indexOf(HEADER_END);
    if (found === -1) {
      state.seen = [seen.subarray(Math.max(0, seen.length - 3))];
      output.push(input);
      return input.length;
    }
    const end = found + HEADER_END.length - (seen.length - input.length);
    output.push(input.subarray(0, end));
    this.state = { kind: 'start' };
    return end;
  }
}

/** Returns the last `count` bytes of a list of buffers. */
function lastBytes(buffers: Buffer[], count: number): Buffer {
  const tail: Buffer[] = [];
  let collected = 0;
  for (let index = buffers.length - 1; index >= 0 && collected < count; index -= 1) {
    const piece = buffers[index].subarray(Math.max(0, buffers[index].length - (count - collected)));
    tail.unshift(piece);
    collected += piece.length;
  }
  return Buffer.concat(tail);
}

function nextAfterHeaders(head: string): State {
  const lines = head.split('\r\n');
  let contentLength = 0;
  let chunked = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === 'content-length') contentLength = Number(value);
    else if (name === 'transfer-encoding' && value.includes('chunked')) chunked = true;
    else if (name === 'upgrade') return { kind: 'passthrough' };
  }
  if (chunked) return { kind: 'chunk-size', line: [] };
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) return { kind: 'passthrough' };
  return contentLength > 0 ? { kind: 'body', remaining: contentLength } : { kind: 'start' };
}

/**
 * Wraps a socket in a duplex stream whose inbound bytes pass through a
 * `ListMethodRewriter`; hand the result to `http.Server#emit('connection')`.
 * `head` contains bytes already read from the socket, which the stream
 * delivers first.
 */
export function rewriteListMethod(socket: Socket, head?: Buffer): Duplex {
  const rewriter = new ListMethodRewriter();
  const wrapper = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, encoding, callback) {
      // Node's HTTP server ends a response with an empty write; skipping it
      // saves a system call per response.
      if (chunk.length === 0) {
        callback();
        return;
      }
      socket.write(chunk, encoding, callback);
    },
    writev(chunks, callback) {
      // Headers and body arrive together here, so they leave in one system call.
      socket.cork();
      let last: Buffer | undefined;
      for (const { chunk } of chunks) {
        if ((chunk as Buffer).length > 0) last = chunk as Buffer;
      }
      for (const { chunk } of chunks) {
        const buffer = chunk as Buffer;
        if (buffer.length === 0) continue;
        if (buffer === last) socket.write(buffer, callback);
        else socket.write(buffer);
      }
      if (last === undefined) callback();
      socket.uncork();
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });

  if (head !== undefined && head.length > 0) wrapper.push(rewriter.process(head));
  socket.on('data', (chunk: Buffer) => {
    if (!wrapper.push(rewriter.process(chunk))) socket.pause();
  });
  socket.on('end', () => wrapper.push(null));
  socket.on('error', (err) => wrapper.destroy(err));
  socket.on('close', () => wrapper.destroy());

  // The HTTP server reads these from the connection it is given.
  Object.assign(wrapper, {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    encrypted: (socket as Socket & { encrypted?: boolean }).encrypted,
    setTimeout: (ms: number, callback?: () => void) => {
      socket.setTimeout(ms, callback);
      return wrapper;
    },
    setNoDelay: (noDelay?: boolean) => socket.setNoDelay(noDelay),
    setKeepAlive: (enable?: boolean, delay?: number) => socket.setKeepAlive(enable, delay),
    getPeerCertificate: (detailed?: boolean) =>
      (socket as Socket & { getPeerCertificate?: (detailed?: boolean) => unknown }).getPeerCertificate?.(detailed),
  });
  socket.on('timeout', () => wrapper.emit('timeout'));
  return wrapper;
}
