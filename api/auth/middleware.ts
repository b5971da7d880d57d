import type { RequestHandler, Response } from "express";
import { UnauthorizedError } from "../http-errors.ts";
import type { Identity, TokenStore } from "./token-store.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * authenticate requires `Authorization: Bearer <token>` and puts the token's Identity on `res.locals.identity`;
 * a missing or unknown token is a 401 Unauthorized Status. The header is never logged.
 */
export function authenticate(tokens: TokenStore): RequestHandler {
  return (req, res, next) => {
    const identity = bearerIdentity(tokens, req.headers.authorization);
    if (!identity) {
      next(new UnauthorizedError("Unauthorized"));
      return;
    }
    res.locals.identity = identity;
    next();
  };
}

/** bearerIdentity resolves an `Authorization: Bearer <token>` header to its token's Identity, if there is one. */
export function bearerIdentity(tokens: TokenStore, header: string | undefined): Identity | undefined {
  const match = BEARER.exec(header ?? "");
  return match ? tokens.authenticate(match[1]!) : undefined;
}

/** identityOf returns the identity authenticate() attached; routes behind it can rely on one being there. */
export function identityOf(res: Response): Identity {
  const identity = res.locals.identity as Identity | undefined;
  if (!identity) throw new UnauthorizedError("Unauthorized");
  return identity;
}
