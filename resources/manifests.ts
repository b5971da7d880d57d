import { readFile } from "node:fs/promises";
import * as yaml from "yaml";
import { admit } from "./registry.ts";
import { ValidationError } from "./errors.ts";
import type { Resource } from "./meta.ts";
import { ManifestError, STDIN_SOURCE, fieldError, manifestFiles, parseManifestDocuments, sortForApply, type ManifestDocument, type ReadOptions } from "./manifest-documents.ts";

export { ManifestError, MANIFEST_EXTENSIONS, STDIN_SOURCE, isManifestFile, manifestFiles, sortForApply, type ReadOptions } from "./manifest-documents.ts";

/** Manifest is one object read from a file: where it came from, as written, and as admitted. */
export interface Manifest extends Omit<ManifestDocument, "lineOf"> {
  /** object is raw after admit(): validated, defaults filled, namespace set, Secret stringData folded. */
  object: Resource;
}

/**
 * admitDocument admits one object read from a file; a ValidationError becomes a ManifestError naming the file,
 * the document and each bad field with its line.
 */
export function admitDocument(doc: ManifestDocument): Manifest {
  const { lineOf: _lineOf, ...position } = doc;
  try {
    return { ...position, object: admit(doc.raw) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw fieldError(doc, error.causes, error.message, { cause: error });
  }
}

/**
 * parseManifests splits a text into YAML (or JSON) documents and admits each object. Empty documents are
 * skipped; a `kind: List` document contributes its items. Throws ManifestError on the first bad document.
 */
export function parseManifests(text: string, source: string): Manifest[] {
  return parseManifestDocuments(text, source, yaml).map(admitDocument);
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
