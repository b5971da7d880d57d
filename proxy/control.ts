import type { CertificateSpec } from "./cert-map.ts";
import type { RouteSpec } from "./route-table.ts";

/**
 * ProxyControl is the proxy as the daemon's controllers see it, whether it serves in-process or from worker
 * processes. Every update replaces one part whole and resolves once every serving process uses it: after
 * `setRoutes` resolves, no new request is sent to an upstream missing from `routes` (what a rollout's drain
 * relies on), and after `setChallenge` resolves, the CA may validate.
 */
export interface ProxyControl {
  /** httpPort is the port plain HTTP is served on. */
  readonly httpPort: number;
  /** httpsPort is the port HTTPS is served on. */
  readonly httpsPort: number;
  /** setRoutes replaces the route table. */
  setRoutes(routes: readonly RouteSpec[]): Promise<void>;
  /** setCertificates replaces the certificate map; throws CertificateError (and changes nothing) if a PEM pair does not load. */
  setCertificates(certs: readonly CertificateSpec[]): Promise<void>;
  /** setChallenge adds an ACME HTTP-01 token and its key authorization. */
  setChallenge(token: string, keyAuthorization: string): Promise<void>;
  /** deleteChallenge removes an ACME HTTP-01 token. */
  deleteChallenge(token: string): Promise<void>;
  /** close stops serving: in-flight requests get a grace period, then are cut. */
  close(): Promise<void>;
}
