import { describeDocument, fieldError, readManifestDocuments, type ManifestDocument } from "../../resources/manifest-documents.ts";
import { foldStringData } from "../../resources/secret-data.ts";
import { errorLine, isNotFound, ServerError, UsageError } from "../errors.ts";
import { modifiedConfiguration, originalConfiguration } from "../last-applied.ts";
import { lookupKind, qualifiedName, resourcePath, type KindName } from "../kind-names.ts";
import { isPlainObject, threeWayMergePatch, type JsonObject } from "../three-way-merge.ts";
import type { ApiClient } from "../http-client.ts";
import type { CliSession } from "../session.ts";

/** ApplyOutcome is what apply did to one object, as printed after its name. */
export type ApplyOutcome = "created" | "configured" | "unchanged";

/** DryRun is `--dry-run`: none writes, server asks the server to validate without storing, client only prints. */
export type DryRun = "none" | "server" | "client";

/** FIELD_MANAGER names berth's writes, as kubectl names its own `kubectl-client-side-apply`. */
const FIELD_MANAGER = "berth-client-side-apply";

/**
 * prepareManifest is the object apply sends for a manifest: as written, in its namespace, with a Secret's
 * `stringData` folded into `data` (so that removing a key from the file removes it from the Secret), and with
 * the last-applied annotation set. Only what the CLI needs to address the object is checked here; the server
 * validates the rest, and its field errors are placed in the file (see `placeInvalid`).
 */
export function prepareManifest(manifest: ManifestDocument, namespace: string): { kind: KindName; modified: JsonObject } {
  const where = `${manifest.source}: ${describeDocument(manifest)}`;
  if (!isPlainObject(manifest.raw)) throw new UsageError(`${where}: expected an object with apiVersion, kind and metadata (line ${manifest.line})`);
  const typed = manifest.raw.kind;
  if (typeof typed !== "string" || typed === "") throw new UsageError(`${where}: kind: is required (line ${manifest.line})`);
  const kind = lookupKind(typed);
  if (!kind) throw new UsageError(`${where}: kind: unknown kind "${typed}" (line ${manifest.lineOf("kind") ?? manifest.line})`);
  let raw = structuredClone(manifest.raw);
  const metadata = isPlainObject(raw.metadata) ? raw.metadata : (raw.metadata = {});
  if (typeof metadata.name !== "string" || metadata.name === "")
    throw new UsageError(`${manifest.source}: document ${manifest.document}: apply needs metadata.name (generateName cannot be applied)`);
  const written = metadata.namespace;
  if (typeof written === "string" && written !== namespace)
    throw new UsageError(`${manifest.source}: document ${manifest.document}: the namespace from the object "${written}" does not match the namespace "${namespace}"; pass --namespace=${written}`);
  metadata.namespace = namespace;
  if (kind.kind === "Secret") raw = foldStringData(raw as { data?: Record<string, string>; stringData?: Record<string, string> }) as JsonObject;
  return { kind, modified: modifiedConfiguration(raw).modified };
}

/** Write is what apply has to do to one object: create it, patch it, or nothing. */
export type Write =
  | { outcome: "created"; path: string; body: JsonObject }
  | { outcome: "configured"; path: string; body: JsonObject; before: string | undefined }
  | { outcome: "unchanged" };

