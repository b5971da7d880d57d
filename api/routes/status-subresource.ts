import { Router, type Request, type Response } from "express";
import { MethodNotAllowedError } from "../http-errors.ts";
import { isKindPlural, type ApiContext } from "../context.ts";
import { present } from "../present.ts";
import { isDryRun } from "../query.ts";
import { sendJson } from "../respond.ts";
import { replaceStatus } from "../writes.ts";
import { patchRoute } from "./patch.ts";
import { GROUP_PATH, begin } from "./begin.ts";

/**
 * statusRoutes serve the `/status` subresource: GET returns the whole object; PUT and PATCH change only
 * `status` (validated with the kind's status schema) and ignore everything else, as CRDs do.
 */
export function statusRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.param("plural", (_req, _res, next, plural: string) => (isKindPlural(plural) ? next() : next("route")));
  router
    .route(`${GROUP_PATH}/namespaces/:namespace/:plural/:name/status`)
    .get(async (req: Request, res: Response) => {
      const { scope, identity } = begin(req, res, "get");
      sendJson(res, present(await ctx.store.get({ kind: scope.definition.kind, namespace: scope.namespace!, name: scope.name! }), identity));
    })
    .put(async (req: Request, res: Response) => {
      const { scope, identity } = begin(req, res, "update");
      sendJson(res, present(await replaceStatus(ctx.store, scope, req.body, isDryRun(req)), identity));
    })
    .patch(patchRoute(ctx, "status"))
    .all((req: Request) => {
      throw new MethodNotAllowedError(`the server does not allow this method on the requested resource: ${req.method} ${req.path}`);
    });
  return router;
}
