import type { Request } from "express";
import type { KindDefinition, PrinterColumn, Resource } from "../resources/index.ts";
import { ageOf } from "../lib/human-duration.ts";

/** TableColumn is a meta.k8s.io/v1 TableColumnDefinition. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** TableRow is one printed row; `object` carries metadata (or the full object) so kubectl can add NAMESPACE, labels and sorting. */
export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

/** Table is the server-side printed form kubectl asks for with `Accept: application/json;as=Table;...`. */
export interface Table {
  kind: "Table";
  apiVersion: "meta.k8s.io/v1";
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

/** IncludeObject is the `includeObject` query parameter: what each row's `object` holds. */
export type IncludeObject = "None" | "Metadata" | "Object";

/** wantsTable says whether the Accept header asks for a Table (kubectl's default `get` does; `-o yaml` does not). */
export function wantsTable(req: Request): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => /;\s*as=Table\b/.test(part) && /;\s*g=meta\.k8s\.io\b/.test(part));
}

/** includeObjectOf reads `includeObject` (default Metadata, as in Kubernetes). */
export function includeObjectOf(req: Request): IncludeObject {
  const value = req.query.includeObject;
  return value === "None" || value === "Object" ? value : "Metadata";
}

/** TableShape is the generic part of a table: its columns and how a row's cells are computed. */
export interface TableShape<T extends Printable = Resource> {
  columns: TableColumn[];
  cells(obj: T, now: number): unknown[];
}

/** Printable is anything with metadata that can be a row: our kinds, and core/v1 Events. */
export interface Printable {
  metadata: object;
}

function definitionOf(column: PrinterColumn): TableColumn {
  return { name: column.name, type: column.type, format: "", description: column.description, priority: column.priority };
}

const NAME: TableColumn = { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.", priority: 0 };
const AGE: TableColumn = { name: "Age", type: "string", format: "", description: "Time since creationTimestamp.", priority: 0 };

/**
 * kindTable is the table of a kind: NAME, the kind's priority-0 columns, AGE, then its priority-1 (`-o wide`)
 * columns, the order kubectl uses for built-in kinds. A column whose value cannot be computed prints `<error>`.
 */
export function kindTable(definition: KindDefinition): TableShape<Resource> {
  const normal = definition.columns.filter((c) => c.priority === 0);
  const wide = definition.columns.filter((c) => c.priority !== 0);
  const value = (c: PrinterColumn, obj: Resource) => {
    try {
      return c.value(obj);
    } catch {
      return "<error>";
    }
  };
  return {
    columns: [NAME, ...normal.map(definitionOf), AGE, ...wide.map(definitionOf)],
    cells: (obj, now) => [obj.metadata.name, ...normal.map((c) => value(c, obj)), ageOf(obj.metadata.creationTimestamp, now), ...wide.map((c) => value(c, obj))],
  };
}

/** rowObject is what a row carries for `includeObject`. */
function rowObject(obj: Printable, include: IncludeObject): unknown {
  if (include === "Object") return obj;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

/** toTable prints objects (already presented for the reader) as a Table. */
export function toTable<T extends Printable>(shape: TableShape<T>, objects: readonly T[], include: IncludeObject, metadata: Table["metadata"] = {}): Table {
  const now = Date.now();
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: shape.columns,
    rows: objects.map((obj) => ({ cells: shape.cells(obj, now), ...(include === "None" ? {} : { object: rowObject(obj, include) }) })),
  };
}
