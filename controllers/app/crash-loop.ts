import { LABELS, isStaleTask, removeContainer, startContainer, tailLogs, type ObservedContainer } from "../docker/index.ts";
import type { AppDeps } from "./deps.ts";
import type { Pass } from "./pass.ts";

/** LOG_LINES is how many of a crashed replica's last log lines its CrashLooping message quotes. */
export const LOG_LINES = 5;

/**
 * ensureRestarts starts again every replica that is not running (exited, killed, stopped by hand, or created
 * but never started), paced by the restart tracker: the first restart is immediate, later ones back off. A
 * replica that exits again after a restart makes the App `CrashLooping`, with its exit code and last log lines.
 * A replica Docker can no longer start (a stale task left by a dockerd restart) is removed, to be made anew.
 */
export async function ensureRestarts(deps: AppDeps, pass: Pass): Promise<void> {
  const now = pass.nowMs();
  for (const c of pass.containers) {
    if (c.state === "running" || c.state === "removing" || c.state === "restarting" || deps.draining.has(c.id)) continue;
    if (c.state === "paused") continue;
    const ranMs = c.exit ? Math.max(0, Date.parse(c.exit.finishedAt) - Date.parse(c.exit.startedAt)) : 0;
    const neverStarted = c.state === "created" || !c.exit || c.exit.startedAt.startsWith("0001-");
    const decision = neverStarted ? { now: true as const, restarts: 0 } : deps.restarts.decide(c.id, ranMs, now);
    if (decision.restarts >= 1) await reportCrash(deps, pass, c, decision.restarts, decision.now ? 0 : decision.waitMs);
    if (!decision.now) {
      pass.requeue(decision.waitMs);
      continue;
    }
    try {
      await startContainer(deps.docker, c.id, pass.signal);
    } catch (err) {
      if (!isStaleTask(err)) throw err;
      // Docker kept a task of this container from before it restarted, and will refuse every start: a fresh
      // container (new ID) of the same replica is made by the next pass.
      await removeContainer(deps.docker, c.id, 0, pass.signal);
      deps.health.forget(c.id);
      deps.restarts.forget(c.id);
      pass.containers = pass.containers.filter((x) => x.id !== c.id);
      pass.event("Warning", "ReplicaReplaced", `replaced ${c.name}: Docker could not start it again (${(err as Error).message.slice(0, 200)})`);
      pass.requeue(0);
      continue;
    }
    if (!neverStarted) {
      deps.restarts.restarted(pass.key, c.id, decision.restarts, now);
      pass.event("Warning", "ReplicaRestarted", `restarted ${c.name}: it exited with code ${c.exit?.code ?? "?"}${c.exit?.oomKilled ? " (out of memory)" : ""}`);
    }
  }
}

async function reportCrash(deps: AppDeps, pass: Pass, c: ObservedContainer, restarts: number, waitMs: number): Promise<void> {
  if (pass.crash) return;
  const lines = await tailLogs(deps.docker, c.id, LOG_LINES, pass.signal);
  const cause = c.exit?.oomKilled ? "was killed for using too much memory" : `exited with code ${c.exit?.code ?? "?"}`;
  const next = waitMs > 0 ? `; next restart in ${Math.ceil(waitMs / 1000)}s` : "";
  const logs = lines.length > 0 ? `; last log lines: ${lines.join(" | ").slice(0, 1000)}` : "";
  pass.crash = { reason: "CrashLooping", message: `replica ${c.labels[LABELS.replica] ?? "?"} (${c.name}) ${cause} after ${restarts} restart(s)${next}${logs}` };
}
