import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Page } from "playwright-core";
import { DESKTOP, PHONE, launchBrowser, openUi, seriousViolations, signIn } from "../support/browser.ts";
import { connectTestDocker, randomNamespace, cleanupAfter, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { startUiWorld } from "../support/ui-world.ts";

/** SCREENSHOTS is where every page's screenshot goes. */
const SCREENSHOTS = join(tmpdir(), "berth-ui-screenshots");
/** DOCS, when set (BERTH_UI_SCREENSHOTS=docs), receives the overview's as ui-overview.png, the one README.md shows. */
const DOCS = process.env.BERTH_UI_SCREENSHOTS;

/** seed is a small installation: a running App with a Domain, a Database with its credentials and a Backup with runs. */
function seed(namespace: string): string {
  return [
    `apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: web, namespace: ${namespace}, labels: {tier: front}}\nspec:\n  image: ${TEST_IMAGES.webV1}\n  replicas: 2\n  port: ${WEB_PORT}\n  healthCheck: {http: {path: /healthz}}`,
    `apiVersion: berth.dev/v1\nkind: Domain\nmetadata: {name: web, namespace: ${namespace}}\nspec: {host: web.example.test, appRef: {name: web}, tls: {mode: acme, issuer: "https://127.0.0.1:9/directory"}}`,
    `apiVersion: berth.dev/v1\nkind: Secret\nmetadata: {name: db-creds, namespace: ${namespace}}\nstringData: {user: app, password: not-shown}`,
    `apiVersion: berth.dev/v1\nkind: Database\nmetadata: {name: main, namespace: ${namespace}}\nspec: {engine: postgres, version: "16", credentials: {secretRef: {name: db-creds}}}`,
    `apiVersion: berth.dev/v1\nkind: Backup\nmetadata: {name: nightly, namespace: ${namespace}}\nspec: {databaseRef: {name: main}, schedule: "0 3 * * *", target: {local: {path: /var/backups/main}}}`,
  ].join("\n---\n");
}

/** PAGES are the pages checked, each with what must be on it. */
function pages(ns: string): Array<{ name: string; hash: string; ready: (page: Page) => Promise<unknown> }> {
  return [
    { name: "overview", hash: "#/", ready: (p) => p.locator(".card[data-kind=App] [data-count=Ready]").getByText("1").waitFor() },
    { name: "apps", hash: "#/k/apps", ready: (p) => p.locator(`tr[data-row="${ns}/web"]`).getByText("True").first().waitFor() },
    { name: "app", hash: `#/k/apps/${ns}/web`, ready: (p) => p.locator("tr[data-replica='1']").waitFor({ timeout: 20_000 }) },
    { name: "app-logs", hash: `#/k/apps/${ns}/web/logs`, ready: (p) => p.locator("[data-log-state=live]").waitFor() },
    { name: "app-revisions", hash: `#/k/apps/${ns}/web/revisions`, ready: (p) => p.locator("tr[data-revision='1']").waitFor() },
    { name: "app-metrics", hash: `#/k/apps/${ns}/web/metrics`, ready: (p) => p.locator(".chart-box canvas").first().waitFor({ timeout: 20_000 }) },
    { name: "app-events", hash: `#/k/apps/${ns}/web/events`, ready: (p) => p.getByRole("heading", { name: "Events" }).waitFor() },
    { name: "app-related", hash: `#/k/apps/${ns}/web/related`, ready: (p) => p.getByRole("heading", { name: "Owned objects" }).waitFor() },
    { name: "app-yaml", hash: `#/k/apps/${ns}/web/yaml`, ready: (p) => p.locator("pre.yaml").getByText("kind: App").waitFor() },
    { name: "domain", hash: `#/k/domains/${ns}/web`, ready: (p) => p.getByRole("heading", { name: "Certificate" }).waitFor() },
    { name: "database", hash: `#/k/databases/${ns}/main`, ready: (p) => p.getByRole("button", { name: "Reveal credentials" }).waitFor() },
    { name: "backup", hash: `#/k/backups/${ns}/nightly`, ready: (p) => p.getByRole("heading", { name: "Runs" }).waitFor() },
    { name: "secret", hash: `#/k/secrets/${ns}/db-creds`, ready: (p) => p.getByRole("button", { name: "Reveal password" }).waitFor() },
  ];
}

test("every UI page is accessible (axe-core: no serious or critical violation) and usable at desktop and phone widths, light and dark", { timeout: 300_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const world = await startUiWorld(t);
  const namespace = randomNamespace("ui");
  cleanupAfter(t, docker, namespace);
  await world.apply(seed(namespace));
  await mkdir(SCREENSHOTS, { recursive: true });

  for (const [width, viewport] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
    const browser = await launchBrowser(t, { viewport });
    if (!browser) return;
    const { page } = browser;
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    t.after(() => problems.length && t.diagnostic(`browser console at ${width} width:\n${problems.join("\n")}`));
    try {
      // The sign-in form first.
      await openUi(page, world.url);
      assert.deepEqual(await seriousViolations(page), [], `sign-in page at ${width} width`);
      await signIn(page, world.url, world.adminToken);
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const { name, hash, ready } of pages(namespace)) {
          // Dark is checked on the pages with the most colour; light on all of them.
          if (scheme === "dark" && !["overview", "apps", "app", "domain", "backup"].includes(name)) continue;
          await page.evaluate((h) => (location.hash = h), hash);
          await ready(page);
          const where = `${name} at ${width} width, ${scheme}`;
          assert.deepEqual(await seriousViolations(page), [], where);
          // Key elements: the page's heading, the kinds and the connection state; nothing wider than the screen.
          assert.ok(await page.locator("main h1").first().isVisible(), `${where}: no heading`);
          assert.ok(await page.getByRole("navigation", { name: "Kinds" }).isVisible(), `${where}: no kinds navigation`);
          assert.equal(await page.locator("[data-connection=live]").count(), 1, `${where}: not live`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          if (overflow > 0) {
            const wide = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map((e) => `${e.tagName}.${e.className}`));
            assert.fail(`${where}: the page is ${overflow}px wider than the screen: ${wide.join(", ")}`);
          }
          if (scheme === "light") await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: name === "overview" });
        }
      }
      if (width === "desktop") {
        // A kind's list filtered on the server: by label selector, by namespace; a bad selector is the API's error.
        await page.evaluate(() => (location.hash = "#/k/apps"));
        const row = page.locator(`tr[data-row="${namespace}/web"]`);
        await row.waitFor();
        await page.getByLabel("Label selector").fill("tier=back");
        await page.getByRole("button", { name: "Filter" }).click();
        await page.getByText("0 Apps").waitFor();
        await page.getByLabel("Label selector").fill("tier=front");
        await page.getByRole("button", { name: "Filter" }).click();
        await row.waitFor();
        await page.getByLabel("Namespace").selectOption("berth-system");
        await page.getByText("0 Apps").waitFor();
        assert.match(await page.evaluate(() => location.hash), /ns=berth-system.*l=tier%3Dfront/);
        await page.getByLabel("Label selector").fill("tier in (");
        await page.getByRole("button", { name: "Filter" }).click();
        await page.getByRole("alert").waitFor();
      }
      // Keyboard: the skip link is the first stop and moves focus to the page's content.
      await page.emulateMedia({ colorScheme: "light" });
      // A fresh load (the token is kept for the tab), so focus starts at the top of the document.
      await openUi(page, world.url);
      await page.getByRole("heading", { name: "Overview" }).waitFor();
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
    } finally {
      await browser.close();
    }
  }
  if (DOCS) await copyFile(join(SCREENSHOTS, "overview-desktop.png"), join(DOCS, "ui-overview.png"));
  t.diagnostic(`screenshots in ${SCREENSHOTS}`);
});
