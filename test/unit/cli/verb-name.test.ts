import { test } from "node:test";
import assert from "node:assert/strict";
import { verbNameOf } from "../../../cli/main.ts";

test("the verb is the first argument that is neither a global option nor its value", () => {
  assert.equal(verbNameOf(["get", "apps"]), "get");
  assert.equal(verbNameOf(["--server", "https://x:1", "--token=t", "apply", "-f", "a.yaml"]), "apply");
  assert.equal(verbNameOf(["--config", "c.yaml", "--request-timeout", "5s", "rollout", "status", "app/web"]), "rollout");
  assert.equal(verbNameOf(["--help"]), undefined);
  assert.equal(verbNameOf([]), undefined);
  assert.equal(verbNameOf(["--", "get"]), "get");
});
