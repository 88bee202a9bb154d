/**
 * A stand-in for the part of GitHub's REST API (v3) that the github auth
 * method calls, for tests only. GitHub is a cloud service that cannot run
 * offline, so tests run this HTTP server on 127.0.0.1 instead. It speaks
 * the real wire protocol: `Authorization: Bearer <token>` or
 * `token <token>`, JSON bodies, `Link` header pagination with `per_page`
 * and `page`, and GitHub's status codes and `{"message": ...}` error bodies.
 *
 * Routes: `GET /user`, `GET /user/orgs`, `GET /user/teams` (these need a
 * token) and `GET /orgs/<org>` (public unless `orgLookupToken` is set).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInOrganization {
  id: number;
  /** The organization's login, such as "acme"; GitHub matches it case-insensitively. */
  login: string;
}

export interface StandInTeam {
  id: number;
  name: string;
  slug: string;
  /** Login of the organization the team belongs to. */
  organization: string;
}

export interface StandInUser {
  id: number;
  login: string;
  /** Logins of the organizations the user is a member of. */
  organizations: string[];
  /** IDs of the teams the user is a member of. */
  teams: number[];
}

/** Data the stand-in serves. Tests may change it while the server runs. */
export interface GitHubState {
  organizations: StandInOrganization[];
  teams: StandInTeam[];
  users: StandInUser[];
  /** Personal access tokens, each mapped to the login of its user. */
  tokens: Record<string, string>;
  /**
   * Largest page the server returns, whatever `per_page` requests. GitHub's
   * is 100; a small value makes tests page through a few items.
   */
  maxPageSize: number;
  /** When set, `GET /orgs/<org>` needs this token, like a rate-limited or private lookup. */
  orgLookupToken?: string;
}

/** One request the stand-in received, without the token itself. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/user/teams?per_page=100&page=2`. */
  url: string;
  /** The scheme of the Authorization header (`Bearer` or `token`), or '' without one. */
  authScheme: string;
}

