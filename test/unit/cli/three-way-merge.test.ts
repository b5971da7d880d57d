import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMergePatch, jsonEqual, threeWayMergePatch } from "../../../cli/three-way-merge.ts";
import { LAST_APPLIED, REDACTED, goJson, modifiedConfiguration, originalConfiguration } from "../../../cli/last-applied.ts";

test("a field removed from the file is deleted; fields only the live object has are kept", () => {
  const original = { spec: { image: "nginx", replicas: 3, env: [{ name: "A", value: "1" }] } };
  const modified = { spec: { image: "nginx:1.27", env: [{ name: "A", value: "1" }] } };
  const current = { spec: { image: "nginx", replicas: 3, env: [{ name: "A", value: "1" }], paused: false, strategy: { type: "Rolling" } }, status: { ready: true } };
  assert.deepEqual(threeWayMergePatch(original, modified, current), { spec: { image: "nginx:1.27", replicas: null } });
});

test("nothing to do gives an empty patch; without a last-applied configuration nothing is deleted", () => {
  const file = { metadata: { name: "web", labels: { app: "web" } }, spec: { image: "x", strategy: { type: "Rolling" } } };
  const live = { metadata: { name: "web", uid: "u", labels: { app: "web" } }, spec: { image: "x", replicas: 1, strategy: { type: "Rolling", maxSurge: 1 } } };
  assert.deepEqual(threeWayMergePatch(file, file, live), {});
  assert.deepEqual(threeWayMergePatch(undefined, { spec: { image: "y" } }, live), { spec: { image: "y" } });
});

test("arrays are replaced whole, nested maps are merged, and a value turning into a map replaces it", () => {
  const original = { spec: { args: ["a", "b"], resources: { cpu: "1", memory: "1Gi" } } };
  const modified = { spec: { args: ["a"], resources: { cpu: "2" }, healthCheck: { http: { path: "/" } } } };
  const current = { spec: { args: ["a", "b"], resources: { cpu: "1", memory: "1Gi" }, healthCheck: "legacy" } };
  const patch = threeWayMergePatch(original, modified, current);
  assert.deepEqual(patch, { spec: { args: ["a"], resources: { cpu: "2", memory: null }, healthCheck: { http: { path: "/" } } } });
  assert.deepEqual(applyMergePatch(current, patch), { spec: { args: ["a"], resources: { cpu: "2" }, healthCheck: { http: { path: "/" } } } });
});

test("a label dropped from the file is deleted even though others' labels stay", () => {
  const original = { metadata: { labels: { app: "web", tier: "front" } } };
  const modified = { metadata: { labels: { app: "web" } } };
  const current = { metadata: { labels: { app: "web", tier: "front", "added-by": "ops" } } };
  assert.deepEqual(threeWayMergePatch(original, modified, current), { metadata: { labels: { tier: null } } });
});

test("jsonEqual ignores key order and compares arrays in order", () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: undefined }));
});

test("the last-applied annotation is kubectl's: sorted keys, Go escaping, empty annotations kept, newline at the end", () => {
  const manifest = { kind: "App", apiVersion: "berth.dev/v1", metadata: { name: "web", namespace: "default" }, spec: { image: "a<b>&c", replicas: 2 } };
  const { modified, annotation } = modifiedConfiguration(manifest);
  assert.equal(annotation, '{"apiVersion":"berth.dev/v1","kind":"App","metadata":{"annotations":{},"name":"web","namespace":"default"},"spec":{"image":"a\\u003cb\\u003e\\u0026c","replicas":2}}\n');
  assert.equal((modified.metadata as { annotations: Record<string, string> }).annotations[LAST_APPLIED], annotation);
  assert.deepEqual(originalConfiguration(modified), { ...manifest, metadata: { ...manifest.metadata, annotations: {} } });
  assert.equal(goJson({ b: 1, a: "\u2028" }), '{"a":"\\u2028","b":1}');
});

test("re-running modifiedConfiguration on its own output gives the same annotation (idempotent apply)", () => {
  const once = modifiedConfiguration({ kind: "App", metadata: { name: "x", annotations: { note: "n" } }, spec: {} });
  const twice = modifiedConfiguration(once.modified);
  assert.equal(twice.annotation, once.annotation);
  assert.deepEqual(threeWayMergePatch(originalConfiguration(once.modified), twice.modified, once.modified), {});
});

test("a Secret's values are redacted in the annotation but its keys still drive deletions", () => {
  const v1 = modifiedConfiguration({ kind: "Secret", metadata: { name: "s" }, data: { a: "YQ==", b: "Yg==" } });
  assert.ok(!v1.annotation.includes("YQ=="));
  assert.ok(v1.annotation.includes(`"a":"${REDACTED}"`));
  assert.equal((v1.modified.data as Record<string, string>).a, "YQ==", "the object itself keeps its values");
  const v2 = modifiedConfiguration({ kind: "Secret", metadata: { name: "s" }, data: { a: "YQ==" } });
  const patch = threeWayMergePatch(originalConfiguration(v1.modified), v2.modified, v1.modified);
  assert.deepEqual((patch as { data: unknown }).data, { b: null });
});

test("a broken last-applied annotation counts as none", () => {
  assert.equal(originalConfiguration({ metadata: { annotations: { [LAST_APPLIED]: "{not json" } } }), undefined);
  assert.equal(originalConfiguration({ metadata: {} }), undefined);
});
