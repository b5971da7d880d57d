import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError, type Resource } from "../../../resources/index.ts";
import { LAST_APPLIED } from "../../../cli/last-applied.ts";
import { startCliApi, type CliApi } from "../../support/run-cli.ts";

const examples = fileURLToPath(new URL("../../../../examples/", import.meta.url));
let api: CliApi;
before(async () => {
  api = await startCliApi();
});
after(() => api.close());

const key = (name: string, kind = "App", namespace = "default") => ({ kind, namespace, name });
const spec = (obj: Resource) => obj.spec as Record<string, unknown>;

test("apply creates in dependency order, then reports unchanged without bumping any resourceVersion", async () => {
  const first = await api.run(["apply", "-f", examples]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, [
    "secret.berth.dev/web-secrets created", "database.berth.dev/main created", "app.berth.dev/web created", "app.berth.dev/api created",
    "domain.berth.dev/web created", "backup.berth.dev/main-nightly created", "build.berth.dev/api-0123456-abcd created", "",
  ].join("\n"));
  const revision = api.store.revision();
  const second = await api.run(["apply", "-f", examples]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.trim().split("\n").filter((l) => !l.endsWith(" unchanged")).length, 0, second.stdout);
  assert.equal(api.store.revision(), revision, "a second apply writes nothing");

  const secret = await api.store.get(key("web-secrets", "Secret"));
  const annotation = secret.metadata.annotations?.[LAST_APPLIED] ?? "";
  assert.ok(annotation.includes("(redacted)") && !annotation.includes("change-me"), "Secret values are not copied into the annotation");
});

test("a changed file is configured with a 3-way merge: removed fields go, fields others set stay", async () => {
  const file = join(api.work, "web.yaml");
  const manifest = (replicas: number, labels: string, env: string) => `apiVersion: berth.dev/v1
kind: App
metadata:
  name: merge
  labels: {${labels}}
spec:
  image: nginx:1.27
  replicas: ${replicas}
  env: [${env}]
`;
  await writeFile(file, manifest(2, "app: merge, tier: front", "{name: A, value: '1'}, {name: B, value: '2'}"));
  assert.equal((await api.run(["apply", "-f", file])).stdout, "app.berth.dev/merge created\n");
  const live = structuredClone(await api.store.get(key("merge")));
  live.metadata.labels = { ...live.metadata.labels, "added-by": "ops" };
  await api.store.update(live);

  await writeFile(file, manifest(3, "app: merge", "{name: A, value: '1'}"));
  const changed = await api.run(["apply", "-f", file]);
  assert.equal(changed.stdout, "app.berth.dev/merge configured\n", changed.stderr);
  const after = await api.store.get(key("merge"));
  assert.equal(spec(after).replicas, 3);
  assert.deepEqual(spec(after).env, [{ name: "A", value: "1" }]);
  assert.deepEqual(after.metadata.labels, { app: "merge", "added-by": "ops" }, "tier removed from the file is removed; a label set by others stays");
  assert.equal(after.metadata.generation, 2);

  const revision = api.store.revision();
  assert.equal((await api.run(["apply", "-f", file])).stdout, "app.berth.dev/merge unchanged\n");
  assert.equal(api.store.revision(), revision);
});

test("--dry-run=server validates without storing; -f - reads standard input; -n sets the namespace", async () => {
  const manifest = "apiVersion: berth.dev/v1\nkind: App\nmetadata:\n  name: piped\nspec:\n  image: busybox\n";
  const dry = await api.run(["apply", "-f", "-", "--dry-run=server"], { stdin: manifest });
  assert.equal(dry.stdout, "app.berth.dev/piped created (server dry run)\n", dry.stderr);
  await assert.rejects(api.store.get(key("piped")), NotFoundError);
  const real = await api.run(["apply", "-f", "-", "-n", "staging"], { stdin: manifest });
  assert.equal(real.stdout, "app.berth.dev/piped created\n", real.stderr);
  assert.ok(await api.store.get(key("piped", "App", "staging")));
  const clash = await api.run(["apply", "-f", "-", "-n", "prod"], { stdin: manifest.replace("name: piped", "name: piped\n  namespace: staging") });
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /^error: <stdin>: document 1: the namespace from the object "staging" does not match the namespace "prod"/);
});

