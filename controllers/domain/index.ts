/** domain is the Domain controller: it turns Domains, App endpoints and TLS Secrets into the proxy's routes and certificates. */
export { DomainController, createDomainController, type DomainControllerOptions } from "./domain-controller.ts";
export { buildPlan, conditionsFor, type Plan, type PlanInput, type DomainVerdict, type DomainConditions } from "./plan.ts";
export { resolveClaims, claimOf, olderFirst, desiredRoute, upstreamsFor, domainUrl, refOf } from "./desired.ts";
export { secretCertificate, TLS_CERT, TLS_KEY, type CertificateInfo, type CertificateVerdict } from "./certificate.ts";
export { AcmeCertificates, tlsSecretName, type AcmeCertificatesOptions } from "./acme-certificates.ts";
