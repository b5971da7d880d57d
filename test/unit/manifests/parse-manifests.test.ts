import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManifestError, parseManifests, readManifests, sortForApply } from "../../../resources/manifests.ts";

const app = (name: string, extra = "") => `apiVersion: berth.dev/v1
kind: App
metadata:
  name: ${name}
spec:
  image: nginx:1.27
${extra}`;

test("a bad field names file, document, object, field and line", () => {
  const text = `${app("ok")}---
apiVersion: berth.dev/v1
kind: App
metadata:
  name: web
spec:
  image: nginx
  replicas: "3"
`;
  assert.throws(
    () => parseManifests(text, "examples/app.yaml"),
    (error: unknown) => {
      assert.ok(error instanceof ManifestError);
      assert.match(error.message, /^examples\/app\.yaml: document 2 \(App\/web\): spec\.replicas: .*expected number, received string \(line 14\)$/);
      assert.equal(error.document, 2);
      assert.equal(error.line, 14);
      assert.deepEqual(error.causes.map((c) => c.field), ["spec.replicas"]);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    },
  );
});

test("every bad field is named with its own line; label keys with dots are found", () => {
  const text = `apiVersion: berth.dev/v1
kind: App
metadata:
  name: web
  labels:
    app.kubernetes.io/name: "not valid!"
spec:
  image: nginx
  env:
    - name: GOOD
      value: x
    - name: 1BAD
      value: y
  bogus: true
`;
  assert.throws(() => parseManifests(text, "a.yaml"), (error: unknown) => {
    assert.ok(error instanceof ManifestError);
    assert.match(error.message, /metadata\.labels\.app\.kubernetes\.io\/name: .* \(line 6\)/);
    assert.match(error.message, /spec\.env\[1\]\.name: .* \(line 12\)/);
    assert.match(error.message, /spec\.bogus: unknown field \(line 14\)/);
    return true;
  });
});

test("a missing field is reported at its parent's line; an unknown kind names the kind", () => {
  assert.throws(() => parseManifests(`apiVersion: berth.dev/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  version: "16"\n`, "db.yaml"),
    /db\.yaml: document 1 \(Database\/db\): spec\.engine: .* \(line 6\)/);
  assert.throws(() => parseManifests(`apiVersion: berth.dev/v1\nkind: Pod\nmetadata:\n  name: x\n`, "p.yaml"), /p\.yaml: document 1 \(Pod\/x\): kind: unknown kind "Pod" \(line 2\)/);
});

test("YAML syntax errors name the file and the line", () => {
  assert.throws(() => parseManifests(`${app("a")}---\nkind: App\nmetadata: [1,\n  name: x\nfoo\n`, "bad.yaml"), (error: unknown) => {
    assert.ok(error instanceof ManifestError);
    assert.match(error.message, /^bad\.yaml: document 2: YAML syntax error: .*\(line \d+\)$/);
    assert.ok(error.line !== undefined && error.line >= 9, `line ${error.line}`);
    return true;
  });
});

test("empty documents are skipped but still counted; a List contributes its items", () => {
  const text = `---\n# nothing here\n---\n${app("one")}---\n\n---\napiVersion: v1\nkind: List\nitems:\n  - ${app("two").split("\n").join("\n    ").trimEnd()}\n`;
  const manifests = parseManifests(text, "m.yaml");
  assert.deepEqual(manifests.map((m) => [m.object.metadata.name, m.document, m.item ?? null]), [["one", 2, null], ["two", 4, 1]]);
  assert.equal(manifests[0]!.object.metadata.namespace, "default", "admit sets the default namespace");
  assert.equal((manifests[0]!.raw.metadata as { namespace?: string }).namespace, undefined, "raw is as written");
  assert.equal((manifests[0]!.object.spec as { replicas: number }).replicas, 1, "defaults are filled");
});

test("JSON files parse too, with line numbers", () => {
  const json = `{\n  "apiVersion": "berth.dev/v1",\n  "kind": "App",\n  "metadata": {"name": "j"},\n  "spec": {"image": "x", "replicas": -1}\n}\n`;
  assert.throws(() => parseManifests(json, "j.json"), /j\.json: document 1 \(App\/j\): spec\.replicas: .* \(line 5\)/);
  assert.equal(parseManifests(json.replace("-1", "2"), "j.json")[0]!.object.metadata.name, "j");
});

test("objects are ordered Secrets and Databases, Apps, Domains, Backups, keeping file order within a kind", () => {
  const kinds = ["Backup", "App", "Domain", "Secret", "App", "Database"].map((kind, i) => ({ object: { kind }, i }));
  assert.deepEqual(sortForApply(kinds).map((k) => `${k.object.kind}${k.i}`), ["Secret3", "Database5", "App1", "App4", "Domain2", "Backup0"]);
});

test("readManifests reads directories recursively and sorted, skips hidden and other files, and reads stdin", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-manifests-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "b", "nested"), { recursive: true });
  await mkdir(join(dir, ".git"));
  await writeFile(join(dir, "b", "nested", "z.yml"), app("z"));
  await writeFile(join(dir, "a.yaml"), app("a"));
  await writeFile(join(dir, "c.json"), JSON.stringify({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "s" }, stringData: { k: "v" } }));
  await writeFile(join(dir, "notes.txt"), "not a manifest");
  await writeFile(join(dir, ".hidden.yaml"), "{{{ broken");
  await writeFile(join(dir, ".git", "x.yaml"), "{{{ broken");
  const manifests = await readManifests([dir]);
  assert.deepEqual(manifests.map((m) => m.object.metadata.name), ["s", "a", "z"]);
  assert.deepEqual(manifests.map((m) => m.source), [join(dir, "c.json"), join(dir, "a.yaml"), join(dir, "b", "nested", "z.yml")]);
  assert.equal((manifests[0]!.object as { data?: Record<string, string> }).data?.k, Buffer.from("v").toString("base64"), "stringData folded");

  const fromStdin = await readManifests(["-"], { stdin: async () => app("piped") });
  assert.equal(fromStdin[0]!.source, "<stdin>");
  await assert.rejects(readManifests([join(dir, "missing")]), /the path ".*missing" does not exist/);
});
