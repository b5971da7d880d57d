import { readManifestDocuments } from "../../resources/manifest-documents.ts";
import { errorLine, isNotFound } from "../errors.ts";
import { LAST_APPLIED, originalConfiguration } from "../last-applied.ts";
import { resourcePath, type KindName } from "../kind-names.ts";
import { formatObject } from "../output/objects.ts";
import { isPlainObject, threeWayMergePatch, type JsonObject } from "../three-way-merge.ts";
import { unifiedDiff } from "../unified-diff.ts";
import type { ApiClient } from "../http-client.ts";
import type { CliSession } from "../session.ts";
import { prepareManifest } from "./apply.ts";

/** DIFF_ERROR is diff's exit code for a failure, as kubectl's: 1 means "differences found". */
const DIFF_ERROR = 2;

/**
 * forDisplay drops what changes on every write and says nothing (resourceVersion, managedFields, the
 * last-applied annotation) and masks Secret values as kubectl diff does: `***`, or `*** (before)` and
 * `*** (after)` where the value changes.
 */
export function forDisplay(object: JsonObject | undefined, other: JsonObject | undefined, side: "before" | "after"): JsonObject | undefined {
  if (!object) return undefined;
  const out = structuredClone(object);
  const metadata = isPlainObject(out.metadata) ? out.metadata : {};
  delete metadata.resourceVersion;
  delete metadata.managedFields;
  if (isPlainObject(metadata.annotations)) {
    delete metadata.annotations[LAST_APPLIED];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  if (out.kind === "Secret" && isPlainObject(out.data)) {
    const otherData = isPlainObject(other?.data) ? other.data : {};
    for (const key of Object.keys(out.data)) out.data[key] = otherData[key] === undefined || otherData[key] === out.data[key] ? "***" : `*** (${side})`;
  }
  return out;
}

/** mergedObject is what apply would produce, computed by the server with dryRun=All. */
async function mergedObject(client: ApiClient, kind: KindName, modified: JsonObject, live: JsonObject | undefined): Promise<JsonObject> {
  const metadata = modified.metadata as { name: string; namespace: string };
  const query = { dryRun: "All", fieldManager: "berth-client-side-apply" };
  if (!live) return client.request<JsonObject>({ method: "POST", path: resourcePath(kind, metadata.namespace), query, body: modified });
  const patch = threeWayMergePatch(originalConfiguration(live), modified, live);
  if (Object.keys(patch).length === 0) return live;
  return client.request<JsonObject>({ method: "PATCH", path: resourcePath(kind, metadata.namespace, metadata.name), query, body: patch, contentType: "application/merge-patch+json" });
}

/** runDiff is `berth diff -f FILE`: a unified diff of live against what apply would make; exit 1 if they differ. */
export async function runDiff(session: CliSession, _args: string[], options: Record<string, unknown>): Promise<number> {
  try {
    const manifests = await readManifestDocuments(options.filename as string[], { stdin: () => session.io.readStdin() });
    // Every document is checked before the first diff is printed, so a bad one prints nothing else.
    const { admitDocument } = await import("../../resources/manifests.ts");
    manifests.forEach(admitDocument);
    const flagNamespace = options.namespace as string | undefined;
    const defaultNamespace = await session.namespace(flagNamespace);
    const client = await session.client();
    let different = false;
    for (const manifest of manifests) {
      const written = (manifest.raw.metadata as { namespace?: unknown } | undefined)?.namespace;
      const { kind, modified } = prepareManifest(manifest, flagNamespace ?? (typeof written === "string" ? written : defaultNamespace));
      const metadata = modified.metadata as { name: string; namespace: string };
      let live: JsonObject | undefined;
      try {
        live = await client.request<JsonObject>({ path: resourcePath(kind, metadata.namespace, metadata.name) });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const merged = await mergedObject(client, kind, modified, live);
      const before = forDisplay(live, merged, "before");
      const after = forDisplay(merged, live, "after");
      const file = `berth.dev.v1.${kind.kind}.${metadata.namespace}.${metadata.name}`;
      const text = unifiedDiff(before ? await formatObject(before, "yaml") : "", await formatObject(after, "yaml"), { fromName: `live/${file}`, toName: `merged/${file}` });
      if (text === "") continue;
      different = true;
      session.io.out(`diff -u -N live/${file} merged/${file}\n${text}`);
    }
    return different ? 1 : 0;
  } catch (error) {
    session.io.err(`${errorLine(error)}\n`);
    return DIFF_ERROR;
  }
}
