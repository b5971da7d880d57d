import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { withApi } from "./fixtures.ts";

/** slowClient sends a request's headers one byte every `everyMs` and reports when and how the server ended it. */
function slowClient(url: string, ca: string, everyMs: number, limitMs: number): Promise<{ closedAfterMs: number; reply: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: "localhost" });
    const started = Date.now();
    const request = "GET /apis/berth.dev/v1/apps HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "a".repeat(10_000);
    let sent = 0;
    let reply = "";
    const timer = setInterval(() => socket.write(request[sent++ % request.length]!), everyMs);
    const limit = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server still held the slow connection after ${limitMs} ms`));
    }, limitMs);
    socket.on("data", (chunk: Buffer) => (reply += chunk.toString("utf8")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      clearTimeout(limit);
      resolve({ closedAfterMs: Date.now() - started, reply });
    });
  });
}

test("a client that sends its headers byte by byte too slowly is cut off at the headers timeout (408)", async (t) => {
  const { api, client } = await withApi(t, { timeouts: { headersMs: 1000, requestMs: 2000 } });
  const { closedAfterMs, reply } = await slowClient(api.url, api.ca, 50, 10_000);
  assert.ok(closedAfterMs >= 900 && closedAfterMs < 5000, `closed after ${closedAfterMs} ms`);
  assert.match(reply, /^HTTP\/1\.1 408 /);
  // Normal requests and long-lived watches are unaffected: a watch outlives the request timeout.
  assert.equal((await client.get("/apis/berth.dev/v1/apps")).status, 200);
  const watch = await client.watch("/apis/berth.dev/v1/namespaces/default/apps?watch=1");
  t.after(() => watch.close());
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await client.post("/apis/berth.dev/v1/namespaces/default/apps", { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "late" }, spec: { image: "nginx" } });
  const event = await watch.nextMatching((e) => e.object?.metadata?.name === "late", 5000);
  assert.equal(event.type, "ADDED");
});

test("a connection that sends nothing after its request is closed at the idle timeout; a silent watch is not", async (t) => {
  const { api, client } = await withApi(t, { timeouts: { headersMs: 1000, requestMs: 2000, keepAliveMs: 500, idleMs: 1500 } });
  const watch = await client.watch("/apis/berth.dev/v1/namespaces/default/apps?watch=1");
  t.after(() => watch.close());
  const { hostname, port } = new URL(api.url);
  const started = Date.now();
  const closedAfter = await new Promise<number>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: api.ca, servername: "localhost" });
    const limit = setTimeout(() => (socket.destroy(), reject(new Error("idle connection still open after 8 s"))), 8000);
    socket.on("secureConnect", () => socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n`));
    socket.on("data", () => undefined);
    socket.on("error", () => undefined);
    socket.on("close", () => (clearTimeout(limit), resolve(Date.now() - started)));
  });
  assert.ok(closedAfter < 4000, `an idle keep-alive connection closed after ${closedAfter} ms`);
  // The watch has been silent for longer than the idle timeout, and still delivers.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await client.post("/apis/berth.dev/v1/namespaces/default/apps", { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "quiet" }, spec: { image: "nginx" } });
  assert.equal((await watch.nextMatching((e) => e.object?.metadata?.name === "quiet", 5000)).type, "ADDED");
});
