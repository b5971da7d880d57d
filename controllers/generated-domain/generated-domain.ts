import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { admit, type AppSpec, type DomainSpec, type Resource } from "../../resources/index.ts";

/** GeneratedDomainOptions say where generated hosts live and how they are served. */
export interface GeneratedDomainOptions {
  /** baseDomain is the daemon's `--base-domain`: every App gets `<app>-<namespace>.<baseDomain>`. */
  baseDomain: string;
  /** tls is the generated Domains' TLS mode: `acme` (a certificate per host) or `none` (plain HTTP). */
  tls: "acme" | "none";
}

/** OPT_OUT is the App annotation that turns its generated Domain off (`"false"`). */
export const OPT_OUT = "berth.dev/generated-domain";

/** GENERATED_LABEL marks Domains this controller made (with the App's name as value). */
export const GENERATED_LABEL = "berth.dev/generated-for";

const MAX_LABEL = 63;

/**
 * boundedLabel keeps a DNS label within 63 characters: a longer one keeps its start and ends with a hash of
 * the whole, so two long names stay distinct.
 */
export function boundedLabel(label: string): string {
  if (label.length <= MAX_LABEL) return label;
  const hash = createHash("sha256").update(label).digest("hex").slice(0, 8);
  return `${label.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** generatedDomainName is the name of an App's generated Domain: `<app>-generated`, in the App's namespace. */
export function generatedDomainName(app: Resource): string {
  return boundedLabel(`${app.metadata.name}-generated`);
}

/**
 * generatedHost is an App's automatic host: `<app>-<namespace>.<baseDomain>`; for the preview of pull request N
 * of App `web` (labels `berth.dev/preview-of`, `berth.dev/preview-number`), `pr-N-web-<namespace>.<baseDomain>`.
 */
export function generatedHost(app: Resource, baseDomain: string): string {
  const previewOf = app.metadata.labels?.["berth.dev/preview-of"];
  const number = app.metadata.labels?.["berth.dev/preview-number"];
  const label = previewOf && number ? `pr-${number}-${previewOf}-${app.metadata.namespace}` : `${app.metadata.name}-${app.metadata.namespace}`;
  return `${boundedLabel(label)}.${baseDomain.toLowerCase().replace(/^\.+|\.+$/g, "")}`;
}

/**
 * wantsGeneratedDomain tells whether an App gets a generated Domain: it listens on a port (there is something
 * to route to), it is not being deleted, and it has not opted out with the annotation.
 */
export function wantsGeneratedDomain(app: Resource): boolean {
  if (app.metadata.deletionTimestamp) return false;
  if (app.metadata.annotations?.[OPT_OUT] === "false") return false;
  return (app.spec as AppSpec).port !== undefined;
}

/** desiredGeneratedDomain is the Domain an App should have: owned by it, so it is deleted with it. */
export function desiredGeneratedDomain(app: Resource, options: GeneratedDomainOptions): Resource {
  return admit({
    apiVersion: "berth.dev/v1",
    kind: "Domain",
    metadata: {
      name: generatedDomainName(app),
      namespace: app.metadata.namespace,
      labels: { [GENERATED_LABEL]: app.metadata.name, "berth.dev/managed-by": "generated-domain-controller" },
      ownerReferences: [{ apiVersion: "berth.dev/v1", kind: "App", name: app.metadata.name, uid: app.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: { host: generatedHost(app, options.baseDomain), appRef: { name: app.metadata.name }, tls: { mode: options.tls } },
  });
}

/** ownedBy tells whether an object names the App as its controlling owner. */
export function ownedBy(obj: Resource, app: Resource): boolean {
  return (obj.metadata.ownerReferences ?? []).some((o) => o.kind === "App" && o.uid === app.metadata.uid && o.controller === true);
}

/**
 * appUrl is the URL an App is reached at, for its `status.url`: of the Domains routing to it, a user's own
 * before a generated one, a routed one before one that is not, the oldest first.
 */
export function appUrl(domains: readonly Resource[]): string | undefined {
  const candidates = domains.filter((d) => !d.metadata.deletionTimestamp && typeof d.status?.url === "string");
  const rank = (d: Resource) => (d.metadata.labels?.[GENERATED_LABEL] ? 2 : 0) + (d.status?.routed === true ? 0 : 1);
  candidates.sort((a, b) => rank(a) - rank(b) || (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""));
  return candidates[0]?.status?.url as string | undefined;
}

/** sameSpec compares a Domain's spec with the desired one (both with defaults applied). */
export function sameSpec(a: Resource, b: Resource): boolean {
  return isDeepStrictEqual(a.spec as DomainSpec, b.spec as DomainSpec);
}
