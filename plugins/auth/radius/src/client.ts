/**
 * One RADIUS Access-Request exchange over UDP, as Vault's radius method
 * makes it: the request is sent once, without retransmission, and the
 * client waits up to the read timeout for a response that passes
 * verification. Responses that fail verification are discarded and the
 * wait goes on, so a forged or misdirected packet cannot end a login. When
 * the time runs out, the login fails (fail closed).
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { timerDelay, type Logger } from '@coffer/sdk';
import { encodeAccessRequest, verifyResponse, type ParsedPacket } from './packet.js';

export interface ExchangeOptions {
  host: string;
  port: number;
  secret: string;
  username: string;
  password: string;
  nasPort: number;
  nasIdentifier: string;
  /** Seconds to resolve the host and connect the UDP socket. */
  dialTimeout: number;
  /** Seconds to wait for a verified response, counted from the start of the exchange. */
  readTimeout: number;
}

/** A failure to get a verified response; never a rejection by the server. */
export class ExchangeError extends Error {}

/**
 * Sends an Access-Request and returns the first verified response.
 * @throws ExchangeError when the host cannot be resolved or reached in
 *   time, or no verified response arrives within the read timeout.
 */
export async function exchange(options: ExchangeOptions, logger: Logger): Promise<ParsedPacket> {
  const deadline = Date.now() + options.readTimeout * 1000;
  const target = `${options.host}:${options.port}`;
  const address = await withTimeout(resolve(options.host), Math.min(options.dialTimeout, options.readTimeout) * 1000, () => new ExchangeError(`timed out resolving RADIUS server host "${options.host}" after the dial_timeout of ${options.dialTimeout}s`));

  const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  try {
    await withTimeout(connect(socket, address, options.port), Math.min(options.dialTimeout * 1000, deadline - Date.now()), () => new ExchangeError(`timed out connecting to RADIUS server ${target} after the dial_timeout of ${options.dialTimeout}s`));

    const secret = Buffer.from(options.secret, 'utf8');
    const identifier = randomBytes(1)[0];
    const authenticator = randomBytes(16);
    const request = encodeAccessRequest(
      { identifier, authenticator, username: options.username, password: options.password, nasPort: options.nasPort, nasIdentifier: options.nasIdentifier },
      secret,
    );

    return await new Promise<ParsedPacket>((resolvePacket, reject) => {
      let discarded = 0;
      const timer = setTimeout(() => {
        const detail = discarded > 0 ? `; ${discarded} response(s) failed verification, check that "secret" matches the server's shared secret` : '';
        reject(new ExchangeError(`no valid response from RADIUS server ${target} within the read_timeout of ${options.readTimeout}s${detail}`));
      }, timerDelay(deadline - Date.now()));
      socket.on('message', (message) => {
        const verified = verifyResponse(message, identifier, authenticator, secret);
        if ('problem' in verified) {
          discarded += 1;
          // Only the first is logged, so that a flood of forged packets cannot flood the log. The count goes in the error.
          if (discarded === 1) logger.warn({ server: target, problem: verified.problem }, 'discarded radius response');
          return;
        }
        clearTimeout(timer);
        if (discarded > 1) logger.warn({ server: target, discarded }, 'discarded radius responses before a verified one');
        resolvePacket(verified.packet);
      });
      socket.on('error', (err) => {
        // An ICMP port unreachable shows as ECONNREFUSED on a connected socket. Vault's
        // client keeps waiting for the read timeout, and so does this one, but it logs why.
        logger.warn({ server: target, err: { code: (err as NodeJS.ErrnoException).code, message: err.message } }, 'radius socket error');
      });
      socket.send(request, (err) => {
        if (err === null || err === undefined) return;
        clearTimeout(timer);
        reject(new ExchangeError(`failed to send the request to RADIUS server ${target}: ${err.message}`));
      });
    });
  } finally {
    socket.close();
  }
}

async function resolve(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new ExchangeError(`failed to resolve RADIUS server host "${host}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function connect(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolveConnect, reject) => {
    const onError = (err: Error): void => reject(new ExchangeError(`failed to connect to RADIUS server ${address}:${port}: ${err.message}`));
    socket.once('error', onError);
    socket.connect(port, address, () => {
      socket.removeListener('error', onError);
      resolveConnect();
    });
  });
}


function withTimeout<T>(promise: Promise<T>, milliseconds: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), timerDelay(milliseconds));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
