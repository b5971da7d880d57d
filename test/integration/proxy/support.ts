import { createHash, randomBytes } from "node:crypto";
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect as h2connect, constants as h2constants, type ClientHttp2Session, type OutgoingHttpHeaders } from "node:http2";
import { request as httpsRequest } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TestContext } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { generate } from "selfsigned";
import { silentLogger } from "../../../lib/logger.ts";
import { createFallbackCertificate, ERROR_HEADER, InProcessProxy, type DataPlaneName, type PemPair, type ProxyLimits, type RouteSpec } from "../../../proxy/index.ts";

/** LIMIT bounds every test in this folder. */
export const LIMIT = { timeout: 30_000 } as const;

/** Backend is a small HTTP server standing in for an App replica: it answers with what it received, and echoes WebSocket frames. */
export interface Backend {
  name: string;
  port: number;
  /** hits counts the requests it answered. */
  hits: number;
  server: Server;
  /** unsent is how many response bytes the backend has written that its connections have not sent yet. */
  unsent(): number;
  /** connections is how many connections to the backend are open. */
  connections(): number;
  close(): Promise<void>;
}

/** startBackend starts a backend on a free loopback port. `/status/NNN` answers that status; `/stream` sends two chunks
 * without a Content-Length (chunked); `/silent` never answers; `/switch` answers `101 Switching Protocols` to a request
 * that asked for no upgrade (a broken upstream); `/bytes/N` sends N random bytes with their SHA-256 in `x-sha256`;
 * `/trickle/N` sends N pieces 100 ms apart; `/digest` reads the body slowly and answers its SHA-256 and length. */
export async function startBackend(name: string): Promise<Backend> {
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    backend.hits++;
    const status = /^\/status\/(\d{3})/.exec(req.url ?? "")?.[1];
    if (sentLargeOrSlowly(req, res)) return;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/silent") return;
      if (req.url === "/switch") return void res.socket?.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: nonsense\r\nConnection: Upgrade\r\n\r\n");
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "text/plain", "x-backend": name });
        res.write("one,");
        return void setTimeout(() => res.end("two"), 20);
      }
      const body = JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status ? Number(status) : 200, { "content-type": "application/json", "x-backend": name });
      res.end(body);
    });
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req, socket: Duplex) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    acceptWebSocket(req.headers, socket, name);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const backend: Backend = {
    name,
    port: (server.address() as AddressInfo).port,
    hits: 0,
    server,
    unsent: () => [...sockets].reduce((sum, socket) => sum + socket.writableLength, 0),
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }),
  };
  return backend;
}

/** sentLargeOrSlowly answers the backend's `/bytes/N`, `/trickle/N` and `/digest` requests (false: another path). */
function sentLargeOrSlowly(req: IncomingMessage, res: ServerResponse): boolean {
  const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? "")?.[1];
  if (bytes) {
    const body = randomBytes(Number(bytes));
    res.writeHead(200, { "content-length": body.length, "x-sha256": createHash("sha256").update(body).digest("hex") });
    res.end(body);
    return true;
  }
  const pieces = /^\/trickle\/(\d+)$/.exec(req.url ?? "")?.[1];
  if (pieces) {
    res.writeHead(200, { "content-type": "text/plain" });
    let sent = 0;
    const timer = setInterval(() => {
      if (++sent < Number(pieces)) return void res.write(`piece ${sent};`);
      clearInterval(timer);
      res.end(`piece ${sent}.`);
    }, 100);
    res.on("close", () => clearInterval(timer));
    return true;
  }
  if (req.url !== "/digest") return false;
  // Read 16 KiB at a time, 1 ms apart: a slow reader, so the proxy has to hold its client back.
  const hash = createHash("sha256");
  let length = 0;
  req.on("readable", function read() {
    const chunk = req.read(16 * 1024) as Buffer | null;
    if (!chunk) return;
    hash.update(chunk);
    length += chunk.length;
    setTimeout(read, 1);
  });
  req.on("end", () => res.end(JSON.stringify({ sha256: hash.digest("hex"), length })));
  return true;
}

/** backendBehindProxy starts a backend and a test proxy, both closed when the test ends; the test routes to the backend. */
export async function backendBehindProxy(t: TestContext, name: string, limits?: Partial<ProxyLimits>, dataPlane?: DataPlaneName): Promise<{ backend: Backend; proxy: InProcessProxy }> {
  const backend = await startBackend(name);
  const proxy = await startTestProxy(limits, dataPlane);
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  return { backend, proxy };
}

/** upstreamsOf turns backends into route upstreams. */
export function upstreamsOf(...backends: Backend[]): RouteSpec["upstreams"] {
  return backends.map((b) => ({ id: b.name, host: "127.0.0.1", port: b.port }));
}

