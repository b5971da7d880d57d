import { isPlainObject } from "../three-way-merge.ts";
import { qualifiedName, type KindName } from "../kind-names.ts";

/** ObjectFormat is an `-o` format that prints whole objects rather than a table. */
export type ObjectFormat = "yaml" | "json" | "name";

/** sortKeys orders object keys alphabetically at every level, as kubectl's output of unstructured objects is. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

/** asList wraps several objects the way kubectl prints a list with `-o yaml|json`. */
export function asList(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } };
}

/** nameOf prints `app.berth.dev/web` for `-o name`. */
export function nameOf(kind: KindName, object: { metadata?: { name?: string } }): string {
  return qualifiedName(kind, object.metadata?.name ?? "");
}

/**
 * formatObject renders one value (an object or a List) as `-o yaml` or `-o json` does. YAML needs the `yaml`
 * package, imported only here so that table output never loads it.
 */
export async function formatObject(value: unknown, format: "yaml" | "json"): Promise<string> {
  const sorted = sortKeys(value);
  if (format === "json") return `${JSON.stringify(sorted, null, 4)}\n`;
  const { stringify } = await import("yaml");
  // YAML 1.1 quoting (timestamps, yes/no/on/off) and unindented sequences: the output kubectl prints.
  return stringify(sorted, { lineWidth: 0, indentSeq: false, version: "1.1" });
}
