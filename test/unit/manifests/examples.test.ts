import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { admit, kinds } from "../../../resources/index.ts";
import { readManifests } from "../../../resources/manifests.ts";

const examples = fileURLToPath(new URL("../../../../examples/", import.meta.url));

test("every example passes admit(), and there is one per kind", async () => {
  const manifests = await readManifests([examples]);
  for (const m of manifests) assert.doesNotThrow(() => admit(m.raw), `${m.source} document ${m.document}`);
  assert.deepEqual(new Set(manifests.map((m) => m.object.kind)), new Set(kinds.map((k) => k.kind)));
  for (const kind of kinds) assert.ok(manifests.some((m) => m.source.endsWith(`${kind.kind.toLowerCase()}.yaml`) && m.object.kind === kind.kind), `${kind.kind.toLowerCase()}.yaml`);
});

test("the examples README documents every example file", async () => {
  const readme = await readFile(`${examples}README.md`, "utf8");
  for (const kind of kinds) assert.ok(readme.includes(`${kind.kind.toLowerCase()}.yaml`), `${kind.kind.toLowerCase()}.yaml is mentioned`);
});
