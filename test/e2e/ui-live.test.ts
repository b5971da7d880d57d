import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, signIn } from "../support/browser.ts";
import { connectTestDocker, randomNamespace, cleanupAfter, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { startUiWorld } from "../support/ui-world.ts";

/** An App whose replica writes a numbered line every second beside its web server. */
function tickerApp(namespace: string, name: string): string {
  const script = `trap 'exit 0' TERM INT; httpd -f -p ${WEB_PORT} -h /www & i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done`;
  return [
    "apiVersion: berth.dev/v1",
    "kind: App",
    `metadata: {name: ${name}, namespace: ${namespace}}`,
    "spec:",
    `  image: ${TEST_IMAGES.webV1}`,
    `  port: ${WEB_PORT}`,
    `  command: ["/bin/sh", "-c", ${JSON.stringify(script)}]`,
    // Probing starts two seconds in, so the App is visibly Progressing before it is Ready.
    "  healthCheck: {http: {path: /healthz}, initialDelaySeconds: 2}",
    "",
  ].join("\n");
}

test("the UI follows an App live: Progressing then Ready after berth apply, new log lines, metrics, and a daemon restart", { timeout: 240_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const world = await startUiWorld(t);
  const namespace = randomNamespace("ui");
  cleanupAfter(t, docker, namespace);
  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());
  const { page } = browser;

  await signIn(page, world.url, world.adminToken);
  // The App's page before the App exists; every state its badge shows from then on is recorded.
  await page.goto(`${world.url}/#/k/apps/${namespace}/ticker`);
  await page.getByText(`App "ticker" does not exist`).waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { states: string[]; loaded: boolean };
    w.states = [];
    w.loaded = true;
    const note = () => {
      const state = document.querySelector(".title-row [data-health]")?.getAttribute("data-health");
      if (state && w.states[w.states.length - 1] !== state) w.states.push(state);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await world.apply(tickerApp(namespace, "ticker"));
  await page.locator(".title-row [data-health=Ready]").waitFor({ timeout: 60_000 });
  const states = await page.evaluate(() => (window as unknown as { states: string[] }).states);
  assert.ok(states.includes("Progressing"), `the App was never shown Progressing: ${states.join(" → ")}`);
  assert.equal(states[states.length - 1], "Ready", states.join(" → "));
  assert.ok(states.indexOf("Progressing") < states.lastIndexOf("Ready"), states.join(" → "));
  await page.locator("[data-replicas]").getByText("1/1 ready").waitFor();
  // Summary: the replica with its readiness and usage, from the stats endpoint.
  await page.locator("tr[data-replica='0']").getByText("Ready").waitFor({ timeout: 20_000 });

  // Logs: lines already written, then a new one arriving while the page watches.
  await page.getByRole("link", { name: "Logs" }).click();
  const log = page.getByRole("log");
  await log.getByText(/tick \d+/).first().waitFor({ timeout: 20_000 });
  const lastTick = async () => Math.max(...(await log.locator(".log-line").allTextContents()).map((l) => Number(/tick (\d+)/.exec(l)?.[1] ?? 0)));
  const before = await lastTick();
  await log.getByText(new RegExp(`tick ${before + 1}$`)).waitFor({ timeout: 10_000 });
  assert.ok((await lastTick()) > before);
  // Search keeps only matching lines.
  await page.getByLabel("Search").fill(`tick ${before}`);
  assert.ok((await log.locator(".log-line").count()) >= 1);
  assert.ok((await log.locator(".log-line").allTextContents()).every((l) => l.includes(`tick ${before}`)));

  // Revisions and metrics.
  await page.getByRole("link", { name: "Revisions" }).click();
  await page.locator("tr[data-revision='1']").getByText("current").waitFor();
  await page.getByRole("link", { name: "Metrics" }).click();
  await page.locator(".chart-box canvas").first().waitFor({ timeout: 20_000 });
  const stats = (await world.admin.get(`/apis/berth.dev/v1/namespaces/${namespace}/apps/ticker/stats`)).json<{ items: Array<{ memoryBytes?: number; cpuPercent?: number }> }>();
  assert.equal(stats.items.length, 1);
  assert.ok((stats.items[0]!.memoryBytes ?? 0) > 0, JSON.stringify(stats));

  // A daemon restart: the page says it is reconnecting, then resumes, without a reload, and shows what changed meanwhile.
  await page.goto(`${world.url}/#/`);
  await page.locator("[data-connection=live]").waitFor();
  const restarted = world.restart();
  await page.locator("[data-connection=connecting]").waitFor({ timeout: 20_000 });
  await restarted;
  await world.apply(`apiVersion: berth.dev/v1\nkind: Secret\nmetadata: {name: after-restart, namespace: ${namespace}}\nstringData: {k: v}\n`);
  await page.locator("[data-connection=live]").waitFor({ timeout: 20_000 });
  await page.evaluate((ns) => (location.hash = `#/k/secrets/${ns}/after-restart`), namespace);
  await page.getByRole("heading", { name: "Secret after-restart" }).waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { loaded?: boolean }).loaded), true, "the page was reloaded");
});
