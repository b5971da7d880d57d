import type { Request, Response } from "express";
import type { Logger } from "pino";
import { BadRequestError } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import type { DockerClient } from "../../controllers/docker/index.ts";
import { NoLogSourceError, selectLogSources, streamLogs, type LogRequest } from "../../controllers/app/logs.ts";
import type { AppExtension } from "../app.ts";
import { authorize } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import { noteRequest } from "../context.ts";
import { flag, nonNegativeInt, queryParam } from "../query.ts";
import type { Target } from "../status.ts";
import { GROUP_PATH } from "./begin.ts";

/** LOG_PATH is the App log subresource, as Kubernetes serves `pods/log`. */
export const LOG_PATH = `${GROUP_PATH}/namespaces/:namespace/apps/:name/log`;

/** LogsDependencies are what the logs endpoint reads: the App from the store, its containers' logs from Docker. */
export interface LogsDependencies {
  store: ResourceStore;
  /** docker may still be loading when the API starts serving (the daemon loads it after the API listens). */
  docker: DockerClient | Promise<DockerClient>;
}

/**
 * logsExtension mounts `GET .../namespaces/NS/apps/NAME/log` on the API (see AppExtension): plain text,
 * chunked, every replica of the current revision multiplexed with a `[replica-N] ` prefix unless `replica`
 * picks one. Query: `follow`, `tailLines`, `sinceSeconds`, `timestamps`, `replica`, `previous`. Readers
 * need the viewer role in the namespace; an unknown App is a 404 Status, an App without containers a 400.
 */
export function logsExtension(deps: LogsDependencies): AppExtension {
  return (app, { authenticate, logger }) => {
    app.get(LOG_PATH, authenticate, (req: Request, res: Response) => serveLogs(deps, logger, req, res));
  };
}

/** parseLogRequest reads the query; a malformed number is a 400. */
export function parseLogRequest(req: Request): LogRequest {
  const tailLines = nonNegativeInt(req, "tailLines");
  const sinceSeconds = nonNegativeInt(req, "sinceSeconds");
  const replica = queryParam(req, "replica");
  return {
    follow: flag(req, "follow"),
    timestamps: flag(req, "timestamps"),
    previous: flag(req, "previous"),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(replica ? { replica } : {}),
  };
}

async function serveLogs(deps: LogsDependencies, logger: Logger, req: Request, res: Response): Promise<void> {
  const { namespace = "", name = "" } = req.params as Record<string, string | undefined>;
  noteRequest(res, "get", "apps/log");
  res.locals.target = { plural: "apps", kind: "App", name } satisfies Target;
  authorize(identityOf(res), "get", "apps/log", namespace);
  const request = parseLogRequest(req);
  const app = await deps.store.get({ kind: "App", namespace, name });
  // Aborted when the client goes away: that detaches every Docker stream of this request.
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  let sources;
  try {
    sources = await selectLogSources(await deps.docker, app, request, abort.signal);
  } catch (err) {
    if (err instanceof NoLogSourceError) throw new BadRequestError(err.message, { cause: err });
    // The client left while its containers were being listed: there is no one to answer.
    if (abort.signal.aborted) return;
    throw err;
  }
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff" });
  res.flushHeaders();
  if (request.follow) {
    // A followed log may stay silent for hours: no idle timeout, and TCP keepalive finds a vanished client.
    req.socket.setTimeout(0);
    req.socket.setKeepAlive(true, 60_000);
    req.socket.setNoDelay(true);
  }
  try {
    await streamLogs(await deps.docker, sources, request, res, abort.signal);
  } catch (err) {
    // The status line is sent: a failure can only cut the stream short, and is logged (never the query or headers).
    if (!abort.signal.aborted) logger.warn({ err, namespace, app: name }, "app log stream failed");
  } finally {
    res.end();
  }
}
