/**
 * The calls to GitHub's REST API that a login needs: the token's user, the
 * user's organizations and teams (all pages), and an organization's ID.
 * Error messages follow the go-github client that Vault uses, such as
 * `GET https://api.github.com/user: 401 Bad credentials []`, so scripts
 * written against Vault see the same text.
 */

/** The API of github.com, used when the config's base_url is empty. */
export const DEFAULT_BASE_URL = 'https://api.github.com/';

/** GitHub's largest page, which Vault requests too. */
const PER_PAGE = 100;
/**
 * Pages read from one listing before giving up: 10,000 organizations or
 * teams, far more than one user has, but a bound on a server that keeps
 * sending a "next" link.
 */
const MAX_PAGES = 100;
/** Bodies of these calls are small JSON documents; 100 teams are about 150 KB. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

export interface GitHubUser {
  login: string;
  id: number;
}

export interface GitHubOrganization {
  login: string;
  id: number;
}

export interface GitHubTeam {
  name: string;
  slug: string;
  /** The team's organization; null when GitHub leaves it out. */
  organization: GitHubOrganization | null;
}

/**
 * A failed call. `status` is GitHub's HTTP status, or 0 when no valid
 * response arrived (network failure, timeout, a body that is not JSON).
 */
export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GitHubError';
  }
}

/**
 * Returns true when `token` can go in an Authorization header. fetch rejects
 * a header with a control or non-ASCII character and quotes the whole value
 * in its error, so such a token must be stopped before the call.
 */
export function isSendableToken(token: string): boolean {
  return /^[\x20-\x7e]*$/.test(token);
}

/** A client for one base URL and one token; the token is sent to that base URL only. */
export class GitHubClient {
  private readonly baseUrl: string;

  /**
   * @param baseUrl API root with a trailing slash, such as
   *   `https://github.example.com/api/v3/`; empty means github.com.
   * @param token personal access token, or '' for anonymous calls.
   */
  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.baseUrl = baseUrl === '' ? DEFAULT_BASE_URL : baseUrl;
  }

  /** Returns the user that owns the token. */
  async currentUser(): Promise<GitHubUser> {
    const { body, url } = await this.get('user');
    return parseAccount(body, url);
  }

  /** Returns every organization the user is a member of. */
  async organizations(): Promise<GitHubOrganization[]> {
    const pages = await this.getAllPages('user/orgs');
    return pages.flatMap(({ items, url }) => items.map((item) => parseAccount(item, url)));
  }

  /** Returns every team the user is a member of, in any organization. */
  async teams(): Promise<GitHubTeam[]> {
    const pages = await this.getAllPages('user/teams');
    return pages.flatMap(({ items, url }) => items.map((item) => parseTeam(item, url)));
  }

  /** Returns the organization with login `name`, which GitHub matches case-insensitively. */
  async organization(name: string): Promise<GitHubOrganization> {
    const { body, url } = await this.get(`orgs/${encodeURIComponent(name)}`);
    return parseAccount(body, url);
  }

  /**
   * Reads every page of a listing. As go-github does, only the page number
   * is taken from the `Link` header's "next" URL, and the request goes to
   * the configured base URL again, so a server cannot send the token to
   * another host through that header.
   */
  private async getAllPages(path: string): Promise<Array<{ items: unknown[]; url: string }>> {
    const pages: Array<{ items: unknown[]; url: string }> = [];
    let page = 1;
    for (;;) {
      const query = page === 1 ? `?per_page=${PER_PAGE}` : `?per_page=${PER_PAGE}&page=${page}`;
      const { body, url, link } = await this.get(path + query);
      if (!Array.isArray(body)) throw new GitHubError(`GET ${url}: expected a JSON array`, 0);
      pages.push({ items: body, url });

      const next = nextPage(link);
      if (next === undefined) return pages;
      if (next <= page) throw new GitHubError(`GET ${url}: the "next" link goes back to page ${next}`, 0);
      if (pages.length >= MAX_PAGES) throw new GitHubError(`GET ${url}: more than ${MAX_PAGES} pages of results`, 0);
      page = next;
    }
  }

  private async get(path: string): Promise<{ body: unknown; url: string; link: string | null }> {
    const url = new URL(path, this.baseUrl).toString();
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'user-agent': 'coffer-auth-github',
      'x-github-api-version': '2022-11-28',
    };
    if (!isSendableToken(this.token)) throw new GitHubError(`GET ${url}: the token contains a character outside printable ASCII`, 0);
    if (this.token !== '') headers.authorization = `Bearer ${this.token}`;

    let response: Response;
    try {
      // Redirects are not followed, so the token never goes to a URL other than the base URL.
      response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new GitHubError(`GET ${url}: ${describeFetchError(err)}`, 0);
    }

    const text = await readLimited(response, url);
    let body: unknown;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      throw new GitHubError(`GET ${url}: ${response.status} response is not JSON`, response.status >= 400 ? response.status : 0);
    }
    if (response.status < 200 || response.status > 299) {
      const message = typeof (body as { message?: unknown } | null)?.message === 'string' ? (body as { message: string }).message : response.statusText;
      throw new GitHubError(`GET ${url}: ${response.status} ${message} []`, response.status);
    }
    return { body, url, link: response.headers.get('link') };
  }
}

/** Returns the page number of the `rel="next"` entry of a Link header, if any. */
export function nextPage(link: string | null): number | undefined {
  if (link === null) return undefined;
  for (const entry of link.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(entry);
    if (match === null || !/\brel="?next"?/.test(match[2])) continue;
    let page: string | null;
    try {
      page = new URL(match[1], 'http://placeholder.invalid/').searchParams.get('page');
    } catch {
      return undefined;
    }
    const number = Number(page);
    return page !== null && Number.isSafeInteger(number) && number > 0 ? number : undefined;
  }
  return undefined;
}

async function readLimited(response: Response, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) throw new GitHubError(`GET ${url}: response is larger than ${MAX_RESPONSE_BYTES} bytes`, 0);
  if (response.body === null) return '';

  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) throw new GitHubError(`GET ${url}: response is larger than ${MAX_RESPONSE_BYTES} bytes`, 0);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof GitHubError) throw err;
    throw new GitHubError(`GET ${url}: ${describeFetchError(err)}`, 0);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `timed out after ${REQUEST_TIMEOUT_MS} ms`;
  // fetch reports "fetch failed" and keeps the reason, such as ECONNREFUSED, in `cause`.
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return `request failed: ${cause.code}`;
  if (typeof cause?.message === 'string') return `request failed: ${cause.message}`;
  return `request failed: ${(err as Error).message}`;
}

function parseAccount(value: unknown, url: string): GitHubOrganization {
  const item = value as { login?: unknown; id?: unknown } | null;
  if (typeof item?.login !== 'string' || typeof item.id !== 'number' || !Number.isSafeInteger(item.id)) {
    throw new GitHubError(`GET ${url}: expected an object with a string "login" and an integer "id"`, 0);
  }
  return { login: item.login, id: item.id };
}

function parseTeam(value: unknown, url: string): GitHubTeam {
  const item = value as { name?: unknown; slug?: unknown; organization?: unknown } | null;
  if (typeof item?.name !== 'string' || typeof item.slug !== 'string') {
    throw new GitHubError(`GET ${url}: expected teams with a string "name" and "slug"`, 0);
  }
  const organization = item.organization === null || item.organization === undefined ? null : parseAccount(item.organization, url);
  return { name: item.name, slug: item.slug, organization };
}
