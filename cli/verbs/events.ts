import { ageOf } from "../../lib/human-duration.ts";
import { API_PREFIX, parseRefs } from "../kind-names.ts";
import { TablePrinter } from "../output/table.ts";
import type { CliSession } from "../session.ts";

/** KubeEventLike is the part of a core/v1 Event that `berth events` prints. */
export interface KubeEventLike {
  metadata?: { namespace?: string };
  involvedObject?: { kind?: string; name?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
}

/** eventRow is one printed line: LAST SEEN, TYPE, REASON, OBJECT (`app/web`), MESSAGE; NAMESPACE first with -A. */
export function eventRow(event: KubeEventLike, withNamespace: boolean, now: number): string[] {
  const object = `${(event.involvedObject?.kind ?? "").toLowerCase()}/${event.involvedObject?.name ?? ""}`;
  const row = [ageOf(event.lastTimestamp, now), event.type ?? "", event.reason ?? "", object, (event.message ?? "").replace(/\n/g, " ")];
  return withNamespace ? [event.metadata?.namespace ?? "", ...row] : row;
}

/** eventHeaders are kubectl's `get events` headers. */
export function eventHeaders(withNamespace: boolean): string[] {
  const headers = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
  return withNamespace ? ["NAMESPACE", ...headers] : headers;
}

/** runEvents is `berth events [-w] [-n NS|-A] [--for KIND/NAME]`, oldest first. */
export async function runEvents(session: CliSession, _args: string[], options: Record<string, unknown>): Promise<number> {
  const all = options.allNamespaces === true;
  const namespace = all ? undefined : await session.namespace(options.namespace as string | undefined);
  const path = namespace === undefined ? `${API_PREFIX}/events` : `${API_PREFIX}/namespaces/${encodeURIComponent(namespace)}/events`;
  let fieldSelector: string | undefined;
  if (typeof options.for === "string") {
    const ref = parseRefs([options.for]).refs[0]!;
    fieldSelector = `involvedObject.kind=${ref.kind.kind},involvedObject.name=${ref.name}`;
  }
  const query = fieldSelector ? { fieldSelector } : {};
  const client = await session.client();
  const printer = new TablePrinter();
  if (options.watch) {
    // A watch from revision "0" first replays the recorded events, then streams new ones, with no gap between.
    let headerPrinted = false;
    await client.watch<KubeEventLike>({ path, query: { ...query, resourceVersion: "0" } }, (event) => {
      if (event.type === "BOOKMARK" || event.type === "DELETED") return;
      const row = eventRow(event.object, all, Date.now());
      session.io.out(printer.format(headerPrinted ? [row] : [eventHeaders(all), row]));
      headerPrinted = true;
    });
    return 0;
  }
  const list = await client.request<{ items?: KubeEventLike[] }>({ path, query });
  const items = [...(list.items ?? [])].sort((a, b) => Date.parse(a.lastTimestamp ?? "") - Date.parse(b.lastTimestamp ?? ""));
  if (items.length === 0) {
    session.io.err(namespace === undefined ? "No events found\n" : `No events found in ${namespace} namespace.\n`);
    return 0;
  }
  const now = Date.now();
  session.io.out(printer.format([eventHeaders(all), ...items.map((e) => eventRow(e, all, now))]));
  return 0;
}
