import { Router } from "express";
import { API_VERSION, BadRequestError } from "../../resources/index.ts";
import { requireAdmin } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import type { RoleBinding, TokenStore } from "../auth/token-store.ts";
import { noteRequest } from "../context.ts";
import { sendJson } from "../respond.ts";
import { success } from "../status.ts";
import { GROUP_PATH } from "./begin.ts";

/**
 * tokenRoutes let admins of every namespace manage API tokens: `GET` lists them (never their values), `POST
 * {name, bindings}` creates one and returns its plaintext once, `DELETE .../tokens/<name>` revokes one.
 */
export function tokenRoutes(tokens: TokenStore): Router {
  const router = Router();
  router.use(`${GROUP_PATH}/tokens`, (_req, res, next) => {
    noteRequest(res, _req.method === "GET" ? "list" : _req.method === "POST" ? "create" : "delete", "tokens");
    requireAdmin(identityOf(res), "tokens");
    next();
  });
  router.get(`${GROUP_PATH}/tokens`, (_req, res) => {
    sendJson(res, { apiVersion: API_VERSION, kind: "TokenList", items: tokens.list() });
  });
  router.post(`${GROUP_PATH}/tokens`, async (req, res) => {
    const body = req.body as { name?: unknown; bindings?: unknown } | undefined;
    if (typeof body !== "object" || body === null) throw new BadRequestError("expected a JSON object {name, bindings}");
    if (typeof body.name === "string") res.locals.auditName = body.name; // the audit log names the token made (never its value)
    const created = await tokens.create(body.name as string, body.bindings as RoleBinding[]);
    const info = tokens.list().find((t) => t.name === created.name)!;
    sendJson(res, { apiVersion: API_VERSION, kind: "Token", ...info, token: created.token }, 201);
  });
  router.delete(`${GROUP_PATH}/tokens/:name`, async (req, res) => {
    await tokens.revoke(req.params.name);
    sendJson(res, success(`token "${req.params.name}" revoked`));
  });
  return router;
}
