import { test } from "node:test";
import assert from "node:assert/strict";
import { RouteTable, normalizeHost, prefixMatches, type RouteSpec } from "../../../proxy/index.ts";

function route(host: string, path = "/", name = `${host}${path}`): RouteSpec {
  return { host, path, name, upstreams: [{ id: name, host: "127.0.0.1", port: 1 }], tls: false, redirectHttp: false };
}

const table = RouteTable.from(
  [
    route("app.example.com"),
    route("app.example.com", "/api"),
    route("app.example.com", "/api/v2/"),
    route("*.example.com"),
    route("*.example.com", "/static"),
    route("other.test", "/only"),
  ],
  7,
);

const hit = (host: string | undefined, url: string) => table.lookup(host, url)?.name;

test("route table: exact host, longest path prefix wins, on segment boundaries", () => {
  assert.equal(hit("app.example.com", "/"), "app.example.com/");
  assert.equal(hit("app.example.com", "/api"), "app.example.com/api");
  assert.equal(hit("app.example.com", "/api/users?x=1"), "app.example.com/api");
  assert.equal(hit("app.example.com", "/apiary"), "app.example.com/", "a prefix matches whole segments only");
  assert.equal(hit("app.example.com", "/api/v2"), "app.example.com/api/v2/", "a trailing slash in a prefix is ignored");
  assert.equal(hit("app.example.com", "/api/v2/items"), "app.example.com/api/v2/");
  assert.equal(hit("app.example.com", "/api?q=/api/v2"), "app.example.com/api", "the query string is not part of the path");
});

test("route table: Host header is matched without case, port or trailing dot", () => {
  assert.equal(hit("APP.Example.COM:8080", "/api"), "app.example.com/api");
  assert.equal(hit("app.example.com.", "/"), "app.example.com/");
  assert.equal(normalizeHost("[::1]:443"), "[::1]");
});

test("route table: one-label wildcard, after exact hosts", () => {
  assert.equal(hit("foo.example.com", "/"), "*.example.com/");
  assert.equal(hit("foo.example.com", "/static/app.js"), "*.example.com/static");
  assert.equal(hit("a.b.example.com", "/"), undefined, "a wildcard matches one label only");
  assert.equal(hit("example.com", "/"), undefined, "a wildcard does not match the bare domain");
  assert.equal(hit("app.example.com", "/static/x"), "app.example.com/", "an exact host's root route wins over a wildcard prefix");
});

test("route table: an exact host without a route for the path falls back to the wildcard", () => {
  const t = RouteTable.from([route("a.example.com", "/admin"), route("*.example.com")], 1);
  assert.equal(t.lookup("a.example.com", "/admin/x")?.name, "a.example.com/admin");
  assert.equal(t.lookup("a.example.com", "/")?.name, "*.example.com/");
});

test("route table: misses are undefined", () => {
  assert.equal(hit(undefined, "/"), undefined);
  assert.equal(hit("", "/"), undefined);
  assert.equal(hit("unknown.test", "/"), undefined);
  assert.equal(hit("other.test", "/"), undefined, "no route for this path on that host");
  assert.equal(hit("other.test", "/only/x"), "other.test/only");
  assert.equal(hit("localhost", "/"), undefined);
});

test("route table: absolute-form request targets are routed by their path", () => {
  assert.equal(hit("app.example.com", "http://app.example.com/api/x"), "app.example.com/api");
  assert.equal(hit("app.example.com", "http://app.example.com"), "app.example.com/");
});

test("route table: the first route for a host and path keeps it; the table is frozen and keeps its version", () => {
  const t = RouteTable.from([route("x.test", "/", "first"), route("x.test", "/", "second")], 3);
  assert.equal(t.lookup("x.test", "/")?.name, "first");
  assert.equal(t.version, 3);
  assert.ok(Object.isFrozen(t.routes) && Object.isFrozen(t.routes[0]) && Object.isFrozen(t.routes[0]!.upstreams));
  assert.throws(() => ((t.routes[0] as { host: string }).host = "y.test"));
});

test("route table: specs are copied in and out, so the caller's later changes do not leak in", () => {
  const spec = route("copy.test");
  const t = RouteTable.from([spec], 1);
  (spec.upstreams as unknown as Array<{ port: number }>)[0]!.port = 999;
  spec.host = "changed.test";
  assert.equal(t.lookup("copy.test", "/")?.upstreams[0]?.port, 1);
  const out = t.toSpecs();
  out[0]!.host = "mutated.test";
  assert.equal(t.routes[0]!.host, "copy.test");
  assert.equal(RouteTable.empty().lookup("copy.test", "/"), undefined);
});

test("prefixMatches: root matches everything; others match whole segments", () => {
  assert.ok(prefixMatches("/", "/anything"));
  assert.ok(prefixMatches("/a", "/a"));
  assert.ok(prefixMatches("/a", "/a/"));
  assert.ok(!prefixMatches("/a", "/ab"));
  assert.ok(!prefixMatches("/a/b", "/a"));
});
