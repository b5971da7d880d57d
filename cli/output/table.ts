/** ServerTable is the `meta.k8s.io/v1` Table the API answers when asked for server-side printing. */
export interface ServerTable {
  kind: "Table";
  metadata?: { resourceVersion?: string; continue?: string };
  columnDefinitions?: { name: string; type?: string; format?: string; priority?: number }[];
  rows?: { cells: unknown[]; object?: { metadata?: { name?: string; namespace?: string; [key: string]: unknown }; [key: string]: unknown } }[];
}

/** TableView options: `-o wide` shows priority-1 columns; `-A` prefixes NAMESPACE; `get all` prefixes names. */
export interface TableViewOptions {
  wide?: boolean;
  withNamespace?: boolean;
  namePrefix?: string;
}

/** TableView is a server Table reduced to what is printed: upper-case headers and text cells. */
export interface TableView {
  headers: string[];
  rows: string[][];
}

/** cellText renders one cell as kubectl does: `<none>` for a missing value. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "<none>";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** columnsOf picks the columns a view shows: their indexes in the server's columnDefinitions. */
export function columnsOf(table: Pick<ServerTable, "columnDefinitions">, wide: boolean): number[] {
  const definitions = table.columnDefinitions ?? [];
  return definitions.map((c, i) => ((c.priority ?? 0) === 0 || wide ? i : -1)).filter((i) => i >= 0);
}

/** tableView reduces a server Table to printed headers and rows. */
export function tableView(table: ServerTable, options: TableViewOptions = {}, columns: readonly { name: string; format?: string }[] = table.columnDefinitions ?? []): TableView {
  const shown = columnsOf({ columnDefinitions: columns as ServerTable["columnDefinitions"] }, options.wide ?? false);
  const nameIndex = Math.max(0, columns.findIndex((c) => c.format === "name"));
  const headers = [...(options.withNamespace ? ["NAMESPACE"] : []), ...shown.map((i) => columns[i]!.name.toUpperCase())];
  const rows = (table.rows ?? []).map((row) => {
    const cells = shown.map((i) => {
      const text = cellText(row.cells[i]);
      return i === nameIndex && options.namePrefix ? `${options.namePrefix}${text}` : text;
    });
    return options.withNamespace ? [cellText(row.object?.metadata?.namespace), ...cells] : cells;
  });
  return { headers, rows };
}

/** PADDING and MIN_WIDTH are kubectl's tabwriter settings: at least three spaces between columns, cells at least six wide. */
const PADDING = 3;
const MIN_WIDTH = 6;

/**
 * TablePrinter aligns rows in columns the way kubectl's tabwriter does. It remembers the widths it used, so the
 * rows a watch prints later line up under the first ones (growing a column only when a cell needs it).
 */
export class TablePrinter {
  private widths: number[] = [];

  /** format renders rows (the first may be the header) as lines, each ending in a newline, with no trailing blanks. */
  format(rows: readonly (readonly string[])[]): string {
    for (const row of rows)
      row.forEach((cell, i) => {
        if (i < row.length - 1) this.widths[i] = Math.max(this.widths[i] ?? MIN_WIDTH, cell.length + PADDING);
      });
    return rows.map((row) => `${row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(this.widths[i]!) : cell)).join("").trimEnd()}\n`).join("");
  }
}

/** formatTable renders a header and rows once. */
export function formatTable(view: TableView): string {
  return new TablePrinter().format([view.headers, ...view.rows]);
}
