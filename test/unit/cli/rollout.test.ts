import { test } from "node:test";
import assert from "node:assert/strict";
import { rolloutProgress } from "../../../cli/verbs/rollout-progress.ts";
import { chooseRollback, describeChange, rollbackSpecPatch, RollbackError } from "../../../resources/app-rollback.ts";
import type { HistoryEntry, RevisionTemplate } from "../../../resources/app-history.ts";
import { startCliApi } from "../../support/run-cli.ts";

const cond = (type: string, status: string, reason: string, message = "") => ({ type, status, reason, message, observedGeneration: 2 });
const app = (status: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  metadata: { name: "web", generation: 2 }, spec: { replicas: 3, ...spec }, status: { observedGeneration: 2, ...status },
});

test("rollout progress: kubectl's sequence of waiting lines, then done", () => {
  assert.equal(rolloutProgress(app({ observedGeneration: 1 })).message, `Waiting for app "web" spec update to be observed...`);
  assert.equal(rolloutProgress(app({ replicas: 4, updatedReplicas: 1, readyReplicas: 3 })).message, "Waiting for rollout to finish: 1 out of 3 new replicas have been updated...");
  assert.equal(rolloutProgress(app({ replicas: 4, updatedReplicas: 3, readyReplicas: 3 })).message, "Waiting for rollout to finish: 1 old replicas are pending termination...");
  assert.equal(rolloutProgress(app({ replicas: 3, updatedReplicas: 3, readyReplicas: 1 })).message, "Waiting for rollout to finish: 1 of 3 updated replicas are available...");
  const done = app({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, conditions: [cond("Ready", "True", "Available"), cond("Progressing", "True", "RolloutComplete")] });
  assert.deepEqual(rolloutProgress(done), { state: "done", message: `app "web" successfully rolled out` });
  // Ready=True left from the previous generation does not count.
  const stale = app({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, conditions: [{ ...cond("Ready", "True", "Available"), observedGeneration: 1 }, cond("Progressing", "True", "RolloutComplete")] });
  assert.equal(rolloutProgress(stale).state, "waiting");
});

test("rollout progress: Degraded, an exceeded deadline and a paused App are failures with their reason", () => {
  const degraded = rolloutProgress(app({ conditions: [cond("Degraded", "True", "CrashLooping", "replica 0 exited with code 3")] }));
  assert.deepEqual(degraded, { state: "failed", reason: "CrashLooping", message: `app "web" rollout failed (CrashLooping): replica 0 exited with code 3` });
  const deadline = rolloutProgress(app({ conditions: [cond("Progressing", "False", "ProgressDeadlineExceeded", "revision 2 did not become ready within 3s")] }));
  assert.equal(deadline.state === "failed" && deadline.reason, "ProgressDeadlineExceeded");
  assert.equal(rolloutProgress(app({ conditions: [{ ...cond("Degraded", "True", "CrashLooping"), observedGeneration: 1 }] })).state, "waiting", "a Degraded of an older generation is not this rollout's");
  assert.equal(rolloutProgress(app({}, { paused: true })).state, "failed");
});

const template = (image: string, extra: Partial<RevisionTemplate> = {}): RevisionTemplate => ({ image, env: [], volumes: [], port: 8080, ...extra } as RevisionTemplate);
const entry = (revision: number, deployedAt: string, t: RevisionTemplate): HistoryEntry => ({ revision, image: t.image!, specHash: `h${revision}`, createdAt: deployedAt, deployedAt, template: t });

test("rollback choice: the revision deployed before the current one, or --to-revision; clear errors otherwise", () => {
  const history = [entry(1, "2026-01-01T00:00:00Z", template("a")), entry(2, "2026-01-02T00:00:00Z", template("b")), entry(3, "2026-01-03T00:00:00Z", template("c"))];
  assert.equal(chooseRollback(history, 3, undefined, `app "web"`).revision, 2);
  // After an undo to 1, undo again goes back to 3 (the one deployed most recently before), as kubectl does.
  const afterUndo = history.map((h) => (h.revision === 1 ? { ...h, deployedAt: "2026-01-04T00:00:00Z" } : h));
  assert.equal(chooseRollback(afterUndo, 1, undefined, `app "web"`).revision, 3);
  assert.equal(chooseRollback(history, 3, 1, `app "web"`).revision, 1);
  assert.throws(() => chooseRollback(history, 3, 7, `app "web"`), { name: "RollbackError", message: `revision 7 not found in the history of app "web" (revisions kept: 1, 2, 3)` });
  assert.throws(() => chooseRollback([history[0]!], 1, undefined, `app "web"`), /has no previous revision to roll back to/);
  assert.throws(() => chooseRollback([], undefined, undefined, `app "web"`), RollbackError);
});

