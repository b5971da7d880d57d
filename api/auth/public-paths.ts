import type { RequestHandler } from "express";

/**
 * PUBLIC_PATHS is the whole list of what the API serves without a bearer token; everything else needs one,
 * whatever order routes are mounted in. Exact paths: the health endpoints and the web UI's shell. Prefixes
 * (ending in `/`): the web UI's assets and the webhooks, which verify their own signatures. Adding an entry
 * here is the only way to make a route public.
 */
export const PUBLIC_PATHS: readonly string[] = ["/healthz", "/livez", "/readyz", "/", "/ui", "/ui/", "/hooks/"];

/** isPrefix: an entry ending in `/` (other than `/` itself) covers every path under it. */
const isPrefix = (entry: string) => entry.length > 1 && entry.endsWith("/");

/**
 * isPublicPath says whether a request path (no query) is on the allow-list. The comparison is exact and
 * case-sensitive: a variant that express would still route (`/HEALTHZ`, `/healthz/`) needs a token, which
 * errs on the side of refusing.
 */
export function isPublicPath(path: string): boolean {
  for (const entry of PUBLIC_PATHS) {
    if (isPrefix(entry) ? path.startsWith(entry) : path === entry) return true;
  }
  return false;
}

/**
 * requireAuthentication is the API's default-deny gate, mounted before any route: a request for a path that
 * is not public goes through `authenticate` (a 401 Status without a valid bearer token); a public one goes on
 * untouched, and its route decides.
 */
export function requireAuthentication(authenticate: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (isPublicPath(req.path)) next();
    else authenticate(req, res, next);
  };
}
