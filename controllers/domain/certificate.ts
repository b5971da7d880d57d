import { X509Certificate } from "node:crypto";
import { secretValue, type DomainSpec, type Resource } from "../../resources/index.ts";
// From the modules, not proxy/index.ts, which would load the proxy's forwarding code into the daemon.
import { validateCertificate, type CertificateSpec } from "../../proxy/cert-map.ts";
import { CertificateError } from "../../proxy/errors.ts";
import { refOf } from "./desired.ts";

/** CertificateInfo is what a Domain's status says about the certificate it serves. */
export interface CertificateInfo {
  notBefore: string;
  notAfter: string;
  issuer: string;
  serial: string;
  secretName?: string;
}

/** CertificateVerdict is a Domain's certificate as loaded: ready with its spec and facts, or why not (a PascalCase reason). */
export type CertificateVerdict =
  | { ready: true; spec: CertificateSpec; info: CertificateInfo }
  | { ready: false; reason: string; message: string };

/** TLS_CERT and TLS_KEY are the keys of a TLS Secret, as in Kubernetes (`kubernetes.io/tls`). */
export const TLS_CERT = "tls.crt";
export const TLS_KEY = "tls.key";

/**
 * secretCertificate loads a `tls.mode: secret` Domain's certificate from its Secret: both keys present, the pair
 * loadable, the certificate covering the Domain's host and not expired. Messages never include key material.
 */
export function secretCertificate(domain: Resource, secret: Resource | undefined, now: Date): CertificateVerdict {
  const spec = domain.spec as DomainSpec;
  const secretName = spec.tls.secretRef?.name ?? "";
  if (!secret) return { ready: false, reason: "SecretNotFound", message: `Secret ${secretName} does not exist` };
  const cert = secretValue(secret as { data?: unknown }, TLS_CERT);
  const key = secretValue(secret as { data?: unknown }, TLS_KEY);
  if (!cert || !key) return { ready: false, reason: "SecretIncomplete", message: `Secret ${secretName} needs both ${TLS_CERT} and ${TLS_KEY}` };
  const certificate: CertificateSpec = { name: refOf(domain), hosts: [spec.host], cert, key };
  let x509: X509Certificate;
  try {
    validateCertificate(certificate);
    x509 = new X509Certificate(cert);
  } catch (error) {
    const detail = error instanceof CertificateError ? (error.cause as Error | undefined)?.message ?? error.message : (error as Error).message;
    return { ready: false, reason: "CertificateInvalid", message: `Secret ${secretName} does not hold a usable certificate and key: ${detail}` };
  }
  if (!covers(x509, spec.host)) return { ready: false, reason: "CertificateHostMismatch", message: `the certificate in Secret ${secretName} does not cover ${spec.host} (${x509.subjectAltName ?? x509.subject})` };
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= now.getTime()) return { ready: false, reason: "CertificateExpired", message: `the certificate in Secret ${secretName} expired at ${notAfter.toISOString()}` };
  return {
    ready: true,
    spec: certificate,
    info: { notBefore: new Date(x509.validFrom).toISOString(), notAfter: notAfter.toISOString(), issuer: x509.issuer.replace(/\n/g, ", "), serial: x509.serialNumber, secretName },
  };
}

/** covers tells whether a certificate is valid for a host (a wildcard host needs the same wildcard in the certificate). */
function covers(x509: X509Certificate, host: string): boolean {
  if (!host.startsWith("*.")) return x509.checkHost(host) !== undefined;
  return (x509.subjectAltName ?? "").split(",").some((entry) => entry.trim().toLowerCase() === `dns:${host}`);
}
