import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { detectDockerfile } from "../../../controllers/build/detect/index.ts";
import { dependencyMissing } from "../../support/ci.ts";
import { connectTestDocker, SKIP_NO_DOCKER } from "../../support/docker.ts";
import { docker, ensureStackBaseImages, localBaseImages } from "../../support/stack-images.ts";

const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/detect/", import.meta.url));
const LIMIT = { timeout: 600_000 } as const;

let available = false;

before(async () => {
  available = (await connectTestDocker()) !== undefined;
  if (available) await ensureStackBaseImages();
}, { timeout: 900_000 });

/** get is one plain HTTP GET with a (ref'd) timeout: the status and the body. */
function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** getOk asks the container's published port for `/` until it answers 200 (or `timeoutMs` passes), and returns the body. */
async function getOk(url: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await get(url, 3_000);
      if (res.status === 200) return res.body;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/**
 * buildAndServe detects a fixture's Dockerfile, builds it for real, runs the image with its EXPOSEd port
 * published on loopback, and returns the body of `GET /`. The image and container are removed afterwards.
 */
async function buildAndServe(t: TestContext, fixture: string, staticServer: "nginx" | "busybox" = "nginx"): Promise<{ stack: string; body: string }> {
  if (!available) {
    // Skipped loudly; under CI=true, a failure.
    dependencyMissing(t, SKIP_NO_DOCKER);
    return { stack: "", body: "" };
  }
  const dir = await mkdtemp(join(tmpdir(), "berth-detected-"));
  const id = randomBytes(4).toString("hex");
  const tag = `berth-test/detected-${fixture}:${id}`;
  const name = `berth-test-detected-${fixture}-${id}`;
  t.after(async () => {
    await docker(["rm", "-f", name]).catch(() => {});
    await docker(["rmi", "-f", tag]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  await cp(join(FIXTURES, fixture), dir, { recursive: true });
  const detected = await detectDockerfile(dir, { baseImages: localBaseImages(staticServer) });
  assert.ok(detected, `${fixture}: nothing detected`);
  await writeFile(join(dir, "Dockerfile"), detected.dockerfile);
  await docker(["build", "-q", "-t", tag, dir], 300_000);
  await docker(["run", "-d", "--name", name, "-p", "127.0.0.1::8080", tag]);
  const published = (await docker(["port", name, "8080/tcp"])).split("\n")[0]!;
  const body = await getOk(`http://${published}/`).catch(async (error: unknown) => {
    const logs = await docker(["logs", "--tail", "20", name]).catch(() => "");
    throw new Error(`${(error as Error).message}\ncontainer log:\n${logs}`);
  });
  return { stack: detected.stack, body };
}

describe("a detected Dockerfile builds with docker build and its image answers HTTP", () => {
  it("Node.js (npm, start script)", LIMIT, async (t) => {
    const { stack, body } = await buildAndServe(t, "node-npm");
    if (!available) return;
    assert.equal(stack, "node");
    assert.equal(body, "node ok production\n");
  });

  it("Python (requirements.txt, python app.py)", LIMIT, async (t) => {
    const { stack, body } = await buildAndServe(t, "python-plain");
    if (!available) return;
    assert.equal(stack, "python");
    assert.equal(body, "python ok\n");
  });

  it("Go (two stages, a static binary on a small image)", LIMIT, async (t) => {
    const { stack, body } = await buildAndServe(t, "go-root");
    if (!available) return;
    assert.equal(stack, "go");
    assert.equal(body, "go ok\n");
  });

  it("a static site served by nginx", LIMIT, async (t) => {
    const { stack, body } = await buildAndServe(t, "static-plain");
    if (!available) return;
    assert.equal(stack, "static");
    assert.match(body, /static ok/);
  });

  it("a static site served by busybox httpd", LIMIT, async (t) => {
    const { body } = await buildAndServe(t, "static-plain", "busybox");
    if (!available) return;
    assert.match(body, /static ok/);
  });

  it("a site built by npm run build, served by nginx", LIMIT, async (t) => {
    const { stack, body } = await buildAndServe(t, "node-static");
    if (!available) return;
    assert.equal(stack, "static");
    assert.match(body, /built site ok/);
  });
});
