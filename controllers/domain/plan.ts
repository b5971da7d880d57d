import type { DomainSpec, Resource } from "../../resources/index.ts";
import type { CertificateSpec, RouteSpec } from "../../proxy/index.ts";
import type { ConditionInput } from "../runtime/index.ts";
import { secretCertificate, type CertificateInfo, type CertificateVerdict } from "./certificate.ts";
import { desiredRoute, domainUrl, refOf, resolveClaims } from "./desired.ts";

/** DomainVerdict is what the plan found about one Domain; its conditions and status follow from it. */
export interface DomainVerdict {
  conflictsWith?: string;
  appFound: boolean;
  endpoints: number;
  /** certificate is undefined for `tls.mode: none`. */
  certificate?: CertificateVerdict;
  url: string;
}

/** Plan is the proxy's desired state and the verdict on every Domain, computed from one snapshot of the caches. */
export interface Plan {
  routes: RouteSpec[];
  certs: CertificateSpec[];
  verdicts: Map<string, DomainVerdict>;
}

/** PlanInput is the snapshot a plan is built from: every Domain, and lookups by `namespace/name`. */
export interface PlanInput {
  domains: readonly Resource[];
  app(ref: string): Resource | undefined;
  secret(ref: string): Resource | undefined;
  ports: { httpPort: number; httpsPort: number };
  now: Date;
  /** acme gives a `tls.mode: acme` Domain's certificate; without it such Domains stay `IssuancePending`. */
  acme?: (domain: Resource) => CertificateVerdict;
}

const ACME_PENDING: CertificateVerdict = {
  ready: false,
  reason: "IssuancePending",
  message: "ACME issuance is not configured in this controller; the Domain is served over plain HTTP until a certificate is loaded",
};

/**
 * buildPlan computes routes, certificates and verdicts for every Domain. A Domain that loses a host+path claim
 * gets no route; one whose App is missing or has no ready replica keeps a route without upstreams, so its host
 * answers 503 (the App is the problem) instead of 404 (no such site).
 */
export function buildPlan(input: PlanInput): Plan {
  const claims = resolveClaims(input.domains);
  const routes: RouteSpec[] = [];
  const certs: CertificateSpec[] = [];
  const verdicts = new Map<string, DomainVerdict>();
  for (const domain of input.domains) {
    if (domain.metadata.deletionTimestamp) continue;
    const spec = domain.spec as DomainSpec;
    const ref = refOf(domain);
    const app = input.app(`${domain.metadata.namespace}/${spec.appRef.name}`);
    const certificate =
      spec.tls.mode === "none" ? undefined : spec.tls.mode === "secret" ? secretCertificate(domain, input.secret(`${domain.metadata.namespace}/${spec.tls.secretRef?.name}`), input.now) : input.acme ? input.acme(domain) : ACME_PENDING;
    const tlsReady = certificate?.ready === true;
    const route = desiredRoute(domain, app, tlsReady);
    const conflictsWith = claims.get(ref)?.conflictsWith;
    verdicts.set(ref, { ...(conflictsWith ? { conflictsWith } : {}), appFound: app !== undefined && !app.metadata.deletionTimestamp, endpoints: route.upstreams.length, ...(certificate ? { certificate } : {}), url: domainUrl(spec, tlsReady, input.ports) });
    if (conflictsWith) continue;
    routes.push(route);
    if (certificate?.ready) certs.push(certificate.spec);
  }
  return { routes, certs, verdicts };
}

/** DomainConditions are the conditions and status fields a verdict gives a Domain. */
export interface DomainConditions {
  routed: ConditionInput;
  certificate?: ConditionInput;
  ready: ConditionInput;
  certificateInfo?: CertificateInfo;
}

/** conditionsFor turns a verdict into `Routed`, `CertificateReady` (unless TLS is off) and `Ready`. */
export function conditionsFor(domain: Resource, verdict: DomainVerdict): DomainConditions {
  const spec = domain.spec as DomainSpec;
  const where = spec.path === "/" ? spec.host : `${spec.host}${spec.path}`;
  const app = spec.appRef.name;
  const routed: ConditionInput = verdict.conflictsWith
    ? { type: "Routed", status: "False", reason: "HostConflict", message: `${where} is already routed by Domain ${verdict.conflictsWith}, which is older` }
    : !verdict.appFound
      ? { type: "Routed", status: "False", reason: "AppNotFound", message: `App ${app} does not exist; ${where} answers 503` }
      : verdict.endpoints === 0
        ? { type: "Routed", status: "False", reason: "NoReadyEndpoints", message: `App ${app} has no ready replica; ${where} answers 503` }
        : { type: "Routed", status: "True", reason: "RouteActive", message: `${where} is served by ${verdict.endpoints} ready replica(s) of App ${app}` };
  const cert = verdict.certificate;
  const certificate: ConditionInput | undefined = cert
    ? cert.ready
      ? { type: "CertificateReady", status: "True", reason: "CertificateLoaded", message: `certificate from Secret ${cert.info.secretName} valid until ${cert.info.notAfter}` }
      : { type: "CertificateReady", status: "False", reason: cert.reason, message: cert.message }
    : undefined;
  const failing = routed.status !== "True" ? routed : certificate && certificate.status !== "True" ? certificate : undefined;
  const ready: ConditionInput = failing
    ? { type: "Ready", status: "False", reason: failing.reason, message: failing.message ?? "" }
    : { type: "Ready", status: "True", reason: "Ready", message: `serving ${verdict.url}` };
  return { routed, ready, ...(certificate ? { certificate } : {}), ...(cert?.ready ? { certificateInfo: cert.info } : {}) };
}
