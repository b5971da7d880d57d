import type { Express } from "express";
import { noteRequest } from "../context.ts";

/** Readiness says what the process is still starting (`"proxy"`, `"controllers"`), or undefined once it is ready. */
export type Readiness = () => string | undefined;

/**
 * healthRoutes answer without authentication, for probes and scripts, as kube-apiserver's do: `/livez` and
 * `/healthz` are 200 once the API serves; `/readyz` is 200 once everything behind it is started too (the
 * proxy, the controllers, the manifests directory) and 503 naming what is still starting before that.
 */
export function healthRoutes(app: Express, readiness?: Readiness): void {
  app.get(["/healthz", "/livez"], (_req, res) => {
    noteRequest(res, "get", "health");
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 2 }).end("ok");
  });
  app.get("/readyz", (_req, res) => {
    noteRequest(res, "get", "health");
    const pending = readiness?.();
    const body = pending === undefined ? "ok" : `starting: ${pending}`;
    res.writeHead(pending === undefined ? 200 : 503, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) }).end(body);
  });
}