export interface GitHubStandIn {
  /** Base URL to configure as the mount's base_url, with a trailing slash. */
  readonly baseUrl: string;
  /** The served data; change its fields in place, because the server keeps this object. */
  readonly state: GitHubState;
  /** Every request received, oldest first; tests may empty it. */
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

/** GitHub's `per_page` default when a request gives none. */
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;
const DOCUMENTATION_URL = 'https://docs.github.com/rest';

/** Starts the stand-in on 127.0.0.1 with a free port. */
export async function startGitHubStandIn(state: GitHubState): Promise<GitHubStandIn> {
  const requests: RecordedRequest[] = [];
  let baseUrl = '';
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', authScheme: authScheme(request) });
    handle(state, baseUrl, request, response);
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/`;

  return {
    baseUrl,
    state,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function handle(state: GitHubState, baseUrl: string, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', baseUrl);
  if (request.method !== 'GET') return sendError(response, 404, 'Not Found');

  const org = /^\/orgs\/([^/]+)$/.exec(url.pathname);
  if (org !== null) return lookUpOrganization(state, request, response, decodeURIComponent(org[1]));
  if (!['/user', '/user/orgs', '/user/teams'].includes(url.pathname)) return sendError(response, 404, 'Not Found');

  const token = bearerToken(request);
  if (token === undefined) return sendError(response, 401, 'Requires authentication');
  const login = findTokenOwner(state, token);
  const user = state.users.find((candidate) => candidate.login === login);
  if (user === undefined) return sendError(response, 401, 'Bad credentials');

  if (url.pathname === '/user') return sendJson(response, 200, describeUser(user));
  if (url.pathname === '/user/orgs') {
    const organizations = state.organizations.filter((item) => user.organizations.some((name) => sameLogin(name, item.login)));
    return sendPage(state, baseUrl, url, response, organizations.map(describeOrganization));
  }
  const teams = state.teams.filter((team) => user.teams.includes(team.id));
  return sendPage(state, baseUrl, url, response, teams.map((team) => describeTeam(state, team)));
}

function lookUpOrganization(state: GitHubState, request: IncomingMessage, response: ServerResponse, login: string): void {
  if (state.orgLookupToken !== undefined) {
    const token = bearerToken(request);
    if (token === undefined || !secretsEqual(token, state.orgLookupToken)) return sendError(response, 401, token === undefined ? 'Requires authentication' : 'Bad credentials');
  }
  const organization = state.organizations.find((item) => sameLogin(item.login, login));
  if (organization === undefined) return sendError(response, 404, 'Not Found');
  sendJson(response, 200, { ...describeOrganization(organization), name: organization.login, type: 'Organization' });
}

/**
 * Sends one page of `items` as GitHub does: `per_page` (at most
 * `maxPageSize`) and `page` (from 1) choose the slice, and a `Link` header
 * names the first, previous, next and last pages that exist.
 */
function sendPage(state: GitHubState, baseUrl: string, url: URL, response: ServerResponse, items: unknown[]): void {
  const requested = Number(url.searchParams.get('per_page') ?? DEFAULT_PER_PAGE);
  const perPage = Math.max(1, Math.min(Number.isInteger(requested) && requested > 0 ? requested : DEFAULT_PER_PAGE, MAX_PER_PAGE, state.maxPageSize));
  const requestedPage = Number(url.searchParams.get('page') ?? 1);
  const page = Number.isInteger(requestedPage) && requestedPage > 0 ? requestedPage : 1;
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));

  const pageUrl = (number: number): string => {
    const target = new URL(url.pathname.slice(1), baseUrl);
    target.searchParams.set('per_page', String(perPage));
    target.searchParams.set('page', String(number));
    return target.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
  if (links.length > 0) response.setHeader('Link', links.join(', '));

  sendJson(response, 200, items.slice((page - 1) * perPage, page * perPage));
}

function describeUser(user: StandInUser): Record<string, unknown> {
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    url: `https://api.github.com/users/${user.login}`,
    html_url: `https://github.com/${user.login}`,
    type: 'User',
    site_admin: false,
    name: user.login,
  };
}

function describeOrganization(organization: StandInOrganization): Record<string, unknown> {
  return {
    login: organization.login,
    id: organization.id,
    node_id: `O_${organization.id}`,
    url: `https://api.github.com/orgs/${organization.login}`,
    description: null,
  };
}

function describeTeam(state: GitHubState, team: StandInTeam): Record<string, unknown> {
  const organization = state.organizations.find((item) => sameLogin(item.login, team.organization));
  return {
    id: team.id,
    node_id: `T_${team.id}`,
    name: team.name,
    slug: team.slug,
    description: null,
    privacy: 'closed',
    permission: 'pull',
    parent: null,
    organization: organization === undefined ? null : describeOrganization(organization),
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-GitHub-Media-Type': 'github.v3; format=json',
  });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { message, documentation_url: DOCUMENTATION_URL, status: String(status) });
}

/** Returns the token of an `Authorization: Bearer <token>` or `token <token>` header. */
function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^(?:bearer|token) +(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function authScheme(request: IncomingMessage): string {
  return /^(\S+) /.exec(request.headers.authorization ?? '')?.[1] ?? '';
}

/** Returns the login that owns `token`, comparing every known token in constant time. */
function findTokenOwner(state: GitHubState, token: string): string | undefined {
  let owner: string | undefined;
  for (const [candidate, login] of Object.entries(state.tokens)) {
    if (secretsEqual(candidate, token)) owner = login;
  }
  return owner;
}

/** Compares SHA-256 digests, so that neither the content nor the length leaks through timing. */
function secretsEqual(left: string, right: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(left), digest(right));
}

function sameLogin(left: string, right: string): boolean {
  return left.toLowerCase() === right.toLowerCase();
}
