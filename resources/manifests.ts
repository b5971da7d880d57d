import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, isMap, isSeq, parseAllDocuments, type Document, type Node } from "yaml";
import { admit } from "./registry.ts";
import { ValidationError, type FieldCause } from "./errors.ts";
import type { Resource } from "./meta.ts";

/** STDIN_SOURCE is how a manifest read from `-f -` is named in messages. */
export const STDIN_SOURCE = "<stdin>";

/** MANIFEST_EXTENSIONS are the file endings read from a directory. */
export const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"] as const;

/** Manifest is one object read from a file: where it came from, as written, and as admitted. */
export interface Manifest {
  /** source is the file path as the user gave it (or joined under a directory), or `<stdin>`. */
  source: string;
  /** document is the 1-based index of the YAML document in its file, counting empty documents. */
  document: number;
  /** item is the 1-based index inside a `kind: List` document, when the object came from one. */
  item?: number;
  /** line is the 1-based line the object starts on. */
  line: number;
  /** raw is the object exactly as written (what `apply` records as its last-applied configuration). */
  raw: Record<string, unknown>;
  /** object is raw after admit(): validated, defaults filled, namespace set, Secret stringData folded. */
  object: Resource;
}

/**
 * ManifestError is a manifest that cannot be read or admitted. Its message is one line naming the file, the
 * document, the object and each bad field with its line, e.g.
 * `examples/app.yaml: document 2 (App/web): spec.replicas: expected number, received string (line 12)`.
 */
export class ManifestError extends ValidationError {
  override name = "ManifestError";
  readonly source: string;
  readonly document: number | undefined;
  readonly line: number | undefined;
  constructor(message: string, details: { source: string; document?: number; line?: number; causes?: FieldCause[] }, options?: ErrorOptions) {
    super(message, details.causes ?? [], options);
    this.source = details.source;
    this.document = details.document;
    this.line = details.line;
  }
}

/** APPLY_ORDER ranks kinds so that what others refer to exists first: Secrets and Databases, Apps, Domains, Backups. */
const APPLY_ORDER: Record<string, number> = { Secret: 0, Database: 1, App: 2, Domain: 3, Backup: 4 };

/** sortForApply orders manifests by APPLY_ORDER, keeping file and document order within a kind (a stable sort). */
export function sortForApply<T extends { object: { kind: string } }>(manifests: readonly T[]): T[] {
  return [...manifests].sort((a, b) => (APPLY_ORDER[a.object.kind] ?? 5) - (APPLY_ORDER[b.object.kind] ?? 5));
}

/**
 * parseManifests splits a text into YAML (or JSON) documents and admits each object. Empty documents are
 * skipped; a `kind: List` document contributes its items. Throws ManifestError on the first bad document.
 */
