import { test } from "node:test";
import assert from "node:assert/strict";
import { isPublicPath } from "../../../api/auth/public-paths.ts";
import { withApi } from "./fixtures.ts";

test("a route mounted without auth is refused without a token (401 Status), served with one", async (t) => {
  const { api, client } = await withApi(t, {
    extend: (app) => {
      // Mounted by an extension that forgot authentication, in front of everything else.
      app.get("/apis/berth.dev/v1/forgotten", (_req, res) => void res.json({ secret: "inside" }));
      app.get("/debug/state", (_req, res) => void res.json({ secret: "inside" }));
      // Public by the allow-list: webhooks and the web UI.
      app.post("/hooks/git/:name", (_req, res) => void res.status(202).json({ accepted: true }));
      app.get(["/", "/ui/*path"], (_req, res) => void res.type("text/html").send("<html>shell</html>"));
    },
  });
  for (const path of ["/apis/berth.dev/v1/forgotten", "/debug/state"]) {
    const refused = await client.get(path, { token: null });
    assert.equal(refused.status, 401, path);
    assert.equal(refused.json().kind, "Status");
    assert.equal(refused.json().reason, "Unauthorized");
    assert.ok(!refused.text.includes("inside"));
    assert.equal((await client.get(path, { token: "berth_not-a-token" })).status, 401);
    assert.equal((await client.get(path)).status, 200, "an admin token is served");
  }
  // Case and trailing-slash variants of public paths are not public (express would still route them).
  assert.equal((await client.get("/HEALTHZ", { token: null })).status, 401);
  // The allow-list.
  for (const path of ["/healthz", "/livez", "/readyz", "/", "/ui/app.js"]) assert.equal((await client.get(path, { token: null })).status, 200, path);
  assert.equal((await client.post("/hooks/git/web", {}, { token: null })).status, 202);
  // The rest of the API is unchanged: no token, no data.
  assert.equal((await client.get("/apis/berth.dev/v1/apps", { token: null })).status, 401);
  assert.equal((await client.get("/metrics", { token: null })).status, 401);
  assert.equal((await client.get("/no/such/path", { token: null })).status, 401, "even a 404 needs a token first");
  void api;
});

test("isPublicPath: exact health and UI shell paths, and the /ui/ and /hooks/ prefixes only", () => {
  for (const path of ["/healthz", "/livez", "/readyz", "/", "/ui", "/ui/", "/ui/assets/app.js", "/hooks/", "/hooks/github/x"]) assert.ok(isPublicPath(path), path);
  for (const path of ["/healthz/", "/healthzz", "/HEALTHZ", "/uix", "/hooksx", "/hook", "/apis/berth.dev/v1/apps", "/metrics", "//healthz", "/api/v1/hooks/x"]) assert.ok(!isPublicPath(path), path);
});
