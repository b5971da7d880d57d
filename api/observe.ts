import type { RequestHandler } from "express";
import type { Logger } from "pino";
import type { ApiMetrics } from "./metrics.ts";

/**
 * observeRequests logs every request at debug level (method, path, code, duration: never headers, query or
 * body, which may carry tokens or Secret values) and feeds the request metrics.
 */
export function observeRequests(logger: Logger, metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const verb = (res.locals.verb as string | undefined) ?? req.method.toLowerCase();
      const resource = (res.locals.resource as string | undefined) ?? "other";
      metrics.observe({ verb, resource, code: res.statusCode, seconds });
      logger.debug({ method: req.method, path: req.path, code: res.statusCode, durationMs: Math.round(seconds * 1e4) / 10 }, "request");
    };
    res.once("finish", finish);
    res.once("close", finish);
    next();
  };
}