export function parseManifests(text: string, source: string): Manifest[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  if (!Array.isArray(documents)) return [];
  const out: Manifest[] = [];
  documents.forEach((doc, index) => {
    const document = index + 1;
    const syntax = doc.errors[0];
    if (syntax) {
      const line = syntax.linePos?.[0].line;
      const where = line === undefined ? "" : ` (line ${line})`;
      throw new ManifestError(`${source}: document ${document}: YAML syntax error: ${firstSentence(syntax.message)}${where}`, { source, document, ...(line === undefined ? {} : { line }) }, { cause: syntax });
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    const startLine = lineCounter.linePos(doc.contents?.range[0] ?? 0).line;
    const record = value as Record<string, unknown>;
    if (isRecord(value) && record.kind === "List" && Array.isArray(record.items)) {
      record.items.forEach((item: unknown, i) => out.push(admitOne(item, { source, document, item: i + 1, doc, lineCounter, prefix: ["items", i], startLine })));
    } else {
      out.push(admitOne(value, { source, document, doc, lineCounter, prefix: [], startLine }));
    }
  });
  return out;
}

interface DocumentContext {
  source: string;
  document: number;
  item?: number;
  doc: Document;
  lineCounter: LineCounter;
  prefix: (string | number)[];
  startLine: number;
}

function admitOne(value: unknown, ctx: DocumentContext): Manifest {
  const node = ctx.prefix.length > 0 ? (ctx.doc.getIn(ctx.prefix, true) as Node | undefined) : (ctx.doc.contents as Node | null);
  const line = node?.range ? ctx.lineCounter.linePos(node.range[0]).line : ctx.startLine;
  const position = { source: ctx.source, document: ctx.document, ...(ctx.item === undefined ? {} : { item: ctx.item }), line };
  try {
    return { ...position, raw: value as Record<string, unknown>, object: admit(value) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const label = describeDocument(ctx, value);
    const causes = error.causes.length > 0 ? error.causes : [{ field: "", message: error.message }];
    const rendered = causes.map((c) => {
      const causeLine = lineOfField(ctx, c.field) ?? line;
      return `${c.field ? `${c.field}: ` : ""}${c.message} (line ${causeLine})`;
    });
    const firstLine = lineOfField(ctx, causes[0]?.field ?? "") ?? line;
    throw new ManifestError(`${ctx.source}: ${label}: ${rendered.join("; ")}`, { source: ctx.source, document: ctx.document, line: firstLine, causes }, { cause: error });
  }
}

/** describeDocument renders `document 2 (App/web)` or `document 1, item 3 (App/web)`. */
function describeDocument(ctx: DocumentContext, value: unknown): string {
  const where = ctx.item === undefined ? `document ${ctx.document}` : `document ${ctx.document}, item ${ctx.item}`;
  if (!isRecord(value)) return where;
  const kind = typeof value.kind === "string" ? value.kind : "";
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const id = [kind, name].filter(Boolean).join("/");
  return id ? `${where} (${id})` : where;
}

/**
 * lineOfField finds the line of a field path such as `spec.env[0].name` in the document. Label and annotation
 * keys may contain dots, so at each mapping the longest run of segments that is an existing key wins. A field
 * that is missing is reported at its nearest existing parent.
 */
function lineOfField(ctx: DocumentContext, field: string): number | undefined {
  let node: unknown = ctx.prefix.length > 0 ? ctx.doc.getIn(ctx.prefix, true) : ctx.doc.contents;
  const segments = splitField(field);
  let i = 0;
  while (i < segments.length && node) {
    const segment = segments[i]!;
    if (typeof segment === "number") {
      if (!isSeq(node) || !node.items[segment]) break;
      node = node.items[segment];
      i++;
      continue;
    }
    if (!isMap(node)) break;
    let advanced = false;
    for (let j = segments.length; j > i; j--) {
      const run = segments.slice(i, j);
      if (run.some((s) => typeof s === "number")) continue;
      const key = run.join(".");
      const child = node.get(key, true);
      if (child !== undefined) {
        node = child;
        i = j;
        advanced = true;
        break;
      }
    }
    if (!advanced) break;
  }
  const range = (node as Node | undefined)?.range;
  return range ? ctx.lineCounter.linePos(range[0]).line : undefined;
}

/** splitField splits `spec.env[0].name` into `["spec", "env", 0, "name"]`. */
function splitField(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of field.split(".")) {
    const match = /^([^[]*)((\[\d+\])*)$/.exec(part);
    if (!match) {
      out.push(part);
      continue;
    }
    if (match[1]) out.push(match[1]);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out.filter((s) => s !== "");
}

function firstSentence(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** manifestFiles lists the files a path names: the file itself, or every manifest file under a directory, sorted. */
export async function manifestFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") throw new ManifestError(`the path "${path}" does not exist`, { source: path }, { cause: error });
    throw error;
  });
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && isManifestFile(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !file.slice(path.length).split(/[\\/]/).some((part) => part.startsWith(".")))
    .sort();
  return files;
}

/** isManifestFile says whether a file name is read from a directory: a manifest ending, not hidden. */
export function isManifestFile(name: string): boolean {
  return !name.startsWith(".") && MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/** ReadOptions supply standard input for `-`. */
export interface ReadOptions {
  stdin?: () => Promise<string>;
}

/**
 * readManifests reads every `-f` argument (a file, a directory read recursively, or `-` for standard input),
 * admits every object and returns them in apply order. Nothing is returned if any document is bad.
 */
export async function readManifests(paths: readonly string[], options: ReadOptions = {}): Promise<Manifest[]> {
  const all: Manifest[] = [];
  for (const path of paths) {
    if (path === "-") {
      if (!options.stdin) throw new ManifestError("reading manifests from standard input is not available here", { source: STDIN_SOURCE });
      all.push(...parseManifests(await options.stdin(), STDIN_SOURCE));
      continue;
    }
    for (const file of await manifestFiles(path)) all.push(...parseManifests(await readFile(file, "utf8"), file));
  }
  return sortForApply(all);
}
