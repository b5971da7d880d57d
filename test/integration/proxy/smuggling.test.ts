import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { DataPlaneName, InProcessProxy } from "../../../proxy/index.ts";
import { startRecordingBackend, type RecordingBackend } from "./recording-backend.ts";
import { CORPUS_HOST as HOST, SMUGGLING_CORPUS, type SmugglingCase } from "./smuggling-corpus.ts";
import { DATA_PLANES, eventually, issue, makeCa, route, startTestProxy } from "./support.ts";


/** RawAnswer is everything the proxy wrote back on one connection, and whether it closed it. */
interface RawAnswer {
  text: string;
  closed: boolean;
}

/**
 * sendRaw writes `bytes` on a new connection and collects the answer: until the proxy closes the connection,
 * or, once something was answered, until it has been quiet for `quietMs` (a kept-alive connection); 5 s at most.
 */
function sendRaw(open: () => Socket, bytes: string, quietMs = 200): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = open();
    let text = "";
    let quiet: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => finish(new Error(`no answer within 5 s; got ${JSON.stringify(text)}`)), 5_000);
    const finish = (error?: Error, closed = false) => {
      clearTimeout(limit);
      clearTimeout(quiet);
      socket.destroy();
      if (error) reject(error);
      else resolve({ text, closed });
    };
    socket.on("data", (data: Buffer) => {
      text += data.toString("latin1");
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(undefined, false), quietMs);
    });
    socket.on("close", () => finish(undefined, true));
    socket.on("error", () => {});
    socket.write(Buffer.from(bytes, "latin1"));
  });
}

/** statuses are the status codes of the responses in a raw answer, in order (no body here holds a status line). */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** checkCase sends one corpus case through the proxy and asserts what the client and the upstream saw. */
async function checkCase(backend: RecordingBackend, open: () => Socket, c: SmugglingCase): Promise<void> {
  backend.reset();
  const answer = await sendRaw(open, c.request);
  const why = `${c.name} (${c.source}): ${c.why}; the proxy answered ${JSON.stringify(answer.text.slice(0, 200))}`;
  if (c.expect === "reject") {
    assert.deepEqual(statuses(answer.text), [400], why);
    assert.equal(answer.closed, true, `${why}: the connection must close`);
    assert.equal(backend.requests.length, 0, `${why}: nothing may reach the upstream, got ${JSON.stringify(backend.requests)}`);
  } else {
    const { body, host = HOST, url } = c.expect.forward;
    assert.deepEqual(statuses(answer.text), [200], why);
    await eventually(() => assert.equal(backend.requests.length, 1), 2_000);
    const [seen] = backend.requests;
    assert.equal(seen!.body, body, `${why}: the body as the upstream framed it`);
    const hosts = seen!.headers.filter(([name]) => name.toLowerCase() === "host").map(([, value]) => value);
    assert.deepEqual(hosts, [host], `${why}: exactly one Host upstream`);
    if (url) assert.equal(seen!.url, url, why);
    assert.equal(seen!.headers.filter(([name]) => /^(transfer-encoding|content-length)$/i.test(name)).length, seen!.framing === "none" ? 0 : 1, `${why}: one framing header upstream`);
  }
  // A partial request left on an open upstream connection could be completed by the next client's bytes.
  await eventually(() => {
    for (const connection of backend.connections) {
      if (connection.rest !== "") assert.equal(connection.closed, true, `${why}: partial request ${JSON.stringify(connection.rest)} left on an open upstream connection`);
    }
  }, 2_000);
}

/** behindProxy starts a recording backend behind a test proxy on `plane`, routed at HOST, over HTTP and HTTPS. */
async function behindProxy(t: TestContext, plane: DataPlaneName): Promise<{ backend: RecordingBackend; proxy: InProcessProxy }> {
  const backend = await startRecordingBackend();
  const proxy = await startTestProxy({ headersTimeoutMs: 2_000, requestTimeoutMs: 3_000, connectionsCheckingIntervalMs: 100 }, plane);
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  assert.equal(proxy.server.dataPlane, plane);
  await proxy.setRoutes([route(HOST, [{ id: "recorder", host: "127.0.0.1", port: backend.port }], { tls: true })]);
  return { backend, proxy };
}

for (const plane of DATA_PLANES) {
  test(`[${plane}] every case of the smuggling corpus is refused with 400 and a closed connection, or forwarded as exactly one re-framed request`, { timeout: 120_000 }, async (t) => {
    const { backend, proxy } = await behindProxy(t, plane);
    for (const c of SMUGGLING_CORPUS) {
      await t.test(c.name, () => checkCase(backend, () => connect(proxy.httpPort, "127.0.0.1"), c));
    }
  });

  test(`[${plane}] a refused request behind a good one on the same connection: the good one is answered, then 400, and only it reaches the upstream`, { timeout: 30_000 }, async (t) => {
    const { backend, proxy } = await behindProxy(t, plane);
    const good = `GET /first HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
    const bad = `GET /second HTTP/1.1\r\nHost: ${HOST}\r\nHost: evil.test\r\n\r\n`;
    const after = `GET /third HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
    const answer = await sendRaw(() => connect(proxy.httpPort, "127.0.0.1"), good + bad + after);
    assert.deepEqual(statuses(answer.text), [200, 400], answer.text);
    assert.match(answer.text, /more than one Host header/, "the 400 says why");
    assert.equal(answer.closed, true);
    await eventually(() => assert.deepEqual(backend.requests.map((r) => r.url), ["/first"]), 2_000);
  });

  test(`[${plane}] smuggling cases are refused the same over TLS`, { timeout: 60_000 }, async (t) => {
    const { backend, proxy } = await behindProxy(t, plane);
    const ca = await makeCa();
    await proxy.setCertificates([{ name: "test/smuggle", hosts: [HOST], ...(await issue(ca, [HOST])) }]);
    const open = () => tlsConnect({ port: proxy.httpsPort, host: "127.0.0.1", servername: HOST, ca: ca.cert, ALPNProtocols: ["http/1.1"] });
    const names = ["duplicate-host", "cl-conflicting", "te-cl", "te-obs-fold", "te-http10", "chunk-size-0x", "header-nul", "absolute-form-other-host", "te-yelling"];
    for (const c of SMUGGLING_CORPUS.filter((c) => names.includes(c.name))) {
      await t.test(c.name, () => checkCase(backend, open, c));
    }
  });
}
