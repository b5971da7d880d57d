/** api is the Kubernetes-style HTTPS API of the daemon: the server, its TLS certificate and token-based auth. */
export { startApiServer, type ApiServer, type ApiServerOptions } from "./server.ts";
export { createApp, type Api, type ApiDependencies, type AppExtension } from "./app.ts";
export { ensureServingCertificate, type ServingCertificate } from "./tls.ts";
export { TokenStore, ROLES, type Identity, type Role, type RoleBinding, type TokenInfo } from "./auth/token-store.ts";
export { humanDuration } from "../lib/human-duration.ts";
export { redactSecret, LAST_APPLIED } from "./present.ts";
export { UnauthorizedError, ForbiddenError, MethodNotAllowedError, UnsupportedMediaTypeError } from "./http-errors.ts";
