import { Router, type Request, type Response } from "express";
import { API_VERSION, ExpiredError } from "../../resources/index.ts";
import type { StoreEvent, Watch } from "../../store/index.ts";
import { authorize, canReadNamespace } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import { noteRequest, type ApiContext } from "../context.ts";
import { present } from "../present.ts";
import { flag, nonNegativeInt, queryParam } from "../query.ts";
import { statusOf } from "../status.ts";
import { eventLine, openWatchStream } from "../watch-stream.ts";
import { GROUP_PATH } from "./begin.ts";

/** WATCH_ALL_PATH streams every kind at once: `GET /apis/berth.dev/v1/watch`. */
export const WATCH_ALL_PATH = `${GROUP_PATH}/watch`;

/** INITIAL_EVENTS_END is the annotation Kubernetes puts on the BOOKMARK that ends a watch's initial ADDED events. */
export const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

/**
 * watchAllRoutes serve one watch over every kind in every namespace the token can read. The store has one
 * revision for all kinds, so one number resumes the whole stream: a browser (six connections per host over
 * HTTP/1.1) follows everything over one request instead of one per kind. Semantics are those of a kind's
 * watch (see serveResourceWatch): resourceVersion absent or "0" → an ADDED per object, then a BOOKMARK
 * annotated `k8s.io/initial-events-end`, then live events; "N" → events after N; too old → one ERROR
 * (410 Expired). Secrets are redacted for non-admins, as everywhere.
 */
export function watchAllRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get(WATCH_ALL_PATH, (req, res) => serveWatchAll(ctx, req, res));
  return router;
}

function serveWatchAll(ctx: ApiContext, req: Request, res: Response): void {
  noteRequest(res, "watch", "all");
  const identity = identityOf(res);
  authorize(identity, "watch", "all", undefined);
  const resourceVersion = queryParam(req, "resourceVersion");
  const timeoutSeconds = nonNegativeInt(req, "timeoutSeconds");
  const stream = openWatchStream(req, res, { watches: ctx.watches, logger: ctx.logger, owner: identity.name, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) });
  // For "0", the revision the initial objects are read at (the same tick as the watch call below); for "N",
  // N until later events arrive. Never the store's newest revision: a write not yet durable is not yet sent.
  let lastRevision = resourceVersion && resourceVersion !== "0" ? Number(resourceVersion) : ctx.store.revision();
  const bookmark = (annotations?: Record<string, string>) =>
    stream.send("BOOKMARK", { kind: "Bookmark", apiVersion: API_VERSION, metadata: { resourceVersion: String(lastRevision), ...(annotations ? { annotations } : {}) } });
  const onEvent = (event: StoreEvent) => {
    lastRevision = Math.max(lastRevision, event.revision);
    if (!canReadNamespace(identity, event.object.metadata.namespace)) return;
    const object = present(event.object, identity);
    if (object !== event.object) stream.send(event.type, object);
    else stream.sendLine(eventLine(event.object, event.type, "json", () => object));
  };
  let handle: Watch;
  try {
    // Initial ADDED events are delivered synchronously inside watch(): the BOOKMARK after it ends them.
    handle = ctx.store.watch({ ...(resourceVersion !== undefined ? { resourceVersion } : {}) }, onEvent);
  } catch (error) {
    if (!(error instanceof ExpiredError)) ctx.logger.error({ err: error, path: req.path }, "watch failed to start");
    stream.send("ERROR", statusOf(error));
    stream.end();
    return;
  }
  stream.onEnd(() => handle.close());
  bookmark({ [INITIAL_EVENTS_END]: "true" });
  if (flag(req, "allowWatchBookmarks")) {
    const timer = setInterval(() => bookmark(), ctx.bookmarkIntervalMs);
    stream.onEnd(() => clearInterval(timer));
  }
}
