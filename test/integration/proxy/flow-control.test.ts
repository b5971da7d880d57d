import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { backendBehindProxy, eventually, get, LIMIT, route, upstreamsOf } from "./support.ts";

const MiB = 1024 * 1024;

/**
 * download sends `GET path` on a raw connection (TLS when `tls`), reads nothing for `holdMs` and calls `whileHeld`
 * then, and resolves with the response's head and body once `Content-Length` bytes of body have arrived.
 */
function download(port: number, host: string, path: string, options: { tls?: boolean; holdMs: number; whileHeld(): void }): Promise<{ head: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = options.tls ? tlsConnect({ port, host: "127.0.0.1", servername: host, rejectUnauthorized: false }) : connect(port, "127.0.0.1");
    const timer = setTimeout(() => socket.destroy(new Error(`${path}: no whole answer within 20 s`)), 20_000);
    const parts: Buffer[] = [];
    let received = 0;
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once(options.tls ? "secureConnect" : "connect", () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      socket.pause();
      setTimeout(() => {
        options.whileHeld();
        socket.resume();
      }, options.holdMs);
    });
    let head: string | undefined;
    let length = -1;
    socket.on("data", (data: Buffer) => {
      parts.push(data);
      received += data.length;
      if (head === undefined) {
        const all = Buffer.concat(parts, received);
        const end = all.indexOf("\r\n\r\n");
        if (end < 0) return;
        head = all.subarray(0, end).toString("latin1");
        length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? -1);
        parts.splice(0, parts.length, all.subarray(end + 4));
        received = all.length - end - 4;
      }
      if (received < length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ head, body: Buffer.concat(parts, received) });
    });
  });
}

test("a large response to a client that stops reading holds the upstream back, then arrives whole, over HTTP and TLS", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "large");
  await proxy.setRoutes([route("large.test", upstreamsOf(backend))]);
  for (const tls of [false, true]) {
    let unsentWhileHeld = 0;
    const { head, body } = await download(tls ? proxy.httpsPort : proxy.httpPort, "large.test", `/bytes/${32 * MiB}`, { tls, holdMs: 500, whileHeld: () => (unsentWhileHeld = backend.unsent()) });
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.equal(body.length, 32 * MiB);
    assert.equal(createHash("sha256").update(body).digest("hex"), /x-sha256: ([0-9a-f]+)/i.exec(head)?.[1], "every byte arrived, in order");
    // The kernel's socket buffers hold a few MiB; the rest stays with the backend while the proxy does not read it.
    assert.ok(unsentWhileHeld > 8 * MiB, `the proxy stopped reading the upstream while its client read nothing (${tls ? "TLS" : "HTTP"}: ${unsentWhileHeld} bytes unsent)`);
  }
});

test("a large upload to an upstream that reads slowly arrives whole", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "upload");
  await proxy.setRoutes([route("upload.test", upstreamsOf(backend))]);
  const body = randomBytes(8 * MiB);
  const reply = await get(proxy.httpPort, "upload.test", "/digest", { method: "PUT", body, headers: { "content-length": String(body.length) }, timeoutMs: 20_000 });
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.json(), { sha256: createHash("sha256").update(body).digest("hex"), length: body.length });
});

test("40 pipelined requests written at once are answered in order on one connection", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "burst");
  await proxy.setRoutes([route("burst.test", upstreamsOf(backend))]);
  const socket = connect(proxy.httpPort, "127.0.0.1");
  t.after(() => socket.destroy());
  const paths = Array.from({ length: 40 }, (_, i) => `/r${i}`);
  socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: burst.test\r\n\r\n`).join(""));
  let text = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not every answer within 10 s: ${(text.match(/HTTP\/1\.1 200/g) ?? []).length} of 40`)), 10_000);
    socket.on("data", (data: Buffer) => {
      text += data.toString("latin1");
      if ((text.match(/"url":"\/r39"/g) ?? []).length === 1) resolve(clearTimeout(timer));
    });
    socket.on("error", reject);
  });
  assert.deepEqual([...text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]), paths);
});

test("bytes that keep flowing keep a request alive past the idle and upstream timeouts; silence does not", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "trickle", { idleTimeoutMs: 400, upstreamTimeoutMs: 250 });
  await proxy.setRoutes([route("trickle.test", upstreamsOf(backend))]);

  // A response that takes 1 s, a piece every 100 ms: the upstream is never silent for 250 ms.
  const slowDown = await get(proxy.httpPort, "trickle.test", "/trickle/10");
  assert.equal(slowDown.status, 200);
  assert.match(slowDown.body, /piece 1;.*piece 10\.$/);

  // An upload that takes 1 s, a piece every 100 ms: the client is never silent for 400 ms.
  const pieces = Array.from({ length: 10 }, (_, i) => `piece ${i};`);
  const body = pieces.join("");
  const socket = connect(proxy.httpPort, "127.0.0.1");
  t.after(() => socket.destroy());
  let answer = "";
  socket.on("data", (data: Buffer) => (answer += data.toString("latin1")));
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(`POST /digest HTTP/1.1\r\nHost: trickle.test\r\nContent-Length: ${body.length}\r\n\r\n`);
  for (const piece of pieces) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(piece);
  }
  const digest = JSON.stringify({ sha256: createHash("sha256").update(body).digest("hex"), length: body.length });
  const deadline = Date.now() + 3_000;
  while (!answer.endsWith(digest) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(answer, /^HTTP\/1\.1 200 /, answer);
  assert.ok(answer.endsWith(digest), "the upload arrived whole");

  // And an upstream silent for longer than its timeout still fails the request (before the client's idle timeout).
  assert.equal((await get(proxy.httpPort, "trickle.test", "/silent")).status, 504);
});

test("a kept-alive upstream connection is reused while busy and closed once idle for upstreamIdleTimeoutMs", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "idle", { upstreamIdleTimeoutMs: 300, connectionsCheckingIntervalMs: 50 });
  await proxy.setRoutes([route("idle.test", upstreamsOf(backend))]);
  for (let i = 0; i < 5; i++) assert.equal((await get(proxy.httpPort, "idle.test", `/${i}`)).status, 200);
  assert.equal(backend.connections(), 1, "one kept-alive connection served the requests one after another");
  const idleSince = Date.now();
  await eventually(() => assert.equal(backend.connections(), 0), 3_000);
  const closedAfter = Date.now() - idleSince;
  assert.ok(closedAfter >= 250 && closedAfter < 1_500, `closed ${closedAfter} ms after its last answer`);
  assert.equal((await get(proxy.httpPort, "idle.test", "/again")).status, 200, "the next request gets a new connection");
});
