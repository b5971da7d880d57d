import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, fstatSync, openSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { silentLogger } from "../../../lib/logger.ts";
import { createFallbackCertificate, ProxyStartError, ProxyThreads, reusePortSupported, type DataPlaneName, type ListenerSharing } from "../../../proxy/index.ts";
import { rollEndpointsUnderLoad } from "./controller-support.ts";
import { eventually, get, LIMIT, route, startBackend, upstreamsOf, wsEcho } from "./support.ts";

/** SHARINGS are the ways of sharing listeners this Node can run: duplicate always, reuse-port from Node 22.12. */
const SHARINGS: ListenerSharing[] = reusePortSupported() ? ["duplicate", "reuse-port"] : ["duplicate"];

async function startThreads(sharing: ListenerSharing, workers = 2, dataPlane?: DataPlaneName): Promise<ProxyThreads> {
  return ProxyThreads.start({ workers, sharing, http: { port: 0, host: "127.0.0.1" }, https: { port: 0, host: "127.0.0.1" }, fallback: await createFallbackCertificate(), logger: silentLogger(), logLevel: "silent", ...(dataPlane ? { dataPlane } : {}) });
}

/** alpnOf is the protocol the HTTPS listener chooses when offered h2 and http/1.1. */
function alpnOf(port: number): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: "127.0.0.1", servername: "c.test", rejectUnauthorized: false, ALPNProtocols: ["h2", "http/1.1"] }, () => {
      resolve(socket.alpnProtocol ?? false);
      socket.destroy();
    });
    socket.on("error", reject);
  });
}

/** refuses tells whether a TCP connect to the port is refused (nothing listens). */
function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(true));
  });
}

/** threadCount is how many OS threads this process runs. */
const threadCount = () => readdirSync("/proc/self/task").length;

for (const sharing of SHARINGS) {
  test(`proxy threads (${sharing}): the threads serve with the data plane the daemon asked for`, LIMIT, async (t) => {
    const backend = await startBackend("plane");
    t.after(() => backend.close());
    const proxy = await startThreads(sharing, 2, "node-http");
    try {
      await proxy.setRoutes([route("c.test", upstreamsOf(backend))]);
      for (let i = 0; i < 6; i++) assert.equal((await get(proxy.httpPort, "c.test")).json().backend, "plane");
      assert.equal((await wsEcho(proxy.httpPort, "c.test", "hi")).reply, "plane:hi");
      assert.equal(await alpnOf(proxy.httpsPort), "http/1.1", "the node-http plane offers no HTTP/2");
    } finally {
      await proxy.close();
    }
    const llhttp = await startThreads(sharing, 1);
    t.after(() => llhttp.close());
    assert.equal(await alpnOf(llhttp.httpsPort), "h2", "the llhttp plane does");
  });

  test(`proxy threads (${sharing}): threads share the listeners; an update resolves once every thread routes with it; close frees the ports`, LIMIT, async (t) => {
    const [old, next] = await Promise.all([startBackend("old"), startBackend("next")]);
    t.after(() => Promise.all([old.close(), next.close()]));
    const proxy = await startThreads(sharing);
    assert.equal(proxy.workers.length, 2);
    assert.ok(proxy.httpPort > 0 && proxy.httpsPort > 0);
    await proxy.setRoutes([route("c.test", upstreamsOf(old))]);
    for (let i = 0; i < 10; i++) assert.equal((await get(proxy.httpPort, "c.test")).json().backend, "old");
    await proxy.setRoutes([route("c.test", upstreamsOf(next))]);
    // Fresh connections land on either thread: once setRoutes resolved, none may still use the old table.
    for (let i = 0; i < 30; i++) assert.equal((await get(proxy.httpPort, "c.test")).json().backend, "next");
    assert.equal((await wsEcho(proxy.httpPort, "c.test", "hi")).reply, "next:hi");
    await proxy.setChallenge("tok", "tok.key");
    for (let i = 0; i < 6; i++) assert.equal((await get(proxy.httpPort, "any.test", "/.well-known/acme-challenge/tok")).body, "tok.key");
    await proxy.close();
    assert.equal(proxy.workers.length, 0);
    assert.ok(await refuses(proxy.httpPort), "the HTTP port is closed");
    assert.ok(await refuses(proxy.httpsPort), "the HTTPS port is closed");
  });

  test(`proxy threads (${sharing}): a thread that dies is replaced with the current routes, and no descriptor is closed twice`, LIMIT, async (t) => {
    const backend = await startBackend("steady");
    const proxy = await startThreads(sharing);
    t.after(async () => {
      await proxy.close();
      await backend.close();
    });
    await proxy.setRoutes([route("s.test", upstreamsOf(backend))]);
    const [victim, survivor] = proxy.workers;
    const ids = [victim!.threadId, survivor!.threadId];
    // Ended from outside, as a crash would: its exit closes its own listening sockets, and only those.
    await victim!.terminate();
    // Files opened now take the lowest free descriptors, the listeners' among them: none may be closed by the proxy.
    const files = Array.from({ length: 8 }, () => openSync("/dev/null", "r"));
    t.after(() => files.forEach((fd) => closeSync(fd)));
    await eventually(async () => assert.equal((await get(proxy.httpPort, "s.test", "/", { timeoutMs: 1_000 })).status, 200), 10_000, 50);
    await eventually(() => assert.equal(proxy.workers.length, 2), 10_000, 50);
    assert.ok(proxy.workers.some((w) => !ids.includes(w.threadId)), "a new thread serves");
    await proxy.setRoutes([route("s.test", upstreamsOf(backend)), route("t.test", upstreamsOf(backend))]);
    for (let i = 0; i < 10; i++) assert.equal((await get(proxy.httpPort, "t.test")).status, 200, "every thread applies updates");
    await proxy.close();
    for (const fd of files) assert.doesNotThrow(() => fstatSync(fd), `descriptor ${fd} is still open`);
  });

  test(`proxy threads (${sharing}): a port in use fails the start with ProxyStartError and leaves no thread behind`, LIMIT, async (t) => {
    const first = await startThreads(sharing, 1);
    t.after(() => first.close());
    const before = threadCount();
    const started = Date.now();
    await assert.rejects(
      ProxyThreads.start({ workers: 2, sharing, http: { port: first.httpPort, host: "127.0.0.1" }, https: { port: 0, host: "127.0.0.1" }, fallback: await createFallbackCertificate(), logger: silentLogger(), logLevel: "silent" }),
      ProxyStartError,
    );
    assert.ok(Date.now() - started < 10_000);
    await eventually(() => assert.ok(threadCount() <= before, `threads: ${threadCount()}, before: ${before}`), 5_000, 20);
    assert.equal((await get(first.httpPort, "nobody.test")).status, 404, "the first proxy is untouched");
  });

  test(`proxy threads (${sharing}): zero failed requests under constant load while the Domain controller moves endpoints`, LIMIT, async (t) => {
    await rollEndpointsUnderLoad(t, await startThreads(sharing));
  });
}
