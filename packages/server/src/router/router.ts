/**
 * The router: finds the mount that serves a request path by longest
 * prefix. Lookups are in memory; the mount table on storage is the source
 * the router is rebuilt from at unseal.
 */
import type { LogicalBackend, Storage } from '@coffer/sdk';
import type { MountEntry } from './mount-table.js';

export interface Route {
  mount: MountEntry;
  backend: LogicalBackend;
  storage: Storage;
  /** Compiled `specialPaths().root`: paths that need sudo. */
  rootPaths: PathMatcher;
  /** Compiled `specialPaths().unauthenticated`. */
  unauthenticatedPaths: PathMatcher;
}

export interface RouteMatch {
  route: Route;
  /** The request path relative to the mount. */
  path: string;
}

/** Matches paths against patterns where a trailing `*` matches any suffix. */
export class PathMatcher {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      if (pattern.endsWith('*')) this.prefixes.push(pattern.slice(0, -1));
      else this.exact.add(pattern);
    }
  }

  matches(path: string): boolean {
    return this.exact.has(path) || this.prefixes.some((prefix) => path.startsWith(prefix));
  }
}

export class Router {
  private readonly routes = new Map<string, Route>();
  /** Mount paths, longest first, so the first prefix match is the longest. */
  private ordered: string[] = [];

  add(mount: MountEntry, backend: LogicalBackend, storage: Storage): void {
    const special = backend.specialPaths();
    this.routes.set(mount.path, {
      mount,
      backend,
      storage,
      rootPaths: new PathMatcher(special.root),
      unauthenticatedPaths: new PathMatcher(special.unauthenticated),
    });
    this.reorder();
  }

  remove(path: string): Route | undefined {
    const route = this.routes.get(path);
    this.routes.delete(path);
    this.reorder();
    return route;
  }

  get(path: string): Route | undefined {
    return this.routes.get(path);
  }

  all(): Route[] {
    return [...this.routes.values()];
  }

  clear(): void {
    this.routes.clear();
    this.ordered = [];
  }

  /** Finds the mount for `path`; `secret` alone matches the mount `secret/`. */
  match(path: string): RouteMatch | undefined {
    const withSlash = path.endsWith('/') ? path : `${path}/`;
    for (const mountPath of this.ordered) {
      if (path.startsWith(mountPath)) return { route: this.routes.get(mountPath)!, path: path.slice(mountPath.length) };
      if (withSlash === mountPath) return { route: this.routes.get(mountPath)!, path: '' };
    }
    return undefined;
  }

  /** Returns the mount path that `path` would conflict with, if any, ignoring `except`. */
  conflict(path: string, except?: string): string | undefined {
    return this.ordered.find((existing) => existing !== except && (existing.startsWith(path) || path.startsWith(existing)));
  }

  private reorder(): void {
    this.ordered = [...this.routes.keys()].sort((a, b) => b.length - a.length);
  }
}
