/**
 * Errors shared by every layer. Each failure has its own class (as in nats.js v3) so callers branch with
 * `instanceof`, never on message text; the API maps each class to a Kubernetes `Status` with its HTTP code.
 */
import { BerthError } from "../lib/errors.ts";

/** FieldCause names one invalid field by its dotted path (`spec.env[0].name`). */
export interface FieldCause {
  field: string;
  message: string;
}

/** ValidationError is invalid intent: a manifest or write that does not satisfy its kind's schema (HTTP 422). */
export class ValidationError extends BerthError {
  override name = "ValidationError";
  readonly causes: FieldCause[];
  constructor(message: string, causes: FieldCause[] = [], options?: ErrorOptions) {
    super(message, options);
    this.causes = causes;
  }
}

/** BadRequestError is a request the server cannot even interpret: bad JSON, a bad selector (HTTP 400). */
export class BadRequestError extends BerthError {
  override name = "BadRequestError";
}

/** NotFoundError is a missing object or an unknown kind (HTTP 404). */
export class NotFoundError extends BerthError {
  override name = "NotFoundError";
}

/** AlreadyExistsError is a create of a name that is taken (HTTP 409, reason AlreadyExists). */
export class AlreadyExistsError extends BerthError {
  override name = "AlreadyExistsError";
}

/** ConflictError is a write carrying a stale resourceVersion or a failed precondition (HTTP 409, reason Conflict). */
export class ConflictError extends BerthError {
  override name = "ConflictError";
}

/** ExpiredError is a watch or continue token older than the history kept (HTTP 410, reason Expired). */
export class ExpiredError extends BerthError {
  override name = "ExpiredError";
}

/** TerminalError is a reconcile failure that retrying cannot fix: the object is marked Stalled instead. */
export class TerminalError extends BerthError {
  override name = "TerminalError";
  /** reason is the PascalCase condition reason reported on the object. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
