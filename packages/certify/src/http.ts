/**
 * A small HTTP client for the suites: every check talks to a running Coffer
 * server over its `/v1` API, exactly as an operator's client would.
 */

/** Status and parsed body of one response. */
export interface HttpResult {
  status: number;
  /** Parsed JSON, or `null` for an empty body. */
  body: any;
}

/** Options of one call. */
export interface CallOptions {
  /** Token to send; the client's token by default, `null` for none. */
  token?: string | null;
  /** Query parameters, e.g. `{ help: '1' }`. */
  query?: Record<string, string>;
}

/** Sends requests to one server with one default token. */
export class CofferHttp {
  constructor(
    /** Base URL such as `http://127.0.0.1:8200`, without `/v1`. */
    readonly address: string,
    /** Token sent unless a call names another; never logged. */
    readonly token: string,
  ) {}

  /** Sends one request to `/v1/<path>` and parses the JSON response. */
  async call(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers['X-Vault-Token'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const query = options.query === undefined ? '' : `?${new URLSearchParams(options.query).toString()}`;
    const response = await fetch(`${this.address}/v1/${path}${query}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { raw: text };
      }
    }
    return { status: response.status, body: parsed };
  }

  /** Sends a request that must succeed with one of `statuses`, and returns the body. */
  async expect(statuses: number[], method: string, path: string, body?: unknown, options?: CallOptions): Promise<any> {
    const result = await this.call(method, path, body, options);
    if (!statuses.includes(result.status)) {
      throw new Error(`${method} ${path} returned ${result.status}, expected ${statuses.join(' or ')}: ${describeBody(result.body)}`);
    }
    return result.body;
  }
}

/** Shortens a response body for a failure message. */
export function describeBody(body: unknown): string {
  const text = JSON.stringify(body);
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}
