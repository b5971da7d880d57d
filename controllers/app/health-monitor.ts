import type { Logger } from "../../lib/logger.ts";
import type { DockerClient } from "../docker/index.ts";
import { probe, type ProbeSpec, type ProbeTarget } from "./health.ts";

/** HealthState is what the monitor knows about one replica's health. */
export interface HealthState {
  /** healthy: `successThreshold` probes passed and fewer than `failureThreshold` have failed since. */
  healthy: boolean;
  /** everHealthy tells a replica that is still starting from one that went bad. */
  everHealthy: boolean;
  /** failures counts consecutive failed probes. */
  failures: number;
  /** message is the last failure's explanation. */
  message?: string;
}

interface Tracked {
  owner: string;
  identity: string;
  spec: ProbeSpec;
  target: ProbeTarget;
  state: HealthState;
  successes: number;
  timer: NodeJS.Timeout | undefined;
  abort: AbortController;
}

/** HealthMonitorOptions: `onChange(owner)` is called when a replica of `owner` turns healthy or unhealthy. */
export interface HealthMonitorOptions {
  onChange: (owner: string) => void;
  logger: Logger;
  /** firstRetryMs is the delay after the first failed probe of a starting replica; it doubles up to the interval (default 20 ms). */
  firstRetryMs?: number;
}

/**
 * HealthMonitor probes replicas in the background, like a kubelet: the reconciler asks it to track a container
 * and reads its state; the monitor reports flips through `onChange`, which enqueues the App. A starting replica
 * is probed at once, then with a doubling delay (20 ms, 40 ms, … up to the interval), so readiness is seen
 * within milliseconds of the app listening, without a fixed wait; a healthy one is probed every interval.
 */
export class HealthMonitor {
  private readonly docker: DockerClient;
  private readonly options: HealthMonitorOptions;
  private readonly tracked = new Map<string, Tracked>();

  constructor(docker: DockerClient, options: HealthMonitorOptions) {
    this.docker = docker;
    this.options = options;
  }

  /** track starts probing a container (idempotent); a changed spec or address restarts its probing from scratch. */
  track(owner: string, spec: ProbeSpec, target: ProbeTarget): void {
    const identity = JSON.stringify([spec, target.host]);
    const existing = this.tracked.get(target.containerId);
    if (existing?.identity === identity) return;
    if (existing) this.forget(target.containerId);
    const entry: Tracked = { owner, identity, spec, target, state: { healthy: false, everHealthy: false, failures: 0 }, successes: 0, timer: undefined, abort: new AbortController() };
    this.tracked.set(target.containerId, entry);
    this.schedule(entry, spec.initialDelayMs);
  }

  /** state returns a tracked container's health, or undefined when it is not tracked. */
  state(containerId: string): HealthState | undefined {
    return this.tracked.get(containerId)?.state;
  }

  /** forget stops probing a container. */
  forget(containerId: string): void {
    const entry = this.tracked.get(containerId);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.abort.abort();
    this.tracked.delete(containerId);
  }

  /** retain forgets every container of `owner` not in `keep` (removed, or no longer running). */
  retain(owner: string, keep: ReadonlySet<string>): void {
    for (const [id, entry] of [...this.tracked]) if (entry.owner === owner && !keep.has(id)) this.forget(id);
  }

  /** size is how many containers are being probed. */
  get size(): number {
    return this.tracked.size;
  }

  /** stop ends every probe. */
  stop(): void {
    for (const id of [...this.tracked.keys()]) this.forget(id);
  }

  private schedule(entry: Tracked, delayMs: number): void {
    entry.timer = setTimeout(() => void this.run(entry), delayMs);
    entry.timer.unref?.();
  }

  private async run(entry: Tracked): Promise<void> {
    const result = await probe(this.docker, entry.spec, entry.target, entry.abort.signal);
    if (this.tracked.get(entry.target.containerId) !== entry) return;
    const state = entry.state;
    const before = state.healthy;
    let notify = false;
    if (result.ok) {
      entry.successes++;
      state.failures = 0;
      delete state.message;
      if (!state.healthy && entry.successes >= entry.spec.successThreshold) {
        state.healthy = true;
        state.everHealthy = true;
      }
    } else {
      entry.successes = 0;
      state.failures++;
      state.message = result.message;
      if (state.healthy && state.failures >= entry.spec.failureThreshold) state.healthy = false;
      // A starting replica that keeps failing is reported once, so the App's status can say why it waits.
      if (!state.everHealthy && state.failures === entry.spec.failureThreshold) notify = true;
    }
    if (before !== state.healthy || notify) {
      if (before !== state.healthy) this.options.logger.debug(`replica ${entry.target.containerId.slice(0, 12)} of ${entry.owner} is ${state.healthy ? "healthy" : `unhealthy: ${state.message}`}`);
      this.options.onChange(entry.owner);
    }
    const starting = !state.everHealthy;
    const delay = starting ? Math.min((this.options.firstRetryMs ?? 20) * 2 ** Math.max(0, state.failures - 1), entry.spec.intervalMs) : entry.spec.intervalMs;
    this.schedule(entry, delay);
  }
}
