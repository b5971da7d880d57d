import type { AppSpec, DomainSpec, Resource } from "../../resources/index.ts";
import type { RouteSpec, Upstream } from "../../proxy/index.ts";

/** claimOf is what two Domains must not share: the host and the normalised path prefix. */
export function claimOf(spec: DomainSpec): string {
  const path = spec.path.length > 1 && spec.path.endsWith("/") ? spec.path.slice(0, -1) : spec.path;
  return `${spec.host.toLowerCase()}${path}`;
}

/** olderFirst orders Domains by creationTimestamp, then namespace and name: the first one keeps a contested claim. */
export function olderFirst(a: Resource, b: Resource): number {
  const at = a.metadata.creationTimestamp ?? "";
  const bt = b.metadata.creationTimestamp ?? "";
  if (at !== bt) return at < bt ? -1 : 1;
  const an = `${a.metadata.name}/${a.metadata.namespace}`;
  const bn = `${b.metadata.name}/${b.metadata.namespace}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/**
 * resolveClaims decides who routes each host+path: of the live Domains claiming one (across namespaces: hosts
 * are global), the oldest wins; every other gets the winner's `namespace/name`. Domains being deleted claim nothing.
 */
export function resolveClaims(domains: readonly Resource[]): Map<string, { conflictsWith?: string }> {
  const byClaim = new Map<string, Resource[]>();
  for (const domain of domains) {
    if (domain.metadata.deletionTimestamp) continue;
    const claim = claimOf(domain.spec as DomainSpec);
    byClaim.set(claim, [...(byClaim.get(claim) ?? []), domain]);
  }
  const verdicts = new Map<string, { conflictsWith?: string }>();
  for (const contenders of byClaim.values()) {
    const [winner, ...losers] = [...contenders].sort(olderFirst);
    verdicts.set(refOf(winner!), {});
    for (const loser of losers) verdicts.set(refOf(loser), { conflictsWith: refOf(winner!) });
  }
  return verdicts;
}

/** refOf is `namespace/name`. */
export function refOf(obj: Resource): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/**
 * upstreamsFor lists the App's ready endpoints (App `status.endpoints`). A Domain's `appRef.port` other than
 * the App's own port reaches the same replicas on that port.
 */
export function upstreamsFor(spec: DomainSpec, app: Resource | undefined): Upstream[] {
  if (!app || app.metadata.deletionTimestamp) return [];
  const endpoints = (app.status?.endpoints as Array<{ replica: string; host: string; port: number }> | undefined) ?? [];
  const override = spec.appRef.port !== undefined && spec.appRef.port !== (app.spec as AppSpec | undefined)?.port ? spec.appRef.port : undefined;
  return endpoints.map((e) => ({ id: e.replica, host: e.host, port: override ?? e.port }));
}

/**
 * desiredRoute is the route a Domain asks for. `tlsReady` says a certificate is loaded for its host: only then
 * is the route served over HTTPS and plain HTTP redirected (`redirectHttp`, default true with TLS), so a Domain
 * still waiting for its certificate keeps working over HTTP.
 */
export function desiredRoute(domain: Resource, app: Resource | undefined, tlsReady: boolean): RouteSpec {
  const spec = domain.spec as DomainSpec;
  return {
    host: spec.host,
    path: spec.path,
    name: refOf(domain),
    upstreams: upstreamsFor(spec, app),
    tls: tlsReady,
    redirectHttp: tlsReady && (spec.redirectHttp ?? true),
  };
}

/** domainUrl is where a Domain is served: `https://` once its certificate is loaded, ports shown unless default. */
export function domainUrl(spec: DomainSpec, tlsReady: boolean, ports: { httpPort: number; httpsPort: number }): string {
  const [scheme, port, standard] = tlsReady ? ["https", ports.httpsPort, 443] : ["http", ports.httpPort, 80];
  return `${scheme}://${spec.host}${port === standard ? "" : `:${port}`}${spec.path}`;
}
