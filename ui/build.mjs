// Bundles the web UI (ui/src) into dist/ui: hashed, minified scripts and styles under dist/ui/assets, each with
// a brotli and a gzip copy next to it, and dist/ui/index.html pointing at them. berthd serves the result
// (api/routes/ui.ts). Run by `npm run build` after tsc.
import { build } from "esbuild";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "dist", "ui");
const assets = join(out, "assets");

await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });
const result = await build({
  entryPoints: { main: join(here, "src", "main.ts") },
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  outdir: assets,
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  absWorkingDir: join(here, ".."),
  logLevel: "warning",
});

let script = "";
let style = "";
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  // Dynamically imported modules (uPlot, yaml) are entry points too: the page's own is main.ts.
  if (meta.entryPoint !== "ui/src/main.ts") continue;
  script = basename(file);
  if (meta.cssBundle) style = basename(meta.cssBundle);
}
if (!script || !style) throw new Error("ui build: the entry point's script or stylesheet is missing");

const shell = (await readFile(join(here, "index.html"), "utf8")).replace("%SCRIPT%", `/ui/assets/${script}`).replace("%STYLE%", `/ui/assets/${style}`);
await writeFile(join(out, "index.html"), shell);

// Precompressed once here, so the daemon serves them without compressing per request.
const files = [join(out, "index.html"), ...Object.keys(result.metafile.outputs).map((f) => join(here, "..", f))];
for (const file of files) {
  const body = await readFile(file);
  await writeFile(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
  await writeFile(`${file}.gz`, gzipSync(body, { level: 9 }));
}
