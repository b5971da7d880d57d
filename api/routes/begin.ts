import type { Request, Response } from "express";
import { API_VERSION } from "../../resources/index.ts";
import { authorize, type Verb } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import type { Identity } from "../auth/token-store.ts";
import { noteRequest, scopeOf, type Scope } from "../context.ts";

/** GROUP_PATH is where every kind is served. */
export const GROUP_PATH = `/apis/${API_VERSION}`;

/** begin resolves a resource request's scope, names its verb for metrics and logs, and checks the caller's role. */
export function begin(req: Request, res: Response, verb: Verb): { scope: Scope; identity: Identity } {
  const scope = scopeOf(req, res);
  noteRequest(res, verb, scope.definition.plural);
  const identity = identityOf(res);
  authorize(identity, verb, `${scope.definition.plural}.berth.dev`, scope.namespace);
  return { scope, identity };
}
