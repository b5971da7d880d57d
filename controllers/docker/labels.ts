/**
 * Labels Berth puts on every Docker object it owns (docs/architecture.md): any container, volume or network can be
 * traced back to its object, and the spec hash tells whether it is current.
 */

/** LABEL_PREFIX starts every Berth label. */
export const LABEL_PREFIX = "berth.dev/";

/** LABELS are the label keys Berth writes and reads. */
export const LABELS = {
  /** owner is `Kind/namespace/name` of the object the Docker object belongs to: the key of its controller's work queue. */
  owner: "berth.dev/owner",
  namespace: "berth.dev/namespace",
  kind: "berth.dev/kind",
  name: "berth.dev/name",
  /** specHash is the hash of the configuration the object was made from; a different hash means replace it. */
  specHash: "berth.dev/spec-hash",
  revision: "berth.dev/revision",
  replica: "berth.dev/replica",
  /**
   * instance names the berthd (by its data directory's id) that made a container. Orphans are removed only
   * when they carry this daemon's instance, so two Berth installations sharing a Docker Engine (or a test
   * next to a running berthd) never delete each other's containers.
   */
  instance: "berth.dev/instance",
  /** managed marks objects Berth made that belong to no one object, such as namespace networks. */
  managed: "berth.dev/managed",
} as const;

/** OwnerRef names the Berth object a Docker object belongs to. */
export interface OwnerRef {
  kind: string;
  namespace: string;
  name: string;
}

/** ownerValue renders the owner label: `App/default/web`, the same form as a work-queue key. */
export function ownerValue(owner: OwnerRef): string {
  return `${owner.kind}/${owner.namespace}/${owner.name}`;
}

/** parseOwner reads an owner label back; undefined when it is not `Kind/namespace/name`. */
export function parseOwner(value: string | undefined): OwnerRef | undefined {
  const parts = value?.split("/");
  if (!parts || parts.length !== 3 || parts.some((p) => p === "")) return undefined;
  const [kind = "", namespace = "", name = ""] = parts;
  return { kind, namespace, name };
}

/** ownerLabels are the labels every Docker object owned by `owner` carries. */
export function ownerLabels(owner: OwnerRef): Record<string, string> {
  return {
    [LABELS.owner]: ownerValue(owner),
    [LABELS.namespace]: owner.namespace,
    [LABELS.kind]: owner.kind,
    [LABELS.name]: owner.name,
  };
}

/** ownerFilter is a Docker `label` filter matching the objects of one owner. */
export function ownerFilter(owner: OwnerRef): string {
  return `${LABELS.owner}=${ownerValue(owner)}`;
}

/** instanceFilter is a Docker `label` filter matching the objects made by one berthd. */
export function instanceFilter(instance: string): string {
  return `${LABELS.instance}=${instance}`;
}

/** kindFilter is a Docker `label` filter matching the objects owned by any object of one kind. */
export function kindFilter(kind: string): string {
  return `${LABELS.kind}=${kind}`;
}
