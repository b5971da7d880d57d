import { test } from "node:test";
import assert from "node:assert/strict";
import { llhttpProblem } from "../../../proxy/http1/llhttp.ts";

test("Node's internal parser binding is present and parses the canned messages as the proxy expects", () => {
  assert.equal(llhttpProblem(), undefined, `on Node ${process.version}`);
});
