import { test } from "node:test";
import assert from "node:assert/strict";
import { conditionMet, parseFor } from "../../../cli/verbs/wait.ts";
import { parseDuration } from "../../../cli/duration.ts";
import { ServerError, errorLine } from "../../../cli/errors.ts";

test("--for reads delete and condition=Type[=Status]", () => {
  assert.deepEqual(parseFor("delete"), { kind: "delete" });
  assert.deepEqual(parseFor("condition=Ready"), { kind: "condition", type: "Ready", status: "True" });
  assert.deepEqual(parseFor("condition=Degraded=false"), { kind: "condition", type: "Degraded", status: "False" });
  assert.throws(() => parseFor("jsonpath={.x}"), /unrecognized condition/);
});

test("a condition counts only once the controllers have seen the current generation", () => {
  const obj = (generation: number, observed: number | undefined, status: string) => ({
    metadata: { generation },
    status: { conditions: [{ type: "Ready", status, ...(observed === undefined ? {} : { observedGeneration: observed }) }] },
  });
  assert.ok(conditionMet(obj(2, 2, "True"), "Ready", "True"));
  assert.ok(!conditionMet(obj(3, 2, "True"), "Ready", "True"), "stale Ready from the previous generation");
  assert.ok(conditionMet(obj(3, undefined, "True"), "Ready", "True"), "no observedGeneration at all: trust the condition");
  assert.ok(!conditionMet(obj(1, 1, "False"), "Ready", "True"));
  assert.ok(!conditionMet(undefined, "Ready", "True"));
  assert.ok(!conditionMet({ metadata: { generation: 1 }, status: {} }, "Ready", "True"));
});

test("durations read like kubectl's", () => {
  assert.equal(parseDuration("60s"), 60_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("2"), 2000);
  assert.throws(() => parseDuration("soon"), /invalid --timeout value "soon"/);
});

test("server errors print as kubectl prints them, on one line", () => {
  assert.equal(errorLine(new ServerError(404, { kind: "Status", reason: "NotFound", message: 'apps.berth.dev "x" not found' })), 'Error from server (NotFound): apps.berth.dev "x" not found');
  assert.equal(errorLine(new ServerError(401, {})), "error: You must be logged in to the server (Unauthorized)");
  assert.equal(errorLine(new ServerError(422, { message: "bad\nthings" })), "Error from server (Invalid): bad; things");
  assert.equal(errorLine(new Error("plain")), "error: plain");
});
