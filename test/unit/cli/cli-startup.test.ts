import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startCliApi, type CliApi } from "../../support/run-cli.ts";

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

async function modulesLoadedBy(args: string[], stdin?: string): Promise<string[]> {
  await rm(log, { force: true });
  const result = await api.run(args, { env: hookEnv, ...(stdin ? { stdin } : {}) });
  assert.equal(result.code, 0, result.stderr);
  return (await readFile(log, "utf8")).trim().split("\n");
}

const loads = (modules: string[], pkg: string) => modules.some((m) => m.includes(`/node_modules/${pkg}/`));

test("version --client and get load neither zod nor yaml, only commander and the verb's own modules", async () => {
  for (const args of [["version", "--client"], ["get", "apps"], ["delete", "app", "x", "--ignore-not-found"]]) {
    const modules = await modulesLoadedBy(args);
    assert.ok(loads(modules, "commander"), `${args.join(" ")} uses commander`);
    assert.ok(!loads(modules, "zod"), `${args.join(" ")} must not load zod`);
    assert.ok(!loads(modules, "yaml"), `${args.join(" ")} must not load yaml`);
    assert.ok(!modules.some((m) => m.includes("/verbs/apply.js")), `${args.join(" ")} must not load other verbs`);
  }
  const apply = await modulesLoadedBy(["apply", "-f", "-"], "apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: lazy}\nspec: {image: x}\n");
  assert.ok(loads(apply, "zod") && loads(apply, "yaml"), "the hook sees lazily loaded modules too");
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
