/** Condition is a metav1.Condition. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** OwnerReference points at an object's owner. */
export interface OwnerReference {
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** BerthObject is any object of the berth.dev API as the UI reads it. */
export interface BerthObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[]; observedGeneration?: number; [field: string]: unknown };
  [field: string]: unknown;
}

/** keyOf is an object's identity inside its kind. */
export function keyOf(obj: { metadata: { namespace: string; name: string } }): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/** conditionOf finds a condition by type. */
export function conditionOf(obj: BerthObject, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** Health is the one-word state the UI colours: the Ready condition, with rollouts told apart. */
export type Health = "Ready" | "Progressing" | "Failing" | "Unknown";

const IN_PROGRESS_PHASES = new Set(["Pending", "Running", "Building", "Cloning", "Pushing"]);
/** IN_PROGRESS_REASONS are Ready=False reasons that mean "working on it" rather than "broken". */
const IN_PROGRESS_REASONS = new Set(["RollingOut", "Issuing", "Provisioning", "Pending", "Progressing", "Reconciling", "Starting", "Creating", "Building"]);
const FAILED_PHASES = new Set(["Failed", "Error"]);
const DONE_PHASES = new Set(["Succeeded", "Complete", "Completed"]);

/**
 * healthOf reads an object's state: Ready=True is Ready; Degraded=True is Failing; a Progressing condition that is True and not complete
 * (or a Ready=False whose reason says work is under way, such as a rollout or a certificate order, or an in-progress `status.phase`) is Progressing;
 * Ready=False is Failing; anything else (no controller yet) is Unknown. A Secret has no controller: it is Ready.
 */
export function healthOf(obj: BerthObject): Health {
  if (obj.kind === "Secret") return "Ready";
  const ready = conditionOf(obj, "Ready");
  if (ready?.status === "True") return "Ready";
  // A rollout that cannot go on (a missing Database, a crash loop) says so in Degraded, though it is still "rolling out".
  if (conditionOf(obj, "Degraded")?.status === "True") return "Failing";
  const progressing = conditionOf(obj, "Progressing");
  if (progressing?.status === "True" && progressing.reason !== "RolloutComplete") return "Progressing";
  const phase = typeof obj.status?.phase === "string" ? obj.status.phase : undefined;
  if (phase && IN_PROGRESS_PHASES.has(phase)) return "Progressing";
  if (phase && FAILED_PHASES.has(phase)) return "Failing";
  if (phase && DONE_PHASES.has(phase) && !ready) return "Ready";
  if (ready?.status === "False") return IN_PROGRESS_REASONS.has(ready.reason) ? "Progressing" : "Failing";
  return "Unknown";
}

/** reasonOf is the short why of an object's state: the Ready condition's reason and message. */
export function reasonOf(obj: BerthObject): { reason: string; message: string } {
  const ready = conditionOf(obj, "Ready");
  return { reason: ready?.reason ?? "", message: ready?.message ?? "" };
}
