import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { createGarbageCollector } from "../../../controllers/gc/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createPreviewsController, desiredPreview, planPreviews, PREVIEW_OF_LABEL, PREVIEW_UPDATED_ANNOTATION } from "../../../controllers/previews/index.ts";
import { generatedHost } from "../../../controllers/generated-domain/index.ts";
import { admit, type AppSpec, type Resource } from "../../../resources/index.ts";
import { hookRoutes } from "../../../api/routes/hooks.ts";
import { withApi } from "../api/fixtures.ts";
import { createHookedApp, fixture, SECRET, signedHeaders } from "../api/hooks-support.ts";
import { eventually } from "./support.ts";

const parentWith = (previews: Record<string, unknown>): Resource => admit({
  apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace: "shop", uid: "parent-uid" },
  spec: { port: 8080, build: { git: { url: "https://git.example.com/web.git" }, previews } },
});

const previewAt = (parent: Resource, number: number, at: string) => desiredPreview(parent, { number, ref: `refs/pull/${number}/head`, commit: "a".repeat(40) }, new Date(at));

describe("planPreviews", () => {
  const now = Date.parse("2026-12-07T12:00:00Z");

  it("removes every preview of an App whose previews are turned off", () => {
    const parent = parentWith({ enabled: false });
    const plan = planPreviews(parent, [previewAt(parent, 1, "2026-12-07T11:00:00Z")], now);
    assert.deepEqual(plan.removals.map((r) => r.reason), ["PreviewsDisabled"]);
  });

  it("removes previews not pushed to for ttl, and wakes up when the next one expires", () => {
    const parent = parentWith({ enabled: true, ttl: "2h" });
    const plan = planPreviews(parent, [previewAt(parent, 1, "2026-12-07T09:00:00Z"), previewAt(parent, 2, "2026-12-07T11:00:00Z")], now);
    assert.deepEqual(plan.removals.map((r) => [r.preview.metadata.name, r.reason]), [["web-pr-1", "PreviewExpired"]]);
    assert.equal(plan.nextCheckMs, 60 * 60 * 1000);
  });

  it("beyond maxActive, the least recently updated previews make room", () => {
    const parent = parentWith({ enabled: true, maxActive: 2 });
    const previews = [previewAt(parent, 1, "2026-12-07T10:00:00Z"), previewAt(parent, 2, "2026-12-07T08:00:00Z"), previewAt(parent, 3, "2026-12-07T11:00:00Z")];
    assert.deepEqual(planPreviews(parent, previews, now).removals.map((r) => [r.preview.metadata.name, r.reason]), [["web-pr-2", "PreviewEvicted"]]);
  });

  it("a preview's generated host is pr-<N>-<app>-<namespace>", () => {
    assert.equal(generatedHost(previewAt(parentWith({ enabled: true }), 7, "2026-12-07T10:00:00Z"), "apps.example.com"), "pr-7-web-shop.apps.example.com");
  });
});

/** pullRequest is GitHub's pull_request payload for PR `number` at head `sha`. */
function pullRequest(number: number, action: string, sha: string): string {
  return fixture("github-pull-request-opened").replaceAll('"number": 7', `"number": ${number}`).replace('"action": "opened"', `"action": "${action}"`).replace(/"sha": "ec26[0-9a-f]+"/, `"sha": "${sha}"`);
}

describe("previews end to end: webhook deliveries, the sweep and garbage collection over one store", () => {
  async function world(t: { after(fn: () => Promise<void> | void): void }, previews: Record<string, unknown>) {
    const { api, client } = await withApi(t, { hooks: ({ store, eventLog }) => hookRoutes({ store, recorder: eventLog, logger: silentLogger() }) });
    const manager = new Manager({ store: api.store, logger: silentLogger() });
    manager.add(createGarbageCollector(api.store, silentLogger()));
    manager.add(createPreviewsController({ store: api.store, recorder: api.eventLog, logger: silentLogger() }));
    await manager.start();
    t.after(() => manager.stop());
    const namespace = `pv-${randomBytes(3).toString("hex")}`;
    await createHookedApp(api.store, namespace, "web", previews);
    const open = async (number: number, action = "opened", sha = randomBytes(20).toString("hex")) => {
      const body = pullRequest(number, action, sha);
      const res = await client.post(`/hooks/github/${namespace}/web`, body, { headers: signedHeaders("github", body, SECRET, "pull_request"), token: null });
      assert.equal(res.status, 202, res.text);
    };
    const previewNames = async () =>
      (await api.store.list("App", { namespace, labelSelector: `${PREVIEW_OF_LABEL}=web` })).items.filter((a) => !a.metadata.deletionTimestamp).map((a) => a.metadata.name).sort();
    return { api, namespace, open, previewNames };
  }

  it("at most maxActive previews: a new pull request evicts the least recently updated one, with an event", async (t) => {
    const w = await world(t, { enabled: true, maxActive: 2 });
    await w.open(1);
    await w.open(2);
    await w.open(1, "synchronize"); // PR 1 moved last: PR 2 is now the stalest
    await w.open(3);
    await eventually(async () => assert.deepEqual(await w.previewNames(), ["web-pr-1", "web-pr-3"]));
    const events = await w.api.eventLog.list({ namespace: w.namespace });
    assert.ok(events.some((e) => e.reason === "PreviewEvicted" && e.message.includes("web-pr-2")));
  });

  it("an event that brings no new commit is not activity: it does not save a preview from eviction", async (t) => {
    const w = await world(t, { enabled: true, maxActive: 2 });
    const sha = "6".repeat(40);
    await w.open(1, "opened", sha);
    await w.open(2);
    await w.open(1, "synchronize", sha); // same head: PR 1 is still the stalest
    await w.open(3);
    await eventually(async () => assert.deepEqual(await w.previewNames(), ["web-pr-2", "web-pr-3"]));
  });

  it("turning previews off removes them all", async (t) => {
    const w = await world(t, { enabled: true });
    await w.open(4);
    await eventually(async () => assert.deepEqual(await w.previewNames(), ["web-pr-4"]));
    const parent = await w.api.store.get({ kind: "App", namespace: w.namespace, name: "web" });
    const spec = structuredClone(parent.spec as AppSpec);
    spec.build!.previews!.enabled = false;
    await w.api.store.update({ ...parent, spec } as Resource);
    await eventually(async () => assert.deepEqual(await w.previewNames(), []));
  });

  it("a preview whose pull request has not moved for ttl is removed", async (t) => {
    const w = await world(t, { enabled: true, ttl: "1s" });
    await w.open(5);
    await eventually(async () => assert.deepEqual(await w.previewNames(), ["web-pr-5"]));
    const preview = await w.api.store.get({ kind: "App", namespace: w.namespace, name: "web-pr-5" });
    assert.ok(preview.metadata.annotations?.[PREVIEW_UPDATED_ANNOTATION]);
    await eventually(async () => assert.deepEqual(await w.previewNames(), []), 5_000, 50);
  });

  it("deleting the App deletes its previews (ownerReferences)", async (t) => {
    const w = await world(t, { enabled: true });
    await w.open(6);
    await eventually(async () => assert.deepEqual(await w.previewNames(), ["web-pr-6"]));
    await w.api.store.delete({ kind: "App", namespace: w.namespace, name: "web" });
    await eventually(async () => assert.deepEqual(await w.previewNames(), []));
  });
});
