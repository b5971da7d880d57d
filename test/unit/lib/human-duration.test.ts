import { test } from "node:test";
import assert from "node:assert/strict";
import { ageOf, humanDuration } from "../../../lib/human-duration.ts";

test("humanDuration matches Go's duration.HumanDuration", () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
  const cases: Array<[number, string]> = [
    [-5 * s, "<invalid>"], [-1500, "0s"], [0, "0s"], [59 * s, "59s"], [119 * s, "119s"], [2 * m, "2m"], [3 * m + 20 * s, "3m20s"],
    [9 * m + 59 * s, "9m59s"], [10 * m + 30 * s, "10m"], [179 * m, "179m"], [3 * h, "3h"], [5 * h + 30 * m, "5h30m"], [8 * h + 5 * m, "8h"],
    [47 * h, "47h"], [2 * d, "2d"], [3 * d + 4 * h, "3d4h"], [8 * d, "8d"], [400 * d, "400d"], [730 * d, "2y"], [800 * d, "2y70d"], [3000 * d, "8y"],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test("ageOf formats timestamps and reports missing ones as <unknown>", () => {
  const now = Date.parse("2026-01-01T01:00:00Z");
  assert.equal(ageOf("2026-01-01T00:55:00Z", now), "5m");
  assert.equal(ageOf(undefined, now), "<unknown>");
  assert.equal(ageOf("not a date", now), "<unknown>");
});
