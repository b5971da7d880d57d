import {
  DockerError, LABELS, NameConflictError, createContainer, inspectContainer, listContainers, namespaceNetworkName, ownedBy, ownerFilter, removeContainer,
  startContainer, type ObservedContainer,
} from "../docker/index.ts";
import type { AppDeps } from "./deps.ts";
import { buildDesiredContainer } from "./desired.ts";
import { probeSpecOf, type ProbeSpec } from "./health.ts";
import type { Pass } from "./pass.ts";
import type { ReplicaFacts } from "./app-status.ts";
import type { ReplicaView } from "./rollout-plan.ts";

/** observeReplicas lists the App's containers and forgets in-memory state of containers that are gone. */
export async function observeReplicas(deps: AppDeps, pass: Pass): Promise<void> {
  pass.containers = await listContainers(deps.docker, ownerFilter(pass.ref), pass.signal);
  const ids = new Set(pass.containers.map((c) => c.id));
  const running = new Set(pass.containers.filter((c) => c.state === "running").map((c) => c.id));
  deps.health.retain(pass.key, running);
  deps.restarts.retain(pass.key, ids);
  for (const [id, mark] of [...deps.draining]) if (mark.owner === pass.key && !ids.has(id)) deps.draining.delete(id);
}

/** trackHealth makes the health monitor probe every running replica at its address on the namespace network. */
export function trackHealth(deps: AppDeps, pass: Pass): void {
  const network = namespaceNetworkName(pass.ref.namespace);
  for (const c of pass.containers) {
    const ip = addressOf(c, network);
    if (c.state === "running" && ip) deps.health.track(pass.key, probeFor(pass, c), { containerId: c.id, host: ip });
  }
}

/** replicaFacts describes every container for the planner and the status. */
export function replicaFacts(deps: AppDeps, pass: Pass): Array<ReplicaFacts & ReplicaView> {
  const network = namespaceNetworkName(pass.ref.namespace);
  const now = pass.nowMs();
  return pass.containers.map((c) => {
    const health = deps.health.state(c.id);
    const drainStart = deps.draining.get(c.id)?.since;
    const running = c.state === "running";
    const ip = addressOf(c, network);
    return {
      id: c.id,
      name: c.name,
      revision: Number(c.labels[LABELS.revision] ?? 0),
      index: Number(c.labels[LABELS.replica] ?? 0),
      // A running replica off the namespace's network (made by an earlier release, on its network) is replaced.
      current: pass.target !== undefined && c.labels[LABELS.specHash] === pass.target.hash && (!running || c.ips[network] !== undefined),
      running,
      ready: running && !!health?.healthy && drainStart === undefined,
      draining: drainStart !== undefined,
      ...(drainStart !== undefined ? { drainingForMs: now - drainStart } : {}),
      ...(ip ? { ip } : {}),
      ...(health ? { health } : {}),
    };
  });
}

/** createReplica creates and starts replica `index` of the target revision and starts probing it at once. */
export async function createReplica(deps: AppDeps, pass: Pass, index: number): Promise<void> {
  const target = pass.target!;
  const network = namespaceNetworkName(pass.ref.namespace);
  const spec = buildDesiredContainer({
    app: pass.ref, template: target.template, env: target.env ?? [], revision: target.revision, specHash: target.hash, index, network, instance: deps.instance,
    ...(pass.volumeNames ? { volumeNames: pass.volumeNames } : {}),
  });
  let id: string;
  try {
    id = await createContainer(deps.docker, spec, pass.signal);
  } catch (err) {
    if (!(err instanceof DockerError && err.statusCode === 409)) throw err;
    // A leftover of this App with this name (a half-finished pass before a crash) is replaced; anything else
    // holding the name is not ours to remove.
    const holder = await inspectContainer(deps.docker, spec.name, pass.signal);
    if (holder && !ownedBy(holder.Config.Labels, pass.ref)) throw new NameConflictError("container", spec.name, holder.Config.Labels?.[LABELS.owner]);
    await removeContainer(deps.docker, spec.name, 0, pass.signal);
    id = await createContainer(deps.docker, spec, pass.signal);
  }
  await startContainer(deps.docker, id, pass.signal);
  const info = await inspectContainer(deps.docker, id, pass.signal);
  const ip = info?.NetworkSettings.Networks[network]?.IPAddress;
  if (ip) deps.health.track(pass.key, target.probe, { containerId: id, host: ip });
  pass.containers.push({ id, name: spec.name, labels: spec.Labels ?? {}, state: info?.State.Running ? "running" : "created", imageId: info?.Image ?? "", ips: ip ? { [network]: ip } : {} });
  pass.event("Normal", "ReplicaCreated", `created replica ${index} of revision ${target.revision} (${spec.name})`);
}

