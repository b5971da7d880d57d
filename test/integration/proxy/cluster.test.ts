import { test } from "node:test";
import assert from "node:assert/strict";
import cluster from "node:cluster";
import { silentLogger } from "../../../lib/logger.ts";
import { connect as tlsConnect } from "node:tls";
import { createFallbackCertificate, ProxyCluster, ProxyStartError, type DataPlaneName } from "../../../proxy/index.ts";
import { rollEndpointsUnderLoad } from "./controller-support.ts";
import { eventually, get, LIMIT, route, startBackend, upstreamsOf, wsEcho } from "./support.ts";

async function startCluster(workers = 2, dataPlane?: DataPlaneName): Promise<ProxyCluster> {
  return ProxyCluster.start({ workers, http: { port: 0, host: "127.0.0.1" }, https: { port: 0, host: "127.0.0.1" }, fallback: await createFallbackCertificate(), logger: silentLogger(), logLevel: "silent", ...(dataPlane ? { dataPlane } : {}) });
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("proxy cluster: the workers serve with the data plane the daemon asked for", LIMIT, async (t) => {
  const backend = await startBackend("plane");
  t.after(() => backend.close());
  const proxy = await startCluster(2, "node-http");
  try {
    await proxy.setRoutes([route("c.test", upstreamsOf(backend))]);
    for (let i = 0; i < 6; i++) assert.equal((await get(proxy.httpPort, "c.test")).json().backend, "plane");
    assert.equal((await wsEcho(proxy.httpPort, "c.test", "hi")).reply, "plane:hi");
    assert.equal(await alpnOf(proxy.httpsPort), "http/1.1", "the node-http plane offers no HTTP/2");
  } finally {
    // Closed before the next cluster starts: workers of one primary listening on port 0 share one port.
    await proxy.close();
  }
  const llhttp = await startCluster(1);
  t.after(() => llhttp.close());
  assert.equal(await alpnOf(llhttp.httpsPort), "h2", "the llhttp plane does");
});

test("proxy cluster: workers share the listeners; an update resolves once every worker routes with it", LIMIT, async (t) => {
  const [old, next] = await Promise.all([startBackend("old"), startBackend("next")]);
  const proxy = await startCluster();
  let pids: number[] = [];
  t.after(async () => {
    await proxy.close();
    await Promise.all([old.close(), next.close()]);
    assert.ok(pids.every((p) => !alive(p)), "close ends every worker");
  });
  pids = proxy.pids;
  assert.equal(pids.length, 2);
  assert.ok(proxy.httpPort > 0 && proxy.httpsPort > 0);
  await proxy.setRoutes([route("c.test", upstreamsOf(old))]);
  for (let i = 0; i < 10; i++) assert.equal((await get(proxy.httpPort, "c.test")).json().backend, "old");
  await proxy.setRoutes([route("c.test", upstreamsOf(next))]);
  // Fresh connections land on either worker: once setRoutes resolved, none may still use the old table.
  for (let i = 0; i < 30; i++) assert.equal((await get(proxy.httpPort, "c.test")).json().backend, "next");
  assert.equal((await wsEcho(proxy.httpPort, "c.test", "hi")).reply, "next:hi");
  await proxy.setChallenge("tok", "tok.key");
  for (let i = 0; i < 6; i++) assert.equal((await get(proxy.httpPort, "any.test", "/.well-known/acme-challenge/tok")).body, "tok.key");
});

test("proxy cluster: a worker that dies is replaced with the current routes while the other keeps serving", LIMIT, async (t) => {
  const backend = await startBackend("steady");
  const proxy = await startCluster();
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  await proxy.setRoutes([route("s.test", upstreamsOf(backend))]);
  const [victim, survivor] = proxy.pids as [number, number];
  process.kill(victim, "SIGKILL");
  await eventually(() => assert.ok(!proxy.pids.includes(victim)), 3_000);
  for (let i = 0; i < 10; i++) assert.equal((await get(proxy.httpPort, "s.test")).status, 200, "the surviving worker serves");
  await eventually(() => assert.equal(proxy.pids.length, 2), 5_000, 50);
  const replacement = proxy.pids.find((p) => p !== survivor)!;
  assert.ok(replacement !== victim);
  await proxy.setRoutes([route("s.test", upstreamsOf(backend)), route("t.test", upstreamsOf(backend))]);
  for (let i = 0; i < 10; i++) assert.equal((await get(proxy.httpPort, "t.test")).status, 200, "the replacement applies updates too");
});

test("proxy cluster: a port in use fails the start with ProxyStartError and leaves no worker behind", LIMIT, async (t) => {
  const first = await startCluster(1);
  t.after(() => first.close());
  const started = Date.now();
  await assert.rejects(
    ProxyCluster.start({ workers: 2, http: { port: first.httpPort, host: "127.0.0.1" }, https: { port: 0, host: "127.0.0.1" }, fallback: await createFallbackCertificate(), logger: silentLogger(), logLevel: "silent" }),
    ProxyStartError,
  );
  assert.ok(Date.now() - started < 10_000);
  await eventually(() => assert.equal(Object.keys(cluster.workers ?? {}).length, 1, "only the first proxy's worker is left"), 5_000, 20);
  assert.equal((await get(first.httpPort, "nobody.test")).status, 404, "the first proxy is untouched");
});

test("proxy cluster: zero failed requests under constant load while the Domain controller moves endpoints", LIMIT, async (t) => {
  await rollEndpointsUnderLoad(t, await startCluster());
});
