import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { startDaemon, removeDirs } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";
import { runCli } from "../support/run-cli.ts";

/**
 * berthd's audit log from a user's seat: writes through the CLI land in `<data-dir>/audit/audit.log` with the
 * token's name, `berth audit` shows them to the admin, and a route that is not public needs a token.
 */
test("berthd audits users' writes to <data-dir>/audit/audit.log, shown by berth audit; unlisted paths need a token", { timeout: 90_000 }, async (t) => {
  const daemon = await startDaemon();
  t.after(async () => {
    await daemon.stop();
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const secret = { apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "audited", namespace: "default" }, stringData: { password: "hunter2" } };
  const applied = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: JSON.stringify(secret) });
  assert.equal(applied.code, 0, applied.stderr);
  const deleted = await runCli(["delete", "secret", "audited"], { env: daemon.env });
  assert.equal(deleted.code, 0, deleted.stderr);

  const shown = await runCli(["audit", "-o", "json"], { env: daemon.env });
  assert.equal(shown.code, 0, shown.stderr);
  const entries = (JSON.parse(shown.stdout) as { items: Array<{ user?: string; verb: string; resource?: string; name?: string; code: number }> }).items;
  const about = entries.filter((e) => e.resource === "secrets" && e.name === "audited");
  assert.ok(about.some((e) => e.user === "admin" && e.code === 201), JSON.stringify(entries));
  assert.ok(about.some((e) => e.user === "admin" && e.verb === "delete" && e.code === 200), JSON.stringify(entries));

  const file = join(daemon.dataDir, "audit", "audit.log");
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const text = await readFile(file, "utf8");
  assert.ok(!text.includes(token) && !text.includes("hunter2"), "neither the token nor the Secret's value is in the audit log");

  const api = new ApiClient(daemon.url, ca, token);
  t.after(() => api.close());
  assert.equal((await api.get("/readyz", { token: null })).status, 200);
  assert.equal((await api.get("/apis/berth.dev/v1/namespaces/default/apps/x/log", { token: null })).status, 401);
  assert.equal((await api.get("/metrics", { token: null })).status, 401);
});
