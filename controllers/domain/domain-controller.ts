import { NotFoundError, type DomainSpec, type Resource } from "../../resources/index.ts";
import { parseKey, type ResourceStore } from "../../store/index.ts";
import type { ProxyControl } from "../../proxy/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/clock.ts";
import { EventSource, Informer, informerFor, mappingSource, objectKey, resyncSource, removeCondition, setCondition, watchSource, writeStatus, type Controller, type SharedInformers, type ControllerOptions, type InformerEvent, type Key, type ReconcileContext, type Result, type Source } from "../runtime/index.ts";
import { AcmeCertificates, tlsSecretName, type AcmeCertificatesOptions } from "./acme-certificates.ts";
import type { RoutedUpstreams } from "../workloads/routed-upstreams.ts";
import { buildPlan, conditionsFor, type Plan } from "./plan.ts";

/** DomainControllerOptions wire the controller to the store, the proxy it feeds, and optional events. */
export interface DomainControllerOptions {
  store: ResourceStore;
  proxy: ProxyControl;
  logger: Logger;
  recorder?: EventRecorder;
  clock?: Clock;
  /** resyncMs re-checks every Domain this often (certificate expiry, drift); default 5 min. */
  resyncMs?: number;
  /** informers are the daemon's shared informers (absent: the controller keeps its own). */
  informers?: SharedInformers;
  /** acme enables certificates for `tls.mode: acme` Domains (without it they stay `IssuancePending`). */
  acme?: Omit<AcmeCertificatesOptions, "store" | "responder" | "logger">;
  /** routed learns the replica addresses of every route table once the proxy uses it (read by the App controller). */
  routed?: RoutedUpstreams;
}

const BY_APP = "domain-controller:app";
const BY_SECRET = "domain-controller:secret";
const BY_HOST = "domain-controller:host";

/**
 * DomainController routes Domains. Every reconcile rebuilds the whole plan (routes and certificates of every
 * Domain, from the informer caches of Domains, Apps and Secrets), hands it to the proxy when it changed, waits
 * until every proxy process uses it, and only then writes the reconciled Domain's status: `Routed=True` means
 * the route is live. App changes (endpoints), Secret changes and other Domains claiming the same host map back
 * to the Domains concerned. Reconciles run one at a time, so plans reach the proxy in order.
 */
export class DomainController implements Controller {
  readonly name = "domain-controller";
  readonly kind = "Domain";
  readonly options: ControllerOptions = { maxConcurrentReconciles: 1 };
  private readonly deps: DomainControllerOptions;
  private readonly domains: Informer;
  private readonly apps: Informer;
  private readonly secrets: Informer;
  private changes = 0;
  private planned = -1;
  private plan: Plan = { routes: [], certs: [], verdicts: new Map() };
  private published: { routes?: string; certs?: string } = {};
  /** acme issues and renews certificates of `tls.mode: acme` Domains, when configured. */
  readonly acme: AcmeCertificates | undefined;
  private readonly acmeDone = new EventSource<string>("acme orders", (ref) => [`Domain/${ref}`]);

  constructor(deps: DomainControllerOptions) {
    this.deps = deps;
    const options = { logger: deps.logger, ...(deps.clock ? { clock: deps.clock } : {}) };
    this.domains = informerFor(deps.informers, deps.store, "Domain", options);
    this.apps = informerFor(deps.informers, deps.store, "App", options);
    this.secrets = informerFor(deps.informers, deps.store, "Secret", options);
    const spec = (d: Resource) => d.spec as DomainSpec;
    this.domains.addIndex(BY_APP, (d) => [`${d.metadata.namespace}/${spec(d).appRef.name}`]);
    this.domains.addIndex(BY_SECRET, (d) =>
      spec(d).tls.mode === "acme" ? [`${d.metadata.namespace}/${tlsSecretName(d)}`] : spec(d).tls.secretRef ? [`${d.metadata.namespace}/${spec(d).tls.secretRef!.name}`] : [],
    );
    this.domains.addIndex(BY_HOST, (d) => [spec(d).host.toLowerCase()]);
    for (const informer of [this.domains, this.apps, this.secrets]) informer.addHandler(() => void this.changes++);
    this.acme = deps.acme
      ? new AcmeCertificates({ ...deps.acme, store: deps.store, responder: deps.proxy, logger: deps.logger.child({ component: "acme" }) }, (ref) => {
          this.changes++;
          this.acmeDone.emit(ref);
        })
      : undefined;
  }

