import { test } from "node:test";
import assert from "node:assert/strict";
import { unifiedDiff } from "../../../cli/unified-diff.ts";

const names = { fromName: "live/x", toName: "merged/x" };

test("equal texts give no diff", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n", names), "");
});

test("changes are shown with three lines of context, removals before additions", () => {
  const before = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].join("\n") + "\n";
  const after = ["a", "b", "c", "d", "E", "f", "g", "h", "i", "j", "k"].join("\n") + "\n";
  assert.equal(
    unifiedDiff(before, after, names),
    ["--- live/x", "+++ merged/x", "@@ -2,9 +2,10 @@", " b", " c", " d", "-e", "+E", " f", " g", " h", " i", " j", "+k", ""].join("\n"),
  );
});

test("far-apart changes make separate hunks; creation diffs against nothing", () => {
  const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
  const changed = [...lines];
  changed[1] = "X";
  changed[18] = "Y";
  const diff = unifiedDiff(lines.join("\n") + "\n", changed.join("\n") + "\n", names);
  assert.deepEqual(diff.split("\n").filter((l) => l.startsWith("@@")), ["@@ -1,5 +1,5 @@", "@@ -16,5 +16,5 @@"]);
  assert.equal(unifiedDiff("", "a\nb\n", names), "--- live/x\n+++ merged/x\n@@ -0,0 +1,2 @@\n+a\n+b\n");
});
