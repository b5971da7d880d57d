import { UsageError } from "../errors.ts";
import type { ApiClient } from "../http-client.ts";
import { resolveKind, resourcePath } from "../kind-names.ts";

/** BUILD is the Build kind as the CLI names it. */
export const BUILD = resolveKind("build");

/** TERMINAL are the phases a Build never leaves. */
const TERMINAL = new Set(["Succeeded", "Failed", "Cancelled"]);

/** BuildObject is the part of a Build the CLI reads. */
export interface BuildObject {
  metadata: { name: string; annotations?: Record<string, string>; creationTimestamp?: string };
  spec: { appRef: { name: string }; source: { commit: string }; cancelled?: boolean };
  status?: { phase?: string };
}

/** buildsOfApp lists an App's Builds (label `berth.dev/app`), newest first. */
export async function buildsOfApp(client: ApiClient, namespace: string, app: string): Promise<BuildObject[]> {
  const list = await client.request<{ items: BuildObject[] }>({ path: resourcePath(BUILD, namespace), query: { labelSelector: `berth.dev/app=${app}` } });
  const sequence = (b: BuildObject) => Number(b.metadata.annotations?.["build.berth.dev/sequence"] ?? 0);
  return list.items
    .filter((b) => b.spec.appRef.name === app)
    .sort((a, b) => sequence(b) - sequence(a) || (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") || b.metadata.name.localeCompare(a.metadata.name));
}

/** latestBuildOf is the newest Build of an App; a UsageError when it has none. */
export async function latestBuildOf(client: ApiClient, namespace: string, app: string): Promise<BuildObject> {
  const [latest] = await buildsOfApp(client, namespace, app);
  if (!latest) throw new UsageError(`app "${app}" has no builds (only Apps with spec.build are built)`);
  return latest;
}

/** isActive tells a Build still waiting or running. */
export function isActive(build: BuildObject): boolean {
  return !TERMINAL.has(build.status?.phase ?? "Pending");
}
