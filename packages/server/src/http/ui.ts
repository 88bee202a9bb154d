/**
 * The web UI at `/ui/`, served when the config sets `ui = true` (and in dev
 * mode), as Vault does. The files come from the `@coffer/ui` package and
 * are read into memory once at start. `/` redirects to `/ui/`. API
 * requests under `/v1/` pass straight through.
 *
 * The UI is static: its script talks to `/v1` with the user's token, so the
 * server grants the UI nothing that the API does not. The headers keep the
 * page from loading anything but its own files and from being framed.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import type { Logger } from '@coffer/sdk';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** One file of the UI, ready to send. */
interface Asset {
  body: Buffer;
  contentType: string;
}

/** The UI's files by URL path, such as `/ui/` and `/ui/app/main.js`. */
export type UiAssets = ReadonlyMap<string, Asset>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Headers of every UI response. The policy allows scripts, styles and API
 * calls from the server's own origin only, so injected markup could neither
 * run inline script nor send a token elsewhere.
 */
const UI_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const UI_PREFIX = '/ui/';

/**
 * Reads the UI's files: `static/` at `/ui/` and the compiled scripts in
 * `dist/` at `/ui/app/`. Returns undefined, after logging why, when the
 * package or its build is missing: the server then serves the API alone.
 */
export async function loadUiAssets(logger: Logger): Promise<UiAssets | undefined> {
  let packageDirectory: string;
  try {
    packageDirectory = dirname(createRequire(import.meta.url).resolve('@coffer/ui/package.json'));
  } catch (err) {
    logger.error({ err }, 'ui package not found; the ui is off');
    return undefined;
  }

  const assets = new Map<string, Asset>();
  try {
    await addFiles(assets, join(packageDirectory, 'static'), UI_PREFIX);
    await addFiles(assets, join(packageDirectory, 'dist'), `${UI_PREFIX}app/`);
  } catch (err) {
    logger.error({ err, directory: packageDirectory }, 'ui files unreadable; the ui is off');
    return undefined;
  }
  const index = assets.get(`${UI_PREFIX}index.html`);
  if (index === undefined || !assets.has(`${UI_PREFIX}app/main.js`)) {
    logger.error({ directory: packageDirectory }, 'ui build missing; run "npm run build"; the ui is off');
    return undefined;
  }
  assets.set(UI_PREFIX, index);
  return assets;
}

/** Adds every file below `directory` whose type the UI serves, under `prefix`. */
async function addFiles(assets: Map<string, Asset>, directory: string, prefix: string): Promise<void> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (!entry.isFile() || contentType === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    const urlPath = prefix + relative(directory, path).split(sep).join('/');
    assets.set(urlPath, { body: await readFile(path), contentType });
  }
}

/**
 * Wraps the API's request listener: `/ui` paths get the UI's files, `/`
 * redirects to `/ui/`, and everything else goes to the API.
 */
export function withUi(api: RequestListener, assets: UiAssets): RequestListener {
  return (request, response) => {
    const url = request.url ?? '/';
    if (url.startsWith('/v1/')) {
      api(request, response);
      return;
    }
    const pathname = url.split('?', 1)[0];
    if (pathname === '/' || pathname === '/ui') {
      // Vault also returns 307 here, so a client keeps its method.
      response.writeHead(307, { Location: UI_PREFIX, 'Cache-Control': 'no-store', 'Content-Length': 0 });
      response.end();
      return;
    }
    if (!pathname.startsWith(UI_PREFIX)) {
      api(request, response);
      return;
    }
    serveAsset(request, response, assets, pathname);
  };
}

function serveAsset(request: IncomingMessage, response: ServerResponse, assets: UiAssets, pathname: string): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...UI_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('method not allowed\n');
    return;
  }
  // A path without a file extension is a page of the UI, which index.html draws.
  const asset = assets.get(pathname) ?? (extname(pathname) === '' ? assets.get(UI_PREFIX) : undefined);
  if (asset === undefined) {
    response.writeHead(404, { ...UI_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('not found\n');
    return;
  }
  response.writeHead(200, { ...UI_HEADERS, 'Content-Type': asset.contentType, 'Content-Length': asset.body.length });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
}
