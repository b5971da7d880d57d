/**
 * Upstream is one ready replica a route forwards to. `id` names it in logs and error pages (the replica name).
 */
export interface Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/**
 * RouteSpec is what a route table is built from: one Domain's host and path prefix with the ready endpoints of
 * the App it points at. It is plain data, so it crosses the IPC channel to proxy workers unchanged.
 */
export interface RouteSpec {
  /** host is exact (`app.example.com`) or a one-label wildcard (`*.example.com`), lowercase. */
  host: string;
  /** path is the prefix the route serves (`/`, `/api`); the longest matching prefix wins. */
  path: string;
  /** name identifies the route's origin (`default/web-domain`) in logs. */
  name: string;
  /** upstreams are the ready endpoints; an empty list means the App exists but nothing can serve (503). */
  upstreams: readonly Upstream[];
  /** tls says whether the host is served over HTTPS. */
  tls: boolean;
  /** redirectHttp sends plain-HTTP requests for this route to HTTPS (308). */
  redirectHttp: boolean;
}

/** Route is a RouteSpec as the table holds it: frozen, with a normalised path. */
export type Route = Readonly<RouteSpec>;

/**
 * RouteTable is an immutable routing table. Lookup is by Host, exact first, then the one-label wildcard
 * (`*.example.com` matches `a.example.com`, neither `example.com` nor `a.b.example.com`); within a host the
 * longest path prefix wins, matched on segment boundaries (`/api` serves `/api` and `/api/x`, not `/apiary`).
 * When an exact host has no route for the path, the wildcard's routes are tried. The proxy holds one reference
 * to the current table and replaces it whole, so a request sees either the old table or the new one.
 */
export class RouteTable {
  /** version orders tables: whoever publishes tables increases it, and workers report it back as an acknowledgement. */
  readonly version: number;
  readonly routes: readonly Route[];
  private readonly exact: ReadonlyMap<string, readonly Route[]>;
  private readonly wildcard: ReadonlyMap<string, readonly Route[]>;

  private constructor(routes: readonly Route[], version: number) {
    this.version = version;
    this.routes = routes;
    const exact = new Map<string, Route[]>();
    const wildcard = new Map<string, Route[]>();
    for (const route of routes) {
      const [map, key] = route.host.startsWith("*.") ? [wildcard, route.host.slice(2)] : [exact, route.host];
      const list = map.get(key) ?? [];
      // The first route for a host+path keeps it: callers resolve conflicts before building, this only makes ties deterministic.
      if (!list.some((r) => r.path === route.path)) list.push(route);
      map.set(key, list);
    }
    for (const list of [...exact.values(), ...wildcard.values()]) list.sort((a, b) => b.path.length - a.path.length);
    this.exact = exact;
    this.wildcard = wildcard;
  }

  /** from builds a table from route specs (copied and frozen). */
  static from(specs: readonly RouteSpec[], version: number): RouteTable {
    const routes = specs.map((s) =>
      Object.freeze({
        ...s,
        host: normalizeHost(s.host),
        path: normalizePath(s.path),
        upstreams: Object.freeze(s.upstreams.map((u) => Object.freeze({ id: u.id, host: u.host, port: u.port }))),
      }),
    );
    return new RouteTable(Object.freeze(routes), version);
  }

  /** empty is a table without routes (every request is a 404). */
  static empty(): RouteTable {
    return RouteTable.from([], 0);
  }

  /**
   * lookup finds the route for a request's Host header (any case, with or without port or trailing dot) and
   * URL (the query string is ignored).
   */
  lookup(hostHeader: string | undefined, url: string | undefined): Route | undefined {
    if (!hostHeader) return undefined;
    const host = normalizeHost(hostHeader);
    const path = pathOf(url);
    const exact = this.exact.get(host);
    if (exact) {
      const hit = longestPrefix(exact, path);
      if (hit) return hit;
    }
    const dot = host.indexOf(".");
    if (dot <= 0) return undefined;
    const wild = this.wildcard.get(host.slice(dot + 1));
    return wild ? longestPrefix(wild, path) : undefined;
  }

  /** toSpecs returns the table's routes as plain data (for IPC). */
  toSpecs(): RouteSpec[] {
    return this.routes.map((r) => ({ ...r, upstreams: r.upstreams.map((u) => ({ ...u })) }));
  }
}

/** longestPrefix picks the first route (lists are sorted longest path first) whose prefix matches `path`. */
function longestPrefix(routes: readonly Route[], path: string): Route | undefined {
  for (const route of routes) if (prefixMatches(route.path, path)) return route;
  return undefined;
}

/** prefixMatches matches on segment boundaries: `/api` matches `/api`, `/api/` and `/api/x`, not `/apiary`. */
export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === "/") return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith("/") || path.charCodeAt(prefix.length) === 47 /* "/" */;
}

/** normalizeHost lowercases a Host header and drops its port and trailing dot (`Web.Example.com.:8080` → `web.example.com`). */
export function normalizeHost(host: string): string {
  let h = host;
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return (end > 0 ? h.slice(0, end + 1) : h).toLowerCase();
  }
  const colon = h.indexOf(":");
  if (colon >= 0) h = h.slice(0, colon);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** normalizePath makes a prefix start with `/` and drops a trailing `/` (except for the root). */
function normalizePath(path: string): string {
  const p = path.startsWith("/") ? path : `/${path}`;
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** pathOf is the path part of a request URL (before `?` or `#`); an absolute-form URL keeps only its path. */
function pathOf(url: string | undefined): string {
  if (!url) return "/";
  let path = url;
  if (!path.startsWith("/")) {
    const scheme = path.indexOf("://");
    if (scheme < 0) return "/";
    const slash = path.indexOf("/", scheme + 3);
    path = slash < 0 ? "/" : path.slice(slash);
  }
  const q = path.indexOf("?");
  const hash = path.indexOf("#");
  const end = q >= 0 ? q : hash >= 0 ? hash : path.length;
  return end === path.length ? path : path.slice(0, end);
}
