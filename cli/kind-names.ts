import { UsageError } from "./errors.ts";

/**
 * KindName is what the CLI needs to know about a kind to build URLs and print names. It is kept here, apart
 * from the zod schemas in `resources/`, so that `get`, `delete` and `wait` start without loading zod; a unit
 * test checks it against `resources/registry.ts` so the two cannot drift.
 */
export interface KindName {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
}

/** GROUP is the API group of every Berth kind. */
export const GROUP = "berth.dev";
/** API_PREFIX is the path every Berth resource URL starts with. */
export const API_PREFIX = "/apis/berth.dev/v1";

/** kindNames lists the kinds in the order `get all` prints them. */
export const kindNames: readonly KindName[] = [
  { kind: "App", plural: "apps", singular: "app", shortNames: ["app"], namespaced: true },
  { kind: "Database", plural: "databases", singular: "database", shortNames: ["db"], namespaced: true },
  { kind: "Domain", plural: "domains", singular: "domain", shortNames: ["dom"], namespaced: true },
  { kind: "Backup", plural: "backups", singular: "backup", shortNames: ["bk"], namespaced: true },
  { kind: "Build", plural: "builds", singular: "build", shortNames: ["bld"], namespaced: true },
  { kind: "Secret", plural: "secrets", singular: "secret", shortNames: [], namespaced: true },
];

/** lookupKind resolves what users type (`App`, `apps`, `app`, `db`, `apps.berth.dev`), case-insensitively. */
export function lookupKind(typed: string): KindName | undefined {
  const bare = typed.toLowerCase().replace(/\.berth\.dev(\/v1)?$/, "");
  return kindNames.find((k) => k.kind.toLowerCase() === bare || k.plural === bare || k.singular === bare || k.shortNames.includes(bare));
}

/** resolveKind is lookupKind for callers that cannot go on without the kind. */
export function resolveKind(typed: string): KindName {
  const found = lookupKind(typed);
  if (!found) throw new UsageError(`the server doesn't have a resource type "${typed}"`);
  return found;
}

/** ObjectRef names one object the user typed. */
export interface ObjectRef {
  kind: KindName;
  name: string;
}

/**
 * parseRefs turns the positional arguments of `get`, `delete`, `describe` and `wait` into a kind and names. Both
 * kubectl forms work: `app web api` and `app/web db/main` (the slash form may mix kinds).
 */
export function parseRefs(args: readonly string[]): { kind?: KindName; refs: ObjectRef[] } {
  const first = args[0];
  if (first === undefined) return { refs: [] };
  if (first.includes("/")) {
    const refs = args.map((arg) => {
      const slash = arg.indexOf("/");
      if (slash <= 0 || slash === arg.length - 1) throw new UsageError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'berth get app/web'), got "${arg}"`);
      return { kind: resolveKind(arg.slice(0, slash)), name: arg.slice(slash + 1) };
    });
    return { refs };
  }
  const kind = resolveKind(first);
  return { kind, refs: args.slice(1).map((name) => ({ kind, name })) };
}

/** qualifiedName is how kubectl prints an object's type and name: `app.berth.dev/web`. */
export function qualifiedName(kind: KindName, name: string): string {
  return `${kind.singular}.${GROUP}/${name}`;
}

/** quotedName is how kubectl names an object in messages: `app.berth.dev "web"`. */
export function quotedName(kind: KindName, name: string): string {
  return `${kind.singular}.${GROUP} "${name}"`;
}

/** resourcePath builds a resource URL; without a namespace it addresses all namespaces. */
export function resourcePath(kind: KindName, namespace: string | undefined, name?: string): string {
  const base = namespace && kind.namespaced ? `${API_PREFIX}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}` : `${API_PREFIX}/${kind.plural}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}
