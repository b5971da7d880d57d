import { test } from "node:test";
import assert from "node:assert/strict";
import { logQuery, logTarget } from "../../../cli/verbs/logs.ts";
import { UsageError } from "../../../cli/errors.ts";

test("logs flags: --since and --tail become the endpoint's sinceSeconds and tailLines", () => {
  assert.deepEqual(logQuery({ follow: true, tail: "20", since: "5m", replica: "1", timestamps: true }), {
    follow: "true", tailLines: "20", sinceSeconds: "300", replica: "1", timestamps: "true", previous: undefined,
  });
  assert.deepEqual(logQuery({}), { follow: undefined, tailLines: undefined, sinceSeconds: undefined, replica: undefined, timestamps: undefined, previous: undefined });
  assert.equal(logQuery({ since: "1500ms" }).sinceSeconds, "2");
  assert.equal(logQuery({ tail: "-1" }).tailLines, undefined, "kubectl's --tail=-1 means everything");
  assert.throws(() => logQuery({ tail: "ten" }), UsageError);
  assert.throws(() => logQuery({ since: "yesterday" }), /invalid --since value/);
});

test("logs target: app/NAME, app NAME or a bare NAME; other kinds are refused", () => {
  assert.equal(logTarget(["app/web"]), "web");
  assert.equal(logTarget(["apps/web"]), "web");
  assert.equal(logTarget(["app", "web"]), "web");
  assert.equal(logTarget(["web"]), "web");
  assert.throws(() => logTarget(["db/main"]), /only Apps have logs, not Databases/);
  assert.throws(() => logTarget(["app/a", "app/b"]), /give one App/);
});
