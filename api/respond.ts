import type { ServerResponse } from "node:http";

/**
 * sendJson writes a JSON response in one write with `Content-Type: application/json` (a type Go's MIME parser
 * and kubectl accept). It skips express's `res.json` machinery (charset negotiation, ETag, freshness), which
 * costs more than the rest of a request on the hot paths and buys nothing for an API of fresh objects.
 */
export function sendJson(res: ServerResponse, body: unknown, code = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
