import type { AppSpec } from "./app.ts";

/**
 * An App's rollout history as its status reports it (`status.history`): what the App controller records and
 * what `berth rollout history` and `rollout undo` read. Pure types and one reader, so the CLI can load it
 * without zod or the controller.
 */

/**
 * RevisionTemplate is the part of an App's spec that makes a revision: what runs inside each replica.
 * Replicas, strategy, paused and the history limit are about how revisions are rolled out, not what they are.
 */
export type RevisionTemplate = Pick<AppSpec, "image" | "command" | "args" | "env" | "port" | "resources" | "volumes" | "healthCheck">;

/**
 * HistoryEntry is one revision in `status.history`: its number, image and spec hash, when it was first made
 * and last rolled out, and its template, which `berth rollout undo` re-applies and a paused App keeps running.
 */
export interface HistoryEntry {
  revision: number;
  image: string;
  specHash: string;
  createdAt: string;
  deployedAt: string;
  /** completedAt is when all its replicas were first ready after it became the target; cleared when it becomes the target again. */
  completedAt?: string;
  template: RevisionTemplate;
  /** build names the Build (and commit) whose image the revision runs, for an App built from git. */
  build?: { name: string; commit: string };
}

/** historyOf reads `status.history`, tolerating entries written before templates were recorded. */
export function historyOf(status: { [field: string]: unknown } | undefined): HistoryEntry[] {
  const raw = Array.isArray(status?.history) ? (status.history as Array<Partial<HistoryEntry>>) : [];
  return raw
    .filter((h): h is HistoryEntry => typeof h.revision === "number" && typeof h.specHash === "string")
    .map((h) => ({ ...h, deployedAt: h.deployedAt ?? h.createdAt ?? "" }));
}
