/**
 * A small client of the RabbitMQ management HTTP API (the
 * `rabbitmq_management` plugin), covering the calls the engine makes:
 * listing users, creating and deleting a user, and setting its vhost and
 * topic permissions. Requests use HTTP basic authentication with the
 * administrator from `config/connection`.
 *
 * Every error message is scrubbed of the administrator's password and of
 * any password passed to the call, so it can be returned to a client.
 */
import { scrubSecrets } from '@coffer/sdk';

/** How long one management API request may take, in milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;

/** The administrator account and API address of `config/connection`. */
export interface ManagementSettings {
  /** Base URL of the management API, e.g. `http://127.0.0.1:15672`. */
  connectionUri: string;
  username: string;
  password: string;
}

/** The permissions of a user in one vhost: regular expressions over resource names. */
export interface VhostPermission {
  configure: string;
  write: string;
  read: string;
}

/** The topic permissions of a user on one exchange: regular expressions over routing keys. */
export interface TopicPermission {
  write: string;
  read: string;
}

/** A management API request that failed; the message names the call and RabbitMQ's reason. */
export class ManagementError extends Error {
  constructor(
    message: string,
    /** The HTTP status RabbitMQ returned; 0 when no response arrived. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'ManagementError';
  }
}

export class ManagementClient {
  private readonly authorization: string;

  constructor(private readonly settings: ManagementSettings) {
    this.authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`;
  }

  /** Lists the names of all users; needs the `administrator` tag, so it also proves the account is one. */
  async listUsers(): Promise<string[]> {
    const users = await this.call('GET', '/api/users', 'list users');
    if (!Array.isArray(users)) throw new ManagementError('failed to list users: the RabbitMQ management API returned a body that is not a list of users', 200);
    return users.map((user: { name: string }) => user.name);
  }

  /** Returns whether a user of that name exists. */
  async userExists(username: string): Promise<boolean> {
    try {
      await this.call('GET', `/api/users/${encodeURIComponent(username)}`, `read user "${username}"`);
      return true;
    } catch (err) {
      if (err instanceof ManagementError && err.status === 404) return false;
      throw err;
    }
  }

  /** Creates a user, or overwrites one of the same name, with a password and tags. */
  async putUser(username: string, password: string, tags: string[]): Promise<void> {
    await this.call('PUT', `/api/users/${encodeURIComponent(username)}`, `create user "${username}"`, { password, tags: tags.join(',') }, [password]);
  }

  /**
   * Deletes a user, which also closes its connections and drops its
   * permissions. Returns false when no such user existed.
   */
  async deleteUser(username: string): Promise<boolean> {
    try {
      await this.call('DELETE', `/api/users/${encodeURIComponent(username)}`, `delete user "${username}"`);
      return true;
    } catch (err) {
      if (err instanceof ManagementError && err.status === 404) return false;
      throw err;
    }
  }

  async setPermissions(vhost: string, username: string, permission: VhostPermission): Promise<void> {
    const path = `/api/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(username)}`;
    await this.call('PUT', path, `set permissions of user "${username}" in vhost "${vhost}"`, permission);
  }

  async setTopicPermissions(vhost: string, username: string, exchange: string, permission: TopicPermission): Promise<void> {
    const path = `/api/topic-permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(username)}`;
    await this.call('PUT', path, `set topic permissions of user "${username}" on exchange "${exchange}" in vhost "${vhost}"`, { exchange, ...permission });
  }

  /**
   * Sends one request and returns the parsed JSON body, or null for an
   * empty one.
   * @throws ManagementError naming `action` and RabbitMQ's status and reason.
   */
  private async call(method: string, path: string, action: string, body?: unknown, secrets: string[] = []): Promise<unknown> {
    const scrub = (message: string) => scrubSecrets(message, [this.settings.password, ...secrets]);
    // Appending keeps a path prefix of the URI, e.g. a reverse proxy's /rabbitmq/.
    const url = new URL(this.settings.connectionUri.replace(/\/*$/, '') + path);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: this.authorization, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (err) {
      throw new ManagementError(scrub(`failed to ${action}: cannot reach the RabbitMQ management API at ${this.settings.connectionUri}: ${describeFetchError(err)}`), 0);
    }

    const text = await response.text();
    if (!response.ok) {
      throw new ManagementError(scrub(`failed to ${action}: RabbitMQ returned ${response.status} ${response.statusText}${reasonOf(text)}`), response.status);
    }
    if (text === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new ManagementError(`failed to ${action}: the RabbitMQ management API returned a body that is not JSON`, response.status);
    }
  }
}

/** Returns RabbitMQ's `reason` from an error body as `: <reason>`, or an empty string. */
function reasonOf(text: string): string {
  try {
    const { reason } = JSON.parse(text) as { reason?: unknown };
    if (reason === undefined || reason === null || reason === '') return '';
    return `: ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`;
  } catch {
    return '';
  }
}

/** Returns the useful part of a fetch failure, whose own message is only "fetch failed". */
function describeFetchError(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return `timed out after ${REQUEST_TIMEOUT_MS / 1000} s`;
  return error.cause?.message ?? error.message;
}
