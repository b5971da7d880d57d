import { GROUP, getJson } from "./api.ts";

/** KindInfo is one kind as discovery describes it. */
export interface KindInfo {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
}

/** ORDER puts the kinds people look at most first; kinds discovery adds later (Build...) follow in its order. */
const ORDER = ["App", "Domain", "Database", "Backup", "Build", "Secret"];

/** discoverKinds reads `/apis/berth.dev/v1`: every kind the daemon serves, so new kinds appear without a UI change. */
export async function discoverKinds(): Promise<KindInfo[]> {
  const list = await getJson<{ resources: Array<{ name: string; singularName: string; kind: string; shortNames?: string[] }> }>(GROUP);
  const kinds = list.resources
    .filter((r) => !r.name.includes("/"))
    .map((r) => ({ kind: r.kind, plural: r.name, singular: r.singularName, shortNames: r.shortNames ?? [] }));
  const rank = (k: KindInfo) => (ORDER.includes(k.kind) ? ORDER.indexOf(k.kind) : ORDER.length);
  return kinds.sort((a, b) => rank(a) - rank(b));
}
