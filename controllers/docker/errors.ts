/**
 * Errors of the Docker access layer. Each failure has its own class so controllers branch with `instanceof`
 * and pick a condition reason (`ImageNotFound`, `ImagePullFailed`) without reading message text.
 */
import { BerthError } from "../../lib/errors.ts";

/** DockerError is a Docker Engine call that failed; `statusCode` is the Engine's HTTP status when there was one. */
export class DockerError extends BerthError {
  override name = "DockerError";
  readonly statusCode: number | undefined;
  constructor(message: string, statusCode?: number, options?: ErrorOptions) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

/** DockerUnavailableError is an Engine that does not answer (not running, wrong `--docker-host`). */
export class DockerUnavailableError extends BerthError {
  override name = "DockerUnavailableError";
}

/** ImageNotFoundError is an image that is neither local nor known to its registry. */
export class ImageNotFoundError extends BerthError {
  override name = "ImageNotFoundError";
  readonly image: string;
  constructor(image: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.image = image;
  }
}

/** ImagePullError is a pull that failed for another reason (registry unreachable, credentials refused). */
export class ImagePullError extends BerthError {
  override name = "ImagePullError";
  readonly image: string;
  constructor(image: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.image = image;
  }
}

/** statusCodeOf reads the HTTP status docker-modem attaches to the errors it throws. */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** isNotFound tells whether a Docker call failed because its object does not exist (HTTP 404). */
export function isNotFound(err: unknown): boolean {
  return statusCodeOf(err) === 404;
}

/** isConflict tells whether a Docker call failed on a name in use or an object in the wrong state (HTTP 409). */
export function isConflict(err: unknown): boolean {
  return statusCodeOf(err) === 409;
}

/** isNotModified tells whether a start/stop found the container already in that state (HTTP 304). */
export function isNotModified(err: unknown): boolean {
  return statusCodeOf(err) === 304;
}

/**
 * isStaleTask tells whether a start failed because containerd still holds a task (or container) of that ID
 * from before dockerd restarted: Docker answers 500 "task <id>: already exists" (or "container <id>: already
 * exists", "id already in use") every time, so starting again never helps. The container must be removed and
 * made anew, with a new ID.
 */
export function isStaleTask(err: unknown): boolean {
  return statusCodeOf(err) === 500 && /already exists|id already in use/i.test((err as Error | null)?.message ?? "");
}

/**
 * NameConflictError is a Docker object that holds the name Berth wants but whose labels do not prove it belongs
 * to the object being reconciled (made by hand, by another tool, or by another Berth object). Berth never deletes
 * or reuses such an object: the owner's controller reports a `NameConflict` condition and waits.
 */
export class NameConflictError extends BerthError {
  override name = "NameConflictError";
  readonly objectName: string;
  /** heldBy is the holder's owner label, when it has one. */
  readonly heldBy: string | undefined;
  constructor(what: string, objectName: string, heldBy: string | undefined) {
    super(`${what} ${objectName} already exists and does not belong to this object${heldBy ? ` (it belongs to ${heldBy})` : " (it has no Berth owner label)"}`);
    this.objectName = objectName;
    this.heldBy = heldBy;
  }
}
