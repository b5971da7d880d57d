/** ProxyStartError is a listener or worker that could not start (a port in use, a worker that died on start). */
export class ProxyStartError extends Error {
  override readonly name = "ProxyStartError";
}

/** ProxyUpdateTimeoutError is a route, certificate or challenge update that not every worker applied in time. */
export class ProxyUpdateTimeoutError extends Error {
  override readonly name = "ProxyUpdateTimeoutError";
}

/** ProxyClosedError is an update sent to a proxy that has been closed. */
export class ProxyClosedError extends Error {
  override readonly name = "ProxyClosedError";
}

/** CertificateError is a certificate or key the proxy cannot load (bad PEM, key not matching the certificate). */
export class CertificateError extends Error {
  override readonly name = "CertificateError";
}
