import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startCliApi, type CliApi } from "../../support/run-cli.ts";

/** BUNDLE is where cli/build.mjs writes the bundled CLI that bin/berth loads, with meta.json (esbuild's metafile). */
const BUNDLE = fileURLToPath(new URL("../../../cli/bundle/", import.meta.url));

let api: CliApi;
let hookEnv: NodeJS.ProcessEnv;
let log: string;
before(async () => {
  api = await startCliApi();
  // A module-resolution hook records every module the CLI loads (hooks run on their own thread, hence a file).
  log = join(api.work, "modules.log");
  await writeFile(join(api.work, "hooks.mjs"), `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.BERTH_MODULE_LOG, result.url + "\\n");
  return result;
}
`);
  await writeFile(join(api.work, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(api.work, "hooks.mjs")).href)});\n`);
  hookEnv = { BERTH_MODULE_LOG: log, NODE_OPTIONS: `--import ${pathToFileURL(join(api.work, "register.mjs")).href}` };
});
after(() => api.close());

/**
 * sourcesLoadedBy runs the CLI and lists the sources it loaded: the files of the bundle it opened (seen by the
 * hook), each expanded to the sources esbuild put in it (meta.json), plus any file loaded from outside the bundle.
 */
async function sourcesLoadedBy(args: string[], stdin?: string): Promise<string[]> {
  await rm(log, { force: true });
  const result = await api.run(args, { env: hookEnv, ...(stdin ? { stdin } : {}) });
  assert.equal(result.code, 0, result.stderr);
  const meta = JSON.parse(await readFile(join(BUNDLE, "meta.json"), "utf8")) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const sources: string[] = [];
  for (const url of (await readFile(log, "utf8")).trim().split("\n")) {
    if (!url.startsWith("file:")) continue;
    const path = fileURLToPath(url);
    const output = Object.entries(meta.outputs).find(([file]) => path.endsWith(`/${file}`));
    if (output) sources.push(...Object.keys(output[1].inputs));
    else if (!path.endsWith("/bin/berth") && !path.startsWith(api.work)) sources.push(path);
  }
  return sources;
}

const loads = (sources: string[], pkg: string) => sources.some((m) => m.includes(`node_modules/${pkg}/`));

test("bin/berth loads the bundle only; version --client, get and delete load neither zod nor yaml", async () => {
  for (const args of [["version", "--client"], ["get", "apps"], ["delete", "app", "x", "--ignore-not-found"]]) {
    const sources = await sourcesLoadedBy(args);
    assert.ok(loads(sources, "commander"), `${args.join(" ")} uses commander`);
    assert.ok(!loads(sources, "zod"), `${args.join(" ")} must not load zod`);
    assert.ok(!loads(sources, "yaml"), `${args.join(" ")} must not load yaml`);
    assert.deepEqual(sources.filter((s) => s.startsWith("/")), [], `${args.join(" ")} loads nothing from outside the bundle`);
    assert.ok(!sources.some((s) => /^(api|store|controllers|proxy)\//.test(s)), `${args.join(" ")} loads nothing of the server`);
  }
  // apply reads YAML and leaves validation to the server: no zod; --dry-run=client validates with the schemas.
  const manifest = "apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: lazy}\nspec: {image: x}\n";
  const apply = await sourcesLoadedBy(["apply", "-f", "-"], manifest);
  assert.ok(loads(apply, "yaml") && !loads(apply, "zod"), "apply loads yaml, not zod");
  const client = await sourcesLoadedBy(["apply", "-f", "-", "--dry-run=client"], manifest);
  assert.ok(loads(client, "zod"), "the hook sees lazily loaded chunks too");
});

test("start-up time of `berth version --client` (20 runs)", async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = process.hrtime.bigint();
    const result = await api.run(["version", "--client"]);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    assert.equal(result.code, 0);
  }
  times.sort((a, b) => a - b);
  t.diagnostic(`berth version --client: median ${times[10]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`);
});
