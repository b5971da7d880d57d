import { test } from "node:test";
import assert from "node:assert/strict";
import { admit, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createDomainController } from "../../../controllers/domain/index.ts";
import { createGarbageCollector } from "../../../controllers/gc/index.ts";
import { createGeneratedDomainController } from "../../../controllers/generated-domain/index.ts";
import { createApp, createDomain } from "./controller-support.ts";
import { eventually, get, LIMIT, startBackend, startTestProxy } from "./support.ts";

const domainOf = (store: MemoryStore, name: string) => store.get({ kind: "Domain", namespace: "default", name }).catch(() => undefined);
const appOf = (store: MemoryStore, name: string) => store.get({ kind: "App", namespace: "default", name });

test("--base-domain: every App with a port gets an owned Domain <app>-<namespace>.<base> that serves it, and status.url says where it is", LIMIT, async (t) => {
  const backend = await startBackend("web-0");
  const proxy = await startTestProxy();
  const store = await MemoryStore.open();
  const manager = new Manager({ store, logger: silentLogger() });
  manager.add(createGarbageCollector(store, silentLogger()));
  manager.add(createDomainController({ store, proxy, logger: silentLogger() }));
  manager.add(createGeneratedDomainController({ store, logger: silentLogger(), generate: { baseDomain: "apps.test", tls: "none" } }));
  await manager.start();
  t.after(async () => {
    await manager.stop();
    await proxy.close();
    await backend.close();
  });

  await createApp(store, "web", [backend]);
  await eventually(async () => assert.equal((await get(proxy.httpPort, "web-default.apps.test")).status, 200));
  const generated = (await domainOf(store, "web-generated"))!;
  assert.equal((generated.spec as { host: string }).host, "web-default.apps.test");
  assert.deepEqual(generated.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.controller]), [["App", "web", true]]);
  await eventually(async () => assert.equal((await appOf(store, "web")).status?.url, `http://web-default.apps.test:${proxy.httpPort}/`));

  // A Domain of the user's own is the App's URL from then on; the generated one keeps serving.
  await createDomain(store, "web", { host: "www.test", appRef: { name: "web" } });
  await eventually(async () => assert.equal((await appOf(store, "web")).status?.url, `http://www.test:${proxy.httpPort}/`));
  assert.equal((await get(proxy.httpPort, "web-default.apps.test")).status, 200);

  // Edits to a generated Domain are put back.
  const drifted = (await domainOf(store, "web-generated"))!;
  await store.update({ ...drifted, spec: { ...(drifted.spec as object), host: "elsewhere.test" } } as Resource);
  await eventually(async () => assert.equal(((await domainOf(store, "web-generated"))!.spec as { host: string }).host, "web-default.apps.test"));

  // An App without a port has nothing to route: no Domain.
  await store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "worker" }, spec: { image: "test:1" } }));
  // A same-named Domain the App does not own is left alone.
  await createDomain(store, "cache-generated", { host: "mine.test", appRef: { name: "cache" } });
  await store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "cache" }, spec: { image: "test:1", port: 6379 } }));

  // Opting out with the annotation removes the generated Domain.
  const web = await appOf(store, "web");
  await store.update({ ...web, metadata: { ...web.metadata, annotations: { "berth.dev/generated-domain": "false" } } });
  await eventually(async () => assert.equal(await domainOf(store, "web-generated"), undefined));
  assert.equal((await get(proxy.httpPort, "web-default.apps.test")).status, 404);
  assert.equal(await domainOf(store, "worker-generated"), undefined);
  const taken = (await domainOf(store, "cache-generated"))!;
  assert.equal((taken.spec as { host: string }).host, "mine.test");
  assert.equal(taken.metadata.ownerReferences, undefined);

  // Deleting an App deletes its generated Domain with it.
  await store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "api" }, spec: { image: "test:1", port: 8080 } }));
  await eventually(async () => assert.ok(await domainOf(store, "api-generated")));
  await store.delete({ kind: "App", namespace: "default", name: "api" });
  await eventually(async () => assert.equal(await domainOf(store, "api-generated"), undefined));
});