test("a bad manifest is one error line naming file, document, field and line; exit 1; nothing is applied", async () => {
  const file = join(api.work, "bad.yaml");
  await writeFile(file, `apiVersion: berth.dev/v1
kind: App
metadata:
  name: fine
spec:
  image: nginx
---
apiVersion: berth.dev/v1
kind: App
metadata:
  name: broken
spec:
  image: nginx
  replicas: three
`);
  const result = await api.run(["apply", "-f", file]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: document 2 \\(App/broken\\): spec\\.replicas: .*expected number, received string \\(line 14\\)$`));
  await assert.rejects(api.store.get(key("broken")), NotFoundError);
  await assert.rejects(api.store.get(key("fine")), NotFoundError);
});

test("the server's field errors are placed in the file: a create, and a patch of an existing object", async () => {
  const file = join(api.work, "single.yaml");
  const escaped = file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const manifest = (replicas: string) => `# one object, checked by the server
apiVersion: berth.dev/v1
kind: App
metadata:
  name: single
spec:
  image: nginx
  env:
    - name: A
      value: "1"
  replicas: ${replicas}
`;
  await writeFile(file, manifest("three"));
  const created = await api.run(["apply", "-f", file]);
  assert.equal(created.code, 1);
  assert.equal(created.stdout, "");
  assert.match(created.stderr, new RegExp(`^error: ${escaped}: document 1 \\(App/single\\): spec\\.replicas: .*expected number, received string \\(line 11\\)\n$`));
  await assert.rejects(api.store.get(key("single")), NotFoundError);

  await writeFile(file, manifest("1"));
  assert.equal((await api.run(["apply", "-f", file])).stdout, "app.berth.dev/single created\n");
  await writeFile(file, manifest("-2"));
  const patched = await api.run(["apply", "-f", file]);
  assert.equal(patched.code, 1);
  assert.match(patched.stderr, new RegExp(`^error: ${escaped}: document 1 \\(App/single\\): spec\\.replicas: .* \\(line 11\\)\n$`));
  assert.equal(spec(await api.store.get(key("single"))).replicas, 1, "the refused patch changed nothing");
});

test("diff prints a unified diff against the server's dry run and exits 1; no change exits 0 silently", async () => {
  const file = join(api.work, "diff.yaml");
  const manifest = (replicas: number) => `apiVersion: berth.dev/v1\nkind: App\nmetadata:\n  name: differ\nspec:\n  image: nginx\n  replicas: ${replicas}\n`;
  await writeFile(file, manifest(2));
  const create = await api.run(["diff", "-f", file]);
  assert.equal(create.code, 1, create.stderr);
  assert.match(create.stdout, /^diff -u -N live\/berth\.dev\.v1\.App\.default\.differ merged\/berth\.dev\.v1\.App\.default\.differ\n--- live\/.*\n\+\+\+ merged\/.*\n@@ -0,0 \+1,\d+ @@\n\+apiVersion: berth\.dev\/v1\n/);
  await assert.rejects(api.store.get(key("differ")), NotFoundError, "diff writes nothing");

  await api.run(["apply", "-f", file]);
  const same = await api.run(["diff", "-f", file]);
  assert.deepEqual([same.code, same.stdout, same.stderr], [0, "", ""]);

  await writeFile(file, manifest(3));
  const revision = api.store.revision();
  const changed = await api.run(["diff", "-f", file]);
  assert.equal(changed.code, 1);
  assert.match(changed.stdout, /\n-  generation: 1\n\+  generation: 2\n/);
  assert.match(changed.stdout, /\n-  replicas: 2\n\+  replicas: 3\n/);
  assert.equal(api.store.revision(), revision);
  assert.equal(spec(await api.store.get(key("differ"))).replicas, 2);
});
