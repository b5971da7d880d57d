/**
 * Errors of the `berth` CLI. Each becomes exactly one line on stderr and exit code 1 (see `main.ts`): usage and
 * client-side problems print `error: ...`, server refusals print kubectl's `Error from server (Reason): ...`.
 */
import { BerthError } from "../lib/errors.ts";

/** UsageError is something the user typed that the CLI cannot act on (an unknown kind, a bad flag value). */
export class UsageError extends BerthError {
  override name = "UsageError";
}

/** ConfigError is a missing or unreadable configuration (no server, no token, an unreadable CA). */
export class ConfigError extends BerthError {
  override name = "ConfigError";
}

/** ConnectionError is a server that could not be reached or spoke something other than the API. */
export class ConnectionError extends BerthError {
  override name = "ConnectionError";
}

/** WaitTimeoutError is a `wait` or `delete --wait` that ran out of time. */
export class WaitTimeoutError extends BerthError {
  override name = "WaitTimeoutError";
}

/** StatusCause is one entry of a Kubernetes Status's `details.causes`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** ApiStatus is the Kubernetes `Status` object the API answers errors with. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  reason?: string;
  message?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: StatusCause[] };
}

/** ServerError is a request the server refused; it keeps the Status so callers branch on `code` or `reason`. */
export class ServerError extends BerthError {
  override name = "ServerError";
  readonly code: number;
  readonly reason: string;
  readonly status: ApiStatus;
  constructor(code: number, status: ApiStatus) {
    super(status.message ?? `the server answered ${code}`);
    this.code = code;
    this.reason = status.reason ?? reasonForCode(code);
    this.status = status;
  }
}

function reasonForCode(code: number): string {
  const reasons: Record<number, string> = { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout" };
  return reasons[code] ?? "Unknown";
}

/** isNotFound tells a 404 from the server apart from every other failure. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ServerError && error.code === 404;
}

/** errorLine renders any failure as the one line the CLI prints on stderr. */
export function errorLine(error: unknown): string {
  if (error instanceof ServerError) {
    if (error.code === 401) return "error: You must be logged in to the server (Unauthorized)";
    return `Error from server (${error.reason}): ${oneLine(error.message)}`;
  }
  if (error instanceof Error) return `error: ${oneLine(error.message)}`;
  return `error: ${oneLine(String(error))}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, "; ");
}
