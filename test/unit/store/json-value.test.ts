import assert from "node:assert/strict";
import { test } from "node:test";
import { cloneJson, equalJson } from "../../../store/json-value.ts";
import { realisticApp } from "./fixtures.ts";

test("cloneJson copies deeply into unfrozen objects and drops undefined keys", () => {
  const original = Object.freeze({ a: Object.freeze({ b: [1, { c: "x" }] }), gone: undefined, n: null });
  const copy = cloneJson(original);
  assert.deepEqual(copy, { a: { b: [1, { c: "x" }] }, n: null });
  assert.ok(!Object.isFrozen(copy) && !Object.isFrozen(copy.a));
  assert.notEqual(copy.a, original.a);
  const app = realisticApp("web");
  assert.deepEqual(cloneJson(app), structuredClone(app));
});

test("equalJson compares like JSON: order-free keys, undefined keys absent, arrays by position", () => {
  assert.ok(equalJson({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }));
  assert.ok(equalJson({ a: 1, x: undefined }, { a: 1 }));
  assert.ok(equalJson(realisticApp("web", 3), structuredClone(realisticApp("web", 3))));
  for (const [a, b] of [
    [{ a: 1 }, { a: 1, b: 2 }],
    [{ a: 1, b: 2 }, { a: 1 }],
    [{ a: 1 }, { b: 1 }],
    [[1, 2], [2, 1]],
    [[1], { 0: 1 }],
    [{ a: null }, { a: {} }],
    [{ a: "1" }, { a: 1 }],
    [realisticApp("web", 3), realisticApp("web", 4)],
  ] as const) assert.ok(!equalJson(a, b), JSON.stringify([a, b]).slice(0, 80));
});
