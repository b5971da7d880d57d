/**
 * The layering of Berth's source tree (docs/architecture.md, "Layers"), enforced: every relative import of every
 * TypeScript file outside test/ and ui/ is checked against the table below, type-only imports included. A lower
 * layer importing a higher one fails with "A imports B: layer X may not import layer Y".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** REPO is the repository root (this file runs as dist/test/unit/layers.test.js). */
const REPO = resolve(import.meta.dirname, "../../..");

/** Layer names a folder of the tree. Inside controllers/, the runtime, Docker and event layers sit below the rest. */
type Layer = "lib" | "resources" | "store" | "proxy" | "controllers/runtime" | "controllers/docker" | "controllers/events" | "controllers" | "api" | "cli" | "bin";

const CONTROLLER_LAYERS: Layer[] = ["controllers/runtime", "controllers/docker", "controllers/events", "controllers"];

/**
 * MAY_IMPORT is what each layer may import besides itself: lib/ at the bottom; the kinds; then the store and the
 * proxy side by side; then the controllers (runtime, Docker access and events first); the API server; and bin/,
 * which wires everything. The CLI is a client: it talks to berthd over HTTP and shares only lib/ and resources/.
 */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  lib: [],
  resources: ["lib"],
  store: ["lib", "resources"],
  proxy: ["lib", "resources"],
  "controllers/runtime": ["lib", "resources", "store"],
  "controllers/docker": ["lib", "resources"],
  "controllers/events": ["lib", "resources", "store"],
  controllers: ["lib", "resources", "store", "proxy", ...CONTROLLER_LAYERS],
  api: ["lib", "resources", "store", "proxy", ...CONTROLLER_LAYERS],
  cli: ["lib", "resources"],
  bin: ["lib", "resources", "store", "proxy", ...CONTROLLER_LAYERS, "api", "cli"],
};

/** Exception is one import the table does not allow but the tree has, with why it is tolerated. */
interface Exception {
  from: string;
  to: string;
  typeOnly: boolean;
  why: string;
}

const EXCEPTIONS: readonly Exception[] = [
  {
    from: "proxy/acme/account-key.ts",
    to: "store/index.ts",
    typeOnly: true,
    why: "the ACME account key is kept in a Secret: the proxy names the store's interface, never its code",
  },
];

/** layerOf places a repository path in its layer; undefined for a file outside every layer. */
export function layerOf(path: string): Layer | undefined {
  const [top, sub] = path.split("/");
  if (top === "controllers") return sub && CONTROLLER_LAYERS.includes(`controllers/${sub}` as Layer) ? (`controllers/${sub}` as Layer) : "controllers";
  return (["lib", "resources", "store", "proxy", "api", "cli", "bin"] as const).find((l) => l === top);
}

/** Import is one module a file names: its specifier, and whether only types are taken from it. */
export interface Import {
  specifier: string;
  typeOnly: boolean;
}

/** importsOf lists the modules a TypeScript source names: imports, re-exports and dynamic `import()` calls. */
export function importsOf(source: string, fileName = "source.ts"): Import[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Edge is one relative import between two repository files. */
export interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** violations checks edges against the layer table and returns one message per forbidden import. */
export function violations(edges: readonly Edge[], exceptions: readonly Exception[] = EXCEPTIONS): string[] {
  const out: string[] = [];
  for (const edge of edges) {
    const from = layerOf(edge.from);
    const to = layerOf(edge.to);
    if (from === undefined) {
      out.push(`${edge.from} is in no layer: place its folder in the layer table of test/unit/layers.test.ts`);
      continue;
    }
    if (to === undefined) {
      out.push(`${edge.from} imports ${edge.to}, which is in no layer`);
      continue;
    }
    if (from === to || MAY_IMPORT[from].includes(to)) continue;
    if (exceptions.some((e) => e.from === edge.from && e.to === edge.to && (edge.typeOnly || !e.typeOnly))) continue;
    out.push(`${edge.from} imports ${edge.to}: layer ${from} may not import layer ${to}`);
  }
  return out;
}

/** sourceFiles lists every *.ts file of the tree outside test/, ui/, node_modules/ and dist/, as repository paths. */
function sourceFiles(): string[] {
  const skip = new Set(["test", "ui", "node_modules", "dist", ".git"]);
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(dir === REPO && skip.has(entry.name)) && entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(relative(REPO, path).split(sep).join("/"));
    }
  };
  walk(REPO);
  return out.sort();
}

/** repositoryEdges reads the tree's relative imports. */
function repositoryEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const from of sourceFiles()) {
    for (const { specifier, typeOnly } of importsOf(readFileSync(join(REPO, from), "utf8"), from)) {
      if (!specifier.startsWith(".")) continue;
      const to = relative(REPO, resolve(REPO, dirname(from), specifier)).split(sep).join("/");
      edges.push({ from, to, typeOnly });
    }
  }
  return edges;
}

