import type { ResourceStore } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Controller, SharedInformers } from "../runtime/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { DockerClient } from "../docker/index.ts";
import { parseMemory } from "../app/desired.ts";
import { BuildController } from "./build-controller.ts";
import type { DetectDockerfile } from "./context.ts";
import { BuildSourceController, durationMs } from "./source-controller.ts";

/** BuildSettings are the daemon's build flags (`--build-parallelism`, `--build-memory`, `--build-cpus`, `--build-timeout`). */
export interface BuildSettings {
  parallelism: number;
  memory: string;
  cpus: number;
  timeout: string;
}

/** BuildControllersOptions wire both build controllers. */
export interface BuildControllersOptions {
  store: ResourceStore;
  docker: DockerClient;
  recorder: EventRecorder;
  logger: Logger;
  dataDir: string;
  instance: string;
  settings: BuildSettings;
  informers?: SharedInformers;
  detect?: DetectDockerfile;
}

/** FETCH_TIMEOUT_MS bounds a build's git fetch (within the build's own timeout). */
const FETCH_TIMEOUT_MS = 10 * 60_000;

/** createBuildControllers returns the source controller (App → Builds) and the Build controller, for `Manager.add`. */
export function createBuildControllers(options: BuildControllersOptions): Controller[] {
  const timeoutMs = durationMs(options.settings.timeout);
  const limits = { memoryBytes: parseMemory(options.settings.memory), cpus: options.settings.cpus, timeoutMs, fetchTimeoutMs: Math.min(FETCH_TIMEOUT_MS, timeoutMs) };
  const common = { store: options.store, docker: options.docker, recorder: options.recorder, logger: options.logger, instance: options.instance, ...(options.informers ? { informers: options.informers } : {}) };
  return [
    new BuildSourceController(common),
    new BuildController({ ...common, dataDir: options.dataDir, limits, parallelism: options.settings.parallelism, ...(options.detect ? { detect: options.detect } : {}) }),
  ];
}
