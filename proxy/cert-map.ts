import { createSecureContext, type SecureContext } from "node:tls";
import { CertificateError } from "./errors.ts";

/**
 * CertificateSpec is one certificate the proxy serves: PEM chain and key, and the hosts it is selected for
 * (exact, or one-label wildcards `*.example.com`). Plain data, so it crosses the IPC channel to workers.
 */
export interface CertificateSpec {
  /** name identifies the certificate's origin (`default/web-domain`) in logs and errors. */
  name: string;
  hosts: string[];
  cert: string;
  key: string;
}

/** PemPair is a certificate and its key, PEM-encoded. */
export interface PemPair {
  cert: string;
  key: string;
}

/**
 * CertMap selects a TLS context by SNI server name: exact host first, then the one-label wildcard, then the
 * fallback (a self-signed certificate, so a handshake for an unknown name still completes and the client sees
 * a clear certificate error instead of a reset). Immutable; an update builds a new map that replaces the old.
 */
export class CertMap {
  readonly specs: readonly CertificateSpec[];
  readonly fallback: PemPair;
  private readonly fallbackContext: SecureContext;
  private readonly exact = new Map<string, SecureContext>();
  private readonly wildcard = new Map<string, SecureContext>();

  /** constructor throws CertificateError naming the first spec whose PEM does not load. */
  constructor(specs: readonly CertificateSpec[], fallback: PemPair) {
    this.specs = specs;
    this.fallback = fallback;
    this.fallbackContext = load({ name: "fallback", hosts: [], ...fallback });
    for (const spec of specs) {
      const context = load(spec);
      for (const raw of spec.hosts) {
        const host = raw.toLowerCase();
        const [map, key] = host.startsWith("*.") ? [this.wildcard, host.slice(2)] : [this.exact, host];
        if (!map.has(key)) map.set(key, context);
      }
    }
  }

  /** select returns the context for an SNI server name (undefined or unknown → the fallback). */
  select(servername: string | undefined): SecureContext {
    if (!servername) return this.fallbackContext;
    const name = servername.toLowerCase();
    const exact = this.exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf(".");
    return (dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined) ?? this.fallbackContext;
  }

  /** has tells whether a certificate other than the fallback serves `servername`. */
  has(servername: string): boolean {
    return this.select(servername) !== this.fallbackContext;
  }
}

function load(spec: CertificateSpec): SecureContext {
  try {
    return createSecureContext({ cert: spec.cert, key: spec.key });
  } catch (error) {
    throw new CertificateError(`certificate ${spec.name} does not load: ${(error as Error).message}`, { cause: error });
  }
}

/** validateCertificate throws CertificateError if the PEM pair does not load (bad PEM, key not matching the certificate). */
export function validateCertificate(spec: CertificateSpec): void {
  load(spec);
}

/** createFallbackCertificate makes the self-signed certificate served for names without one (EC P-256, one year). */
export async function createFallbackCertificate(): Promise<PemPair> {
  // Loaded here, not at the top: every proxy worker imports this module, and selfsigned takes ~100 ms to load.
  const { generate } = await import("selfsigned");
  const now = Date.now();
  const pems = await generate([{ name: "commonName", value: "berth-proxy-fallback" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 365 * 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
