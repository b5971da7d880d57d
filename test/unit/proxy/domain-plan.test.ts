import { test } from "node:test";
import assert from "node:assert/strict";
import { generate } from "selfsigned";
import type { Resource } from "../../../resources/index.ts";
import { buildPlan, conditionsFor, resolveClaims, type PlanInput } from "../../../controllers/domain/index.ts";

function domain(name: string, spec: Record<string, unknown>, meta: Partial<Resource["metadata"]> = {}): Resource {
  return {
    apiVersion: "berth.dev/v1",
    kind: "Domain",
    metadata: { name, namespace: "default", creationTimestamp: "2025-01-01T00:00:00Z", generation: 1, ...meta },
    spec: { path: "/", tls: { mode: "none" }, ...spec },
  };
}

function app(name: string, endpoints: Array<{ replica: string; host: string; port: number }>, namespace = "default"): Resource {
  return { apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace }, spec: { image: "x", port: 8080 }, status: { endpoints } };
}

function input(domains: Resource[], apps: Resource[] = [], secrets: Resource[] = []): PlanInput {
  const byRef = (list: Resource[]) => (ref: string) => list.find((o) => `${o.metadata.namespace}/${o.metadata.name}` === ref);
  return { domains, app: byRef(apps), secret: byRef(secrets), ports: { httpPort: 80, httpsPort: 443 }, now: new Date() };
}

test("claims: the oldest Domain keeps a host+path, then the name decides; hosts are global across namespaces", () => {
  const verdicts = resolveClaims([
    domain("b-new", { host: "x.test", appRef: { name: "a" } }, { creationTimestamp: "2025-02-01T00:00:00Z" }),
    domain("a-old", { host: "x.test", appRef: { name: "a" } }),
    domain("z-same-time", { host: "X.test", appRef: { name: "a" }, path: "/" }),
    domain("other-ns", { host: "x.test", appRef: { name: "a" } }, { namespace: "prod", creationTimestamp: "2024-12-01T00:00:00Z" }),
    domain("api", { host: "x.test", path: "/api/", appRef: { name: "a" } }),
    domain("api-dup", { host: "x.test", path: "/api", appRef: { name: "a" } }, { creationTimestamp: "2025-03-01T00:00:00Z" }),
    domain("leaving", { host: "y.test", appRef: { name: "a" } }, { deletionTimestamp: "2025-01-02T00:00:00Z" }),
    domain("staying", { host: "y.test", appRef: { name: "a" } }, { creationTimestamp: "2025-06-01T00:00:00Z" }),
  ]);
  assert.deepEqual(verdicts.get("prod/other-ns"), {});
  assert.equal(verdicts.get("default/a-old")?.conflictsWith, "prod/other-ns");
  assert.equal(verdicts.get("default/b-new")?.conflictsWith, "prod/other-ns");
  assert.equal(verdicts.get("default/z-same-time")?.conflictsWith, "prod/other-ns", "host case does not make a different claim");
  assert.deepEqual(verdicts.get("default/api"), {}, "another path on the same host is another claim");
  assert.equal(verdicts.get("default/api-dup")?.conflictsWith, "default/api", "`/api/` and `/api` are one claim");
  assert.deepEqual(verdicts.get("default/staying"), {}, "a Domain being deleted claims nothing");
  assert.equal(verdicts.has("default/leaving"), false);
});

test("claims: with equal creation times the name decides", () => {
  const verdicts = resolveClaims([domain("beta", { host: "t.test", appRef: { name: "a" } }), domain("alpha", { host: "t.test", appRef: { name: "a" } })]);
  assert.equal(verdicts.get("default/beta")?.conflictsWith, "default/alpha");
});

