import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalAnswer } from "../http1/local-answer.ts";

/** writeAnswer writes one of the proxy's own answers (an error page, a redirect, a challenge answer) through `node:http`. */
export function writeAnswer(req: IncomingMessage, res: ServerResponse, answer: LocalAnswer): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  const headers: string[] = [];
  for (const line of answer.headers.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  headers.push("Content-Length", String(answer.body.length));
  res.writeHead(answer.status, headers);
  res.end(req.method === "HEAD" ? undefined : answer.body);
}
