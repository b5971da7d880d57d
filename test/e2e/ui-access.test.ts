import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { generate } from "selfsigned";
import { launchBrowser, signIn } from "../support/browser.ts";
import { cleanupAfter, connectTestDocker, randomNamespace } from "../support/docker.ts";
import { startUiWorld, type UiWorld } from "../support/ui-world.ts";

const GROUP = "/apis/berth.dev/v1";

/**
 * recordNetwork copies every body the page's fetch receives, streams included, as it arrives (the UI makes all
 * its data calls with fetch). Installed before any page script runs.
 */
async function recordNetwork(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { received: string[] }).received = seen;
    const original = window.fetch.bind(window);
    window.fetch = async (...args: Parameters<typeof fetch>) => {
      const response = await original(...args);
      if (!response.body) return response;
      const [mine, copy] = response.body.tee();
      const index = seen.push("") - 1;
      void (async () => {
        const reader = copy.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          seen[index] += value;
        }
      })().catch(() => {});
      return new Response(mine, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  });
  return () => page.evaluate(() => (window as unknown as { received: string[] }).received);
}

/** cleanDockerAfter removes what the Database controller may have made for the test's namespace, when Docker runs here. */
async function cleanDockerAfter(t: TestContext, namespace: string): Promise<void> {
  const docker = await connectTestDocker();
  if (docker) cleanupAfter(t, docker, namespace);
}

async function seedSecrets(world: UiWorld, namespace: string, value: string): Promise<void> {
  await world.apply([
    `apiVersion: berth.dev/v1\nkind: Secret\nmetadata: {name: db-creds, namespace: ${namespace}}\nstringData: {user: app, password: ${value}}`,
    `apiVersion: berth.dev/v1\nkind: Database\nmetadata: {name: main, namespace: ${namespace}}\nspec: {engine: postgres, version: "16", credentials: {secretRef: {name: db-creds}}}`,
    `apiVersion: berth.dev/v1\nkind: Backup\nmetadata: {name: nightly, namespace: ${namespace}}\nspec: {databaseRef: {name: main}, schedule: "0 3 * * *", target: {local: {path: /var/backups/main}}}`,
  ].join("\n---\n"));
}

test("UI access: the shell is public and locked down, data needs a token, a viewer never receives a Secret's value, an admin can reveal it", { timeout: 180_000 }, async (t) => {
  const world = await startUiWorld(t);
  const namespace = randomNamespace("ui");
  await cleanDockerAfter(t, namespace);
  const value = `pw-${randomBytes(9).toString("hex")}`;
  const encoded = Buffer.from(value).toString("base64");
  await seedSecrets(world, namespace, value);

  // The shell and assets: no token needed, strict headers, hashed assets cached for good and precompressed.
  const shell = await world.admin.get("/", { token: null, headers: { "Accept-Encoding": "br" } });
  assert.equal(shell.status, 200);
  const csp = String(shell.headers["content-security-policy"]);
  for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), csp);
  assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"), csp);
  assert.equal(shell.headers["x-content-type-options"], "nosniff");
  assert.equal(shell.headers["referrer-policy"], "no-referrer");
  assert.equal(shell.headers["content-encoding"], "br");
  assert.equal(shell.headers["cache-control"], "no-cache");
  const plain = await world.admin.get("/", { token: null });
  const script = /src="(\/ui\/assets\/main-[A-Z0-9]+\.js)"/.exec(plain.text)?.[1];
  assert.ok(script, plain.text);
  assert.ok(!/<script>|<style>|style="/.test(plain.text), "the shell has inline script or style");
  const asset = await world.admin.get(script, { token: null, headers: { "Accept-Encoding": "gzip, br" } });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.equal(asset.headers["content-encoding"], "br");
  assert.match(String(asset.headers["content-type"]), /^text\/javascript/);
  assert.equal((await world.admin.get("/ui/assets/missing-0000.js", { token: null })).status, 404);
  // Every data call needs a token, the UI's own endpoints included.
  for (const path of [`${GROUP}/watch`, `${GROUP}/namespaces/${namespace}/apps/x/stats`, `${GROUP}/namespaces/${namespace}/secrets/db-creds`, "/api/v1/events"])
    assert.equal((await world.admin.get(path, { token: null })).status, 401, path);

  // A viewer of the namespace: every page that could show the Secret, and every byte the page received.
  const viewer = await world.createToken("ui-viewer", "viewer", namespace);
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());
  const { page } = browser;
  const received = await recordNetwork(page);
  await signIn(page, world.url, viewer);
  const dom: string[] = [];
  const visit = async (hash: string, ready: () => Promise<unknown>) => {
    await page.evaluate((h) => (location.hash = h), hash);
    await ready();
    dom.push(await page.content());
  };
  await visit("#/", () => page.getByRole("heading", { name: "Overview" }).waitFor());
  await visit(`#/k/secrets/${namespace}/db-creds`, () => page.getByText("Values are shown to admins only.").waitFor());
  assert.equal(await page.getByRole("button", { name: /Reveal/ }).count(), 0, "a viewer is offered to reveal values");
  await visit(`#/k/secrets/${namespace}/db-creds/yaml`, () => page.locator("pre.yaml").getByText("kind: Secret").waitFor());
  await visit(`#/k/databases/${namespace}/main`, () => page.getByText("Credentials are shown to admins only.").waitFor());
  await visit(`#/k/secrets`, () => page.locator("tr[data-row]").first().waitFor());
  const bodies = await received();
  assert.ok(bodies.some((b) => b.includes('"kind":"Secret"') && b.includes("db-creds")), "the viewer's page never received the Secret at all");
  for (const text of [...dom, ...bodies]) {
    assert.ok(!text.includes(value), "a viewer received the Secret's value");
    assert.ok(!text.includes(encoded), "a viewer received the Secret's base64 value");
  }

  // The same pages for an admin: the value arrives, stays masked, and shows on request (so the check above can fail).
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, world.url, world.adminToken);
  await page.evaluate((h) => (location.hash = h), `#/k/secrets/${namespace}/db-creds`);
  await page.getByRole("button", { name: "Reveal password" }).waitFor();
  assert.ok(!(await page.content()).includes(value), "an admin sees the value before asking for it");
  await page.getByRole("button", { name: "Reveal password" }).click();
  await page.getByText(value).waitFor();
  await page.evaluate((h) => (location.hash = h), `#/k/databases/${namespace}/main`);
  await page.getByRole("button", { name: "Reveal credentials" }).click();
  await page.getByText(value).waitFor();
});

