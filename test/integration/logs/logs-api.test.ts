import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { openLogStreams } from "../../../controllers/app/logs.ts";
import { containerName } from "../../../controllers/app/index.ts";
import { WEB_PORT } from "../../support/images.ts";
import { LIMIT, eventually, isReady } from "../app/harness.ts";
import { chatty, logPath, say, startWorld, type World } from "./world.ts";

async function readyApp(w: World, name: string, spec: Record<string, unknown>): Promise<void> {
  await w.apply(name, spec);
  await eventually(async () => assert.ok(isReady(await w.get(name))), 30_000);
}

test("logs api: every replica of the current revision, multiplexed and prefixed; tail and replica select", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  await readyApp(w, "web", chatty({ replicas: 2 }));
  const all = await eventually(async () => {
    const res = await w.fetch(logPath(w.namespace, "web"));
    assert.equal(res.status, 200, res.body);
    assert.match(res.body, /\[replica-1\] warning on stderr/);
    return res;
  });
  assert.match(all.contentType, /^text\/plain/);
  const lines = all.body.trimEnd().split("\n");
  for (const i of [0, 1]) {
    assert.ok(lines.includes(`[replica-${i}] hello from web-${i}`), all.body);
    assert.ok(lines.includes(`[replica-${i}] line two`), all.body);
    assert.ok(lines.includes(`[replica-${i}] warning on stderr`), all.body);
  }
  // Not followed: one replica after the other, each replica's lines in order.
  assert.ok(lines.indexOf("[replica-0] hello from web-0") < lines.indexOf("[replica-0] line two"));
  assert.ok(lines.map((l) => l.startsWith("[replica-0]")).lastIndexOf(true) < lines.findIndex((l) => l.startsWith("[replica-1]")), all.body);
  assert.ok(!all.body.includes("hunter2"), "an env value appeared in the log");

  const tail = await w.fetch(logPath(w.namespace, "web", "tailLines=1&replica=1"));
  assert.equal(tail.status, 200);
  assert.equal(tail.body.split("\n").filter(Boolean).length, 1, tail.body);
  assert.ok(!tail.body.startsWith("["), `one replica picked: no prefix, got ${tail.body}`);

  const one = await w.fetch(logPath(w.namespace, "web", "replica=0&timestamps=true"));
  assert.match(one.body, /^\d{4}-\d\d-\d\dT[\d:.]+Z hello from web-0$/m);
  const byName = await w.fetch(logPath(w.namespace, "web", `replica=${containerName({ kind: "App", namespace: w.namespace, name: "web" }, 1, 1)}`));
  assert.match(byName.body, /^hello from web-1$/m);

  const since = await w.fetch(logPath(w.namespace, "web", "sinceSeconds=3600"));
  assert.match(since.body, /\[replica-0\] hello from web-0/);
  const unknown = await w.fetch(logPath(w.namespace, "web", "replica=7"));
  assert.equal(unknown.status, 400);
  assert.match(JSON.parse(unknown.body).message, /replica "7" is not a replica of app "web".*0 \(berth-/);
  const bad = await w.fetch(logPath(w.namespace, "web", "tailLines=-3"));
  assert.equal(bad.status, 400);
});

test("logs api: follow streams a line the container prints after the request, and detaches when the client leaves", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  await readyApp(w, "web", chatty());
  const [container] = await w.containers("web");
  let received = "";
  const res = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
    const req = request(new URL(logPath(w.namespace, "web", "follow=true&tailLines=1"), w.url), { ca: w.ca, headers: { authorization: `Bearer ${w.viewerToken}` } }, resolve);
    req.on("error", reject);
    req.end();
  });
  t.after(() => res.destroy());
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["transfer-encoding"], "chunked");
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => (received += chunk));
  await eventually(() => assert.match(received, /\[replica-0\] warning on stderr|\[replica-0\] line two/), 10_000);
  const marker = `fresh line ${Date.now()}`;
  const asked = Date.now();
  await say(w.docker, container!.id, marker);
  await eventually(() => assert.ok(received.includes(`[replica-0] ${marker}\n`), received), 10_000, 10);
  t.diagnostic(`a line printed by the container reached the follower in ${Date.now() - asked} ms`);

  // Leaving: the server ends its Docker stream, so nothing stays attached to the Engine.
  assert.equal(openLogStreams(), 1);
  res.destroy();
  await eventually(() => assert.equal(openLogStreams(), 0), 10_000, 10);
});

test("logs api: 404 Status for an unknown App, 400 for an App without containers, 403 for another namespace's viewer, 401 without a token", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  const missing = await w.fetch(logPath(w.namespace, "nope"));
  assert.equal(missing.status, 404);
  const status = JSON.parse(missing.body);
  assert.equal(status.kind, "Status");
  assert.equal(status.reason, "NotFound");
  assert.equal(status.details.name, "nope");

  // An App whose image does not exist never gets a container.
  await w.apply("ghost", { image: "berth-test/does-not-exist:v0", port: WEB_PORT });
  await eventually(async () => assert.equal((await w.get("ghost"))?.status?.conditions?.find((c) => c.type === "Degraded")?.status, "True"));
  const empty = await w.fetch(logPath(w.namespace, "ghost"));
  assert.equal(empty.status, 400);
  assert.match(JSON.parse(empty.body).message, /app "ghost" in namespace "[^"]+" has no containers/);

  assert.equal((await w.fetch(logPath(w.namespace, "ghost"), w.otherToken)).status, 403);
  assert.equal((await w.fetch(logPath(w.namespace, "ghost"), "not-a-token")).status, 401);
});

test("logs api: a large log read by a slow client arrives whole and in order (Docker's stream pauses while the client lags)", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  // About 20 MB: more than the kernel's socket buffers hold, so the server's writes must wait for the client.
  const lines = 20_000;
  const pad = "0".repeat(990);
  const print = `pad=$(printf "%0990d" 0); seq 1 ${lines} | sed "s/\\$/ $pad/"`;
  await readyApp(w, "big", chatty({ args: [`${print}; trap 'exit 0' TERM INT; httpd -f -p ${WEB_PORT} -h /www & wait`], env: [] }));
  // Docker's log driver copies the output asynchronously: wait until it has the last line.
  await eventually(async () => assert.equal((await w.fetch(logPath(w.namespace, "big", "tailLines=1&replica=0"))).body, `${lines} ${pad}\n`), 20_000);
  const res = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
    const req = request(new URL(logPath(w.namespace, "big"), w.url), { ca: w.ca, headers: { authorization: `Bearer ${w.adminToken}` } }, resolve);
    req.on("error", reject);
    req.end();
  });
  t.after(() => res.destroy());
  assert.equal(res.statusCode, 200);
  // Read nothing for a while, then slowly: the server's socket fills and its writes report backpressure.
  res.pause();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const started = Date.now();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size < 4_000_000) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const got = Buffer.concat(chunks).toString("utf8").trimEnd().split("\n");
  t.diagnostic(`${got.length} lines (${size} bytes) in ${Date.now() - started} ms`);
  assert.equal(got.length, lines);
  const bad = got.findIndex((line, i) => line !== `[replica-0] ${i + 1} ${pad}`);
  assert.equal(bad, -1, `line ${bad + 1} was lost, cut or reordered: ${got[bad]?.slice(0, 40)}`);
});
