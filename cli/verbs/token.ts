import { ageOf } from "../../lib/human-duration.ts";
import { API_PREFIX } from "../kind-names.ts";
import { formatTable } from "../output/table.ts";
import type { CliSession } from "../session.ts";

/** TokenInfo is what the API shows about a token (never its value, except once at creation). */
interface TokenInfo {
  name: string;
  bindings?: { namespace: string; role: string }[];
  createdAt?: string;
  token?: string;
}

const TOKENS = `${API_PREFIX}/tokens`;

/** runTokenCreate is `berth token create NAME --role viewer|deployer|admin [-n NS]`; it prints the token once. */
export async function runTokenCreate(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const namespace = (options.namespace as string | undefined) ?? (await session.namespace(undefined));
  const client = await session.client();
  const created = await client.request<TokenInfo>({ method: "POST", path: TOKENS, body: { name: args[0], bindings: [{ namespace, role: options.role }] } });
  session.io.err(`token "${created.name}" created (${options.role as string} in ${namespace === "*" ? "all namespaces" : `namespace ${namespace}`}); it is shown only once:\n`);
  session.io.out(`${created.token ?? ""}\n`);
  return 0;
}

/** runTokenList is `berth token list`: names, roles and ages. */
export async function runTokenList(session: CliSession): Promise<number> {
  const client = await session.client();
  const list = await client.request<{ items?: TokenInfo[] }>({ path: TOKENS });
  const items = list.items ?? [];
  if (items.length === 0) {
    session.io.err("No tokens found\n");
    return 0;
  }
  const now = Date.now();
  const rows = items.map((t) => [t.name, (t.bindings ?? []).map((b) => `${b.role}@${b.namespace}`).join(","), ageOf(t.createdAt, now)]);
  session.io.out(formatTable({ headers: ["NAME", "ROLES", "AGE"], rows }));
  return 0;
}

/** runTokenRevoke is `berth token revoke NAME`. */
export async function runTokenRevoke(session: CliSession, args: string[]): Promise<number> {
  const client = await session.client();
  await client.request({ method: "DELETE", path: `${TOKENS}/${encodeURIComponent(args[0]!)}` });
  session.io.out(`token "${args[0]}" revoked\n`);
  return 0;
}
