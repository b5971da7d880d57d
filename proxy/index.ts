/**
 * proxy is Berth's HTTP(S) reverse proxy: Host and path-prefix routing over an immutable route table swapped
 * atomically, SNI certificate selection, ACME HTTP-01 answers, WebSockets, retries over ready replicas, and
 * worker threads on every core inside the daemon, fed by messages.
 */
export { RouteTable, normalizeHost, prefixMatches, type Route, type RouteSpec, type Upstream } from "./route-table.ts";
export { CertMap, createFallbackCertificate, validateCertificate, type CertificateSpec, type PemPair } from "./cert-map.ts";
export { ChallengeTokens, CHALLENGE_PREFIX } from "./challenges.ts";
export { PAGES, ERROR_HEADER, type ProxyErrorKind } from "./pages.ts";
export { DEFAULT_LIMITS, type ProxyLimits } from "./limits.ts";
export { DATA_PLANE_ENV, type DataPlaneName } from "./data-plane.ts";
export { ProxyServer, type ListenTarget, type ListeningPorts, type ProxyServerOptions } from "./server.ts";
export { InProcessProxy, type InProcessProxyOptions } from "./in-process.ts";
export { ProxyThreads, reusePortSupported, type ProxyThreadsOptions, type ListenerSharing } from "./threads.ts";
export { startProxy, type StartProxyOptions } from "./start.ts";
export { ProxyStartError, ProxyUpdateTimeoutError, ProxyClosedError, CertificateError } from "./errors.ts";
export type { ProxyControl } from "./control.ts";
