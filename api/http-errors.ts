/**
 * Errors that only the HTTP layer raises. Store and admission failures use the classes of
 * `resources/errors.ts`; these complete the set of Kubernetes `Status` reasons the API answers with.
 */
import { BerthError } from "../lib/errors.ts";

/** UnauthorizedError is a request without a valid bearer token (HTTP 401). */
export class UnauthorizedError extends BerthError {
  override name = "UnauthorizedError";
}

/** ForbiddenError is an authenticated request that its token's roles do not allow (HTTP 403). */
export class ForbiddenError extends BerthError {
  override name = "ForbiddenError";
}

/** MethodNotAllowedError is a verb a path does not support (HTTP 405). */
export class MethodNotAllowedError extends BerthError {
  override name = "MethodNotAllowedError";
}

/** UnsupportedMediaTypeError is a body or patch type the server does not accept, e.g. strategic merge (HTTP 415). */
export class UnsupportedMediaTypeError extends BerthError {
  override name = "UnsupportedMediaTypeError";
}

/** PayloadTooLargeError is a request body above the size limit (HTTP 413). */
export class PayloadTooLargeError extends BerthError {
  override name = "PayloadTooLargeError";
}

/** TooManyRequestsError is a request over a limit, e.g. too many open watches for one token (HTTP 429). */
export class TooManyRequestsError extends BerthError {
  override name = "TooManyRequestsError";
}
