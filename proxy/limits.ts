/**
 * ProxyLimits bound what one client can hold of the proxy, so slow or malformed clients cannot exhaust it.
 * Every field has a default (DEFAULT_LIMITS); tests shorten them.
 */
export interface ProxyLimits {
  /** maxHeaderSize is the largest request head accepted, in bytes (larger → 431). */
  maxHeaderSize: number;
  /** headersTimeoutMs is how long a client may take to send a complete request head (slow-header clients are cut off). */
  headersTimeoutMs: number;
  /** requestTimeoutMs is how long a client may take to send a whole request, body included. */
  requestTimeoutMs: number;
  /** keepAliveTimeoutMs is how long an idle keep-alive connection is kept open between requests. */
  keepAliveTimeoutMs: number;
  /** idleTimeoutMs closes a connection with no traffic in either direction for this long (a stuck response). */
  idleTimeoutMs: number;
  /** connectionsCheckingIntervalMs is how often header, request and keep-alive timeouts, and idle upstream connections, are checked. */
  connectionsCheckingIntervalMs: number;
  /** upstreamTimeoutMs is how long an upstream may stay silent before the request fails with 504. */
  upstreamTimeoutMs: number;
  /** upstreamConnectTimeoutMs bounds connecting to an upstream; past it the next upstream is tried. */
  upstreamConnectTimeoutMs: number;
  /**
   * upstreamIdleTimeoutMs closes a kept-alive upstream connection unused this long (checked every
   * connectionsCheckingIntervalMs), before the upstream's own keep-alive timeout (Node's is 5 s) can race a
   * request on it.
   */
  upstreamIdleTimeoutMs: number;
  /** maxConnections per listener and process; connections beyond it are refused at accept. */
  maxConnections: number;
  /** maxSocketsPerUpstream bounds the connections to one upstream; requests beyond it wait for a free one. */
  maxSocketsPerUpstream: number;
  /** closeGraceMs is how long `close()` lets in-flight requests finish before it cuts them. */
  closeGraceMs: number;
}

/** DEFAULT_LIMITS are the limits of a production proxy. */
export const DEFAULT_LIMITS: Readonly<ProxyLimits> = Object.freeze({
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  connectionsCheckingIntervalMs: 1_000,
  upstreamTimeoutMs: 60_000,
  upstreamConnectTimeoutMs: 5_000,
  upstreamIdleTimeoutMs: 3_000,
  maxConnections: 10_000,
  maxSocketsPerUpstream: 512,
  closeGraceMs: 5_000,
});
