import { LABELS, ownerValue, type OwnerRef } from "./labels.ts";
import { NameConflictError } from "./errors.ts";

/**
 * Ownership of Docker objects is proved by labels, never by names (docs/architecture.md, "Docker objects"): an
 * object is Berth's for `owner` only when its owner label names exactly that object. Every reuse or delete by
 * name goes through `ownedBy` or `assertOwnedBy` first.
 */

/** ownedBy tells whether labels prove a Docker object belongs to `owner`. */
export function ownedBy(labels: Record<string, string> | null | undefined, owner: OwnerRef): boolean {
  return (labels ?? {})[LABELS.owner] === ownerValue(owner);
}

/** assertOwnedBy throws NameConflictError unless labels prove the object named `name` belongs to `owner`. */
export function assertOwnedBy(what: string, name: string, labels: Record<string, string> | null | undefined, owner: OwnerRef): void {
  if (!ownedBy(labels, owner)) throw new NameConflictError(what, name, (labels ?? {})[LABELS.owner]);
}
