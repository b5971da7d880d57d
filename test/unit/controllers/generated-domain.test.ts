import { test } from "node:test";
import assert from "node:assert/strict";
import { admit, type Resource } from "../../../resources/index.ts";
import { appUrl, boundedLabel, generatedDomainName, generatedHost, GENERATED_LABEL, wantsGeneratedDomain } from "../../../controllers/generated-domain/index.ts";
import { loadDaemonConfig } from "../../../resources/config.ts";

const app = (name: string, namespace = "default", spec: Record<string, unknown> = { image: "x:1", port: 80 }, annotations?: Record<string, string>) =>
  admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec });

test("generated hosts are <app>-<namespace>.<base>, and long ones stay valid, distinct DNS labels", () => {
  assert.equal(generatedHost(app("web", "shop"), "Apps.Example.com."), "web-shop.apps.example.com");
  const long = "a".repeat(63);
  const one = generatedHost(app(long, "ns-one"), "x.test").split(".")[0]!;
  const two = generatedHost(app(long, "ns-two"), "x.test").split(".")[0]!;
  assert.ok(one.length <= 63 && two.length <= 63);
  assert.notEqual(one, two);
  assert.match(one, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.equal(generatedDomainName(app("web")), "web-generated");
  assert.ok(generatedDomainName(app(long)).length <= 63);
  assert.equal(boundedLabel("short"), "short");
});

test("only Apps with a port that have not opted out get a generated Domain", () => {
  assert.equal(wantsGeneratedDomain(app("web")), true);
  assert.equal(wantsGeneratedDomain(app("worker", "default", { image: "x:1" })), false);
  assert.equal(wantsGeneratedDomain(app("web", "default", { image: "x:1", port: 80 }, { "berth.dev/generated-domain": "false" })), false);
});

test("an App's URL prefers the user's routed Domain, then the generated one", () => {
  const domain = (name: string, url: string, routed: boolean, generated: boolean, created: string) =>
    ({ apiVersion: "berth.dev/v1", kind: "Domain", metadata: { name, namespace: "default", creationTimestamp: created, labels: generated ? { [GENERATED_LABEL]: "web" } : {} }, spec: {}, status: { url, routed } }) as unknown as Resource;
  const gen = domain("web-generated", "http://web-default.apps.test/", true, true, "2026-01-01T00:00:00Z");
  const mine = domain("web", "https://www.test/", true, false, "2026-01-02T00:00:00Z");
  const broken = domain("old", "https://old.test/", false, false, "2025-01-01T00:00:00Z");
  assert.equal(appUrl([gen]), "http://web-default.apps.test/");
  assert.equal(appUrl([gen, mine, broken]), "https://www.test/");
  assert.equal(appUrl([gen, broken]), "https://old.test/");
  assert.equal(appUrl([]), undefined);
});

test("--base-domain must be a domain name; --base-domain-tls is acme or none", () => {
  const base = ["--data-dir", "/tmp/x", "--client-config-dir", "/tmp/y"];
  assert.equal(loadDaemonConfig([...base, "--base-domain", "apps.example.com"]).baseDomainTls, "acme");
  assert.throws(() => loadDaemonConfig([...base, "--base-domain", "https://apps.example.com"]), /--base-domain/);
  assert.throws(() => loadDaemonConfig([...base, "--base-domain-tls", "self"]), /--base-domain-tls/);
});