/** route builds a RouteSpec for tests. */
export function route(host: string, upstreams: RouteSpec["upstreams"], extra: Partial<RouteSpec> = {}): RouteSpec {
  return { host, path: "/", name: `test/${host}`, upstreams, tls: false, redirectHttp: false, ...extra };
}

/**
 * DATA_PLANES are the proxy's two data planes (see proxy/data-plane.ts): tests that cover both loop over them.
 * Tests that do not pass one get the plane BERTH_PROXY_DATA_PLANE selects, llhttp by default.
 */
export const DATA_PLANES: readonly DataPlaneName[] = ["llhttp", "node-http"];

/** startTestProxy starts an in-process proxy on free loopback ports with a fresh fallback certificate. */
export async function startTestProxy(limits?: Partial<ProxyLimits>, dataPlane?: DataPlaneName): Promise<InProcessProxy> {
  return InProcessProxy.start({
    http: { port: 0, host: "127.0.0.1" },
    https: { port: 0, host: "127.0.0.1" },
    fallback: await fallbackOnce(),
    logger: silentLogger(),
    ...(limits ? { limits } : {}),
    ...(dataPlane ? { dataPlane } : {}),
  });
}

let fallback: Promise<PemPair> | undefined;
function fallbackOnce(): Promise<PemPair> {
  fallback ??= createFallbackCertificate();
  return fallback;
}

/** Reply is a fully read response. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json(): any;
}

/** get sends one plain-HTTP request through the proxy with the given Host header (bounded by `timeoutMs`). */
export function get(port: number, host: string, path = "/", options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: Agent | false; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: { host, ...options.headers }, agent: options.agent ?? false, timeout: options.timeoutMs ?? 5_000 },
      (res) => collect(res, resolve, reject),
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${host}${path} timed out`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** httpsGet sends one HTTPS request with SNI `host`, trusting only `ca`. */
export function httpsGet(port: number, host: string, ca: string, path = "/"): Promise<Reply & { peerSubject: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path, servername: host, headers: { host }, ca, agent: false, timeout: 5_000 }, (res) => {
      const cert = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
      collect(res, (reply) => resolve({ ...reply, peerSubject: String(cert.subject?.CN ?? "") }), reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET https://${host}${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

function collect(res: import("node:http").IncomingMessage, resolve: (r: Reply) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("error", reject);
  res.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
  });
}

/** makeCa creates a test certificate authority. */
export async function makeCa(): Promise<PemPair> {
  const pems = await generate([{ name: "commonName", value: "berth-test-ca" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "basicConstraints", cA: true, critical: true }, { name: "keyUsage", keyCertSign: true, digitalSignature: true, critical: true }],
  });
  return { cert: pems.cert, key: pems.private };
}

/** issue signs a serving certificate for `hosts` with `ca`; the first host is its common name. */
export async function issue(ca: PemPair, hosts: string[]): Promise<PemPair> {
  const pems = await generate([{ name: "commonName", value: hosts[0]! }], {
    keyType: "ec",
    algorithm: "sha256",
    ca,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: hosts.map((h) => ({ type: 2 as const, value: h })) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** acceptWebSocket completes a WebSocket handshake and echoes every short text frame back, prefixed with the backend's name. */
function acceptWebSocket(headers: IncomingHttpHeaders, socket: Duplex, name: string): void {
  const accept = createHash("sha1").update(`${String(headers["sec-websocket-key"])}${WS_GUID}`).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Seen-Forwarded-For: ${String(headers["x-forwarded-for"])}\r\nX-Seen-Forwarded-Proto: ${String(headers["x-forwarded-proto"])}\r\n\r\n`);
  socket.on("data", (frame: Buffer) => {
    const length = frame[1]! & 0x7f;
    const mask = frame.subarray(2, 6);
    const payload = Buffer.from(frame.subarray(6, 6 + length).map((b, i) => b ^ mask[i % 4]!));
    socket.write(encodeFrame(Buffer.from(`${name}:${payload.toString("utf8")}`), undefined));
  });
  socket.on("error", () => socket.destroy());
}

