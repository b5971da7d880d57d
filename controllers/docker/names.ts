import { createHash } from "node:crypto";
import type { OwnerRef } from "./labels.ts";

/**
 * Names of the Docker objects Berth makes. They are deterministic (a controller that crashed half-way finds
 * what it made by name as well as by label), readable (`docker ps` shows which object a container serves) and
 * cannot collide across namespaces or kinds: joining namespace and name with `-` alone is ambiguous (App `c` in
 * `shop-x` and App `x-c` in `shop` would both be `shop-x-c`), so every name carries a short hash of the owner's
 * kind, namespace and name. A name is never proof of ownership: labels are (see `ownership.ts`).
 */

/** NAME_PREFIX starts every Docker object name Berth makes. */
export const NAME_PREFIX = "berth-";

/** ownerHash is 6 hex digits of sha256(`Kind/namespace/name`): the part of a name that makes it unambiguous. */
export function ownerHash(owner: OwnerRef): string {
  return createHash("sha256").update(`${owner.kind}/${owner.namespace}/${owner.name}`).digest("hex").slice(0, 6);
}

/**
 * objectName names a Docker object of `owner`: `berth-<ns>-<name>-<hash6>`, then each of `parts`
 * (`berth-shop-web-3f9a2c-4-0` is replica 0 of revision 4 of App `web` in namespace `shop`).
 */
export function objectName(owner: OwnerRef, ...parts: ReadonlyArray<string | number>): string {
  return [`${NAME_PREFIX}${owner.namespace}-${owner.name}-${ownerHash(owner)}`, ...parts.map(String)].join("-");
}

/** namespaceNetworkName is the bridge network of a namespace: `berth-<ns>-<hash6>`. */
export function namespaceNetworkName(namespace: string): string {
  const hash = createHash("sha256").update(`Namespace/${namespace}`).digest("hex").slice(0, 6);
  return `${NAME_PREFIX}${namespace}-${hash}`;
}

/** legacyObjectName is the ambiguous name of releases before the hash (`berth-<ns>-<name>-<parts>`), read only to keep data volumes made then. */
export function legacyObjectName(owner: OwnerRef, ...parts: ReadonlyArray<string | number>): string {
  return [`${NAME_PREFIX}${owner.namespace}-${owner.name}`, ...parts.map(String)].join("-");
}
