import { test } from "node:test";
import assert from "node:assert/strict";
import { loadDaemonConfig } from "../../../resources/config.ts";
import { eventually } from "../../support/daemon.ts";
import type { WatchLines } from "../../support/https-client.ts";
import { withApi } from "./fixtures.ts";

test("a token over its cap of open watches gets 429 TooManyRequests; other tokens and closed watches free the way", async (t) => {
  const { api, client } = await withApi(t, { maxWatchesPerToken: 3 });
  const { token: other } = await api.tokens.create("other", [{ namespace: "*", role: "viewer" }]);
  const open: WatchLines[] = [];
  for (const path of ["/apis/berth.dev/v1/apps?watch=1", "/apis/berth.dev/v1/namespaces/default/domains?watch=true", "/api/v1/events?watch=1"]) {
    const w = await client.watch(path);
    assert.equal(w.status, 200, path);
    open.push(w);
  }
  t.after(() => open.forEach((w) => w.close()));
  const refused = await client.get("/apis/berth.dev/v1/apps?watch=1");
  assert.equal(refused.status, 429);
  const status = refused.json();
  assert.equal(status.kind, "Status");
  assert.equal(status.reason, "TooManyRequests");
  assert.match(status.message, /too many open watches: token "admin"/);
  // Lists are not watches; another token has its own budget.
  assert.equal((await client.get("/apis/berth.dev/v1/apps")).status, 200);
  const theirs = await client.withToken(other).watch("/apis/berth.dev/v1/apps?watch=1");
  assert.equal(theirs.status, 200);
  theirs.close();
  // Closing a watch gives its slot back.
  open.pop()!.close();
  await eventually(async () => {
    const again = await client.watch("/apis/berth.dev/v1/apps?watch=1", { timeoutMs: 2000 });
    if (again.status === 200) open.push(again);
    else again.close();
    return again.status === 200;
  }, { what: "a watch slot to be free again", timeoutMs: 5000, intervalMs: 100 });
});

test("berthd's --max-watches-per-token (BERTH_MAX_WATCHES_PER_TOKEN) defaults to 100 and must be a positive integer", () => {
  assert.equal(loadDaemonConfig([], {}).maxWatchesPerToken, 100);
  assert.equal(loadDaemonConfig(["--max-watches-per-token", "7"], {}).maxWatchesPerToken, 7);
  assert.equal(loadDaemonConfig([], { BERTH_MAX_WATCHES_PER_TOKEN: "12" }).maxWatchesPerToken, 12);
  assert.throws(() => loadDaemonConfig(["--max-watches-per-token=0"], {}), /--max-watches-per-token/);
});