/** encodeFrame encodes one short (< 126 bytes) text frame, masked when a mask is given. */
function encodeFrame(payload: Buffer, mask: Buffer | undefined): Buffer {
  const head = Buffer.from([0x81, (mask ? 0x80 : 0) | payload.length]);
  if (!mask) return Buffer.concat([head, payload]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

/** wsEcho opens a WebSocket through the proxy, sends `message`, and resolves with the echoed text and the handshake head. */
export function wsEcho(port: number, host: string, message: string, options: { timeoutMs?: number; ca?: string } = {}): Promise<{ reply: string; head: string }> {
  const { timeoutMs = 5_000, ca } = options;
  return new Promise((resolve, reject) => {
    // With a CA, over TLS (wss://), the name sent by SNI and checked against the certificate being `host`.
    const socket: Socket = ca ? tlsConnect({ port, host: "127.0.0.1", servername: host, ca }) : connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("WebSocket echo timed out"));
    }, timeoutMs);
    let buffer = Buffer.alloc(0);
    let head: string | undefined;
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on(ca ? "secureConnect" : "connect", () => {
      socket.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (head === undefined) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        head = buffer.subarray(0, end).toString("latin1");
        buffer = buffer.subarray(end + 4);
        if (!head.startsWith("HTTP/1.1 101")) {
          clearTimeout(timer);
          socket.destroy();
          return reject(new Error(`no upgrade: ${head.split("\r\n")[0]}`));
        }
        socket.write(encodeFrame(Buffer.from(message), randomBytes(4)));
      }
      if (buffer.length >= 2 && buffer.length >= 2 + (buffer[1]! & 0x7f)) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ reply: buffer.subarray(2, 2 + (buffer[1]! & 0x7f)).toString("utf8"), head });
      }
    });
  });
}

/** eventually polls `check` until it stops throwing, failing after `timeoutMs`. */
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 5_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export { freePort } from "../../../controllers/events/free-port.ts";

/** LoadResult counts what a constant load saw. */
export interface LoadResult {
  sent: number;
  ok: number;
  failures: string[];
  byBackend: Record<string, number>;
}

/**
 * constantLoad sends `rps` GETs per second for `durationMs` through keep-alive connections (as browsers do),
 * and resolves once every request has settled (each bounded by 5 s).
 */
export async function constantLoad(port: number, host: string, rps: number, durationMs: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const result: LoadResult = { sent: 0, ok: 0, failures: [], byBackend: {} };
  const pending: Promise<void>[] = [];
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(Math.floor(((Date.now() - started) * rps) / 1000), Math.floor((durationMs * rps) / 1000));
      while (result.sent < due) {
        result.sent++;
        pending.push(
          get(port, host, "/", { agent }).then(
            (reply) => {
              if (reply.status !== 200) return void result.failures.push(`HTTP ${reply.status} ${String(reply.headers[ERROR_HEADER] ?? "")}`);
              result.ok++;
              const name = String(reply.headers["x-backend"]);
              result.byBackend[name] = (result.byBackend[name] ?? 0) + 1;
            },
            (error: Error) => void result.failures.push(error.message),
          ),
        );
      }
      if (Date.now() - started >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await Promise.all(pending);
  agent.destroy();
  return result;
}

/** sleep waits `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** H2Client is one HTTP/2 connection to the proxy's HTTPS listener, with SNI `host`, trusting only `ca`. */
export interface H2Client {
  session: ClientHttp2Session;
  /** request sends one request on the connection and reads its whole response (bounded by `timeoutMs`). */
  request(headers: OutgoingHttpHeaders, body?: string | Buffer, timeoutMs?: number): Promise<Reply>;
  close(): void;
}

/** h2Connect opens an HTTP/2 connection (ALPN `h2`) and resolves once it is established. */
export function h2Connect(port: number, host: string, ca: string): Promise<H2Client> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://127.0.0.1:${port}`, { ca, servername: host, ALPNProtocols: ["h2"] });
    session.once("error", reject);
    session.once("connect", () => {
      session.off("error", reject);
      session.on("error", () => {});
      resolve({
        session,
        close: () => session.close(),
        request: (headers, body, timeoutMs = 5_000) =>
          new Promise<Reply>((done, fail) => {
            const stream = session.request({ ":authority": host, ...headers });
            const timer = setTimeout(() => stream.close(h2constants.NGHTTP2_CANCEL), timeoutMs);
            let responseHeaders: IncomingHttpHeaders = {};
            let status = 0;
            const chunks: Buffer[] = [];
            stream.on("response", (h) => {
              status = Number(h[":status"]);
              responseHeaders = h as IncomingHttpHeaders;
            });
            stream.on("data", (c: Buffer) => chunks.push(c));
            stream.on("error", (error) => {
              clearTimeout(timer);
              fail(error);
            });
            stream.on("close", () => {
              clearTimeout(timer);
              if (!status) return fail(new Error(`${String(headers[":method"] ?? "GET")} ${String(headers[":path"] ?? "/")} over HTTP/2: no response (stream closed with code ${stream.rstCode})`));
              const text = Buffer.concat(chunks).toString("utf8");
              done({ status, headers: responseHeaders, body: text, json: () => JSON.parse(text) });
            });
            stream.end(body);
          }),
      });
    });
  });
}