test("plan: routes carry the App's ready endpoints; a conflict loser gets no route; a missing App gets an empty route", () => {
  const plan = buildPlan(
    input(
      [
        domain("web", { host: "web.test", appRef: { name: "web" } }),
        domain("web-admin", { host: "web.test", path: "/admin", appRef: { name: "web", port: 9000 } }),
        domain("late", { host: "web.test", appRef: { name: "web" } }, { creationTimestamp: "2026-01-01T00:00:00Z" }),
        domain("ghost", { host: "ghost.test", appRef: { name: "missing" } }),
      ],
      [app("web", [{ replica: "web-0", host: "10.0.0.2", port: 8080 }, { replica: "web-1", host: "10.0.0.3", port: 8080 }])],
    ),
  );
  assert.deepEqual(plan.routes.map((r) => r.name), ["default/web", "default/web-admin", "default/ghost"]);
  assert.deepEqual(plan.routes[0]!.upstreams, [{ id: "web-0", host: "10.0.0.2", port: 8080 }, { id: "web-1", host: "10.0.0.3", port: 8080 }]);
  assert.deepEqual(plan.routes[1]!.upstreams.map((u) => u.port), [9000, 9000], "appRef.port reaches the same replicas on another port");
  assert.deepEqual(plan.routes[2]!.upstreams, []);

  const late = conditionsFor(domain("late", { host: "web.test", appRef: { name: "web" } }), plan.verdicts.get("default/late")!);
  assert.equal(late.routed.reason, "HostConflict");
  assert.equal(late.ready.status, "False");
  assert.equal(late.ready.reason, "HostConflict");
  assert.match(late.ready.message ?? "", /already routed by Domain default\/web/);
  const ghost = conditionsFor(domain("ghost", { host: "ghost.test", appRef: { name: "missing" } }), plan.verdicts.get("default/ghost")!);
  assert.equal(ghost.routed.reason, "AppNotFound");
  const web = conditionsFor(domain("web", { host: "web.test", appRef: { name: "web" } }), plan.verdicts.get("default/web")!);
  assert.deepEqual([web.routed.status, web.ready.status, web.certificate], ["True", "True", undefined]);
  assert.equal(plan.verdicts.get("default/web")!.url, "http://web.test/");
});

test("plan: an App without ready endpoints is NoReadyEndpoints; ACME mode waits for issuance and stays on plain HTTP", () => {
  const plan = buildPlan({ ...input([domain("idle", { host: "idle.test", appRef: { name: "idle" }, tls: { mode: "acme" } })], [app("idle", [])]), ports: { httpPort: 8080, httpsPort: 8443 } });
  const route = plan.routes[0]!;
  assert.deepEqual([route.tls, route.redirectHttp, route.upstreams.length], [false, false, 0]);
  const c = conditionsFor(domain("idle", { host: "idle.test", appRef: { name: "idle" }, tls: { mode: "acme" } }), plan.verdicts.get("default/idle")!);
  assert.equal(c.routed.reason, "NoReadyEndpoints");
  assert.equal(c.certificate?.reason, "IssuancePending");
  assert.equal(plan.verdicts.get("default/idle")!.url, "http://idle.test:8080/");
});

test("plan: tls.mode secret loads the Secret's certificate, or says precisely why not", async () => {
  const pems = await generate([{ name: "commonName", value: "shop.test" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "shop.test" }] }],
  });
  const tlsSecret = (name: string, data: Record<string, string>): Resource => ({
    apiVersion: "berth.dev/v1",
    kind: "Secret",
    metadata: { name, namespace: "default" },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  });
  const secretDomain = (name: string, host: string, secret: string) => domain(name, { host, appRef: { name: "shop" }, tls: { mode: "secret", secretRef: { name: secret } } });
  const domains = [secretDomain("shop", "shop.test", "good"), secretDomain("other", "other.test", "good"), secretDomain("half", "half.test", "half"), secretDomain("none", "none.test", "absent")];
  const plan = buildPlan(input(domains, [app("shop", [{ replica: "s-0", host: "10.0.0.9", port: 8080 }])], [tlsSecret("good", { "tls.crt": pems.cert, "tls.key": pems.private }), tlsSecret("half", { "tls.crt": pems.cert })]));
  assert.deepEqual(plan.certs.map((c) => [c.name, c.hosts]), [["default/shop", ["shop.test"]]]);
  const shop = plan.routes.find((r) => r.name === "default/shop")!;
  assert.deepEqual([shop.tls, shop.redirectHttp], [true, true]);
  assert.equal(plan.verdicts.get("default/shop")!.url, "https://shop.test/");
  const reasons = Object.fromEntries(domains.map((d) => [d.metadata.name, conditionsFor(d, plan.verdicts.get(`default/${d.metadata.name}`)!)]));
  assert.equal(reasons.shop!.certificate?.status, "True");
  assert.match(reasons.shop!.certificateInfo?.notAfter ?? "", /^\d{4}-/);
  assert.equal(reasons.shop!.ready.status, "True");
  assert.equal(reasons.other!.certificate?.reason, "CertificateHostMismatch");
  assert.equal(reasons.other!.ready.reason, "CertificateHostMismatch", "Routed, but not Ready without its certificate");
  assert.equal(reasons.half!.certificate?.reason, "SecretIncomplete");
  assert.equal(reasons.none!.certificate?.reason, "SecretNotFound");
  assert.ok(!JSON.stringify(reasons).includes("PRIVATE KEY"), "no key material in conditions");
});
