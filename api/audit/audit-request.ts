import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Identity } from "../auth/token-store.ts";
import type { Target } from "../status.ts";
import type { AuditEntry, AuditLog } from "./audit-log.ts";

/** AuditFacts are what a route knows about a request once it is served: who, the API verb, what it named. */
export interface AuditFacts {
  user?: string;
  verb?: string;
  target?: Target;
  /** name is what the request names when neither the path nor the target does (a token being created). */
  name?: string;
  dryRun?: boolean;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const METHOD_VERBS: Record<string, string> = { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete", GET: "get", HEAD: "get" };

/** isAudited: every write, and every request refused for its credentials or role (401, 403). */
function isAudited(method: string, code: number): boolean {
  return WRITE_METHODS.has(method) || code === 401 || code === 403;
}

/**
 * resourceOf reads what a request path names: `/apis/<group>/v1/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]`
 * or the same under `/api/v1` (the core group); any other path is kept as it is.
 */
export function resourceOf(path: string): Pick<AuditEntry, "group" | "resource" | "namespace" | "name" | "subresource" | "path"> {
  const segments = path.split("/").filter((s) => s !== "").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  let rest: string[];
  let group: string;
  if (segments[0] === "api" && segments[1] === "v1") [group, rest] = ["", segments.slice(2)];
  else if (segments[0] === "apis" && segments.length >= 3) [group, rest] = [segments[1]!, segments.slice(3)];
  else return { path };
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource, name, subresource] = rest;
  if (resource === undefined) return { path };
  return { group, resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
}

/**
 * auditRequest records a request in the audit log when its response is finished (or its connection closed),
 * if it is a write or was refused (see isAudited). `facts` is read then, so a route can fill them in while it
 * serves. Never the token, the query or the body: only the token's name and what the path names.
 */
export function auditRequest(audit: AuditLog, req: IncomingMessage, res: ServerResponse, facts: () => AuditFacts): void {
  const method = req.method ?? "GET";
  // Read now: express rewrites req.url inside mounted routers.
  const url = req.url ?? "/";
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    const code = res.statusCode;
    if (!isAudited(method, code)) return;
    const query = url.indexOf("?");
    const named = resourceOf(query < 0 ? url : url.slice(0, query));
    const known = facts();
    const name = named.name ?? known.target?.name ?? known.name;
    audit.record({
      time: new Date().toISOString(),
      ...(known.user !== undefined ? { user: known.user } : {}),
      verb: known.verb ?? METHOD_VERBS[method] ?? method.toLowerCase(),
      ...named,
      ...(known.target?.kind ? { kind: known.target.kind } : {}),
      ...(name ? { name } : {}),
      code,
      ...(known.dryRun ? { dryRun: true } : {}),
    });
  };
  res.once("finish", finish);
  res.once("close", finish);
}

/** bodyName is the `metadata.name` of a parsed request body (a create refused before its route read it). */
function bodyName(body: unknown): string | undefined {
  const name = (body as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** auditRequests is auditRequest as an express middleware, reading what the auth step and routes leave in `res.locals`. */
export function auditRequests(audit: AuditLog): RequestHandler {
  return (req, res, next) => {
    auditRequest(audit, req, res, () => {
      const identity = res.locals.identity as Identity | undefined;
      const target = res.locals.target as Target | undefined;
      const dryRun = typeof req.query.dryRun === "string" && req.query.dryRun === "All";
      return {
        ...(identity ? { user: identity.name } : {}),
        ...(typeof res.locals.verb === "string" ? { verb: res.locals.verb } : {}),
        ...(target ? { target } : {}),
        ...(typeof res.locals.auditName === "string" ? { name: res.locals.auditName } : { name: bodyName(req.body) }),
        ...(dryRun ? { dryRun } : {}),
      };
    });
    next();
  };
}