test("rollback patch: exactly the template's fields, nested objects replaced, others untouched", () => {
  const spec = {
    image: "b", port: 8080, env: [{ name: "A", value: "2" }], volumes: [], command: ["/bin/sh"], replicas: 3,
    healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 }, resources: { cpu: "500m", memory: "64Mi" },
  };
  const old = template("a", { env: [{ name: "A", value: "1" }], healthCheck: { tcp: {}, intervalSeconds: 1 } as RevisionTemplate["healthCheck"], resources: { memory: "32Mi" } as RevisionTemplate["resources"] });
  assert.deepEqual(rollbackSpecPatch(spec, old), {
    image: "a", env: [{ name: "A", value: "1" }], command: null,
    healthCheck: { http: null, tcp: {} }, resources: { cpu: null, memory: "32Mi" },
  });
  assert.deepEqual(rollbackSpecPatch({ ...old, replicas: 5 } as Record<string, unknown>, old), {}, "already at that template");
});

test("rollout history CHANGE column: image change, other fields by name, values behind references", () => {
  const one = entry(1, "2026-01-01T00:00:00Z", template("web:v1"));
  const two = entry(2, "2026-01-02T00:00:00Z", template("web:v2", { command: ["x"] }));
  const three = entry(3, "2026-01-03T00:00:00Z", template("web:v2", { command: ["x"] }));
  assert.equal(describeChange(undefined, one), "initial");
  assert.equal(describeChange(undefined, two), "<unknown>");
  assert.equal(describeChange(one, two), "image web:v1 → web:v2, command");
  assert.equal(describeChange(two, three), "secret or database values");
});

test("berth rollout undo through the API (no Docker): one conditional spec write; history and errors", { timeout: 30_000 }, async (t) => {
  const api = await startCliApi();
  t.after(() => api.close());
  const created = await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace: "default" }, spec: { image: "web:v2", port: 8080, command: ["/bin/serve"], replicas: 2 } });
  const history = [
    entry(1, "2026-01-01T00:00:00Z", template("web:v1")),
    entry(2, "2026-01-02T00:00:00Z", { ...template("web:v2"), command: ["/bin/serve"] }),
  ];
  await api.store.updateStatus({ ...created, status: { revision: 2, history } });

  const table = await api.run(["rollout", "history", "web"]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^2\s+web:v2\s+image web:v1 → web:v2, command\s+\S+$/m);

  const undo = await api.run(["rollout", "undo", "app/web"]);
  assert.equal(undo.code, 0, undo.stderr);
  assert.equal(undo.stdout, "app.berth.dev/web rolled back to revision 1\n");
  const after = await api.store.get({ kind: "App", namespace: "default", name: "web" });
  assert.equal(after.metadata.generation, created.metadata.generation! + 1);
  const spec = after.spec as Record<string, unknown>;
  assert.equal(spec.image, "web:v1");
  assert.equal(spec.command, undefined, "a field the old template lacks is removed");
  assert.equal(spec.replicas, 2, "fields outside the template are kept");

  const paused = await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "frozen", namespace: "default" }, spec: { image: "web:v2", paused: true } });
  await api.store.updateStatus({ ...paused, status: { revision: 2, history } });
  const refused = await api.run(["rollout", "undo", "app/frozen"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: app "frozen" is paused/);
  const wrong = await api.run(["rollout", "undo", "db/main"]);
  assert.match(wrong.stderr, /only Apps have rollouts/);
  const bad = await api.run(["rollout", "undo", "web", "--to-revision", "zero"]);
  assert.match(bad.stderr, /invalid --to-revision value "zero"/);
});
