import { Router, type Request } from "express";
import { API_VERSION, BadRequestError, NotFoundError } from "../../resources/index.ts";
import type { AuditLog } from "../audit/audit-log.ts";
import { requireAdmin } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import { noteRequest } from "../context.ts";
import { nonNegativeInt, queryParam } from "../query.ts";
import { sendJson } from "../respond.ts";
import { GROUP_PATH } from "./begin.ts";

/** AUDIT_PATH serves the audit log. */
export const AUDIT_PATH = `${GROUP_PATH}/audit`;
const DEFAULT_LIMIT = 500;
const MAX_LIMIT = 10_000;
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** sinceOf reads `since`: an RFC 3339 time, or a duration back from now (`90s`, `30m`, `1h`, `7d`). */
export function sinceOf(req: Request, now = Date.now()): Date | undefined {
  const value = queryParam(req, "since");
  if (value === undefined || value === "") return undefined;
  const duration = /^(\d+)(s|m|h|d)$/.exec(value);
  if (duration) return new Date(now - Number(duration[1]) * UNITS[duration[2]!]!);
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new BadRequestError(`since: "${value}" is neither a time (2026-01-02T15:04:05Z) nor a duration (30m, 1h, 7d)`);
  return new Date(time);
}

/**
 * auditRoutes serve `GET /apis/berth.dev/v1/audit?since=...&limit=...` to admins of every namespace: the
 * audit log's entries at or after `since`, oldest first, the last `limit` (default 500) of them. Without an
 * audit log (an API not run by berthd) it is a 404.
 */
export function auditRoutes(audit: AuditLog | undefined): Router {
  const router = Router();
  router.get(AUDIT_PATH, async (req, res) => {
    noteRequest(res, "list", "audit");
    requireAdmin(identityOf(res), "audit");
    if (!audit) throw new NotFoundError("this server keeps no audit log");
    const since = sinceOf(req);
    const limit = Math.min(nonNegativeInt(req, "limit") || DEFAULT_LIMIT, MAX_LIMIT);
    const items = await audit.read({ ...(since ? { since } : {}), limit });
    sendJson(res, { apiVersion: API_VERSION, kind: "AuditEntryList", items });
  });
  return router;
}
