import { Router, type Request, type Response } from "express";
import { API_VERSION, ExpiredError, NotFoundError, ValidationError, type Resource } from "../../resources/index.ts";
import type { DeleteOptions, ListOptions, ListResult } from "../../store/index.ts";
import { canReadNamespace } from "../auth/authorize.ts";
import { isKindPlural, type ApiContext, type Scope } from "../context.ts";
import { dryRunDelete } from "../dry-run.ts";
import { MethodNotAllowedError } from "../http-errors.ts";
import { present } from "../present.ts";
import { isDryRun, isWatch, nonNegativeInt, queryParam } from "../query.ts";
import { sendJson } from "../respond.ts";
import { includeObjectOf, kindTable, toTable, wantsTable } from "../table.ts";
import { createObject, replaceObject } from "../writes.ts";
import { GROUP_PATH, begin } from "./begin.ts";
import { deleteOptionsOf } from "./delete-options.ts";
import { patchRoute } from "./patch.ts";
import { statusRoutes } from "./status-subresource.ts";
import { serveResourceWatch } from "./watch.ts";

function methodNotAllowed(req: Request): never {
  throw new MethodNotAllowedError(`the server does not allow this method on the requested resource: ${req.method} ${req.path}`);
}

function listOptionsOf(req: Request, scope: Scope): ListOptions {
  const limit = nonNegativeInt(req, "limit");
  const labelSelector = queryParam(req, "labelSelector");
  const fieldSelector = queryParam(req, "fieldSelector");
  const token = queryParam(req, "continue");
  return {
    ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
    ...(limit ? { limit } : {}),
    ...(token ? { continue: token } : {}),
  };
}

/** listObjects lists a kind; a continue token the store cannot read is 410 Expired, which makes clients list afresh. */
async function listObjects(ctx: ApiContext, scope: Scope, options: ListOptions): Promise<ListResult> {
  try {
    return await ctx.store.list(scope.definition.kind, options);
  } catch (error) {
    if (options.continue && error instanceof ValidationError && error.causes.some((c) => c.field === "continue"))
      throw new ExpiredError("the provided continue parameter is too old or malformed; list again without it", { cause: error });
    throw error;
  }
}

async function list(ctx: ApiContext, req: Request, res: Response): Promise<void> {
  const watching = isWatch(req);
  const { scope, identity } = begin(req, res, watching ? "watch" : "list");
  if (watching) {
    serveResourceWatch(ctx, req, res, { definition: scope.definition, ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}), identity });
    return;
  }
  const result = await listObjects(ctx, scope, listOptionsOf(req, scope));
  const visible = scope.namespace !== undefined ? result.items : result.items.filter((o) => canReadNamespace(identity, o.metadata.namespace));
  const items = visible.map((o) => present(o, identity));
  const metadata = {
    resourceVersion: result.resourceVersion,
    ...(result.continue ? { continue: result.continue } : {}),
    ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
  };
  if (wantsTable(req)) {
    sendJson(res, toTable(kindTable(scope.definition), items, includeObjectOf(req), metadata));
    return;
  }
  sendJson(res, { apiVersion: API_VERSION, kind: `${scope.definition.kind}List`, metadata, items });
}

async function getOne(ctx: ApiContext, req: Request, res: Response): Promise<void> {
  if (isWatch(req)) {
    const { scope, identity } = begin(req, res, "watch");
    serveResourceWatch(ctx, req, res, { definition: scope.definition, namespace: scope.namespace!, fieldSelector: `metadata.name=${scope.name}`, identity });
    return;
  }
  const { scope, identity } = begin(req, res, "get");
  const object = present(await ctx.store.get({ kind: scope.definition.kind, namespace: scope.namespace!, name: scope.name! }), identity);
  if (wantsTable(req)) {
    sendJson(res, toTable(kindTable(scope.definition), [object], includeObjectOf(req), { resourceVersion: object.metadata.resourceVersion ?? "" }));
    return;
  }
  sendJson(res, object);
}

async function create(ctx: ApiContext, req: Request, res: Response): Promise<void> {
  const { scope, identity } = begin(req, res, "create");
  const name = (req.body as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  if (typeof name === "string" && name !== "") res.locals.target = { ...res.locals.target, name };
  const object = await createObject(ctx.store, scope, req.body, isDryRun(req));
  sendJson(res, present(object, identity), 201);
}

async function replace(ctx: ApiContext, req: Request, res: Response): Promise<void> {
  const { scope, identity } = begin(req, res, "update");
  sendJson(res, present(await replaceObject(ctx.store, scope, req.body, isDryRun(req)), identity));
}

async function remove(ctx: ApiContext, req: Request, res: Response): Promise<void> {
  const { scope, identity } = begin(req, res, "delete");
  const options: DeleteOptions & { dryRun?: boolean } = deleteOptionsOf(req);
  const key = { kind: scope.definition.kind, namespace: scope.namespace!, name: scope.name! };
  const object = options.dryRun ? await dryRunDelete(ctx.store, key, options) : await ctx.store.delete(key, options);
  sendJson(res, present(object, identity));
}

/** removeCollection deletes every object that matches the selectors (DELETE on the collection) and returns them. */
async function removeCollection(ctx: ApiContext, req: Request, res: Response): Promise<void> {
  const { scope, identity } = begin(req, res, "deletecollection");
  const options = deleteOptionsOf(req);
  const { limit: _ignored, continue: _alsoIgnored, ...selection } = listOptionsOf(req, scope);
  const { items } = await listObjects(ctx, scope, selection);
  const deleted: Resource[] = [];
  for (const obj of items) {
    const key = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
    try {
      deleted.push(options.dryRun ? await dryRunDelete(ctx.store, key, options) : await ctx.store.delete(key, options));
    } catch (error) {
      // Deleted by someone else since the list: that is the outcome asked for.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  sendJson(res, { apiVersion: API_VERSION, kind: `${scope.definition.kind}List`, metadata: { resourceVersion: String(ctx.store.revision()) }, items: deleted.map((o) => present(o, identity)) });
}

/**
 * resourceRoutes is the one generic router over the registry: every kind, namespaced
 * (`/apis/berth.dev/v1/namespaces/<ns>/<plural>[/<name>[/status]]`), plus `/apis/berth.dev/v1/<plural>`
 * listing and watching across namespaces.
 */
export function resourceRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.param("plural", (_req, _res, next, plural: string) => (isKindPlural(plural) ? next() : next("route")));
  const h = (fn: (ctx: ApiContext, req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => fn(ctx, req, res);
  router.route(`${GROUP_PATH}/:plural`).get(h(list)).all(methodNotAllowed);
  router.route(`${GROUP_PATH}/namespaces/:namespace/:plural`).get(h(list)).post(h(create)).delete(h(removeCollection)).all(methodNotAllowed);
  router.route(`${GROUP_PATH}/namespaces/:namespace/:plural/:name`).get(h(getOne)).put(h(replace)).patch(patchRoute(ctx, "main")).delete(h(remove)).all(methodNotAllowed);
  router.use(statusRoutes(ctx));
  return router;
}
