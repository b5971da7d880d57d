import { berthVersion } from "../../lib/berth-version.ts";
import type { CliSession } from "../session.ts";

/** runVersion is `berth version [--client]`: the CLI's version, then the server's. */
export async function runVersion(session: CliSession, _args: string[], options: Record<string, unknown>): Promise<number> {
  session.io.out(`Client Version: v${berthVersion()}\n`);
  if (options.client) return 0;
  const client = await session.client();
  const server = await client.request<{ gitVersion?: string }>({ path: "/version" });
  session.io.out(`Server Version: ${server.gitVersion ?? "unknown"}\n`);
  return 0;
}
