import { foldStringData } from "../../resources/index.ts";
import { readManifests, type Manifest } from "../../resources/manifests.ts";
import { errorLine, isNotFound, UsageError } from "../errors.ts";
import { modifiedConfiguration, originalConfiguration } from "../last-applied.ts";
import { lookupKind, qualifiedName, resourcePath, type KindName } from "../kind-names.ts";
import { threeWayMergePatch, type JsonObject } from "../three-way-merge.ts";
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
 * the last-applied annotation set.
 */
export function prepareManifest(manifest: Manifest, namespace: string): { kind: KindName; modified: JsonObject } {
  const kind = lookupKind(manifest.object.kind);
  if (!kind) throw new UsageError(`${manifest.source}: document ${manifest.document}: unknown kind ${manifest.object.kind}`);
  let raw = structuredClone(manifest.raw);
  const metadata = (raw.metadata ??= {}) as JsonObject;
  if (typeof metadata.name !== "string" || metadata.name === "")
    throw new UsageError(`${manifest.source}: document ${manifest.document}: apply needs metadata.name (generateName cannot be applied)`);
  const written = metadata.namespace;
  if (typeof written === "string" && written !== namespace)
    throw new UsageError(`${manifest.source}: document ${manifest.document}: the namespace from the object "${written}" does not match the namespace "${namespace}"; pass --namespace=${written}`);
  metadata.namespace = namespace;
  if (kind.kind === "Secret") raw = foldStringData(raw as { data?: Record<string, string>; stringData?: Record<string, string> }) as JsonObject;
  return { kind, modified: modifiedConfiguration(raw).modified };
}

/** applyOne creates or 3-way-patches one object and says what happened. */
export async function applyOne(client: ApiClient, kind: KindName, modified: JsonObject, dryRun: DryRun): Promise<ApplyOutcome> {
  const metadata = modified.metadata as { name: string; namespace: string };
  const path = resourcePath(kind, metadata.namespace, metadata.name);
  const query = { fieldManager: FIELD_MANAGER, ...(dryRun === "server" ? { dryRun: "All" } : {}) };
  let live: JsonObject | undefined;
  try {
    live = await client.request<JsonObject>({ path });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (!live) {
    if (dryRun !== "client") await client.request({ method: "POST", path: resourcePath(kind, metadata.namespace), query, body: modified });
    return "created";
  }
  const patch = threeWayMergePatch(originalConfiguration(live), modified, live);
  if (Object.keys(patch).length === 0) return "unchanged";
  if (dryRun === "client") return "configured";
  const result = await client.request<JsonObject>({ method: "PATCH", path, query, body: patch, contentType: "application/merge-patch+json" });
  // The patch can be a no-op on the server (a default the file spells out differently, stringData folded into
  // data): the resourceVersion says whether anything was written.
  const before = (live.metadata as { resourceVersion?: string }).resourceVersion;
  const after = (result.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
  return dryRun === "none" && before !== undefined && before === after ? "unchanged" : "configured";
}

/** runApply is `berth apply -f FILE|DIR|-`. */
export async function runApply(session: CliSession, _args: string[], options: Record<string, unknown>): Promise<number> {
  const files = options.filename as string[];
  const dryRun = (options.dryRun as DryRun | undefined) ?? "none";
  const manifests = await readManifests(files, { stdin: () => session.io.readStdin() });
  if (manifests.length === 0) throw new UsageError(`no objects passed to apply`);
  const flagNamespace = options.namespace as string | undefined;
  const defaultNamespace = await session.namespace(flagNamespace);
  const prepared = manifests.map((m) => {
    const written = (m.raw.metadata as { namespace?: unknown } | undefined)?.namespace;
    const namespace = flagNamespace ?? (typeof written === "string" ? written : defaultNamespace);
    return prepareManifest(m, namespace);
  });
  const client = await session.client();
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  let code = 0;
  for (const { kind, modified } of prepared) {
    const name = (modified.metadata as { name: string }).name;
    try {
      const outcome = await applyOne(client, kind, modified, dryRun);
      session.io.out(`${qualifiedName(kind, name)} ${outcome}${suffix}\n`);
    } catch (error) {
      session.io.err(`${errorLine(error)}\n`);
      code = 1;
    }
  }
  return code;
}
