/**
 * app is the App controller: Apps become Docker containers behind health checks, with rolling updates,
 * revisions, crash-loop backoff, drift repair and cleanup.
 */
export { AppController, createAppController, APP_FINALIZER, DEFAULT_INSTANCE, type AppControllerOptions } from "./app-controller.ts";
export { StoreDatabaseResolver, connectionUrl, type DatabaseResolver, type DatabaseFact, type DatabaseKey } from "./database-resolver.ts";
export {
  buildDesiredContainer, buildDesiredVolumes, containerName, volumeName, specHash, templateOf, parseCpu, parseMemory, resolveIntOrPercent,
  type EnvVar, type DesiredReplicaInput, type DesiredVolume,
} from "./desired.ts";
export { resolveEnv, referencedSecrets, referencedDatabases, type EnvResolution } from "./env.ts";
export { probe, probeSpecOf, probeHttp, probeTcp, probeExec, type ProbeSpec, type ProbeResult, type ProbeTarget } from "./health.ts";
export { HealthMonitor, type HealthState, type HealthMonitorOptions } from "./health-monitor.ts";
export { planRollout, type Plan, type PlanInput, type ReplicaView } from "./rollout-plan.ts";
export { recordRevision, revisionFor } from "./revisions.ts";
export { historyOf, type HistoryEntry, type RevisionTemplate } from "../../resources/app-history.ts";
export { RestartTracker, type RestartBackoffOptions, type RestartDecision } from "./restarts.ts";
export { summarize, type StatusFacts, type Summary } from "./app-status.ts";
