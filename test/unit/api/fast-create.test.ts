import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { createLogger, silentLogger } from "../../../lib/logger.ts";
import { TokenStore } from "../../../api/auth/token-store.ts";
import type { ApiContext } from "../../../api/context.ts";
import type { RequestLabels } from "../../../api/observe.ts";
import { fastCreateRoute } from "../../../api/routes/fast-create.ts";
import { WatchRegistry } from "../../../api/watch-registry.ts";
import { MemoryStore } from "../../../store/index.ts";
import { MemoryEventLog } from "../../support/memory-event-log.ts";
import type { TestApi } from "../../support/api-harness.ts";
import { app, nsPath, withApi } from "./fixtures.ts";

/** Reply is a response as these tests compare it. */
interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** SendInit is one raw request: `chunked` sends the body without a Content-Length (as a streaming client would). */
interface SendInit {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  chunked?: boolean;
}

const REPLY_TIMEOUT_MS = 10_000;

function collect(req: ReturnType<typeof httpRequest>, init: SendInit): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new Error(`no reply within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (init.body !== undefined && init.chunked) req.write(init.body);
    req.end(init.chunked ? undefined : init.body);
  });
}

function headersOf(init: SendInit, token: string | null): Record<string, string> {
  return {
    "Content-Type": "application/json",
    ...(init.body !== undefined && !init.chunked ? { "Content-Length": String(Buffer.byteLength(init.body)) } : {}),
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
    ...init.headers,
  };
}

/** sendTo sends one request to a TestApi over HTTPS with its own connection; a null token sends no Authorization. */
function sendTo(api: TestApi, path: string, init: SendInit, token: string | null = api.adminToken): Promise<Reply> {
  const agent = new Agent({ ca: api.ca });
  const req = httpsRequest(new URL(path, api.url), { method: init.method ?? "POST", headers: headersOf(init, token), agent });
  return collect(req, init).finally(() => agent.destroy());
}

/** normalise drops what differs between two otherwise identical creates (identity, time, revision). */
function normalise(reply: Reply): unknown {
  const body = JSON.parse(reply.text) as { metadata?: Record<string, unknown> };
  if (body.metadata) for (const k of ["uid", "creationTimestamp", "resourceVersion"]) delete body.metadata[k];
  return { status: reply.status, type: reply.headers["content-type"], body };
}

test("the fast route takes plain JSON creates by allowed tokens and leaves every other request to express", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-fast-create-"));
  const store = await MemoryStore.open();
  const tokens = await TokenStore.open(join(dir, "tokens.json"));
  const admin = (await tokens.create("admin", [{ namespace: "*", role: "admin" }])).token;
  const viewer = (await tokens.create("viewer", [{ namespace: "*", role: "viewer" }])).token;
  const prodOnly = (await tokens.create("prod", [{ namespace: "prod", role: "deployer" }])).token;
  const ctx: ApiContext = { store, tokens, eventLog: new MemoryEventLog(), logger: silentLogger(), watches: new WatchRegistry(), bookmarkIntervalMs: 10_000 };
  const observed: RequestLabels[] = [];
  const fast = fastCreateRoute(ctx, (_req, res, labels) => res.once("finish", () => observed.push({ ...labels() })));
  const server = createServer((req, res) => {
    if (fast(req, res)) return;
    req.resume();
    res.writeHead(599).end("express");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send = (path: string, init: SendInit, token: string | null = admin) =>
    collect(httpRequest(new URL(path, base), { method: init.method ?? "POST", headers: headersOf(init, token) }), init);
  const body = (name: string) => JSON.stringify(app(name));

  const taken = await send(`${nsPath("apps")}?fieldManager=kubectl-create`, { body: body("web") });
  assert.equal(taken.status, 201, taken.text);
  assert.equal(JSON.parse(taken.text).metadata.name, "web");
  assert.deepEqual(observed.at(-1), { verb: "create", resource: "apps" });
  assert.equal((await send(nsPath("apps", "prod"), { body: body("web") }, prodOnly)).status, 201, "a namespaced deployer may create there");
  assert.equal((await send(nsPath("apps"), { body: "{oops", headers: { "Content-Type": "application/merge-patch+json; charset=utf-8" } })).status, 400);
  assert.deepEqual(observed.at(-1), { verb: "post", resource: "other" }, "unparsable bodies never reach the route, as in express");

  const left: Array<[string, string, SendInit, string | null]> = [
    ["a GET", nsPath("apps"), { method: "GET" }, admin],
    ["a PUT", nsPath("apps", "default", "web"), { method: "PUT", body: body("web") }, admin],
    ["a POST on an object", nsPath("apps", "default", "web"), { body: body("web") }, admin],
    ["a cluster-wide collection", "/apis/berth.dev/v1/apps", { body: body("web") }, admin],
    ["an unknown plural", nsPath("widgets"), { body: body("web") }, admin],
    ["a trailing slash", `${nsPath("apps")}/`, { body: body("web") }, admin],
    ["an encoded namespace", nsPath("apps", "de%66ault"), { body: body("web") }, admin],
    ["a YAML body", nsPath("apps"), { body: "kind: App", headers: { "Content-Type": "application/yaml" } }, admin],
    ["a body without a type", nsPath("apps"), { body: body("web"), headers: { "Content-Type": "" } }, admin],
    ["a chunked body", nsPath("apps"), { body: body("web"), chunked: true }, admin],
    ["a compressed body", nsPath("apps"), { body: gzipSync(body("web")), headers: { "Content-Encoding": "gzip" } }, admin],
    ["an empty body", nsPath("apps"), { body: "" }, admin],
    ["a body over the limit", nsPath("apps"), { body: `"${"x".repeat(3 * 1024 * 1024)}"` }, admin],
    ["no token", nsPath("apps"), { body: body("web") }, null],
    ["an unknown token", nsPath("apps"), { body: body("web") }, "berth_not-a-token"],
    ["a viewer", nsPath("apps"), { body: body("web") }, viewer],
    ["a deployer of another namespace", nsPath("apps"), { body: body("web") }, prodOnly],
  ];
  for (const [what, path, init, token] of left) {
    const reply = await send(path, init, token);
    assert.equal(reply.status, 599, `${what} goes to express, got ${reply.status} ${reply.text}`);
  }
});

test("creates answer the same through the fast route and through express (chunked bodies), errors included", async (t) => {
  const { api } = await withApi(t);
  const viewer = (await api.tokens.create("viewer", [{ namespace: "*", role: "viewer" }])).token;
  const cases: Array<[string, string, string, string | null]> = [
    ["a create", nsPath("apps", "NS"), JSON.stringify({ ...app("web"), status: { readyReplicas: 3 } }), api.adminToken],
    ["an existing name", nsPath("apps", "taken"), JSON.stringify(app("web")), api.adminToken],
    ["bad JSON", nsPath("apps", "NS"), "{not json", api.adminToken],
    ["an array", nsPath("apps", "NS"), "[1,2]", api.adminToken],
    ["another kind", nsPath("apps", "NS"), JSON.stringify({ ...app("web"), kind: "Database" }), api.adminToken],
    ["another namespace", nsPath("apps", "NS"), JSON.stringify(app("web", {}, { namespace: "elsewhere" })), api.adminToken],
    ["an invalid spec", nsPath("apps", "NS"), JSON.stringify(app("web", { replicas: "three" })), api.adminToken],
    ["an invalid name", nsPath("apps", "NS"), JSON.stringify(app("Not_A_Label")), api.adminToken],
    ["a dry run", `${nsPath("apps", "NS")}?dryRun=All`, JSON.stringify(app("dry")), api.adminToken],
    ["a bad dry run", `${nsPath("apps", "NS")}?dryRun=Some`, JSON.stringify(app("dry")), api.adminToken],
    ["a Secret", nsPath("secrets", "NS"), JSON.stringify({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "db" }, stringData: { password: "x" } }), api.adminToken],
    ["a viewer", nsPath("apps", "NS"), JSON.stringify(app("web")), viewer],
    ["no token", nsPath("apps", "NS"), JSON.stringify(app("web")), null],
  ];
  assert.equal((await sendTo(api, nsPath("apps", "taken"), { body: JSON.stringify(app("web")) })).status, 201);
  for (const [what, path, body, token] of cases) {
    const fast = await sendTo(api, path.replace("NS", "fast"), { body }, token);
    const slow = await sendTo(api, path.replace("NS", "slow"), { body, chunked: true }, token);
    const [a, b] = [normalise(fast), normalise(slow)];
    assert.deepEqual(JSON.parse(JSON.stringify(a).replaceAll("fast", "NS")), JSON.parse(JSON.stringify(b).replaceAll("slow", "NS")), what);
  }
  assert.equal((await api.store.list("App", { namespace: "fast" })).items.length, 1, "only the one real create was stored");
});

test("fast creates are counted and logged like every request: verb, resource, code, path without query, no token", async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split("\n").filter(Boolean)); done(); } });
  const { api, client } = await withApi(t, { logger: createLogger({ level: "debug", destination: sink }) });
  assert.equal((await sendTo(api, `${nsPath("apps")}?fieldManager=x`, { body: JSON.stringify(app("web")) })).status, 201);
  assert.equal((await sendTo(api, nsPath("apps"), { body: "{not json" })).status, 400);
  const metrics = (await client.get("/metrics")).text;
  assert.match(metrics, /berth_api_requests_total\{verb="create",resource="apps",code="201"\} 1/);
  assert.match(metrics, /berth_api_requests_total\{verb="post",resource="other",code="400"\} 1/);
  assert.match(metrics, /berth_api_request_duration_seconds_count\{verb="create",resource="apps"\} 1/);
  const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request" && l.method === "POST");
  assert.deepEqual(requests.map((r) => [r.path, r.code]), [[nsPath("apps"), 201], [nsPath("apps"), 400]]);
  assert.ok(!lines.join("\n").includes(api.adminToken), "no token in logs");
});

test("a client that goes away in the middle of a body leaves the server serving", async (t) => {
  const { api, client } = await withApi(t);
  const url = new URL(api.url);
  const socket = connect({ host: url.hostname, port: Number(url.port), ca: api.ca, servername: "localhost" });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
  socket.write(`POST ${nsPath("apps")} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind":`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
  assert.equal((await client.post(nsPath("apps"), app("after"))).status, 201);
  assert.equal((await api.store.list("App")).items.length, 1);
});
