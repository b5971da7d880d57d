// Bundles the `berth` CLI (cli/main.ts and everything it imports, commander and yaml included) into
// dist/cli/bundle: one module for start-up, one for the verbs, and chunks for what only some verbs load (yaml, the
// kinds' schemas), so a run loads a handful of files instead of a hundred small ones (which costs more than the
// code itself). bin/berth loads the result;
// dist/cli/bundle/meta.json records which sources each file holds (test/unit/cli/cli-startup.test.ts reads it).
// Run by `npm run build` after tsc.
import { build } from "esbuild";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cli", "bundle");

/**
 * yamlAsEsm bundles yaml's ES module build (the one it ships for browsers and bundlers, the same code) instead of
 * its CommonJS one: a CommonJS module imported with import() gives only a default export in a bundle, so
 * `const { stringify } = await import("yaml")` would find nothing.
 */
const yamlAsEsm = {
  name: "yaml-as-esm",
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: join(root, "node_modules", "yaml", "browser", "index.js") }));
  },
};

/**
 * builtinsWithoutRequire gives CommonJS code in the bundle (commander) Node's built-in modules through
 * `process.getBuiltinModule` rather than a `require` made with createRequire: the first createRequire of a
 * process sets up Node's CommonJS loader, a few milliseconds the CLI would pay on every run for nothing.
 */
const builtinsWithoutRequire = {
  name: "builtins-without-require",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => (args.kind === "require-call" ? { path: args.path, namespace: "builtin" } : undefined));
    build.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: { berth: join(root, "cli", "main.ts") },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: ["node20"],
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  outdir: out,
  chunkNames: "[name]-[hash]",
  metafile: true,
  absWorkingDir: root,
  plugins: [yamlAsEsm, builtinsWithoutRequire],
  logLevel: "warning",
});
await writeFile(join(out, "meta.json"), JSON.stringify(result.metafile));
