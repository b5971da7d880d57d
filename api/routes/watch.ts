import type { Request, Response } from "express";
import { API_VERSION, ExpiredError, type KindDefinition } from "../../resources/index.ts";
import { compileSelectors, type StoreEvent, type Watch } from "../../store/index.ts";
import { canReadNamespace } from "../auth/authorize.ts";
import type { Identity } from "../auth/token-store.ts";
import type { ApiContext } from "../context.ts";
import { present } from "../present.ts";
import { flag, nonNegativeInt, queryParam } from "../query.ts";
import { statusOf } from "../status.ts";
import { includeObjectOf, kindTable, toTable, wantsTable } from "../table.ts";
import { eventLine, openWatchStream } from "../watch-stream.ts";

/** ResourceWatch is what a watch request asks for. */
export interface ResourceWatch {
  definition: KindDefinition;
  namespace?: string;
  /** fieldSelector overrides the query's (a watch on `.../apps/web` means `metadata.name=web`). */
  fieldSelector?: string;
  identity: Identity;
}

/**
 * serveResourceWatch streams store events as a Kubernetes watch. It is the store's own watch (`store.watch`),
 * so HTTP watchers and controllers share one code path: resourceVersion absent or "0" → a synthetic ADDED per
 * object, then live events; "N" → only events after N; too old → one ERROR event (410 Expired), then the end.
 * Selectors are applied per event; with a Table Accept each event carries a one-row Table.
 */
export function serveResourceWatch(ctx: ApiContext, req: Request, res: Response, w: ResourceWatch): void {
  const labelSelector = queryParam(req, "labelSelector");
  const fieldSelector = w.fieldSelector ?? queryParam(req, "fieldSelector");
  compileSelectors(labelSelector, fieldSelector); // a bad selector is a 400 before the stream starts
  const resourceVersion = queryParam(req, "resourceVersion");
  const timeoutSeconds = nonNegativeInt(req, "timeoutSeconds");
  const shape = wantsTable(req) ? kindTable(w.definition) : undefined;
  const include = includeObjectOf(req);
  const stream = openWatchStream(req, res, { watches: ctx.watches, logger: ctx.logger, owner: w.identity.name, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) });

  const readable = (ns: string) => w.namespace !== undefined || canReadNamespace(w.identity, ns);
  let lastRevision = resourceVersion && resourceVersion !== "0" ? Number(resourceVersion) : ctx.store.revision();
  const onEvent = (event: StoreEvent) => {
    lastRevision = Math.max(lastRevision, event.revision);
    if (!readable(event.object.metadata.namespace)) return;
    const object = present(event.object, w.identity);
    const render = () => (shape ? toTable(shape, [object], include, { resourceVersion: object.metadata.resourceVersion ?? "" }) : object);
    // A redacted copy is this watcher's own; everything else is shared with the other watchers of the event.
    if (object !== event.object) stream.send(event.type, render());
    else stream.sendLine(eventLine(event.object, event.type, shape ? `table:${w.definition.kind}:${include}` : "json", render));
  };

  let handle: Watch;
  try {
    handle = ctx.store.watch(
      {
        kind: w.definition.kind,
        ...(w.namespace !== undefined ? { namespace: w.namespace } : {}),
        ...(labelSelector ? { labelSelector } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      },
      onEvent,
    );
  } catch (error) {
    if (!(error instanceof ExpiredError)) ctx.logger.error({ err: error, path: req.path }, "watch failed to start");
    stream.send("ERROR", statusOf(error));
    stream.end();
    return;
  }
  stream.onEnd(() => handle.close());

  if (flag(req, "allowWatchBookmarks")) {
    const timer = setInterval(() => {
      stream.send("BOOKMARK", { kind: w.definition.kind, apiVersion: API_VERSION, metadata: { resourceVersion: String(lastRevision) } });
    }, ctx.bookmarkIntervalMs);
    stream.onEnd(() => clearInterval(timer));
  }
}
