import { useEffect, useRef, useState } from "preact/hooks";
import { GROUP, TABLE_ACCEPT, getJson } from "../lib/api.ts";
import { useCache } from "../lib/cache.ts";
import type { KindInfo } from "../lib/discovery.ts";
import { age } from "../lib/format.ts";
import { html } from "../lib/html.ts";
import { detailHref, listHref } from "../lib/router.ts";
import { startWatch } from "../lib/watch.ts";
import { Notice, ScrollTable, useNow } from "./common.ts";

/** Table is the meta.k8s.io/v1 Table the API prints (`berth get -o wide` shows the same columns). */
interface Table {
  metadata: { resourceVersion?: string };
  columnDefinitions: Array<{ name: string; description: string; priority: number; format: string }>;
  rows: Array<{ cells: unknown[]; object: { metadata: { name: string; namespace: string; creationTimestamp?: string; resourceVersion?: string } } }>;
}
type Row = Table["rows"][number];

/**
 * List shows one kind as the API prints it: the server-side Table with every column (`-o wide`), listed once
 * and then followed by a Table watch from the listed revision, so rows change in place as objects do. The
 * namespace and label selector go to the API (a bad selector is the API's 400, shown as is).
 */
export function List({ kind, namespace, selector }: { kind: KindInfo; namespace: string; selector: string }) {
  const objects = useCache();
  const now = useNow();
  const [columns, setColumns] = useState<Table["columnDefinitions"]>([]);
  const rowsRef = useRef(new Map<string, Row>());
  const [, setVersion] = useState(0);
  const [error, setError] = useState("");
  useEffect(() => {
    const path = namespace ? `${GROUP}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}` : `${GROUP}/${kind.plural}`;
    const query: Record<string, string> = selector ? { labelSelector: selector } : {};
    let dirty = false;
    const watch = startWatch<Table>({
      path,
      query,
      accept: TABLE_ACCEPT,
      list: async (signal) => {
        try {
          const table = await getJson<Table>(`${path}?${new URLSearchParams(query)}`, { accept: TABLE_ACCEPT, signal });
          setError("");
          setColumns(table.columnDefinitions);
          rowsRef.current = new Map(table.rows.map((r) => [rowKey(r), r]));
          setVersion((v) => v + 1);
          return table.metadata.resourceVersion ?? "0";
        } catch (err) {
          setError((err as Error).message);
          throw err;
        }
      },
      onEvent: ({ type, object }) => {
        for (const row of object.rows) {
          if (type === "DELETED") rowsRef.current.delete(rowKey(row));
          else rowsRef.current.set(rowKey(row), row);
        }
        dirty = true;
      },
      onBatch: () => {
        if (dirty) setVersion((v) => v + 1);
        dirty = false;
      },
    });
    return () => watch.close();
  }, [kind.plural, namespace, selector]);

  const rows = [...rowsRef.current.values()].sort((a, b) => rowKey(a).localeCompare(rowKey(b)));
  const onFilter = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const ns = (form.elements.namedItem("ns") as HTMLSelectElement).value;
    const labels = (form.elements.namedItem("selector") as HTMLInputElement).value.trim();
    location.hash = listHref(kind.plural, ns, labels);
  };
  // The selector box is uncontrolled (defaultValue): live updates re-render this view, and must not undo typing.
  const namespaces = objects.namespaces();
  if (namespace && !namespaces.includes(namespace)) namespaces.push(namespace);
  return html`
    <h1>${kind.kind}s</h1>
    <form class="filters" onSubmit=${onFilter} role="search" aria-label=${`Filter ${kind.kind}s`}>
      <div class="field">
        <label for="filter-ns">Namespace</label>
        <select id="filter-ns" name="ns" value=${namespace} onChange=${(e: Event) => (e.currentTarget as HTMLSelectElement).form?.requestSubmit()}>
          <option value="">All namespaces</option>
          ${namespaces.map((ns) => html`<option value=${ns}>${ns}</option>`)}
        </select>
      </div>
      <div class="field grow">
        <label for="filter-selector">Label selector</label>
        <input id="filter-selector" name="selector" type="text" defaultValue=${selector} placeholder="app=web,tier!=db" spellcheck=${false} autocomplete="off" />
      </div>
      <button type="submit">Filter</button>
    </form>
    ${error ? html`<${Notice} kind="error">${error}</${Notice}>` : null}
    <p class="muted" aria-live="polite">${rows.length} ${rows.length === 1 ? kind.kind : `${kind.kind}s`}</p>
    <${ScrollTable} label=${`${kind.kind}s`}>
      <table class="list" data-kind=${kind.kind}>
        <thead><tr>
          ${namespace ? null : html`<th scope="col">Namespace</th>`}
          ${columns.map((c) => html`<th scope="col" title=${c.description}>${c.name}</th>`)}
        </tr></thead>
        <tbody>${rows.map(
          (row) => html`<tr data-row=${rowKey(row)}>
            ${namespace ? null : html`<td>${row.object.metadata.namespace}</td>`}
            ${columns.map((c, i) => cell(kind, row, c, i, now))}
          </tr>`,
        )}</tbody>
      </table>
    </${ScrollTable}>`;
}

function rowKey(row: Row): string {
  return `${row.object.metadata.namespace}/${row.object.metadata.name}`;
}

function cell(kind: KindInfo, row: Row, column: Table["columnDefinitions"][number], index: number, now: number) {
  const value = row.cells[index];
  const { namespace, name, creationTimestamp } = row.object.metadata;
  if (column.format === "name") return html`<th scope="row"><a href=${detailHref(kind.plural, namespace, name)}>${name}</a></th>`;
  // The API prints ages when it answers; recomputed here so they stay true while the page stays open.
  if (column.name === "Age" && creationTimestamp) return html`<td><time datetime=${creationTimestamp}>${age(creationTimestamp, now)}</time></td>`;
  const text = value === undefined || value === null ? "" : String(value);
  if (column.name === "Ready" || column.name === "Progressing" || column.name === "Certificate") return html`<td><span class=${`cond cond-${text.toLowerCase()}`}>${text}</span></td>`;
  if (column.name === "URL" && /^https?:\/\//.test(text)) return html`<td><a href=${text} rel="noreferrer noopener" target="_blank">${text}</a></td>`;
  return html`<td>${text}</td>`;
}