test("UI backups: a failed run shows its step and error, with the history's sizes and durations", { timeout: 120_000 }, async (t) => {
  const world = await startUiWorld(t);
  const namespace = randomNamespace("ui");
  await cleanDockerAfter(t, namespace);
  await seedSecrets(world, namespace, "unused");
  // The runs are written through the status subresource, as the controller would write them (its Database does not
  // exist, so it makes none of its own); `nextRunAt` is the controller's, from the schedule.
  const path = `${GROUP}/namespaces/${namespace}/backups/nightly/status`;
  const status = {
    status: {
      nextRunAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
      lastRun: { id: "run-2", startedAt: "2026-01-02T03:00:00Z", finishedAt: "2026-01-02T03:00:07Z", result: "Failed", step: "upload", message: "PUT s3://backups/main: 403 AccessDenied" },
      history: [
        { id: "run-1", startedAt: "2026-01-01T03:00:00Z", finishedAt: "2026-01-01T03:01:05Z", result: "Succeeded", bytes: 5 * 1024 * 1024, sha256: "ab".repeat(32), location: "/var/backups/main/run-1.dump" },
        { id: "run-2", startedAt: "2026-01-02T03:00:00Z", finishedAt: "2026-01-02T03:00:07Z", result: "Failed", step: "upload", message: "PUT s3://backups/main: 403 AccessDenied" },
      ],
    },
  };
  const written = await world.admin.patch(path, status, "application/merge-patch+json");
  assert.equal(written.status, 200, written.text);

  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());
  const { page } = browser;
  await signIn(page, world.url, world.adminToken);
  await page.evaluate((h) => (location.hash = h), `#/k/backups/${namespace}/nightly`);
  const failed = page.locator("tr[data-run=run-2]");
  await failed.waitFor();
  assert.equal(await failed.locator("[data-step]").textContent(), "upload");
  assert.match(await failed.textContent() ?? "", /Failed.*7s.*upload.*403 AccessDenied/s);
  const succeeded = page.locator("tr[data-run=run-1]");
  assert.match(await succeeded.textContent() ?? "", /Succeeded.*1m5s.*5\.0 MiB/s);
  await page.locator("[data-next-run]").getByText(/in \d+(h|m|d)/).waitFor();

  // A run written as Running is on screen as it is written; the controller, which is running no such run, then
  // marks it interrupted, and that verdict reaches the page live too.
  const running = { status: { lastRun: { id: "run-3", startedAt: new Date().toISOString(), result: "Running" }, history: [...status.status.history] } };
  assert.equal((await world.admin.patch(path, running, "application/merge-patch+json")).status, 200);
  const third = page.locator("tr[data-run=run-3]");
  await third.waitFor({ timeout: 5_000 });
  await third.locator("[data-step]").getByText("interrupted").waitFor({ timeout: 15_000 });
});

test("UI domains: a Domain's certificate shows its issuer, expiry and renewal state as the controller reports them", { timeout: 120_000 }, async (t) => {
  const world = await startUiWorld(t);
  const namespace = randomNamespace("ui");
  await cleanDockerAfter(t, namespace);
  const host = "shop.ui.test";
  const pems = await generate([{ name: "commonName", value: "Berth UI Test CA" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: host }] }],
  });
  const data = { "tls.crt": Buffer.from(pems.cert).toString("base64"), "tls.key": Buffer.from(pems.private).toString("base64") };
  await world.apply([
    `apiVersion: berth.dev/v1\nkind: Secret\nmetadata: {name: shop-cert, namespace: ${namespace}}\ntype: kubernetes.io/tls\ndata: ${JSON.stringify(data)}`,
    `apiVersion: berth.dev/v1\nkind: Domain\nmetadata: {name: shop, namespace: ${namespace}}\nspec: {host: ${host}, appRef: {name: shop}, tls: {mode: secret, secretRef: {name: shop-cert}}}`,
  ].join("\n---\n"));
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());
  const { page } = browser;
  await signIn(page, world.url, world.adminToken);
  await page.evaluate((h) => (location.hash = h), `#/k/domains/${namespace}/shop`);
  await page.locator("[data-expiry]").waitFor({ timeout: 30_000 });
  const certificate = page.getByRole("definition").filter({ hasText: "Berth UI Test CA" });
  assert.equal(await certificate.count(), 1, "the issuer is not shown");
  assert.match(await page.locator("[data-expiry]").textContent() ?? "", /\(in \d+/);
  await page.getByText("CertificateLoaded").first().waitFor();
  // The App it routes to does not exist: the page says why the Domain is not Ready.
  await page.locator("[data-why]").getByText(/shop/).waitFor();
});
