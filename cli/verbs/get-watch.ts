import { TABLE_ACCEPT, type ApiClient } from "../http-client.ts";
import { resourcePath } from "../kind-names.ts";
import { formatObject, nameOf, type ObjectFormat } from "../output/objects.ts";
import { tableView, type ServerTable, type TablePrinter } from "../output/table.ts";
import type { CliSession } from "../session.ts";
import { asTable, type Json, type Target } from "./get.ts";

/** WatchPrint says what `get -w` watches and how it prints, continuing the listing `get` already printed. */
export interface WatchPrint {
  target: Target;
  namespace: string | undefined;
  format: "wide" | ObjectFormat | undefined;
  selector: string | undefined;
  /** resourceVersion is the listing's revision: the watch delivers exactly what changed after it. */
  resourceVersion: string;
  /** printer keeps the listing's column widths so new rows line up. */
  printer: TablePrinter;
  printedHeader: boolean;
}

/**
 * watchAndPrint is the `-w` half of `get`: it watches from the listing's revision and prints one row (or one
 * object, or one name) per event until the server ends the stream, as kubectl does.
 */
export async function watchAndPrint(client: ApiClient, session: CliSession, w: WatchPrint): Promise<number> {
  const tableOutput = w.format === undefined || w.format === "wide";
  const name = w.target.names[0];
  let columns: ServerTable["columnDefinitions"];
  let headerPrinted = w.printedHeader;
  let pending = Promise.resolve();
  const query = {
    ...(w.resourceVersion ? { resourceVersion: w.resourceVersion } : {}),
    ...(w.selector ? { labelSelector: w.selector } : {}),
    ...(name ? { fieldSelector: `metadata.name=${name}` } : {}),
  };
  await client.watch<Json>({ path: resourcePath(w.target.kind, w.namespace), query, accept: tableOutput ? TABLE_ACCEPT : "application/json" }, (event) => {
    if (event.type === "BOOKMARK") return;
    if (tableOutput) {
      const table = asTable(event.object);
      columns = table.columnDefinitions?.length ? table.columnDefinitions : columns;
      const view = tableView(table, { wide: w.format === "wide", withNamespace: w.namespace === undefined }, columns ?? []);
      session.io.out(w.printer.format(headerPrinted ? view.rows : [view.headers, ...view.rows]));
      headerPrinted = true;
    } else if (w.format === "name") {
      session.io.out(`${nameOf(w.target.kind, event.object)}\n`);
    } else {
      const format = w.format as "yaml" | "json";
      // Formatting YAML is asynchronous (it loads `yaml` once): chain prints so events keep their order.
      pending = pending.then(async () => session.io.out(`${format === "yaml" ? "---\n" : ""}${await formatObject(event.object, format)}`));
    }
  });
  await pending;
  return 0;
}
