import type { RequestListener } from "node:http";
import express, { type Express, type RequestHandler } from "express";
import type { Logger } from "pino";
import type { EventLog } from "../controllers/events/types.ts";
import { NotFoundError } from "../resources/index.ts";
import type { ResourceStore } from "../store/index.ts";
import type { AuditLog } from "./audit/audit-log.ts";
import { auditRequest, auditRequests } from "./audit/audit-request.ts";
import { authenticate } from "./auth/middleware.ts";
import { requireAuthentication } from "./auth/public-paths.ts";
import type { TokenStore } from "./auth/token-store.ts";
import { berthVersion } from "../lib/berth-version.ts";
import { bodyParsers } from "./body.ts";
import type { ApiContext } from "./context.ts";
import { ApiMetrics } from "./metrics.ts";
import { observeRequest, observeRequests } from "./observe.ts";
import { auditRoutes } from "./routes/audit.ts";
import { discoveryRoutes } from "./routes/discovery.ts";
import { eventRoutes } from "./routes/events.ts";
import { fastCreateRoute } from "./routes/fast-create.ts";
import { healthRoutes, type Readiness } from "./routes/health.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { resourceRoutes } from "./routes/resources.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { watchAllRoutes } from "./routes/watch-all.ts";
import { errorHandler } from "./status.ts";
import { WatchRegistry } from "./watch-registry.ts";

/**
 * AppExtension mounts extra routes on the API's listener (the daemon's logs endpoint, the web UI). Whatever it
 * mounts needs a bearer token unless its path is on the public allow-list (auth/public-paths.ts): the gate
 * runs before every route. `authenticate` is there for routes that want the identity again (it is idempotent).
 * Creates on the kinds' collections (`POST /apis/berth.dev/v1/namespaces/<ns>/<plural>`) are answered before
 * express, so an extension cannot take those.
 */
export type AppExtension = (app: Express, helpers: { authenticate: RequestHandler; logger: Logger }) => void;

/** combineExtensions mounts several AppExtensions, in order, as one. */
export function combineExtensions(...extensions: AppExtension[]): AppExtension {
  return (app, helpers) => {
    for (const extend of extensions) extend(app, helpers);
  };
}

/** ApiDependencies are what the API is built from. */
export interface ApiDependencies {
  store: ResourceStore;
  eventLog: EventLog;
  tokens: TokenStore;
  logger: Logger;
  extend?: AppExtension;
  /** bookmarkIntervalMs is the period of watch BOOKMARK events (default 10 s). */
  bookmarkIntervalMs?: number;
  /** readiness backs `/readyz` (absent: ready as soon as the API serves). */
  readiness?: Readiness;
  /** audit records users' writes and refused requests, and backs `GET .../audit` (absent: no audit log). */
  audit?: AuditLog;
  /** maxWatchesPerToken bounds the watches one token may hold open (default 100; over it: 429). */
  maxWatchesPerToken?: number;
  /** hooks serves webhook deliveries under `/hooks` (see hookRoutes); they carry signatures, not bearer tokens. */
  hooks?: RequestHandler;
}

/** Api is the request handler and a shutdown hook that ends live watches. */
export interface Api {
  handler: RequestListener;
  /** metrics are the API's Prometheus metrics; see ApiMetrics.load. */
  metrics: ApiMetrics;
  shutdown(): void;
}

const DEFAULT_BOOKMARK_INTERVAL_MS = 10_000;

/**
 * createApp builds the Kubernetes-style API: a fast route for creates (see fastCreateRoute) in front of an
 * express app that serves everything else, including whatever the fast route leaves to it. In the express app
 * order matters: observation (logs, metrics, audit), the default-deny gate (a bearer token for every path not
 * on the public allow-list), health, extensions, bodies, the generic resource router, the all-kinds watch,
 * tokens, events, audit, discovery, metrics, a 404 Status, and the error handler that turns errors into Statuses.
 */
export function createApp(deps: ApiDependencies): Api {
  const watches = new WatchRegistry(deps.maxWatchesPerToken);
  const ctx: ApiContext = {
    store: deps.store,
    eventLog: deps.eventLog,
    tokens: deps.tokens,
    logger: deps.logger,
    watches,
    bookmarkIntervalMs: deps.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS,
  };
  const metrics = new ApiMetrics(deps.store, watches);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  app.use(observeRequests(deps.logger, metrics));
  if (deps.audit) app.use(auditRequests(deps.audit));
  const auth = authenticate(deps.tokens);
  app.use(requireAuthentication(auth));
  healthRoutes(app, deps.readiness);
  deps.extend?.(app, { authenticate: auth, logger: deps.logger });
  if (deps.hooks) app.use("/hooks", deps.hooks);
  app.use(...bodyParsers());
  // Resources first: they are the hot path; paths whose plural is not a kind fall through to the rest.
  app.use(resourceRoutes(ctx));
  app.use(watchAllRoutes(ctx));
  app.use(tokenRoutes(deps.tokens));
  app.use(eventRoutes(ctx));
  app.use(auditRoutes(deps.audit));
  app.use(discoveryRoutes(berthVersion()));
  app.use(metricsRoutes(metrics));
  app.use(() => {
    throw new NotFoundError("the server could not find the requested resource");
  });
  app.use(errorHandler(deps.logger));
  const fastCreate = fastCreateRoute(ctx, (req, res, labels, facts) => {
    observeRequest(deps.logger, metrics, req, res, labels);
    if (deps.audit) auditRequest(deps.audit, req, res, facts);
  });
  const handler: RequestListener = (req, res) => {
    if (!fastCreate(req, res)) app(req, res);
  };
  return { handler, metrics, shutdown: () => watches.closeAll() };
}
