import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { BadRequestError, NotFoundError, secretValue, type AppSpec, type Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import type { EventRecorder } from "../../controllers/events/types.ts";
import { DeliveryLog } from "../hooks/delivery-log.ts";
import { ensurePreview, removePreview, requestBuild, type HookActionDeps, type Outcome } from "../hooks/hook-actions.ts";
import type { HookEvent } from "../hooks/hook-event.ts";
import { PROVIDERS } from "../hooks/providers.ts";
import { MethodNotAllowedError, UnauthorizedError } from "../http-errors.ts";
import { noteRequest } from "../context.ts";
import { errorHandler, sendStatus, success } from "../status.ts";

/** HOOK_BODY_LIMIT_BYTES bounds a delivery (1 MiB; GitHub caps its payloads at 25 MB, but pushes are small): larger is 413. */
export const HOOK_BODY_LIMIT_BYTES = 1024 * 1024;

/** HookDependencies are what the webhook routes read and write. */
export interface HookDependencies {
  store: ResourceStore;
  logger: Logger;
  /** recorder receives the events about Apps (rejected deliveries, build requests, previews). */
  recorder?: EventRecorder;
  /** deliveries remembers recent delivery ids to ignore replays (default: in memory only). */
  deliveries?: DeliveryLog;
  /** now is the clock previews are stamped with (default: the real one). */
  now?: () => Date;
}

/** NOT_FOUND is the one answer for an unknown provider, App, or App without a webhook secret: a caller cannot tell which. */
const NOT_FOUND = "webhook not found";

/**
 * hookRoutes serves `POST /hooks/{github,gitlab,gitea,forgejo,bitbucket}/NAMESPACE/APP` (mounted under `/hooks`,
 * before bearer-token authentication: a delivery proves itself with its signature). The raw body (at most
 * 1 MiB) is verified against the App's `build.webhook.secretRef` Secret before anything parses it; then a
 * replayed delivery id is ignored, a ping is answered, a push to the App's ref becomes a build request, and
 * pull (merge) request events make, update or remove preview Apps. See docs/builds.md.
 */
export function hookRoutes(deps: HookDependencies): Router {
  const deliveries = deps.deliveries ?? new DeliveryLog();
  const actions: HookActionDeps = { store: deps.store, ...(deps.recorder ? { recorder: deps.recorder } : {}), now: deps.now ?? (() => new Date()) };
  const router = express.Router();
  const path = "/:provider/:namespace/:name";
  router.post(path, express.raw({ type: () => true, limit: HOOK_BODY_LIMIT_BYTES }), (req, res) => receive(deps, deliveries, actions, req, res));
  router.all(path, () => {
    throw new MethodNotAllowedError("webhooks are delivered with POST");
  });
  router.use(errorHandler(deps.logger));
  return router;
}

/** receive handles one delivery, in the order that keeps unverified bytes away from everything but the HMAC. */
async function receive(deps: HookDependencies, deliveries: DeliveryLog, actions: HookActionDeps, req: Request, res: Response): Promise<void> {
  const { provider: providerName = "", namespace = "", name = "" } = req.params as Record<string, string | undefined>;
  noteRequest(res, "deliver", "hooks");
  const provider = PROVIDERS.get(providerName);
  if (!provider) throw new NotFoundError(NOT_FOUND);
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const app = await deps.store.get({ kind: "App", namespace, name }).catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError(NOT_FOUND) : error;
  });
  const secret = await webhookSecret(deps, app);
  if (secret === undefined) throw new NotFoundError(NOT_FOUND);
  const verdict = provider.verify(req.headers, raw, secret);
  if (!verdict.ok) {
    deps.recorder?.record(app, "Warning", "WebhookRejected", `a ${provider.name} delivery was rejected: ${verdict.problem}`);
    throw new UnauthorizedError("the delivery's signature could not be verified");
  }
  const appKey = `${namespace}/${name}`;
  const id = provider.deliveryId(req.headers);
  if (id !== undefined && !deliveries.claim(appKey, id)) {
    sendStatus(res, success(`delivery ${id} was already received: ignored`));
    return;
  }
  try {
    const outcome = await act(actions, app, provider.event(req.headers, parsePayload(req, raw)));
    if (id !== undefined) await deliveries.persist().catch((error: unknown) => deps.logger.warn({ err: error }, "could not write the webhook delivery log"));
    sendStatus(res, { ...success(outcome.message), code: outcome.code });
  } catch (error) {
    if (id !== undefined) deliveries.release(appKey, id);
    throw error;
  }
}

/** webhookSecret is the App's shared secret, or undefined when it has none (no build, no webhook, missing or empty key). */
async function webhookSecret(deps: HookDependencies, app: Resource): Promise<string | undefined> {
  const ref = (app.spec as AppSpec).build?.webhook?.secretRef;
  if (!ref) return undefined;
  try {
    const secret = await deps.store.get({ kind: "Secret", namespace: app.metadata.namespace, name: ref.name });
    const value = secretValue(secret as { data?: unknown }, ref.key);
    if (value) return value;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  // Only readers of the App's events learn this; the caller gets the same 404 as for an unknown App.
  deps.recorder?.record(app, "Warning", "WebhookSecretMissing", `webhook deliveries are refused: Secret ${ref.name} has no key ${ref.key}`);
  return undefined;
}

/** parsePayload reads a verified body: JSON, or GitHub's form encoding (`payload=<json>`). */
function parsePayload(req: Request, raw: Buffer): unknown {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  const text = type === "application/x-www-form-urlencoded" ? (new URLSearchParams(raw.toString("utf8")).get("payload") ?? "") : raw.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new BadRequestError(`the delivery's body is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/** act carries out a verified event; a ping is 200, everything else 202 (the work happens later, in controllers). */
async function act(actions: HookActionDeps, app: Resource, event: HookEvent): Promise<Outcome & { code: number }> {
  switch (event.type) {
    case "ping":
      return { message: "pong", code: 200 };
    case "push":
      return { ...(await requestBuild(actions, app, event.changes)), code: 202 };
    case "pull": {
      const head = { number: event.number, ref: event.headRef, commit: event.commit };
      const outcome = event.action === "close" ? await removePreview(actions, app, event.number) : await ensurePreview(actions, app, head);
      return { ...outcome, code: 202 };
    }
    case "ignored":
      return { message: `event ${event.name || "(unnamed)"} ignored`, code: 202 };
  }
}
