// Pure tests of the rollout arithmetic, revisions, restart backoff and status summary (no Docker needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { admit, type AppSpec } from "../../../resources/index.ts";
import { RestartTracker, planRollout, recordRevision, revisionFor, summarize, templateOf, type ReplicaView } from "../../../controllers/app/index.ts";

const strategy = (extra: Partial<AppSpec["strategy"]> = {}): AppSpec["strategy"] => ({ type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 0, progressDeadlineSeconds: 120, ...extra });
const r = (id: string, revision: number, index: number, current: boolean, ready = true, extra: Partial<ReplicaView> = {}): ReplicaView => ({ id, revision, index, current, running: true, ready, ...extra });

test("plan: first rollout creates every replica", () => {
  assert.deepEqual(planRollout({ replicas: 3, strategy: strategy(), existing: [], canCreate: true }), { create: [0, 1, 2], drain: [], remove: [] });
});

test("plan: rolling update surges one, then retires an old replica (highest slot first) only once the new one is ready", () => {
  const old = [r("a", 1, 0, false), r("b", 1, 1, false), r("c", 1, 2, false)];
  assert.deepEqual(planRollout({ replicas: 3, strategy: strategy(), existing: old, canCreate: true }), { create: [0], drain: [], remove: [] });
  const starting = [...old, r("n0", 2, 0, true, false)];
  assert.deepEqual(planRollout({ replicas: 3, strategy: strategy(), existing: starting, canCreate: true }), { create: [], drain: [], remove: [] });
  const up = [...old, r("n0", 2, 0, true, true)];
  assert.deepEqual(planRollout({ replicas: 3, strategy: strategy(), existing: up, canCreate: true }), { create: [], drain: [], remove: ["c"] });
  assert.deepEqual(planRollout({ replicas: 3, strategy: strategy({ drainSeconds: 5 }), existing: up, canCreate: true }), { create: [], drain: ["c"], remove: [] });
  const draining = [...old.slice(0, 2), r("c", 1, 2, false, false, { drainingForMs: 1000 }), r("n0", 2, 0, true)];
  assert.deepEqual(planRollout({ replicas: 3, strategy: strategy({ drainSeconds: 5 }), existing: draining, canCreate: true }), { create: [1], drain: [], remove: [] }, "a draining replica does not count against the surge");
  draining[2]!.drainingForMs = 5000;
  assert.deepEqual(planRollout({ replicas: 3, strategy: strategy({ drainSeconds: 5 }), existing: draining, canCreate: true }).remove, ["c"]);
});

test("plan: a stuck rollout keeps the old replica, even one that is down; maxUnavailable lets old go first", () => {
  const stuck = [r("old", 1, 0, false, false, { running: false }), r("new", 2, 0, true, false)];
  assert.deepEqual(planRollout({ replicas: 1, strategy: strategy(), existing: stuck, canCreate: true }), { create: [], drain: [], remove: [] });
  const old = [r("a", 1, 0, false), r("b", 1, 1, false)];
  assert.deepEqual(planRollout({ replicas: 2, strategy: strategy({ maxSurge: 0, maxUnavailable: 1 }), existing: old, canCreate: true }), { create: [], drain: [], remove: ["b"] });
  assert.deepEqual(planRollout({ replicas: 2, strategy: strategy(), existing: old, canCreate: false }), { create: [], drain: [], remove: [] }, "nothing moves while the new revision cannot start");
});

test("plan: scale down retires the highest slots; Recreate removes old before creating", () => {
  const three = [r("a", 1, 0, true), r("b", 1, 1, true), r("c", 1, 2, true)];
  assert.deepEqual(planRollout({ replicas: 1, strategy: strategy(), existing: three, canCreate: true }), { create: [], drain: [], remove: ["c", "b"] });
  const old = [r("a", 1, 0, false), r("b", 1, 1, false)];
  assert.deepEqual(planRollout({ replicas: 2, strategy: strategy({ type: "Recreate" }), existing: old, canCreate: true }), { create: [], drain: [], remove: ["a", "b"] });
  assert.deepEqual(planRollout({ replicas: 2, strategy: strategy({ type: "Recreate" }), existing: [], canCreate: true }), { create: [0, 1], drain: [], remove: [] });
});

