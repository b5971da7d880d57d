import { UsageError } from "../errors.ts";
import { API_PREFIX } from "../kind-names.ts";
import { formatTable } from "../output/table.ts";
import type { CliSession } from "../session.ts";

/** AuditEntry is one line of the server's audit log (see api/audit/audit-log.ts). */
interface AuditEntry {
  time: string;
  user?: string;
  verb: string;
  group?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  path?: string;
  code: number;
  dryRun?: boolean;
}

/** what names an entry's object as kubectl would: `apps.berth.dev/web`, `apps.berth.dev/web/status`, or the path. */
function what(e: AuditEntry): string {
  if (!e.resource) return e.path ?? "";
  const resource = e.group ? `${e.resource}.${e.group}` : e.resource;
  return [resource, e.name, e.subresource].filter((part) => part).join("/");
}

/**
 * runAudit is `berth audit [--since 1h] [--limit N] [-o json]` (admins of every namespace): the server's
 * audit log of writes and refused requests, oldest first.
 */
export async function runAudit(session: CliSession, _args: string[], options: Record<string, unknown>): Promise<number> {
  const since = options.since as string | undefined;
  if (since !== undefined && !/^\d+(s|m|h|d)$/.test(since) && Number.isNaN(Date.parse(since)))
    throw new UsageError(`invalid --since value "${since}": use a duration such as 30m, 1h or 7d, or a time such as 2026-01-02T15:04:05Z`);
  const limit = options.limit as string | undefined;
  if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) throw new UsageError(`invalid --limit value "${limit}": use a positive number`);
  const client = await session.client();
  const list = await client.request<{ items?: AuditEntry[] }>({ path: `${API_PREFIX}/audit`, query: { since, limit } });
  const items = list.items ?? [];
  if (options.output === "json") {
    session.io.out(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (items.length === 0) {
    session.io.err("No audit entries found\n");
    return 0;
  }
  const rows = items.map((e) => [e.time, e.user ?? "<none>", e.verb + (e.dryRun ? " (dry run)" : ""), String(e.code), e.namespace ?? "", what(e)]);
  session.io.out(formatTable({ headers: ["TIME", "USER", "VERB", "CODE", "NAMESPACE", "RESOURCE"], rows }));
  return 0;
}
