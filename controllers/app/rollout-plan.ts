import type { AppSpec } from "../../resources/index.ts";
import { resolveIntOrPercent } from "./desired.ts";

/** ReplicaView is one existing container of an App, as the rollout planner sees it. */
export interface ReplicaView {
  id: string;
  revision: number;
  index: number;
  /** current: made from the revision being rolled out (same spec hash). */
  current: boolean;
  running: boolean;
  /** ready: running and healthy, and not draining. */
  ready: boolean;
  /** drainingForMs is set once the replica left the endpoints on its way out. */
  drainingForMs?: number;
}

/** PlanInput is the rollout's situation: the desired count, the strategy, what exists, and whether new replicas can be made. */
export interface PlanInput {
  replicas: number;
  strategy: AppSpec["strategy"];
  existing: readonly ReplicaView[];
  /** canCreate is false while the new revision cannot start (image missing, env unresolved). */
  canCreate: boolean;
}

/** Plan is one step of convergence: which replica slots to create, which replicas to start draining, which to remove now. */
export interface Plan {
  create: number[];
  drain: string[];
  remove: string[];
}

/**
 * planRollout computes the next step towards `replicas` replicas of the current revision, with Kubernetes'
 * rolling-update arithmetic: at most `replicas + maxSurge` replicas exist (draining ones excepted), and old
 * replicas are scaled down only while at least `replicas - maxUnavailable` stay ready. Unready old replicas
 * go first; ready ones are drained first when `drainSeconds` > 0. Recreate removes every old replica before
 * creating new ones. It is pure: the reconciler applies the plan and asks again on the next pass.
 */
export function planRollout(input: PlanInput): Plan {
  const plan: Plan = { create: [], drain: [], remove: [] };
  const R = input.replicas;
  const drainMs = input.strategy.drainSeconds * 1000;
  const retire = (r: ReplicaView) => (r.ready && drainMs > 0 ? plan.drain : plan.remove).push(r.id);

  for (const r of input.existing) if (r.drainingForMs !== undefined && r.drainingForMs >= drainMs) plan.remove.push(r.id);
  const active = input.existing.filter((r) => r.drainingForMs === undefined);
  const { kept, excess } = keepOnePerSlot(active.filter((r) => r.current), R);
  for (const r of excess) retire(r);
  const old = active.filter((r) => !r.current);
  const missing = range(R).filter((i) => !kept.has(i));

  if (input.strategy.type === "Recreate") {
    for (const r of old) plan.remove.push(r.id);
    if (old.length === 0 && input.canCreate) plan.create.push(...missing);
    return plan;
  }

  let surge = resolveIntOrPercent(input.strategy.maxSurge, R, true);
  const maxUnavailable = Math.min(R, resolveIntOrPercent(input.strategy.maxUnavailable, R, false));
  if (surge === 0 && maxUnavailable === 0) surge = 1;
  const existingCount = kept.size + old.length;
  if (input.canCreate) plan.create.push(...missing.slice(0, Math.max(0, R + surge - existingCount)));

  const minAvailable = R - maxUnavailable;
  const allCount = existingCount + plan.create.length;
  const newUnavailable = [...kept.values()].filter((r) => !r.ready).length + plan.create.length;
  const available = [...kept.values(), ...old].filter((r) => r.ready).length;
  const maxScaledDown = allCount - minAvailable - newUnavailable;
  const unhealthyOld = old.filter((r) => !r.ready).sort(byAge);
  const cleaned = unhealthyOld.slice(0, Math.max(0, maxScaledDown));
  plan.remove.push(...cleaned.map((r) => r.id));
  const readyOld = old.filter((r) => r.ready).sort(byAge);
  const scaleDown = Math.max(0, Math.min(readyOld.length, available - minAvailable, maxScaledDown - cleaned.length));
  for (const r of readyOld.slice(0, scaleDown)) retire(r);
  return plan;
}

/** keepOnePerSlot keeps the best current replica of each slot below R (ready, then running); the rest are excess. */
function keepOnePerSlot(current: readonly ReplicaView[], R: number): { kept: Map<number, ReplicaView>; excess: ReplicaView[] } {
  const rank = (r: ReplicaView) => (r.ready ? 2 : r.running ? 1 : 0);
  const sorted = [...current].sort((a, b) => rank(b) - rank(a) || a.id.localeCompare(b.id));
  const kept = new Map<number, ReplicaView>();
  const excess: ReplicaView[] = [];
  for (const r of sorted) {
    if (r.index < R && !kept.has(r.index)) kept.set(r.index, r);
    else excess.push(r);
  }
  excess.sort((a, b) => b.index - a.index);
  return { kept, excess };
}

/** byAge orders old replicas oldest revision first, then highest slot first. */
function byAge(a: ReplicaView, b: ReplicaView): number {
  return a.revision - b.revision || b.index - a.index;
}

function range(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}
