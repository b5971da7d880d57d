import { ageOf } from "../../lib/human-duration.ts";
import { errorLine, isNotFound, ServerError, UsageError } from "../errors.ts";
import { TABLE_ACCEPT, type ApiClient } from "../http-client.ts";
import { GROUP, kindNames, parseRefs, resolveKind, resourcePath, type KindName } from "../kind-names.ts";
import { asList, formatObject, nameOf, type ObjectFormat } from "../output/objects.ts";
import { TablePrinter, tableView, type ServerTable } from "../output/table.ts";
import type { CliSession } from "../session.ts";
import { watchAndPrint } from "./get-watch.ts";

/** GetOptions are `get`'s flags. */
export interface GetOptions {
  output?: "wide" | ObjectFormat;
  watch?: boolean;
  selector?: string;
  allNamespaces?: boolean;
  namespace?: string;
}

type Json = Record<string, unknown> & { metadata?: { name?: string; namespace?: string; creationTimestamp?: string; resourceVersion?: string } };

/** asTable turns whatever the server sent into a Table: its own Table, or NAME and AGE from plain objects. */
export function asTable(response: Json): ServerTable {
  if (response.kind === "Table") return response as unknown as ServerTable;
  const items = Array.isArray(response.items) ? (response.items as Json[]) : [response];
  const now = Date.now();
  return {
    kind: "Table",
    metadata: { resourceVersion: response.metadata?.resourceVersion ?? "" },
    columnDefinitions: [{ name: "Name", format: "name", priority: 0 }, { name: "Age", priority: 0 }],
    rows: items.map((item) => ({ cells: [item.metadata?.name, ageOf(item.metadata?.creationTimestamp, now)], object: { metadata: item.metadata ?? {} } })),
  };
}

/** Target is one kind to print, and the names asked for (none: list the kind). */
interface Target {
  kind: KindName;
  names: string[];
}

function targetsOf(args: string[]): Target[] {
  if (args[0]?.toLowerCase() === "all") {
    if (args.length > 1) throw new UsageError(`"all" lists every kind; it takes no names`);
    return kindNames.map((kind) => ({ kind, names: [] }));
  }
  // kubectl's `get apps,domains [NAME...]`: each kind listed, or the names looked up in each.
  if (args[0]?.includes(",") && !args[0].includes("/")) return [...new Set(args[0].split(",").map(resolveKind))].map((kind) => ({ kind, names: args.slice(1) }));
  const { kind, refs } = parseRefs(args);
  if (kind && refs.length === 0) return [{ kind, names: [] }];
  const targets: Target[] = [];
  for (const ref of refs) {
    const existing = targets.find((t) => t.kind === ref.kind);
    if (existing) existing.names.push(ref.name);
    else targets.push({ kind: ref.kind, names: [ref.name] });
  }
  return targets;
}

/** Fetched is what the server sent for one target: tables for table output, objects for -o yaml|json|name. */
interface Fetched {
  tables: ServerTable[];
  objects: Json[];
  /** revision is the listing's resourceVersion, where a watch continues from. */
  revision: string;
  missing: boolean;
}

/** fetchTarget lists a kind (or, for a watch, one name by field selector) or gets each named object. */
async function fetchTarget(client: ApiClient, session: CliSession, target: Target, namespace: string | undefined, opts: GetOptions): Promise<Fetched> {
  const table = opts.output === undefined || opts.output === "wide";
  const accept = table ? TABLE_ACCEPT : "application/json";
  const fetched: Fetched = { tables: [], objects: [], revision: "", missing: false };
  const keep = (response: Json) => (table ? fetched.tables.push(asTable(response)) : fetched.objects.push(...(Array.isArray(response.items) ? (response.items as Json[]) : [response])));
  if (target.names.length === 0 || opts.watch) {
    const query = { ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(target.names[0] ? { fieldSelector: `metadata.name=${target.names[0]}` } : {}) };
    const response = await client.request<Json>({ path: resourcePath(target.kind, namespace), query, accept });
    fetched.revision = response.metadata?.resourceVersion ?? "";
    keep(response);
    if (target.names[0] && (fetched.tables[0]?.rows?.length ?? fetched.objects.length) === 0)
      throw new ServerError(404, { reason: "NotFound", message: `${target.kind.plural}.${GROUP} "${target.names[0]}" not found` });
    return fetched;
  }
  for (const name of target.names) {
    try {
      keep(await client.request<Json>({ path: resourcePath(target.kind, namespace, name), accept }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      session.io.err(`${errorLine(error)}\n`);
      fetched.missing = true;
    }
  }
  return fetched;
}

/** runGet is `berth get KIND [NAME...] [-o wide|yaml|json|name] [-w] [-l SEL] [-n NS|-A]`. */
export async function runGet(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const opts = options as GetOptions;
  const targets = targetsOf(args);
  // Several kinds (`all`, `apps,domains`, `app/web db/main`) print one table per kind, names prefixed with their type.
  const several = new Set(targets.map((t) => t.kind)).size > 1;
  const named = targets.every((t) => t.names.length > 0);
  if (opts.watch && (targets.length !== 1 || targets[0]!.names.length > 1)) throw new UsageError("watch is only supported on one kind, or one object, at a time");
  if (opts.allNamespaces && named) throw new UsageError("a resource cannot be retrieved by name across all namespaces");
  const namespace = opts.allNamespaces ? undefined : await session.namespace(opts.namespace);
  const client = await session.client();
  const format = opts.output;
  let missing = false;
  let printed = false;
  let revision = "";
  const objects: Json[] = [];
  const printer = new TablePrinter();
  for (const target of targets) {
    const fetched = await fetchTarget(client, session, target, namespace, opts);
    missing ||= fetched.missing;
    revision = fetched.revision;
    if (format === "yaml" || format === "json") objects.push(...fetched.objects);
    else if (format === "name") {
      for (const o of fetched.objects) session.io.out(`${nameOf(target.kind, o)}\n`);
      printed ||= fetched.objects.length > 0;
    } else {
      const rows = fetched.tables.flatMap((t) => t.rows ?? []);
      if (rows.length === 0) continue;
      const view = tableView({ ...fetched.tables[0]!, rows }, { wide: format === "wide", withNamespace: namespace === undefined, ...(several ? { namePrefix: `${target.kind.singular}.${GROUP}/` } : {}) });
      // Each kind's table is aligned on its own, separated from the one before by a blank line.
      session.io.out(`${printed && several ? "\n" : ""}${(several ? new TablePrinter() : printer).format([view.headers, ...view.rows])}`);
      printed = true;
    }
  }
  if (format === "yaml" || format === "json") {
    const single = targets.length === 1 && targets[0]!.names.length === 1;
    if (single && objects.length === 1) session.io.out(await formatObject(objects[0], format));
    else if (objects.length > 0 || (!named && !opts.watch)) session.io.out(await formatObject(asList(objects), format));
    printed = objects.length > 0;
  }
  if (!printed && !missing && format !== "yaml" && format !== "json" && !opts.watch)
    session.io.err(namespace === undefined ? "No resources found\n" : `No resources found in ${namespace} namespace.\n`);
  if (!opts.watch) return missing ? 1 : 0;
  return watchAndPrint(client, session, { target: targets[0]!, namespace, format, selector: opts.selector, resourceVersion: revision, printer, printedHeader: printed });
}

export type { Target, Json };
