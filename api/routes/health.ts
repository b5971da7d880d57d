import type { Express } from "express";
import { noteRequest } from "../context.ts";

/** healthRoutes: `/healthz`, `/livez` and `/readyz` answer `ok` without authentication, for probes and scripts. */
export function healthRoutes(app: Express): void {
  app.get(["/healthz", "/livez", "/readyz"], (_req, res) => {
    noteRequest(res, "get", "health");
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 2 }).end("ok");
  });
}
