import type { AppSpec } from "../../resources/index.ts";
import { rfc3339 } from "../../store/index.ts";
import { setCondition, type ConditionInput, type Status } from "../runtime/index.ts";
import type { HealthState } from "./health-monitor.ts";
import type { HistoryEntry } from "../../resources/app-history.ts";

/** ReplicaFacts is one replica as the status reports it. */
export interface ReplicaFacts {
  name: string;
  revision: number;
  index: number;
  current: boolean;
  ready: boolean;
  draining: boolean;
  ip?: string;
  health?: HealthState;
}

/** Problem is a reason the App cannot converge, with a message for the conditions. */
export interface Problem {
  reason: string;
  message: string;
}

/** StatusFacts is everything one reconcile learned, from which the status is computed. */
export interface StatusFacts {
  spec: AppSpec;
  generation: number | undefined;
  now: Date;
  replicas: readonly ReplicaFacts[];
  /** target is the revision being rolled out (absent before the first one could be made). */
  target?: { revision: number; image: string; imageId?: string };
  history: readonly HistoryEntry[];
  /** blocked: the target cannot start replicas (env unresolved, image missing). */
  blocked?: Problem;
  /** crash: a replica keeps exiting. */
  crash?: Problem;
}

/** Summary is the computed status: fields, the three conditions, and whether the rollout just completed. */
export interface Summary {
  fields: Record<string, unknown>;
  conditions: ConditionInput[];
  completedNow: boolean;
  history: HistoryEntry[];
}

/**
 * summarize computes an App's status from what a reconcile observed. A revision is complete once all its
 * replicas were ready with no old replica left; until then the progress deadline runs from when it became
 * the target. Degraded names the most telling problem: an unstartable revision, a crash loop, an exceeded
 * deadline, then a replica that turned unhealthy.
 */
export function summarize(f: StatusFacts): Summary {
  const R = f.spec.replicas;
  const live = f.replicas.filter((r) => !r.draining);
  const updated = live.filter((r) => r.current);
  const readyUpdated = updated.filter((r) => r.ready).length;
  const oldLeft = f.replicas.filter((r) => !r.current).length;
  const entry = f.target ? f.history.find((h) => h.revision === f.target!.revision) : undefined;
  const allReady = updated.length === R && readyUpdated === R && oldLeft === 0;
  const completedNow = !!entry && !entry.completedAt && allReady;
  const history = f.history.map((h) => (completedNow && h === entry ? { ...h, completedAt: rfc3339(f.now) } : h));
  const completed = !!entry && (completedNow || !!entry.completedAt);
  const deadlineMs = f.spec.strategy.progressDeadlineSeconds * 1000;
  const exceeded = !!entry && !completed && !f.spec.paused && f.now.getTime() - Date.parse(entry.deployedAt) > deadlineMs;
  const waiting = live.find((r) => r.current && !r.ready && r.health?.message)?.health?.message;
  const unhealthy = live.find((r) => r.health?.everHealthy && !r.health.healthy);
  const rev = f.target ? `revision ${f.target.revision}` : "the first revision";

  const progressing: ConditionInput = f.spec.paused
    ? { type: "Progressing", status: "Unknown", reason: "DeploymentPaused", message: "the App is paused: spec changes are not rolled out" }
    : completed
      ? { type: "Progressing", status: "True", reason: "RolloutComplete", message: `${rev} is rolled out` }
      : exceeded
        ? { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: `${rev} did not become ready within ${f.spec.strategy.progressDeadlineSeconds}s${because(f.blocked?.message ?? f.crash?.message ?? waiting)}` }
        : { type: "Progressing", status: "True", reason: "RollingOut", message: `${rev}: ${readyUpdated}/${R} updated replicas ready${because(f.blocked?.message ?? waiting)}` };
  const problem: Problem | undefined =
    f.blocked ?? f.crash ?? (exceeded ? { reason: "ProgressDeadlineExceeded", message: progressing.message! } : undefined) ??
    (unhealthy ? { reason: "HealthCheckFailed", message: `replica ${unhealthy.name} is unhealthy: ${unhealthy.health?.message ?? "probe failing"}` } : undefined);
  const degraded: ConditionInput = problem ? { type: "Degraded", status: "True", ...problem } : { type: "Degraded", status: "False", reason: "AsExpected", message: "" };
  const readyCount = live.filter((r) => r.ready).length;
  const isReady = completed && allReady && !problem;
  const ready: ConditionInput = isReady
    ? { type: "Ready", status: "True", reason: "Available", message: `${readyCount}/${R} replicas of ${rev} ready` }
    : { type: "Ready", status: "False", reason: problem?.reason ?? (f.spec.paused ? "DeploymentPaused" : completed ? "ReplicasNotReady" : "RollingOut"), message: `${readyCount}/${R} replicas ready; ${problem?.message ?? progressing.message}` };

  const port = f.spec.port;
  const endpoints = port ? live.filter((r) => r.ready && r.ip).sort((a, b) => a.name.localeCompare(b.name)).map((r) => ({ replica: r.name, host: r.ip!, port })) : [];
  const fields: Record<string, unknown> = {
    replicas: live.length,
    readyReplicas: readyCount,
    updatedReplicas: updated.length,
    revision: f.target?.revision,
    image: f.target?.image,
    imageID: f.target?.imageId,
    endpoints,
    history,
  };
  return { fields, conditions: [ready, progressing, degraded], completedNow, history };
}

/** applySummary writes a summary into a status: fields, then conditions (times kept when a status does not flip). */
export function applySummary(status: Status, summary: Summary, generation: number | undefined, now: Date): Status {
  let next: Status = { ...status, observedGeneration: generation };
  for (const [key, value] of Object.entries(summary.fields)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  for (const condition of summary.conditions) next = setCondition(next, condition, generation, now);
  return next;
}

function because(message: string | undefined): string {
  return message ? `: ${message}` : "";
}
