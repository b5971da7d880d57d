import { Router, type Request, type Response } from "express";
import type { KubeEvent } from "../../controllers/events/types.ts";
import { compileSelectors } from "../../store/index.ts";
import { authorize, canReadNamespace } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import type { Identity } from "../auth/token-store.ts";
import { noteRequest, type ApiContext } from "../context.ts";
import { ageOf } from "../../lib/human-duration.ts";
import { isWatch, nonNegativeInt, queryParam } from "../query.ts";
import { sendJson } from "../respond.ts";
import { includeObjectOf, toTable, wantsTable, type TableShape } from "../table.ts";
import { openWatchStream } from "../watch-stream.ts";
import { GROUP_PATH } from "./begin.ts";

/** eventTable prints events the way `kubectl get events` does. */
const eventTable: TableShape<KubeEvent> = {
  columns: [
    { name: "Last Seen", type: "string", format: "", description: "Time since the event was last seen.", priority: 0 },
    { name: "Type", type: "string", format: "", description: "Normal or Warning.", priority: 0 },
    { name: "Reason", type: "string", format: "", description: "Why the event happened.", priority: 0 },
    { name: "Object", type: "string", format: "", description: "The object the event is about.", priority: 0 },
    { name: "Message", type: "string", format: "", description: "What happened.", priority: 0 },
    { name: "Name", type: "string", format: "name", description: "Name of the event.", priority: 1 },
    { name: "Count", type: "integer", format: "", description: "How many times it happened.", priority: 1 },
  ],
  cells: (e, now) => [
    ageOf(e.lastTimestamp, now), e.type, e.reason, `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`, e.message, e.metadata.name, e.count,
  ],
};

function filterOf(req: Request): { namespace?: string; fieldSelector?: string } {
  const namespace = (req.params as Record<string, string | undefined>).namespace;
  const fieldSelector = queryParam(req, "fieldSelector");
  compileSelectors(undefined, fieldSelector); // a bad selector is a 400
  return { ...(namespace ? { namespace } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
}

function begin(req: Request, res: Response, verb: "list" | "watch"): { identity: Identity; namespace?: string } {
  noteRequest(res, verb, "events");
  const identity = identityOf(res);
  const namespace = (req.params as Record<string, string | undefined>).namespace;
  authorize(identity, verb, "events", namespace);
  return { identity, ...(namespace ? { namespace } : {}) };
}

async function listEvents(ctx: ApiContext, req: Request, res: Response): Promise<void> {
  if (isWatch(req)) return watchEvents(ctx, req, res);
  const { identity } = begin(req, res, "list");
  const items = (await ctx.eventLog.list(filterOf(req))).filter((e) => canReadNamespace(identity, e.metadata.namespace));
  if (wantsTable(req)) sendJson(res, toTable(eventTable, items, includeObjectOf(req), { resourceVersion: "" }));
  else sendJson(res, { kind: "EventList", apiVersion: "v1", metadata: { resourceVersion: "" }, items });
}

/**
 * watchEvents streams events: first the recorded ones as ADDED (unless a resourceVersion other than "0" is
 * given), then new ones as they are recorded (a repeat that bumps `count` arrives as MODIFIED).
 */
function watchEvents(ctx: ApiContext, req: Request, res: Response): void {
  const { identity } = begin(req, res, "watch");
  const filter = filterOf(req);
  const timeoutSeconds = nonNegativeInt(req, "timeoutSeconds");
  const replay = (queryParam(req, "resourceVersion") ?? "0") === "0";
  const table = wantsTable(req);
  const include = includeObjectOf(req);
  const stream = openWatchStream(req, res, { watches: ctx.watches, logger: ctx.logger, owner: identity.name, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) });
  const replayed = new Set<string>();
  const send = (event: KubeEvent, dedupe: boolean) => {
    if (!canReadNamespace(identity, event.metadata.namespace)) return;
    const id = `${event.metadata.uid}/${event.metadata.resourceVersion}`;
    if (dedupe && replayed.has(id)) return;
    if (dedupe) replayed.add(id);
    stream.send(event.count > 1 ? "MODIFIED" : "ADDED", table ? toTable(eventTable, [event], include) : event);
  };
  // Subscribe before listing so nothing recorded in between is lost; `replayed` drops the overlap.
  const buffered: KubeEvent[] = [];
  let live = !replay;
  const handle = ctx.eventLog.watch(filter, (event) => (live ? send(event, false) : buffered.push(event)));
  stream.onEnd(() => handle.close());
  if (!replay) return;
  ctx.eventLog.list(filter).then(
    (events) => {
      for (const event of [...events, ...buffered.splice(0)]) send(event, true);
      replayed.clear();
      live = true;
    },
    (error: unknown) => {
      ctx.logger.error({ err: error }, "listing events for a watch failed");
      stream.end();
    },
  );
}

/** eventRoutes serve events under core/v1 (what `kubectl describe` reads) and under berth.dev/v1 (for the berth CLI). */
export function eventRoutes(ctx: ApiContext): Router {
  const router = Router();
  const handler = (req: Request, res: Response) => listEvents(ctx, req, res);
  for (const base of ["/api/v1", GROUP_PATH]) {
    router.get(`${base}/events`, handler);
    router.get(`${base}/namespaces/:namespace/events`, handler);
  }
  return router;
}