/** planWrite reads the live object and decides the write: a create, a 3-way merge patch, or nothing. */
export async function planWrite(client: ApiClient, kind: KindName, modified: JsonObject): Promise<Write> {
  const metadata = modified.metadata as { name: string; namespace: string };
  const path = resourcePath(kind, metadata.namespace, metadata.name);
  let live: JsonObject | undefined;
  try {
    live = await client.request<JsonObject>({ path });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (!live) return { outcome: "created", path: resourcePath(kind, metadata.namespace), body: modified };
  const patch = threeWayMergePatch(originalConfiguration(live), modified, live);
  if (Object.keys(patch).length === 0) return { outcome: "unchanged" };
  return { outcome: "configured", path, body: patch, before: (live.metadata as { resourceVersion?: string }).resourceVersion };
}

/** sendWrite performs a planned write (or, with dryRun, has the server check it without storing it) and says what happened. */
export async function sendWrite(client: ApiClient, write: Write, dryRun: DryRun): Promise<ApplyOutcome> {
  if (write.outcome === "unchanged" || dryRun === "client") return write.outcome;
  const query = { fieldManager: FIELD_MANAGER, ...(dryRun === "server" ? { dryRun: "All" } : {}) };
  if (write.outcome === "created") {
    await client.request({ method: "POST", path: write.path, query, body: write.body });
    return "created";
  }
  const result = await client.request<JsonObject>({ method: "PATCH", path: write.path, query, body: write.body, contentType: "application/merge-patch+json" });
  // The patch can be a no-op on the server (a default the file spells out differently, stringData folded into
  // data): the resourceVersion says whether anything was written.
  const after = (result.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
  return dryRun === "none" && write.before !== undefined && write.before === after ? "unchanged" : "configured";
}

/** placeInvalid turns the server's 422 about a manifest into an error naming the file, the document, each field and its line. */
export function placeInvalid(error: unknown, manifest: ManifestDocument): unknown {
  if (!(error instanceof ServerError) || error.code !== 422) return error;
  const causes = (error.status.details?.causes ?? []).map((c) => ({ field: c.field ?? "", message: c.message ?? "" }));
  return fieldError(manifest, causes, error.message, { cause: error });
}

/** applyOne creates or 3-way-patches one object and says what happened. */
export async function applyOne(client: ApiClient, kind: KindName, modified: JsonObject, dryRun: DryRun): Promise<ApplyOutcome> {
  return sendWrite(client, await planWrite(client, kind, modified), dryRun);
}

/**
 * runApply is `berth apply -f FILE|DIR|-`. The CLI does not load the kinds' schemas: the server validates every
 * write. So that a bad document still stops the whole apply before anything is stored, as kubectl's client-side
 * validation would, several writes are first sent as a server dry run, and the first refused one is reported
 * with its file, document, field and line. `--dry-run=client` sends nothing, so it validates with the schemas.
 */
export async function runApply(session: CliSession, _args: string[], options: Record<string, unknown>): Promise<number> {
  const files = options.filename as string[];
  const dryRun = (options.dryRun as DryRun | undefined) ?? "none";
  const manifests = await readManifestDocuments(files, { stdin: () => session.io.readStdin() });
  if (manifests.length === 0) throw new UsageError(`no objects passed to apply`);
  if (dryRun === "client") {
    const { admitDocument } = await import("../../resources/manifests.ts");
    manifests.forEach(admitDocument);
  }
  const flagNamespace = options.namespace as string | undefined;
  const defaultNamespace = await session.namespace(flagNamespace);
  const prepared = manifests.map((manifest) => {
    const written = (manifest.raw.metadata as { namespace?: unknown } | undefined)?.namespace;
    const namespace = flagNamespace ?? (typeof written === "string" ? written : defaultNamespace);
    return { manifest, ...prepareManifest(manifest, namespace) };
  });
  const client = await session.client();
  const planned: { manifest: ManifestDocument; kind: KindName; name: string; write?: Write; error?: unknown }[] = [];
  for (const { manifest, kind, modified } of prepared) {
    const name = (modified.metadata as { name: string }).name;
    try {
      planned.push({ manifest, kind, name, write: await planWrite(client, kind, modified) });
    } catch (error) {
      planned.push({ manifest, kind, name, error });
    }
  }
  const writes = planned.filter((p) => p.write && p.write.outcome !== "unchanged");
  if (dryRun !== "client" && writes.length > 1) {
    for (const p of writes) {
      try {
        await sendWrite(client, p.write!, "server");
      } catch (error) {
        if (error instanceof ServerError && error.code === 422) throw placeInvalid(error, p.manifest);
      }
    }
  }
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  let code = 0;
  for (const p of planned) {
    try {
      if (p.error !== undefined) throw p.error;
      const outcome = await sendWrite(client, p.write!, dryRun);
      session.io.out(`${qualifiedName(p.kind, p.name)} ${outcome}${suffix}\n`);
    } catch (error) {
      session.io.err(`${errorLine(placeInvalid(error, p.manifest))}\n`);
      code = 1;
    }
  }
  return code;
}