  sources(): Source[] {
    const related = (index: string) => (obj: Resource, event: InformerEvent) => {
      const values = new Set([obj, event.previous].filter((o): o is Resource => o !== undefined).map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
      return [...values].flatMap((v) => this.domains.byIndex(index, v).map(objectKey));
    };
    const sameHost = (obj: Resource, event: InformerEvent) => {
      const hosts = new Set([obj, event.previous].filter((o): o is Resource => o !== undefined).map((o) => (o.spec as DomainSpec).host.toLowerCase()));
      return [...hosts].flatMap((h) => this.domains.byIndex(BY_HOST, h).map(objectKey));
    };
    return [
      watchSource(this.domains),
      mappingSource(this.domains, sameHost, "domains sharing a host"),
      mappingSource(this.apps, related(BY_APP), "domains of an app"),
      mappingSource(this.secrets, related(BY_SECRET), "domains of a secret"),
      resyncSource(this.domains, this.deps.resyncMs ?? 300_000),
      this.acmeDone,
    ];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    await this.publish(ctx);
    const domain = this.domains.get(key);
    const verdict = this.plan.verdicts.get(`${parseKey(key).namespace}/${parseKey(key).name}`);
    if (!domain || !verdict) return {};
    const decided = conditionsFor(domain, verdict);
    const generation = domain.metadata.generation;
    const now = ctx.now();
    const previous = domain.status?.conditions?.find((c) => c.type === "Routed");
    try {
      await writeStatus(this.deps.store, domain, (status) => {
        let next = setCondition(status, decided.routed, generation, now);
        next = decided.certificate ? setCondition(next, decided.certificate, generation, now) : removeCondition(next, "CertificateReady");
        next = setCondition(next, decided.ready, generation, now);
        const { certificate: _old, ...rest } = next;
        return { ...rest, observedGeneration: generation, routed: decided.routed.status === "True", url: verdict.url, ...(decided.certificateInfo ? { certificate: decided.certificateInfo } : {}) };
      });
    } catch (error) {
      if (error instanceof NotFoundError) return {};
      throw error;
    }
    if (previous?.status !== decided.routed.status || previous.reason !== decided.routed.reason) {
      const type = decided.routed.status === "True" ? "Normal" : "Warning";
      this.deps.recorder?.record(domain, type, decided.routed.reason, decided.routed.message ?? "");
    }
    const previousCert = domain.status?.conditions?.find((c) => c.type === "CertificateReady");
    const cert = decided.certificate;
    if (cert && (previousCert?.status !== cert.status || previousCert.reason !== cert.reason) && cert.reason !== "Issuing") {
      this.deps.recorder?.record(domain, cert.status === "True" ? "Normal" : "Warning", cert.reason, cert.message ?? "");
    }
    if (!this.acme || verdict.conflictsWith) return {};
    const requeueAfterMs = this.acme.ensure(domain, this.secrets.get(`Secret/${domain.metadata.namespace}/${tlsSecretName(domain)}`), now);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /** publish rebuilds the plan if any cache changed since the last one, and sends what changed to the proxy. */
  private async publish(ctx: ReconcileContext): Promise<void> {
    if (this.planned === this.changes) return;
    const seen = this.changes;
    const plan = buildPlan({
      domains: this.domains.list(),
      app: (ref) => this.apps.get(`App/${ref}`),
      secret: (ref) => this.secrets.get(`Secret/${ref}`),
      ports: { httpPort: this.deps.proxy.httpPort, httpsPort: this.deps.proxy.httpsPort },
      now: ctx.now(),
      ...(this.acme ? { acme: (d: Resource) => this.acme!.verdict(d, this.secrets.get(`Secret/${d.metadata.namespace}/${tlsSecretName(d)}`), ctx.now()) } : {}),
    });
    this.acme?.forget(new Set(this.domains.list().map((d) => `${d.metadata.namespace}/${d.metadata.name}`)));
    const routes = JSON.stringify(plan.routes);
    const certs = JSON.stringify(plan.certs);
    // Certificates first: a route switching to HTTPS must find its certificate already loaded.
    if (certs !== this.published.certs) {
      await this.deps.proxy.setCertificates(plan.certs);
      this.published.certs = certs;
    }
    if (routes !== this.published.routes) {
      await this.deps.proxy.setRoutes(plan.routes);
      this.deps.routed?.replace(plan.routes);
      this.published.routes = routes;
      ctx.log.debug({ routes: plan.routes.length, certificates: plan.certs.length }, "published routes to the proxy");
    }
    this.plan = plan;
    this.planned = seen;
  }

  /** publishedRoutes returns the routes of the last plan (for diagnostics and tests). */
  publishedRoutes(): Plan["routes"] {
    return this.plan.routes;
  }
}

/** createDomainController returns the Domain controller for `Manager.add`. */
export function createDomainController(options: DomainControllerOptions): DomainController {
  return new DomainController(options);
}
