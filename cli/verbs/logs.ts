import { parseDuration } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { lookupKind, resolveKind, resourcePath } from "../kind-names.ts";
import type { CliSession } from "../session.ts";
import { appTarget } from "./app-target.ts";
import { streamText } from "./text-stream.ts";
import { latestBuildOf } from "./builds.ts";

/** LogFlags are `berth logs` flags as commander hands them over. */
export interface LogFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  replica?: string;
  timestamps?: boolean;
  previous?: boolean;
  /** build reads the App's newest Build's log instead of its replicas'. */
  build?: boolean;
  namespace?: string;
}

/** logQuery turns the flags into the log endpoint's query (`--since 5m` → `sinceSeconds=300`). */
export function logQuery(flags: LogFlags): Record<string, string | undefined> {
  const tail = flags.tail === undefined || flags.tail === "-1" ? undefined : flags.tail;
  if (tail !== undefined && !/^\d+$/.test(tail)) throw new UsageError(`invalid --tail value "${flags.tail}": use a number of lines`);
  const since = flags.since === undefined ? undefined : Math.max(1, Math.ceil(parseDuration(flags.since, "--since") / 1000));
  return {
    follow: flags.follow ? "true" : undefined,
    tailLines: tail,
    sinceSeconds: since === undefined ? undefined : String(since),
    replica: flags.replica,
    timestamps: flags.timestamps ? "true" : undefined,
    previous: flags.previous ? "true" : undefined,
  };
}

/**
 * buildLogTarget names the Build whose log is wanted: `build/NAME` (or `build NAME`), or with `--build` the
 * newest Build of the App named; undefined for an App's own logs.
 */
async function buildLogTarget(session: CliSession, args: readonly string[], flags: LogFlags, namespace: string): Promise<string | undefined> {
  const first = args[0] ?? "";
  const kind = first.includes("/") ? first.slice(0, first.indexOf("/")) : args.length === 2 ? first : "";
  if (kind && lookupKind(kind)?.kind === "Build") {
    const name = first.includes("/") ? first.slice(first.indexOf("/") + 1) : args[1]!;
    if (!name || args.length > (first.includes("/") ? 1 : 2)) throw new UsageError("give one Build: berth logs build/NAME [-f]");
    return name;
  }
  if (!flags.build) return undefined;
  return (await latestBuildOf(await session.client(), namespace, logTarget(args))).metadata.name;
}

/** logTarget reads `app/NAME`, `app NAME` or a bare NAME. */
export function logTarget(args: readonly string[]): string {
  return appTarget(args, "logs", "berth logs app/NAME");
}

/** IDLE_TIMEOUT_MS bounds a log read that is not followed: the server sends it at once. */
const IDLE_TIMEOUT_MS = 30_000;

/**
 * runLogs is `berth logs app/NAME [-f] [--tail N] [--since 5m] [--replica N] [--timestamps] [--previous]`:
 * the replicas' output on stdout as it arrives, each line prefixed `[replica-N] ` unless one replica is picked.
 * Ctrl-C ends a followed log with exit code 0, as it ends `kubectl logs -f`.
 */
export async function runLogs(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const flags = options as LogFlags;
  const namespace = await session.namespace(flags.namespace);
  const build = await buildLogTarget(session, args, flags, namespace);
  const query = build ? { follow: flags.follow ? "true" : undefined } : logQuery(flags);
  const path = build ? `${resourcePath(resolveKind("build"), namespace, build)}/log` : `${resourcePath(resolveKind("app"), namespace, logTarget(args))}/log`;
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once("SIGINT", onInterrupt);
  try {
    await streamText(session, { path, query, signal: stop.signal, headersTimeoutMs: IDLE_TIMEOUT_MS, idleTimeoutMs: flags.follow ? 0 : IDLE_TIMEOUT_MS }, (text) => session.io.out(text));
  } finally {
    process.off("SIGINT", onInterrupt);
  }
  return 0;
}
