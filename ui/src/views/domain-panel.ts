import { html } from "../lib/html.ts";
import { dateTime, until } from "../lib/format.ts";
import { conditionOf, type BerthObject } from "../lib/objects.ts";
import { detailHref } from "../lib/router.ts";
import { Fields, Section, type PluralOf } from "./common.ts";

interface DomainSpec {
  host: string;
  path?: string;
  appRef: { name: string; port?: number };
  tls?: { mode?: string; issuer?: string; secretRef?: { name: string } };
}
interface DomainStatus {
  routed?: boolean;
  url?: string;
  certificate?: { notBefore: string; notAfter: string; issuer: string; serial: string; secretName?: string };
  issuance?: { failures: number; lastError: string; retryAt: string };
}

/** EXPIRY_WARNING_DAYS: a certificate this close to expiry is flagged (renewal starts at a third of its life). */
const EXPIRY_WARNING_DAYS = 14;

/** DomainSummary: the route (host and path to an App's port) and the certificate with its renewal state. */
export function DomainSummary({ domain, now, pluralOf }: { domain: BerthObject; now: number; pluralOf: PluralOf }) {
  const spec = domain.spec as unknown as DomainSpec;
  const s = (domain.status ?? {}) as DomainStatus;
  const cert = s.certificate;
  const certReady = conditionOf(domain, "CertificateReady");
  const daysLeft = cert ? (Date.parse(cert.notAfter) - now) / 86_400_000 : undefined;
  return html`
    <${Section} title="Route">
      <${Fields} label="Route" rows=${[
        ["Host", `${spec.host}${spec.path && spec.path !== "/" ? spec.path : ""}`],
        ["App", html`<a href=${detailHref(pluralOf("App"), domain.metadata.namespace, spec.appRef.name)}>${spec.appRef.name}</a>${spec.appRef.port ? `:${spec.appRef.port}` : ""}`],
        ["Routed", s.routed === undefined ? "unknown" : s.routed ? "yes" : "no"],
        ["URL", s.url ? html`<a href=${s.url} rel="noreferrer noopener" target="_blank">${s.url}</a>` : undefined],
      ]} />
    </${Section}>
    <${Section} title="Certificate">
      <${Fields} label="Certificate" rows=${[
        ["TLS", spec.tls?.mode ?? "acme"],
        ["Issuer", cert?.issuer ?? (spec.tls?.issuer ? `${spec.tls.issuer} (requested)` : undefined)],
        ["Valid from", cert ? dateTime(cert.notBefore) : undefined],
        ["Expires", cert ? html`<span class=${daysLeft! < EXPIRY_WARNING_DAYS ? "warn" : ""} data-expiry>${dateTime(cert.notAfter)} (${until(cert.notAfter, now)})</span>` : html`<span class="muted">no certificate yet</span>`],
        ["Serial", cert?.serial],
        ["Secret", cert?.secretName ? html`<a href=${detailHref(pluralOf("Secret"), domain.metadata.namespace, cert.secretName)}>${cert.secretName}</a>` : undefined],
        ["Renewal", certReady ? html`<span class=${`cond cond-${certReady.status.toLowerCase()}`}>${certReady.reason}</span> ${certReady.message}` : undefined],
        ["Failed orders", s.issuance ? String(s.issuance.failures) : undefined],
        ["Last ACME error", s.issuance ? html`<span class="error-text" data-acme-error>${s.issuance.lastError}</span>` : undefined],
        ["Next attempt", s.issuance ? until(s.issuance.retryAt, now) : undefined],
      ]} />
    </${Section}>`;
}
