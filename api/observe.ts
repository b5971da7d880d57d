import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import type { ApiMetrics } from "./metrics.ts";

/** RequestLabels name a request for metrics and logs: its API verb and resource, once a route knows them. */
export interface RequestLabels {
  verb: string;
  resource: string;
}

/**
 * observeRequest logs a request at debug level once its response is finished or its connection closed
 * (method, path, code, duration: never headers, query or body, which may carry tokens or Secret values) and
 * feeds the request metrics. `labels` is read then, so a route can name the request while serving it.
 */
export function observeRequest(logger: Logger, metrics: ApiMetrics, req: IncomingMessage, res: ServerResponse, labels: () => RequestLabels): void {
  const started = process.hrtime.bigint();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { verb, resource } = labels();
    metrics.observe({ verb, resource, code: res.statusCode, seconds });
    if (logger.isLevelEnabled("debug")) {
      const url = req.url ?? "";
      const query = url.indexOf("?");
      const path = query < 0 ? url : url.slice(0, query);
      logger.debug({ method: req.method, path, code: res.statusCode, durationMs: Math.round(seconds * 1e4) / 10 }, "request");
    }
  };
  res.once("finish", finish);
  res.once("close", finish);
}

/** observeRequests is observeRequest as the first express middleware; routes name requests with noteRequest. */
export function observeRequests(logger: Logger, metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    observeRequest(logger, metrics, req, res, () => ({
      verb: (res.locals.verb as string | undefined) ?? req.method.toLowerCase(),
      resource: (res.locals.resource as string | undefined) ?? "other",
    }));
    next();
  };
}
