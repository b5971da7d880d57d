import type { AppSpec, Resource } from "../../resources/index.ts";
import { updatedAt } from "./preview-app.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** ttlMs reads `build.previews.ttl` (`30m`, `72h`); undefined when previews never expire. */
export function ttlMs(spec: AppSpec): number | undefined {
  const match = /^(\d+)(ms|s|m|h)$/.exec(spec.build?.previews?.ttl ?? "");
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}

/** Removal is one preview to delete and why (the reason and message of the event on the parent). */
export interface Removal {
  preview: Resource;
  reason: "PreviewsDisabled" | "PreviewExpired" | "PreviewEvicted";
  message: string;
}

/** PreviewPlan is what the sweep does for one parent: the previews to remove, and when to look again. */
export interface PreviewPlan {
  removals: Removal[];
  /** nextCheckMs is when the next kept preview expires, if any does. */
  nextCheckMs?: number;
}

/**
 * planPreviews decides which of a parent's previews go: all of them when the parent no longer has previews
 * enabled (or is being deleted); those whose pull request has not moved for `ttl`; and, beyond `maxActive`,
 * the ones that moved least recently (a new pull request always gets its preview, the stalest one makes room).
 */
export function planPreviews(parent: Resource, previews: readonly Resource[], now: number): PreviewPlan {
  const spec = parent.spec as AppSpec;
  const settings = spec.build?.previews;
  if (!settings?.enabled || parent.metadata.deletionTimestamp)
    return { removals: previews.map((preview) => ({ preview, reason: "PreviewsDisabled", message: `removed preview ${preview.metadata.name}: previews are not enabled` })) };
  const removals: Removal[] = [];
  const ttl = ttlMs(spec);
  const live = [...previews].sort((a, b) => updatedAt(b) - updatedAt(a));
  const kept: Resource[] = [];
  for (const preview of live) {
    if (ttl !== undefined && updatedAt(preview) + ttl <= now) removals.push({ preview, reason: "PreviewExpired", message: `removed preview ${preview.metadata.name}: no push for ${settings.ttl}` });
    else if (kept.length >= settings.maxActive) removals.push({ preview, reason: "PreviewEvicted", message: `removed preview ${preview.metadata.name}, the least recently updated: at most ${settings.maxActive} previews are active` });
    else kept.push(preview);
  }
  if (ttl === undefined || kept.length === 0) return { removals };
  const next = Math.min(...kept.map((p) => updatedAt(p) + ttl)) - now;
  return { removals, nextCheckMs: Math.max(1_000, next) };
}
