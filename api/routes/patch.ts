import type { Request, RequestHandler, Response } from "express";
import type { ApiContext } from "../context.ts";
import { patchTypeOf } from "../patching.ts";
import { present } from "../present.ts";
import { isDryRun } from "../query.ts";
import { sendJson } from "../respond.ts";
import { patchObject } from "../writes.ts";
import { begin } from "./begin.ts";

/**
 * patchRoute serves PATCH on an object or its status by Content-Type: merge-patch (RFC 7386), json-patch
 * (RFC 6902) and server-side apply (creates when missing, 201); strategic merge is 415.
 */
export function patchRoute(ctx: ApiContext, subresource: "main" | "status"): RequestHandler {
  return async (req: Request, res: Response) => {
    const { scope, identity } = begin(req, res, "patch");
    const type = patchTypeOf(req.headers["content-type"]);
    const { object, created } = await patchObject(ctx.store, scope, type, req.body, isDryRun(req), subresource);
    sendJson(res, present(object, identity), created ? 201 : 200);
  };
}