/** removeReplicas stops and removes containers, in parallel, and forgets them. */
export async function removeReplicas(deps: AppDeps, pass: Pass, ids: readonly string[], why: string): Promise<void> {
  await Promise.all(ids.map(async (id) => {
    const c = pass.containers.find((x) => x.id === id);
    await removeContainer(deps.docker, id, deps.stopGraceSeconds, pass.signal);
    deps.health.forget(id);
    deps.restarts.forget(id);
    deps.draining.delete(id);
    pass.event("Normal", "ReplicaRemoved", `removed ${c?.name ?? id.slice(0, 12)} (${why})`);
  }));
  pass.containers = pass.containers.filter((c) => !ids.includes(c.id));
}

/**
 * ROUTED_WAIT_MS bounds how long a drained replica waits for the proxy to stop routing to it (the Domain
 * controller republishes within milliseconds; a proxy that cannot apply routes must not block a rollout forever).
 */
export const ROUTED_WAIT_MS = 10_000;

/**
 * holdRouted splits replicas the rollout wants gone into those to stop now and those to drain first: a replica the
 * proxy still routes to is taken out of the endpoints (drained, even with `drainSeconds: 0`) and stopped only once
 * its route is gone, or ROUTED_WAIT_MS past its drain at the latest, so that no request is sent to a stopped replica.
 */
export function holdRouted(deps: AppDeps, pass: Pass, ids: readonly string[]): { stop: string[]; drain: string[] } {
  const result = { stop: [] as string[], drain: [] as string[] };
  const now = pass.nowMs();
  for (const id of ids) {
    const c = pass.containers.find((x) => x.id === id);
    const drain = deps.draining.get(id);
    if (!deps.routed || !c || !deps.routed.routes(Object.values(c.ips))) result.stop.push(id);
    else if (!drain) result.drain.push(id);
    else if (now - drain.since >= pass.spec.strategy.drainSeconds * 1000 + ROUTED_WAIT_MS) result.stop.push(id);
    else pass.requeue(50);
  }
  return result;
}

/** startDrain takes ready replicas out of the endpoints; they are removed `drainSeconds` later. */
export function startDrain(deps: AppDeps, pass: Pass, ids: readonly string[]): void {
  for (const id of ids) {
    deps.draining.set(id, { owner: pass.key, since: pass.nowMs() });
    const c = pass.containers.find((x) => x.id === id);
    pass.event("Normal", "ReplicaDraining", `draining ${c?.name ?? id.slice(0, 12)} for ${pass.spec.strategy.drainSeconds}s before stopping it`);
  }
  if (ids.length > 0) pass.requeue(pass.spec.strategy.drainSeconds * 1000);
}

function probeFor(pass: Pass, c: ObservedContainer): ProbeSpec {
  const hash = c.labels[LABELS.specHash];
  if (pass.target && hash === pass.target.hash) return pass.target.probe;
  const entry = pass.history.find((h) => h.specHash === hash);
  return probeSpecOf(entry?.template ?? pass.spec);
}

/**
 * addressOf is where a replica is reached: its address on the namespace network, else (a replica an earlier
 * release started on its own network, kept serving until it is replaced) its address on any network.
 */
function addressOf(c: ObservedContainer, network: string): string | undefined {
  return c.ips[network] || Object.values(c.ips).find((ip) => ip !== "");
}