test("revisions: a hash keeps its number; history keeps the current one and the most recent others", () => {
  const template = templateOf(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "w" }, spec: { image: "x" } }).spec as AppSpec);
  assert.equal(revisionFor("h1", [], new Map()), 1);
  let history = recordRevision([], { revision: 1, image: "x:1", specHash: "h1", template }, undefined, "2026-01-01T00:00:01Z", 1);
  history = recordRevision(history, { revision: 2, image: "x:2", specHash: "h2", template }, 1, "2026-01-01T00:00:02Z", 1);
  assert.equal(revisionFor("h1", history, new Map()), 1, "rolling back to an old spec brings back its revision");
  assert.equal(revisionFor("h3", history, new Map([["h9", 7]])), 8);
  assert.equal(revisionFor("h9", history, new Map([["h9", 7]])), 7, "a container's label wins over a lost status write");
  history = recordRevision(history, { revision: 3, image: "x:3", specHash: "h3", template }, 2, "2026-01-01T00:00:03Z", 1);
  assert.deepEqual(history.map((h) => h.revision), [2, 3]);
  const again = recordRevision(history, { revision: 3, image: "x:3", specHash: "h3", template }, 3, "2026-01-01T00:00:09Z", 1);
  assert.equal(again.find((h) => h.revision === 3)!.deployedAt, "2026-01-01T00:00:03Z", "still the target: the deadline clock does not restart");
});

test("restarts: the first restart is immediate, later ones back off, a long run resets", () => {
  const tracker = new RestartTracker({ baseMs: 1000, maxMs: 4000, resetAfterMs: 60_000 });
  assert.deepEqual(tracker.decide("c", 10, 0), { now: true, restarts: 0 });
  tracker.restarted("App/x/y", "c", 0, 0);
  assert.deepEqual(tracker.decide("c", 10, 500), { now: false, waitMs: 500, restarts: 1 });
  assert.deepEqual(tracker.decide("c", 10, 1000), { now: true, restarts: 1 });
  tracker.restarted("App/x/y", "c", 1, 1000);
  assert.deepEqual(tracker.decide("c", 10, 1000), { now: false, waitMs: 2000, restarts: 2 });
  assert.deepEqual(tracker.decide("c", 120_000, 1000), { now: true, restarts: 0 });
});

test("summary: Ready needs a complete rollout; the progress deadline makes it Degraded", () => {
  const spec = admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "w" }, spec: { image: "x", port: 80, strategy: { progressDeadlineSeconds: 10 } } }).spec as AppSpec;
  const template = templateOf(spec);
  const history = [{ revision: 1, image: "x", specHash: "h", createdAt: "2026-01-01T00:00:00Z", deployedAt: "2026-01-01T00:00:00Z", template }];
  const replica = { name: "berth-d-w-1-0", revision: 1, index: 0, current: true, draining: false, ip: "10.0.0.2" };
  const done = summarize({ spec, generation: 1, now: new Date("2026-01-01T00:00:01Z"), replicas: [{ ...replica, ready: true }], target: { revision: 1, image: "x" }, history });
  assert.equal(done.completedNow, true);
  assert.deepEqual(done.conditions.map((c) => [c.type, c.status, c.reason]), [["Ready", "True", "Available"], ["Progressing", "True", "RolloutComplete"], ["Degraded", "False", "AsExpected"]]);
  assert.deepEqual(done.fields.endpoints, [{ replica: "berth-d-w-1-0", host: "10.0.0.2", port: 80 }]);
  const late = summarize({ spec, generation: 1, now: new Date("2026-01-01T00:00:11Z"), replicas: [{ ...replica, ready: false, health: { healthy: false, everHealthy: false, failures: 3, message: "HTTP 500" } }], target: { revision: 1, image: "x" }, history });
  assert.deepEqual(late.conditions.map((c) => [c.type, c.status, c.reason]), [["Ready", "False", "ProgressDeadlineExceeded"], ["Progressing", "False", "ProgressDeadlineExceeded"], ["Degraded", "True", "ProgressDeadlineExceeded"]]);
  assert.match(late.conditions[2]!.message!, /HTTP 500/);
});
