import type { ServerResponse } from "node:http";
import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";
import {
  API_GROUP, AlreadyExistsError, BadRequestError, ConflictError, ExpiredError, NotFoundError, ValidationError,
} from "../resources/index.ts";
import { sendJson } from "./respond.ts";
import {
  ForbiddenError, MethodNotAllowedError, PayloadTooLargeError, TooManyRequestsError, UnauthorizedError, UnsupportedMediaTypeError,
} from "./http-errors.ts";

/** StatusCause is one field-level cause of an Invalid status (`details.causes[]`). */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** Status is the Kubernetes `Status` object every error (and some successes) is reported as. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message: string;
  reason?: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
}

/** Target names what a request was about, so error Statuses can carry `details` as Kubernetes does. */
export interface Target {
  plural?: string;
  kind?: string;
  name?: string;
}

/** REASONS maps HTTP codes to the Status reasons kubectl knows. */
const REASONS: Record<number, string> = {
  400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
  409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid",
  429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
};

/** failure builds a Failure Status. */
export function failure(code: number, message: string, reason = REASONS[code] ?? "Unknown", details?: Status["details"]): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code, ...(details ? { details } : {}) };
}

/** success builds a Success Status (used by token revocation). */
export function success(message = ""): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", message, code: 200 };
}

function codeOf(error: unknown): number {
  if (error instanceof ValidationError) return 422;
  if (error instanceof BadRequestError || error instanceof SyntaxError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof MethodNotAllowedError) return 405;
  if (error instanceof AlreadyExistsError || error instanceof ConflictError) return 409;
  if (error instanceof ExpiredError) return 410;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof UnsupportedMediaTypeError) return 415;
  if (error instanceof TooManyRequestsError) return 429;
  return 500;
}

/**
 * statusOf maps an error to its Status with `instanceof`. Invalid statuses carry `details.causes[].field` and a
 * message in kubectl's shape (`App.berth.dev "web" is invalid: spec.replicas: ...`).
 */
export function statusOf(error: unknown, target: Target = {}): Status {
  const code = codeOf(error);
  const group = target.plural ? API_GROUP : undefined;
  const base = { ...(target.name ? { name: target.name } : {}), ...(group ? { group } : {}) };
  if (error instanceof ValidationError) {
    const causes = error.causes.map((c) => ({ reason: "FieldValueInvalid", message: c.message, field: c.field }));
    const what = target.kind ? `${target.kind}.${API_GROUP} "${target.name ?? ""}"` : "the object";
    const detail = causes.length > 0 ? causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(", ") : error.message;
    return failure(422, `${what} is invalid: ${detail}`, "Invalid", { ...base, ...(target.kind ? { kind: target.kind } : {}), causes });
  }
  const details = target.plural ? { ...base, kind: target.plural } : undefined;
  if (code === 409) return failure(409, (error as Error).message, error instanceof AlreadyExistsError ? "AlreadyExists" : "Conflict", details);
  if (code === 500) return failure(500, "an internal error occurred; the server log has the details", "InternalError");
  return failure(code, (error as Error).message, undefined, details);
}

/** sendStatus writes a Status with its HTTP code as JSON. */
export function sendStatus(res: ServerResponse, status: Status): void {
  sendJson(res, status, status.code);
}

/** bodyParserCode reads the status that body-parser puts on its errors (413 too large, 400 unreadable, 415 charset). */
function bodyParserError(error: unknown): Error | undefined {
  const status = (error as { status?: unknown; expose?: unknown } | null)?.status;
  if (typeof status !== "number" || (error as { expose?: unknown }).expose !== true) return undefined;
  const message = (error as Error).message;
  if (status === 413) return new PayloadTooLargeError(`request entity too large: ${message}`);
  if (status === 415) return new UnsupportedMediaTypeError(message);
  return new BadRequestError(`the request body could not be read: ${message}`);
}

/**
 * sendError answers a failed request with the Status of its error (body-parser errors mapped to theirs) and
 * logs 5xx; a response already under way is cut off instead. `target` names what the request was about.
 */
export function sendError(logger: Logger, error: unknown, request: { method: string; path: string }, res: ServerResponse, target: Target = {}): void {
  const mapped = bodyParserError(error) ?? error;
  const status = statusOf(mapped, target);
  if (status.code >= 500) logger.error({ err: error, method: request.method, path: request.path }, "request failed");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendStatus(res, status);
}

/** errorHandler is the last express middleware: every thrown error becomes a Status; 5xx are logged. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    sendError(logger, error, req, res, res.locals.target as Target | undefined);
  };
}
