import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Document, LineCounter, Node } from "yaml";
import { ValidationError, type FieldCause } from "./errors.ts";

/**
 * Manifest files read as written: YAML (or JSON) documents split into objects, each with where it came from and
 * a way to find the line of any of its fields. Nothing here admits an object (resources/manifests.ts does, with
 * the kinds' schemas): the CLI reads manifests with this module alone and leaves validation to the server,
 * whose field errors it places in the file with `fieldError`. The `yaml` package is passed in (`YamlModule`) rather
 * than imported here, so that a caller that may not need it (the CLI) loads it only when it reads a file.
 */

/** YamlModule is what is used of the `yaml` package. */
export type YamlModule = Pick<typeof import("yaml"), "LineCounter" | "isMap" | "isSeq" | "parseAllDocuments">;

/** loadYaml imports the `yaml` package. */
export async function loadYaml(): Promise<YamlModule> {
  return import("yaml");
}

/** STDIN_SOURCE is how a manifest read from `-f -` is named in messages. */
export const STDIN_SOURCE = "<stdin>";

/** MANIFEST_EXTENSIONS are the file endings read from a directory. */
export const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"] as const;

/** ManifestDocument is one object read from a file, as written. */
export interface ManifestDocument {
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
  /** lineOf finds the line of a field path such as `spec.env[0].name`, or of its nearest parent that exists. */
  lineOf(field: string): number | undefined;
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
export function sortForApply<T extends { object: { kind: string } } | { raw: Record<string, unknown> }>(manifests: readonly T[]): T[] {
  const rank = (m: T) => APPLY_ORDER[String("object" in m ? m.object.kind : m.raw.kind)] ?? 5;
  return [...manifests].sort((a, b) => rank(a) - rank(b));
}

/**
 * parseManifestDocuments splits a text into YAML (or JSON) documents. Empty documents are skipped; a `kind: List`
 * document contributes its items. Throws ManifestError on a syntax error.
 */
export function parseManifestDocuments(text: string, source: string, yaml: YamlModule): ManifestDocument[] {
  const lineCounter = new yaml.LineCounter();
  const documents = yaml.parseAllDocuments(text, { lineCounter, prettyErrors: true });
  if (!Array.isArray(documents)) return [];
  const out: ManifestDocument[] = [];
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
    const at = (prefix: (string | number)[], item?: number): ManifestDocument => {
      const node = prefix.length > 0 ? (doc.getIn(prefix, true) as Node | undefined) : (doc.contents as Node | null);
      const line = node?.range ? lineCounter.linePos(node.range[0]).line : startLine;
      const raw = (prefix.length > 0 ? (value as { items: unknown[] }).items[prefix[1] as number] : value) as Record<string, unknown>;
      return { source, document, ...(item === undefined ? {} : { item }), line, raw, lineOf: (field) => lineOfField(yaml, doc, lineCounter, prefix, field) };
    };
    const record = value as Record<string, unknown>;
    if (isRecord(value) && record.kind === "List" && Array.isArray(record.items)) record.items.forEach((_item: unknown, i) => out.push(at(["items", i], i + 1)));
    else out.push(at([]));
  });
  return out;
}

/** describeDocument renders `document 2 (App/web)` or `document 1, item 3 (App/web)`. */
export function describeDocument(doc: Pick<ManifestDocument, "document" | "item" | "raw">): string {
  const where = doc.item === undefined ? `document ${doc.document}` : `document ${doc.document}, item ${doc.item}`;
  const value: unknown = doc.raw;
  if (!isRecord(value)) return where;
  const kind = typeof value.kind === "string" ? value.kind : "";
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const id = [kind, name].filter(Boolean).join("/");
  return id ? `${where} (${id})` : where;
}

/**
 * fieldError is the ManifestError for field causes found in a document (by the kinds' schemas here, or by the
 * server, whose 422 names the same fields): one line with each field and the line it is on.
 */
export function fieldError(doc: ManifestDocument, causes: readonly FieldCause[], message: string, options?: ErrorOptions): ManifestError {
  const all = causes.length > 0 ? [...causes] : [{ field: "", message }];
  const rendered = all.map((c) => `${c.field ? `${c.field}: ` : ""}${c.message} (line ${doc.lineOf(c.field) ?? doc.line})`);
  const firstLine = doc.lineOf(all[0]?.field ?? "") ?? doc.line;
  return new ManifestError(`${doc.source}: ${describeDocument(doc)}: ${rendered.join("; ")}`, { source: doc.source, document: doc.document, line: firstLine, causes: all }, options);
}

/**
 * lineOfField finds the line of a field path such as `spec.env[0].name` in a document. Label and annotation
 * keys may contain dots, so at each mapping the longest run of segments that is an existing key wins. A field
 * that is missing is reported at its nearest existing parent.
 */
function lineOfField({ isMap, isSeq }: YamlModule, doc: Document, lineCounter: LineCounter, prefix: (string | number)[], field: string): number | undefined {
  let node: unknown = prefix.length > 0 ? doc.getIn(prefix, true) : doc.contents;
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
      const child = node.get(run.join("."), true);
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
  return range ? lineCounter.linePos(range[0]).line : undefined;
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
  return entries
    .filter((e) => e.isFile() && isManifestFile(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !file.slice(path.length).split(/[\\/]/).some((part) => part.startsWith(".")))
    .sort();
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
 * readManifestDocuments reads every `-f` argument (a file, a directory read recursively, or `-` for standard
 * input) and returns its objects as written, in apply order.
 */
export async function readManifestDocuments(paths: readonly string[], options: ReadOptions = {}): Promise<ManifestDocument[]> {
  const all: ManifestDocument[] = [];
  const yaml = await loadYaml();
  for (const path of paths) {
    if (path === "-") {
      if (!options.stdin) throw new ManifestError("reading manifests from standard input is not available here", { source: STDIN_SOURCE });
      all.push(...parseManifestDocuments(await options.stdin(), STDIN_SOURCE, yaml));
      continue;
    }
    for (const file of await manifestFiles(path)) all.push(...parseManifestDocuments(await readFile(file, "utf8"), file, yaml));
  }
  return sortForApply(all);
}
