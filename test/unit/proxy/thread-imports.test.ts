import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "../../../..");

/** staticImports lists what a module loads when it is imported: `import`/`export ... from`, type-only ones left out. */
function staticImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+"([^"]+)";/gms)) specifiers.push(match[1]!);
  for (const match of source.matchAll(/^import\s+"([^"]+)";/gm)) specifiers.push(match[1]!);
  return specifiers;
}

test("a proxy thread loads only the data plane: nothing from controllers/, store/, resources/ or api/, and no package but http-proxy", () => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [resolve(REPO, "proxy/thread-main.ts")];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith(".")) queue.push(resolve(dirname(file), specifier));
      else if (!specifier.startsWith("node:")) packages.add(specifier);
    }
  }
  const modules = [...seen].map((f) => relative(REPO, f));
  assert.ok(modules.includes("proxy/server.ts") && modules.includes("proxy/http1/client-connection.ts"), "the walk reaches the data plane");
  assert.deepEqual(modules.filter((m) => /^(controllers|store|resources|api)\//.test(m)), []);
  assert.ok(modules.every((m) => m.startsWith("proxy/")), `outside proxy/: ${modules.filter((m) => !m.startsWith("proxy/")).join(", ")}`);
  assert.deepEqual([...packages], ["http-proxy"]);
});
