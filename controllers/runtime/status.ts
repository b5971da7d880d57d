import { isDeepStrictEqual } from "node:util";
import type { Condition, Resource } from "../../resources/index.ts";
import { keyOf, rfc3339, type ObjectKey, type ResourceStore } from "../../store/index.ts";
import { retryOnConflict } from "./retry-on-conflict.ts";

/** Status is an object's status block: observedGeneration, conditions and kind-specific fields. */
export type Status = NonNullable<Resource["status"]>;

/** ConditionInput is what a controller decides about one condition; the writer fills in the times. */
export interface ConditionInput {
  type: string;
  status: Condition["status"];
  reason: string;
  message?: string;
}

/**
 * setCondition returns `status` with condition `input.type` set (added or replaced in place).
 * `lastTransitionTime` moves to `now` only when the condition's status flips (or it is new); reason and
 * message follow `input`; `observedGeneration` is the generation the decision was made on.
 */
export function setCondition(status: Status | undefined, input: ConditionInput, generation: number | undefined, now: Date): Status {
  const conditions = [...(status?.conditions ?? [])];
  const index = conditions.findIndex((c) => c.type === input.type);
  const existing = index >= 0 ? conditions[index] : undefined;
  const condition: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message ?? "",
    lastTransitionTime: existing && existing.status === input.status ? existing.lastTransitionTime : rfc3339(now),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  if (index >= 0) conditions[index] = condition;
  else conditions.push(condition);
  return { ...status, conditions };
}

/** removeCondition returns `status` without condition `type` (unchanged when it has none). */
export function removeCondition(status: Status | undefined, type: string): Status {
  const current = status ?? {};
  if (!current.conditions?.some((c) => c.type === type)) return current;
  const conditions = current.conditions.filter((c) => c.type !== type);
  const { conditions: _dropped, ...rest } = current;
  return conditions.length > 0 ? { ...rest, conditions } : rest;
}

/** getCondition finds a condition by type. */
export function getCondition(status: Status | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * StatusMutation computes a new status from a mutable copy of the latest one and the latest object; it may
 * change `status` in place (and return nothing) or return a replacement.
 */
export type StatusMutation = (status: Status, latest: Resource) => Status | void;

/**
 * writeStatus reads the latest object, applies `mutate` to a copy of its status, and writes it through
 * `updateStatus` with the resourceVersion it read. When the result deep-equals the stored status it writes
 * nothing (no revision bump, no watch event: this is what keeps reconcile loops from feeding themselves).
 * A ConflictError re-reads and retries, a few times. Throws NotFoundError if the object is gone.
 */
export async function writeStatus(store: ResourceStore, target: Resource | ObjectKey, mutate: StatusMutation, attempts?: number): Promise<Resource> {
  const key = "metadata" in target ? keyOf(target) : target;
  return retryOnConflict(async () => {
    const latest = await store.get(key);
    const draft = structuredClone(latest.status ?? {}) as Status;
    const next = mutate(draft, latest) ?? draft;
    // Compared as JSON, as the store compares: a key set to undefined is an absent key.
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(next)), latest.status ?? {})) return latest;
    return store.updateStatus({ ...latest, status: next });
  }, attempts);
}
