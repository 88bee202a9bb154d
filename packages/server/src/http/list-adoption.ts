/**
 * Serving `LIST` without slowing every other request.
 *
 * Node's HTTP server reads a plain socket in native code, which is much
 * faster than feeding it through a JavaScript stream, but its parser rejects
 * the `LIST` method. So connections start on the native path, and the first
 * `LIST` on a connection raises a parse error (`HPE_INVALID_METHOD`). The
 * `clientError` handler below then detaches the socket from its failed
 * parser and hands it to the HTTP server again through the
 * `ListMethodRewriter` stream, replaying the rejected request's bytes first.
 * From then on that connection stays on the rewriter.
 *
 * This relies on the Node.js 20 HTTP server's socket wiring: the listeners it
 * adds to an accepted socket and the `parser` it attaches. A test in
 * list-adoption.test.ts drives LIST after other requests, split at every
 * byte of the method, and pipelined behind another request.
 */
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { rewriteListMethod } from './list-method.js';

/** The fields Node's parser adds to a client error. */
interface ParseError extends Error {
  code?: string;
  bytesParsed?: number;
  rawPacket?: Buffer;
}

/** The internals of an accepted socket that adoption touches. */
interface HttpSocket extends Socket {
  parser?: { _consumed?: boolean; unconsume(): void; remove?(): void; close?(): void } | null;
  _httpMessage?: (NodeJS.EventEmitter & { headersSent?: boolean }) | null;
  _handle?: { reading?: boolean; readStart(): void } | null;
}

const LIST_METHOD = Buffer.from('LIST ');
/** llhttp stops at the `S` of `LIST`: `LI` is still a prefix of `LINK`. */
const LIST_BYTES_BEFORE_ERROR = 2;

/** Responses Node's own server sends for client errors, kept when a handler replaces it. */
const CLIENT_ERROR_RESPONSES: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST_RESPONSE = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** Socket events the HTTP server listens to; adoption removes exactly its listeners. */
const SERVER_SOCKET_EVENTS = ['data', 'end', 'timeout', 'resume', 'pause', 'close', 'drain', 'error'] as const;
type ServerSocketEvent = (typeof SERVER_SOCKET_EVENTS)[number];
type ListenerSnapshot = Map<ServerSocketEvent, Function[]>;

/**
 * Returns the function that hands accepted sockets to `http`, and installs
 * the `clientError` handler that adopts a connection at its first `LIST`.
 * Call `http.close()` when done, to stop the timer that enforces the
 * server's request timeouts.
 */
export function createListAwareAcceptor(http: HttpServer): (socket: Socket) => void {
  const serverListeners = new WeakMap<Socket, ListenerSnapshot>();

  // Node 20 enforces `headersTimeout` and `requestTimeout` from a timer that
  // the HTTP server starts on its own 'listening' event. This server never
  // listens, so start the timer here, or a client that sends its headers a
  // byte at a time keeps a connection open for good. `http.close()` stops it.
  http.emit('listening');

  http.on('clientError', (err: ParseError, socket: HttpSocket) => {
    const listRequest = err.code === 'HPE_INVALID_METHOD' ? rejectedListRequest(err) : undefined;
    const added = serverListeners.get(socket);
    if (listRequest === undefined || added === undefined) {
      answerClientError(err, socket);
      return;
    }
    serverListeners.delete(socket);
    adopt(http, socket, listRequest, added);
  });

  return (socket: Socket) => {
    const before = snapshotListeners(socket);
    http.emit('connection', socket);
    const added: ListenerSnapshot = new Map();
    for (const event of SERVER_SOCKET_EVENTS) {
      added.set(event, socket.listeners(event).filter((listener) => !before.get(event)!.includes(listener)));
    }
    serverListeners.set(socket, added);
  };
}

function snapshotListeners(socket: Socket): ListenerSnapshot {
  return new Map(SERVER_SOCKET_EVENTS.map((event) => [event, socket.listeners(event)]));
}

function removeListeners(socket: Socket, added: ListenerSnapshot, events: readonly ServerSocketEvent[]): void {
  for (const event of events) {
    for (const listener of added.get(event) ?? []) socket.removeListener(event, listener as (...args: unknown[]) => void);
  }
}

/**
 * Returns the rejected request's bytes from its first byte on, or undefined
 * when the method was not `LIST`. The parser may have consumed the start of
 * `LIST` from an earlier chunk, so that part is put back.
 */
function rejectedListRequest(err: ParseError): Buffer | undefined {
  const packet = err.rawPacket;
  const errorOffset = err.bytesParsed;
  if (packet === undefined || errorOffset === undefined) return undefined;

  const start = errorOffset - LIST_BYTES_BEFORE_ERROR;
  const request =
    start >= 0 ? packet.subarray(start) : Buffer.concat([LIST_METHOD.subarray(0, -start), packet.subarray(0)]);
  // The chunk may end inside the method; the rest arrives on the socket.
  const compared = Math.min(request.length, LIST_METHOD.length);
  if (!request.subarray(0, compared).equals(LIST_METHOD.subarray(0, compared))) return undefined;
  return request;
}

function answerClientError(err: ParseError, socket: HttpSocket): void {
  const inFlight = socket._httpMessage;
  if (socket.writable && (inFlight == null || inFlight.headersSent !== true)) {
    socket.write(CLIENT_ERROR_RESPONSES[err.code ?? ''] ?? BAD_REQUEST_RESPONSE);
  }
  socket.destroy(err);
}

/**
 * Moves `socket` from its failed parser to a rewriter stream. Responses
 * still being written for earlier pipelined requests finish first, on the
 * old wiring, and the adopted connection starts once the socket is idle.
 */
function adopt(http: HttpServer, socket: HttpSocket, listRequest: Buffer, added: ListenerSnapshot): void {
  // Stop the failed parser from seeing more bytes: later input waits in the
  // socket until the rewriter reads it. The server's pause listener would
  // stop the handle's reads, and nothing would start them again, so it goes
  // before the pause.
  removeListeners(socket, added, ['data', 'end', 'timeout', 'resume', 'pause']);
  const parser = socket.parser;
  if (parser != null) {
    if (parser._consumed === true) parser.unconsume();
    parser._consumed = false;
  }
  socket.pause();

  whenIdle(socket, () => {
    if (socket.destroyed) return;
    // The server's remaining listeners serve the old parser's responses.
    removeListeners(socket, added, ['close', 'drain', 'error']);
    socket.setTimeout(0);
    // The server stops the handle's reads for backpressure on the native
    // path; the stream path expects them running.
    const handle = socket._handle;
    if (handle != null && handle.reading === false) {
      handle.reading = true;
      handle.readStart();
    }
    if (parser != null) {
      parser.remove?.();
      socket.parser = null;
      setImmediate(() => parser.close?.());
    }
    http.emit('connection', rewriteListMethod(socket, listRequest));
  });
}

/** Calls `ready` once, when no response is being written on `socket`. */
function whenIdle(socket: HttpSocket, ready: () => void): void {
  const inFlight = socket._httpMessage;
  if (inFlight == null) {
    ready();
    return;
  }
  // Node's own finish handler runs first and assigns the next queued
  // response, if any, so check again.
  let settled = false;
  const next = (): void => {
    if (settled) return;
    settled = true;
    setImmediate(() => whenIdle(socket, ready));
  };
  inFlight.once('finish', next);
  inFlight.once('close', next);
}
