import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { dependencyMissing } from "./ci.ts";

/** CHROMIUM is Debian's chromium (scripts/install.sh installs it); no browser is ever downloaded. */
export const CHROMIUM = process.env.BERTH_CHROMIUM ?? "/usr/bin/chromium";

/** SKIP_NO_CHROMIUM is the skip message of browser tests on a machine without chromium (outside CI). */
export const SKIP_NO_CHROMIUM = `SKIPPED: no chromium at ${CHROMIUM} (scripts/install.sh installs it)`;

/** Viewport sizes the UI is checked at. */
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Browser is a headless chromium with one fresh profile, closed and removed by close(). */
export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * launchBrowser starts headless chromium with a fresh profile directory and no background networking. It
 * returns undefined when chromium is missing (the caller skips), except under CI=true, where that is a failure.
 */
export async function launchBrowser(t: TestContext, options: { viewport?: { width: number; height: number } } = {}): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return dependencyMissing(t, SKIP_NO_CHROMIUM);
  return launchChromium(options);
}

/** launchChromium starts headless chromium with a fresh profile (see launchBrowser); it throws if chromium is missing. */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), "berth-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    ignoreHTTPSErrors: true,
    viewport: options.viewport ?? DESKTOP,
    timeout: 30_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * openUi loads the shell until the UI has started. Chromium aborts requests in flight when the host's network
 * interfaces change (ERR_NETWORK_CHANGED), and Docker adds and removes interfaces as containers come and go:
 * a load caught by that is retried, as a person would reload.
 */
export async function openUi(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(`${url}/`);
      await page.locator("#token, main#main").first().waitFor({ timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt >= 4) throw error;
      await page.waitForTimeout(500);
    }
  }
}

/** signIn opens the UI and signs in with a token, waiting until the objects have loaded. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  if (!(await page.locator("#token").isVisible())) await openUi(page, url);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("[data-connection=live]").waitFor();
  await page.locator("main h1").first().waitFor();
}

/** AXE is axe-core's browser bundle, injected into pages under test. */
let axeSource: string | undefined;

/** AxeViolation is what the tests print of an axe-core violation. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; html: string }>;
}

/** seriousViolations runs axe-core on the page and returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(join(import.meta.dirname, "../../../node_modules/axe-core/axe.min.js"), "utf8");
  // The page's policy allows only its own scripts: axe goes in through the DevTools protocol, as a test tool would.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const { violations } = await axe.run(document, { resultTypes: ["violations"] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })) }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}
