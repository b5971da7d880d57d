import type { Observed } from "../wait-for.ts";
import { BerthError } from "../../lib/errors.ts";

/** RolloutProgress is where an App's rollout stands, as `berth rollout status` reports it. */
export type RolloutProgress =
  | { state: "waiting"; message: string }
  | { state: "done"; message: string }
  | { state: "failed"; reason: string; message: string };

/** RolloutFailedError is a rollout that will not finish without a change: Degraded, past its deadline, or paused. */
export class RolloutFailedError extends BerthError {
  override name = "RolloutFailedError";
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

interface AppView {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number; paused?: boolean };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number; revision?: number; conditions?: Condition[] };
}

/**
 * rolloutProgress reads an App's status the way `kubectl rollout status` reads a Deployment's: first the
 * controller must have seen the latest spec (observedGeneration), then every replica must be of the new
 * revision, old ones gone, and the new ones available; done is Ready=True with the rollout complete. Degraded
 * (a crash loop, an image that cannot be pulled, ProgressDeadlineExceeded) and a paused App are failures.
 */
export function rolloutProgress(object: Observed): RolloutProgress {
  const app = object as AppView;
  const name = app.metadata?.name ?? "";
  const generation = app.metadata?.generation;
  const status = app.status ?? {};
  if (generation !== undefined && (status.observedGeneration === undefined || status.observedGeneration < generation))
    return { state: "waiting", message: `Waiting for app "${name}" spec update to be observed...` };
  const current = (type: string) => {
    const c = status.conditions?.find((x) => x.type === type);
    return c && (generation === undefined || c.observedGeneration === undefined || c.observedGeneration >= generation) ? c : undefined;
  };
  if (app.spec?.paused) return { state: "failed", reason: "DeploymentPaused", message: `app "${name}" is paused: its spec changes are not rolled out until spec.paused is false` };
  const degraded = current("Degraded");
  if (degraded?.status === "True") return { state: "failed", reason: degraded.reason ?? "Degraded", message: `app "${name}" rollout failed (${degraded.reason ?? "Degraded"}): ${degraded.message ?? ""}` };
  const progressing = current("Progressing");
  if (progressing?.status === "False") return { state: "failed", reason: progressing.reason ?? "ProgressDeadlineExceeded", message: `app "${name}" rollout failed (${progressing.reason}): ${progressing.message ?? ""}` };
  const wanted = app.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const live = status.replicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  if (updated < wanted) return { state: "waiting", message: `Waiting for rollout to finish: ${updated} out of ${wanted} new replicas have been updated...` };
  if (live > updated) return { state: "waiting", message: `Waiting for rollout to finish: ${live - updated} old replicas are pending termination...` };
  if (ready < updated) return { state: "waiting", message: `Waiting for rollout to finish: ${ready} of ${updated} updated replicas are available...` };
  if (current("Ready")?.status === "True" && progressing?.reason === "RolloutComplete") return { state: "done", message: `app "${name}" successfully rolled out` };
  return { state: "waiting", message: `Waiting for rollout to finish: ${progressing?.message ?? "the App is not Ready yet"}...` };
}
