import { X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";

/** ServingCertificate is what the HTTPS listener needs, plus the CA that clients (kubectl, the CLI) trust. */
export interface ServingCertificate {
  /** cert is the serving certificate (PEM), signed by `ca`. */
  cert: string;
  /** key is the serving certificate's private key (PEM). */
  key: string;
  /** ca is the certificate of the private CA that signed `cert` (PEM): what a kubeconfig's certificate-authority-data holds. */
  ca: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_DAYS = 3650;
const SERVING_LIFETIME_DAYS = 825;
/** RENEW_BEFORE_DAYS: a serving certificate this close to expiry is replaced at start (with the same CA). */
const RENEW_BEFORE_DAYS = 30;

const FILES = { caCert: "ca.crt", caKey: "ca.key", cert: "tls.crt", key: "tls.key" } as const;

/**
 * ensureServingCertificate returns the API's serving certificate, creating it in `dir` on first use and reusing
 * it afterwards. It makes a private CA (`ca.crt`, `ca.key`) and a serving certificate signed by it (`tls.crt`,
 * `tls.key`) with SANs `IP:127.0.0.1`, `DNS:localhost` and the given hosts. Keeping the CA lets the serving
 * certificate be renewed or given new hosts without every kubeconfig having to change. Keys are mode 0600.
 */
export async function ensureServingCertificate(dir: string, hosts: string[] = []): Promise<ServingCertificate> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = ["127.0.0.1", "localhost", ...hosts.filter((h) => h !== "127.0.0.1" && h !== "localhost")];
  const ca = (await readPair(dir, FILES.caCert, FILES.caKey)) ?? (await createCa(dir));
  const serving = await readPair(dir, FILES.cert, FILES.key);
  if (serving && servingIsUsable(serving.cert, ca.cert, names)) return { cert: serving.cert, key: serving.key, ca: ca.cert };
  const fresh = await createServing(ca, names);
  await writeAtomic(join(dir, FILES.key), fresh.key, 0o600);
  await writeAtomic(join(dir, FILES.cert), fresh.cert, 0o644);
  return { ...fresh, ca: ca.cert };
}

async function readPair(dir: string, certFile: string, keyFile: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, certFile), "utf8"), readFile(join(dir, keyFile), "utf8")]);
    return { cert, key };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** servingIsUsable: signed by this CA, not close to expiry, and naming every wanted host. */
function servingIsUsable(certPem: string, caPem: string, names: string[]): boolean {
  const cert = new X509Certificate(certPem);
  if (!cert.checkIssued(new X509Certificate(caPem))) return false;
  if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  const san = cert.subjectAltName ?? "";
  return names.every((n) => san.includes(isIP(n) ? `IP Address:${n}` : `DNS:${n}`));
}

async function createCa(dir: string): Promise<{ cert: string; key: string }> {
  const now = new Date();
  const { generate } = await loadSelfsigned();
  const pems = await generate([{ name: "commonName", value: "berth-api-ca" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + CA_LIFETIME_DAYS * DAY_MS),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  await writeAtomic(join(dir, FILES.caKey), pems.private, 0o600);
  await writeAtomic(join(dir, FILES.caCert), pems.cert, 0o644);
  return { cert: pems.cert, key: pems.private };
}

async function createServing(ca: { cert: string; key: string }, names: string[]): Promise<{ cert: string; key: string }> {
  const now = new Date();
  const { generate } = await loadSelfsigned();
  const pems = await generate([{ name: "commonName", value: "berth-api" }], {
    keyType: "ec",
    algorithm: "sha256",
    ca,
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + SERVING_LIFETIME_DAYS * DAY_MS),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** writeAtomic writes through a temporary file and a rename, so a crash never leaves half a key behind. */
async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode, flush: true });
  await rename(tmp, path);
}

/** loadSelfsigned imports the certificate generator only when a certificate is made: it is large, and most starts reuse the files. */
function loadSelfsigned(): Promise<typeof import("selfsigned")> {
  return import("selfsigned");
}