test("every import of the source tree respects the layers", () => {
  const edges = repositoryEdges();
  assert.ok(edges.length > 500, `the tree's imports were read (${edges.length} found)`);
  assert.deepEqual(violations(edges), []);
});

test("every source file is in a layer", () => {
  const outside = sourceFiles().filter((f) => layerOf(f) === undefined);
  assert.deepEqual(outside, []);
});

test("the tolerated exceptions still exist, so a fixed one is removed from the list", () => {
  const edges = repositoryEdges();
  for (const e of EXCEPTIONS) assert.ok(edges.some((edge) => edge.from === e.from && edge.to === e.to), `${e.from} no longer imports ${e.to}: remove the exception`);
});

test("a lower layer importing a higher one is reported, naming both files and both layers", () => {
  const edges: Edge[] = [
    { from: "store/durable-store.ts", to: "controllers/runtime/logger.ts", typeOnly: true },
    { from: "cli/verbs/get.ts", to: "api/human-duration.ts", typeOnly: false },
    { from: "cli/verbs/rollout.ts", to: "controllers/app/rollback.ts", typeOnly: false },
    { from: "proxy/worker.ts", to: "controllers/runtime/index.ts", typeOnly: false },
    { from: "lib/logger.ts", to: "resources/index.ts", typeOnly: false },
    { from: "controllers/runtime/manager.ts", to: "controllers/app/index.ts", typeOnly: false },
    { from: "controllers/docker/events.ts", to: "controllers/runtime/index.ts", typeOnly: true },
    { from: "api/app.ts", to: "cli/main.ts", typeOnly: false },
  ];
  assert.deepEqual(violations(edges), [
    "store/durable-store.ts imports controllers/runtime/logger.ts: layer store may not import layer controllers/runtime",
    "cli/verbs/get.ts imports api/human-duration.ts: layer cli may not import layer api",
    "cli/verbs/rollout.ts imports controllers/app/rollback.ts: layer cli may not import layer controllers",
    "proxy/worker.ts imports controllers/runtime/index.ts: layer proxy may not import layer controllers/runtime",
    "lib/logger.ts imports resources/index.ts: layer lib may not import layer resources",
    "controllers/runtime/manager.ts imports controllers/app/index.ts: layer controllers/runtime may not import layer controllers",
    "controllers/docker/events.ts imports controllers/runtime/index.ts: layer controllers/docker may not import layer controllers/runtime",
    "api/app.ts imports cli/main.ts: layer api may not import layer cli",
  ]);
});

test("allowed imports pass, and an exception covers only what it names", () => {
  const allowed: Edge[] = [
    { from: "bin/daemon.ts", to: "api/index.ts", typeOnly: false },
    { from: "controllers/domain/plan.ts", to: "proxy/index.ts", typeOnly: false },
    { from: "cli/verbs/rollout.ts", to: "resources/app-rollback.ts", typeOnly: false },
    { from: "store/store.ts", to: "lib/logger.ts", typeOnly: true },
    { from: "proxy/acme/account-key.ts", to: "store/index.ts", typeOnly: true },
  ];
  assert.deepEqual(violations(allowed), []);
  // The exception is for a type-only import: importing the store's code from there would still fail.
  assert.deepEqual(violations([{ from: "proxy/acme/account-key.ts", to: "store/index.ts", typeOnly: false }]), [
    "proxy/acme/account-key.ts imports store/index.ts: layer proxy may not import layer store",
  ]);
  assert.deepEqual(violations([{ from: "scripts/tool.ts", to: "lib/logger.ts", typeOnly: false }]), [
    "scripts/tool.ts is in no layer: place its folder in the layer table of test/unit/layers.test.ts",
  ]);
});

test("imports are read from import and export declarations and dynamic import(), with type-only ones marked", () => {
  const source = `
    import { a } from "./a.ts";
    import type { B } from "../b.ts";
    import { type C, type D } from "./cd.ts";
    import { type E, f } from "./ef.ts";
    import "./side-effect.ts";
    export * from "./star.ts";
    export type { G } from "./g.ts";
    const h = await import("./h.ts");
    type I = import("./i.ts").I;
    // import { x } from "./commented-out.ts";
    const text = "import { y } from './in-a-string.ts'";
    import {
      j,
      k,
    } from "./multi-line.ts";
  `;
  assert.deepEqual(importsOf(source), [
    { specifier: "./a.ts", typeOnly: false },
    { specifier: "../b.ts", typeOnly: true },
    { specifier: "./cd.ts", typeOnly: true },
    { specifier: "./ef.ts", typeOnly: false },
    { specifier: "./side-effect.ts", typeOnly: false },
    { specifier: "./star.ts", typeOnly: false },
    { specifier: "./g.ts", typeOnly: true },
    { specifier: "./h.ts", typeOnly: false },
    { specifier: "./i.ts", typeOnly: true },
    { specifier: "./multi-line.ts", typeOnly: false },
  ]);
});
