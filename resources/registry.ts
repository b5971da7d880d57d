import { API_VERSION, type Resource } from "./meta.ts";
import { parseObject, type KindDefinition } from "./define-kind.ts";
import { NotFoundError, ValidationError } from "./errors.ts";
import { appKind } from "./app.ts";
import { databaseKind } from "./database.ts";
import { domainKind } from "./domain.ts";
import { backupKind } from "./backup.ts";
import { buildKind } from "./build.ts";
import { foldStringData, secretKind } from "./secret.ts";

/** DEFAULT_NAMESPACE is used when an object names none. */
export const DEFAULT_NAMESPACE = "default";

/** kinds lists every kind Berth serves, in the order `get all` shows them. */
export const kinds: readonly KindDefinition[] = [appKind, databaseKind, domainKind, backupKind, buildKind, secretKind];

const byName = new Map<string, KindDefinition>();
for (const k of kinds) for (const alias of [k.kind.toLowerCase(), k.plural, k.singular, ...k.shortNames]) byName.set(alias, k);

/** findKind resolves what users type (`App`, `apps`, `app`, `db`, `apps.berth.dev`), case-insensitively. */
export function findKind(name: string): KindDefinition | undefined {
  const bare = name.toLowerCase().replace(/\.berth\.dev(\/v1)?$/, "");
  return byName.get(bare);
}

/** kindOf is findKind for callers that cannot go on without the kind. */
export function kindOf(name: string): KindDefinition {
  const found = findKind(name);
  if (!found) throw new NotFoundError(`the server doesn't have a resource type "${name}"`);
  return found;
}

/**
 * admit is the one admission step every write path shares (API, CLI, manifests directory): it checks
 * apiVersion and kind, validates against the kind's schema, fills defaults, sets the default namespace and
 * folds Secret `stringData` into `data`. It does not touch resourceVersion or status: the store owns those.
 */
export function admit(raw: unknown): Resource {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ValidationError("an object must be a mapping with apiVersion, kind and metadata", [{ field: "", message: "not a mapping" }]);
  const record = raw as Record<string, unknown>;
  if (typeof record.kind !== "string" || record.kind === "") throw new ValidationError("kind is required", [{ field: "kind", message: "required" }]);
  const definition = findKind(record.kind);
  if (!definition || definition.kind !== record.kind)
    throw new ValidationError(`unknown kind "${record.kind}" (known: ${kinds.map((k) => k.kind).join(", ")})`, [{ field: "kind", message: `unknown kind "${record.kind}"` }]);
  if (record.apiVersion !== API_VERSION)
    throw new ValidationError(`apiVersion must be ${API_VERSION}`, [{ field: "apiVersion", message: `must be ${API_VERSION}, got ${JSON.stringify(record.apiVersion)}` }]);
  const parsed = parseObject(definition, raw);
  if (!parsed.metadata.name && !parsed.metadata.generateName)
    throw new ValidationError(`${definition.kind} needs metadata.name`, [{ field: "metadata.name", message: "required" }]);
  parsed.metadata.namespace ??= DEFAULT_NAMESPACE;
  return definition.kind === "Secret" ? foldStringData(parsed as Resource & { data?: Record<string, string> }) : parsed;
}
