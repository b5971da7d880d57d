import { Router } from "express";
import { clusterRole } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import { noteRequest } from "../context.ts";
import { ForbiddenError } from "../http-errors.ts";
import type { ApiMetrics } from "../metrics.ts";

/** metricsRoutes serve `/metrics` in Prometheus text format to any token bound in every namespace (`*`). */
export function metricsRoutes(metrics: ApiMetrics): Router {
  const router = Router();
  router.get("/metrics", async (_req, res) => {
    noteRequest(res, "get", "metrics");
    const identity = identityOf(res);
    if (clusterRole(identity) === undefined) throw new ForbiddenError(`metrics is forbidden: User "${identity.name}" needs a role in every namespace ("*")`);
    const { contentType, text } = await metrics.render();
    res.type(contentType).send(text);
  });
  return router;
}
